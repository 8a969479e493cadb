"""Adadelta (PyTorch's ``torch.optim.Adadelta``).

Zeiler 2012, "ADADELTA: An adaptive learning rate method", Algorithm 1, with
PyTorch's learning rate η on the step. For a parameter θ with gradient g,
decay ρ, weight decay λ:

    g ← g + λ θ
    v ← ρ v + (1 − ρ) g ⊙ g                 (v starts at 0)
    Δ = √(u + ε) / √(v + ε) ⊙ g
    u ← ρ u + (1 − ρ) Δ ⊙ Δ                 (u starts at 0)
    θ ← θ − η Δ
"""
from minigrad import backend

from .optimizer import Optimizer, require


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0).

    Zeiler 2012: ``v ← ρv + (1−ρ)g²``, ``Δ = √(u+ε)/√(v+ε)·g``, ``u ← ρu + (1−ρ)Δ²``,
    ``θ ← θ − ηΔ``.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        name = type(self).__name__
        require(lr >= 0, name, "lr", lr, ">= 0")
        require(0 <= rho <= 1, name, "rho", rho, "in [0, 1]")
        require(eps >= 0, name, "eps", eps, ">= 0")
        require(weight_decay >= 0, name, "weight_decay", weight_decay, ">= 0")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        """One update of every parameter with a gradient; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, p, state in self._parameter_states(_initial_state):
            xp = backend.get_array_module(p.data)
            grad = p.grad.data
            rho, eps = group["rho"], group["eps"]
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            state["square_avg"] *= rho
            state["square_avg"] += (1 - rho) * grad * grad
            delta = xp.sqrt(state["acc_delta"] + eps) / xp.sqrt(state["square_avg"] + eps) * grad
            state["acc_delta"] *= rho
            state["acc_delta"] += (1 - rho) * delta * delta
            p.data -= group["lr"] * delta
        return loss


def _initial_state(group, p):
    xp = backend.get_array_module(p.data)
    return {"square_avg": xp.zeros_like(p.data), "acc_delta": xp.zeros_like(p.data)}
