"""Adam and AdamW (PyTorch's ``torch.optim.Adam`` and ``torch.optim.AdamW``).

Adam: Kingma & Ba 2015, "Adam: a method for stochastic optimization",
Algorithm 1; AMSGrad: Reddi, Kale & Kumar 2018, Algorithm 2; AdamW: Loshchilov
& Hutter 2019, "Decoupled weight decay regularization", Algorithm 2.
For a parameter θ with gradient g at step t = 1, 2, …:

    Adam:  g ← g + λ θ                       (L2 penalty in the gradient)
    AdamW: θ ← θ (1 − η λ)                   (decoupled decay, before the step)
    m ← β₁ m + (1 − β₁) g
    v ← β₂ v + (1 − β₂) g ⊙ g
    v̂ ← max(v̂, v) (amsgrad), else v̂ = v
    θ ← θ − (η / (1 − β₁ᵗ)) m / (√v̂ / √(1 − β₂ᵗ) + ε)
"""
import math

from minigrad import backend

from .optimizer import Optimizer, require, require_number


def check_adam_arguments(optimizer, lr, betas, eps, weight_decay):
    """``ValueError`` naming the argument unless lr, eps, weight_decay ≥ 0 and betas in [0, 1)."""
    for argument, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
        require_number(optimizer, argument, value)
    require(isinstance(betas, (tuple, list)) and len(betas) == 2, optimizer, "betas", betas,
            "a pair (beta1, beta2)")
    for index, beta in enumerate(betas):
        require_number(optimizer, f"betas[{index}]", beta)
    require(lr >= 0, optimizer, "lr", lr, ">= 0")
    require(eps >= 0, optimizer, "eps", eps, ">= 0")
    require(0 <= betas[0] < 1, optimizer, "betas[0]", betas[0], "in [0, 1)")
    require(0 <= betas[1] < 1, optimizer, "betas[1]", betas[1], "in [0, 1)")
    require(weight_decay >= 0, optimizer, "weight_decay", weight_decay, ">= 0")


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False).

    Kingma & Ba 2015, Algorithm 1: ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g ⊙ g``,
    ``θ ← θ − η m̂ / (√v̂ + ε)`` with bias-corrected ``m̂``, ``v̂`` (AMSGrad: Reddi et al.
    2018, Algorithm 2, ``v̂ ← max(v̂, v)``).
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False):
        check_adam_arguments(type(self).__name__, lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def step(self, closure=None):
        """One update of every parameter with a gradient; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, p, state in self._parameter_states(_initial_state):
            beta1, beta2 = group["betas"]
            lr, weight_decay = group["lr"], group["weight_decay"]
            xp = backend.get_array_module(p.data)
            grad = p.grad.data
            if weight_decay != 0:
                if self.decoupled_weight_decay:
                    p.data *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * p.data
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            if group["amsgrad"]:
                xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                second_moment = state["max_exp_avg_sq"]
            else:
                second_moment = exp_avg_sq
            bias_correction1 = 1 - beta1 ** state["step"]
            bias_correction2 = 1 - beta2 ** state["step"]
            denominator = xp.sqrt(second_moment) / math.sqrt(bias_correction2) + group["eps"]
            p.data -= (lr / bias_correction1) * exp_avg / denominator
        return loss


def _initial_state(group, p):
    xp = backend.get_array_module(p.data)
    state = {"exp_avg": xp.zeros_like(p.data), "exp_avg_sq": xp.zeros_like(p.data)}
    if group["amsgrad"]:
        state["max_exp_avg_sq"] = xp.zeros_like(p.data)
    return state


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False).

    Loshchilov & Hutter 2019, Algorithm 2: ``θ ← θ (1 − η λ)``, then the Adam step
    without the L2 term in the gradient.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
