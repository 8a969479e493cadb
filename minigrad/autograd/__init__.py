"""Reverse-mode autodiff: the graph walk (``engine``), the op base class (``function``) and the
grad modes (``grad_mode``); ``grad`` is ``torch.autograd.grad``."""
from .engine import grad
from .grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["enable_grad", "grad", "no_grad", "set_grad_enabled"]
