"""RMSprop (PyTorch's ``torch.optim.RMSprop``).

Tieleman & Hinton 2012 (Coursera lecture 6.5); the centered form is Graves
2013, "Generating sequences with recurrent neural networks", eqs. 38–41.
For a parameter θ with gradient g, smoothing α, weight decay λ, momentum μ:

    g ← g + λ θ
    v ← α v + (1 − α) g ⊙ g
    m ← α m + (1 − α) g;   d = √(v − m ⊙ m) + ε    (centered)
                            d = √v + ε              (otherwise)
    b ← μ b + g / d;       θ ← θ − η b              (μ > 0)
                           θ ← θ − η g / d          (μ = 0)

All averages start at zero.
"""
from minigrad import backend

from .optimizer import Optimizer, require


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False).

    Tieleman & Hinton 2012 (centered: Graves 2013, eqs. 38–41):
    ``v ← α v + (1 − α) g ⊙ g``, ``θ ← θ − η g / (√v + ε)`` (``√(v − m ⊙ m)`` centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        name = type(self).__name__
        require(lr >= 0, name, "lr", lr, ">= 0")
        require(alpha >= 0, name, "alpha", alpha, ">= 0")
        require(eps >= 0, name, "eps", eps, ">= 0")
        require(weight_decay >= 0, name, "weight_decay", weight_decay, ">= 0")
        require(momentum >= 0, name, "momentum", momentum, ">= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def step(self, closure=None):
        """One update of every parameter with a gradient; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, p, state in self._parameter_states(_initial_state):
            alpha = group["alpha"]
            xp = backend.get_array_module(p.data)
            grad = p.grad.data
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg *= alpha
                grad_avg += (1 - alpha) * grad
                denominator = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
            else:
                denominator = xp.sqrt(square_avg) + group["eps"]
            if group["momentum"] > 0:
                buffer = state["momentum_buffer"]
                buffer *= group["momentum"]
                buffer += grad / denominator
                p.data -= group["lr"] * buffer
            else:
                p.data -= group["lr"] * grad / denominator
        return loss


def _initial_state(group, p):
    xp = backend.get_array_module(p.data)
    state = {"square_avg": xp.zeros_like(p.data)}
    if group["momentum"] > 0:
        state["momentum_buffer"] = xp.zeros_like(p.data)
    if group["centered"]:
        state["grad_avg"] = xp.zeros_like(p.data)
    return state
