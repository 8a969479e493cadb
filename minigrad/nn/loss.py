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

The arithmetic and the checks (shapes, dtypes, empty batches) are the
functional op of the same family, which names the module in its errors.
"""
from ..ops.loss import check_reduction
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits ``(N, C)`` against integer class labels ``(N,)``."""

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.reduction, caller=repr(self))


class MSELoss(_Loss):
    """Squared error between ``input`` and a ``target`` of the same shape."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction, caller=repr(self))


class BCEWithLogitsLoss(_Loss):
    """Sigmoid binary cross-entropy of logits against targets in [0, 1] of the same shape."""

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.reduction,
                                                  caller=repr(self))
