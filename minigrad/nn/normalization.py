"""Batch normalisation layers (PyTorch's ``nn.BatchNorm1d`` and ``nn.BatchNorm2d``).

For channel ``c``, over the batch (and the spatial positions of a 2-D input):

    y = γ_c (x − μ_c) / √(σ²_c + eps) + β_c

In training ``μ, σ²`` are the batch mean and biased variance, and the running
statistics move towards them in place,
``running ← (1 − momentum) running + momentum · batch`` (the variance with the
unbiased estimate, as PyTorch); in evaluation the running statistics are used.
``γ`` (``weight``, ones) and ``β`` (``bias``, zeros) exist when ``affine``.
``running_mean`` (zeros) and ``running_var`` (ones) are buffers, saved in
``state_dict``. The arithmetic is ``functional.batch_norm``.
"""
from .. import backend
from . import functional as F
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """Shared state and forward; subclasses set ``input_layouts`` (allowed ranks and names)."""

    input_layouts = {}

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        super().__init__()
        if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1 and eps > 0):
            raise ValueError(f"{type(self).__name__}: need eps > 0 and momentum in [0, 1], "
                             f"got eps={eps}, momentum={momentum}")
        self.num_features, self.affine = num_features, affine
        self.eps, self.momentum = eps, momentum
        xp, dtype = backend.array_module(), backend.get_default_dtype()
        self.weight = Parameter(xp.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(num_features, dtype=dtype))

    def forward(self, x):
        if x.ndim not in self.input_layouts or x.shape[1] != self.num_features:
            layouts = " or ".join(self.input_layouts.values())
            raise ValueError(f"{self!r} expects input of shape {layouts} with C = "
                             f"{self.num_features}, got {x.shape}")
        if self.training and x.numel() // self.num_features < 2:
            raise ValueError(f"{self!r} needs more than one value per channel in training, "
                             f"got input of shape {x.shape}")
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}")


class BatchNorm1d(_BatchNorm):
    """Normalise ``(N, C)`` or ``(N, C, L)`` inputs per channel ``C``."""

    input_layouts = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    """Normalise ``(N, C, H, W)`` inputs per channel ``C``."""

    input_layouts = {4: "(N, C, H, W)"}
