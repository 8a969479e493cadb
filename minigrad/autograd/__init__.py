"""Automatic differentiation: ``grad`` (``torch.autograd.grad``) and the grad modes."""
from .engine import grad
from .grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["enable_grad", "grad", "no_grad", "set_grad_enabled"]
