"""Adagrad (PyTorch's ``torch.optim.Adagrad``).

Duchi, Hazan & Singer 2011, "Adaptive subgradient methods for online learning
and stochastic optimization", eq. (diagonal update). For a parameter θ with
gradient g at step t = 1, 2, …, learning-rate decay δ, weight decay λ:

    g ← g + λ θ
    η_t = η / (1 + (t − 1) δ)
    s ← s + g ⊙ g                       (s starts at initial_accumulator_value)
    θ ← θ − η_t g / (√s + ε)
"""
from minigrad import backend

from .optimizer import Optimizer, require


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10).

    Duchi, Hazan & Singer 2011 (diagonal form): ``s ← s + g ⊙ g``,
    ``θ ← θ − η / (1 + (t − 1) δ) · g / (√s + ε)``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10):
        name = type(self).__name__
        require(lr >= 0, name, "lr", lr, ">= 0")
        require(lr_decay >= 0, name, "lr_decay", lr_decay, ">= 0")
        require(weight_decay >= 0, name, "weight_decay", weight_decay, ">= 0")
        require(initial_accumulator_value >= 0, name, "initial_accumulator_value",
                initial_accumulator_value, ">= 0")
        require(eps >= 0, name, "eps", eps, ">= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def step(self, closure=None):
        """One update of every parameter with a gradient; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, p, state in self._parameter_states(_initial_state):
            xp = backend.get_array_module(p.data)
            grad = p.grad.data
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            step_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            state["sum"] += grad * grad
            p.data -= step_lr * grad / (xp.sqrt(state["sum"]) + group["eps"])
        return loss


def _initial_state(group, p):
    xp = backend.get_array_module(p.data)
    return {"sum": xp.full_like(p.data, group["initial_accumulator_value"])}
