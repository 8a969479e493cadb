"""Reverse-mode autodiff: the graph walk (``engine``), the op base class (``function``) and the
grad modes (``grad_mode``)."""
