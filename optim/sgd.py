"""Stochastic gradient descent with momentum (PyTorch's ``torch.optim.SGD``).

For each parameter θ with gradient g, weight decay λ, momentum μ, dampening τ
and learning rate η (Sutskever et al. 2013, "On the importance of
initialization and momentum in deep learning", eq. 1, in PyTorch's form):

    g ← g + λ θ
    b ← g                       at the first step
    b ← μ b + (1 − τ) g         afterwards
    d ← g + μ b   (nesterov)    or   d ← b
    θ ← θ − η d

With μ = 0 the update is plain gradient descent ``θ ← θ − η g``.
"""
from minigrad import backend

from .optimizer import Optimizer, require, require_number


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False).

    Sutskever et al. 2013, eq. 1 (PyTorch's form): ``b ← μ b + (1 − τ) (g + λθ)``,
    ``θ ← θ − η b`` (``θ ← θ − η (g + λθ + μ b)`` with ``nesterov``).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        name = type(self).__name__
        for argument, value in (("lr", lr), ("momentum", momentum), ("dampening", dampening),
                                ("weight_decay", weight_decay)):
            require_number(name, argument, value)
        require(lr >= 0, name, "lr", lr, ">= 0")
        require(momentum >= 0, name, "momentum", momentum, ">= 0")
        require(weight_decay >= 0, name, "weight_decay", weight_decay, ">= 0")
        require(not nesterov or (momentum > 0 and dampening == 0), name, "nesterov", nesterov,
                "False unless momentum > 0 and dampening == 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self, closure=None):
        """One update of every parameter with a gradient; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            momentum, weight_decay = group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                direction = p.grad.data
                if weight_decay != 0:
                    direction = direction + weight_decay * p.data
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = backend.get_array_module(direction).array(
                            direction, copy=True)
                    else:
                        buffer = state["momentum_buffer"]
                        buffer *= momentum
                        buffer += (1 - group["dampening"]) * direction
                    buffer = state["momentum_buffer"]
                    direction = direction + momentum * buffer if group["nesterov"] else buffer
                p.data -= group["lr"] * direction
        return loss
