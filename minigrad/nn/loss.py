"""Loss modules (PyTorch's ``nn.CrossEntropyLoss``, ``nn.MSELoss``, ``nn.BCEWithLogitsLoss``).

``loss(input, target)`` reduces the per-sample losses by ``reduction``:
``"mean"`` (default; the mean over every element), ``"sum"``, ``"batchmean"``
(sum over every element divided by the batch size N) or ``"none"``.

    CrossEntropyLoss   ℓ_n = log Σ_c e^(z_nc) − z_n,y_n      z (N, C) logits, y (N,) int labels
                       Hessian in z_n: diag(p) − p pᵀ
    MSELoss            (x − t)² per element; "mean" averages over all elements,
                       so a sample with ``out`` outputs has Hessian (2/out) I
    BCEWithLogitsLoss  log(1 + e^z) − z t per element, t in [0, 1]
                       Hessian in z: σ(z)(1 − σ(z)) on the diagonal

The arithmetic is the functional op of the same family; the module checks the
shapes first so a mismatch names the module.
"""
import numpy

from ..ops.loss import REDUCTIONS
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


def _shape(value):
    return tuple(value.shape) if hasattr(value, "shape") else numpy.shape(value)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits ``(N, C)`` against integer class labels ``(N,)``."""

    def forward(self, input, target):
        if input.ndim != 2 or _shape(target) != input.shape[:1]:
            raise ValueError(f"{self!r} expects logits (N, C) and labels (N,), got input "
                             f"{input.shape} and target {_shape(target)}")
        return F.cross_entropy(input, target, self.reduction)


class MSELoss(_Loss):
    """Squared error between ``input`` and a ``target`` of the same shape."""

    def forward(self, input, target):
        if _shape(target) != input.shape:
            raise ValueError(f"{self!r}: target shape {_shape(target)} must equal input shape "
                             f"{input.shape}")
        return F.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid binary cross-entropy of logits against targets in [0, 1] of the same shape."""

    def forward(self, input, target):
        if _shape(target) != input.shape:
            raise ValueError(f"{self!r}: target shape {_shape(target)} must equal input shape "
                             f"{input.shape}")
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
