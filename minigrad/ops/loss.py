"""Losses with PyTorch's semantics, composed from differentiable ops.

Per-sample losses ``ℓ_n`` are combined by ``reduction``: ``"mean"`` (the
default: the mean over every element, ``L = (1/N) Σ_n ℓ_n`` for one loss per sample),
``"sum"``, ``"batchmean"`` (the sum over all elements divided by the batch size N,
as ``torch.nn.KLDivLoss``: for ``mse_loss`` and ``binary_cross_entropy_with_logits``
a sample's loss is then summed over its outputs and averaged over the batch, the
scale of the autoencoder papers' "error in nats per image"), or ``"none"``.

    nll_loss(log_p, y)_n          = −log_p[n, y_n]                      log_p (N, C), y (N,) ints
    cross_entropy(z, y)_n         = −log_softmax(z)[n, y_n]             z (N, C) logits
    mse_loss(x, t)                = (x − t)² elementwise                x, t same shape
    binary_cross_entropy_with_logits(z, t) = log(1 + e^z) − z t         z, t same shape

``mse_loss`` with ``"mean"`` averages over *all* elements, as ``torch.nn.MSELoss``:
for outputs of size ``out`` the per-sample loss is ``‖x_n − t_n‖² / out`` with
Hessian ``(2/out) I``; ``reduction="sum"`` or ``"batchmean"`` gives ``2 I``.
Every loss refuses an empty batch (N = 0) and an input that is not floating
(integer logits), naming ``caller``: the op, or the loss module that calls it.
Cross-entropy goes through the stable ``log_softmax`` and the binary one through
``log(1 + e^z) = logaddexp(0, z)``, so logits of any magnitude give finite losses
and gradients. Their second derivatives in the logits are ``diag(p) − p pᵀ`` and
``σ(z)(1 − σ(z))``, obtained here by double backward through those ops.

Class labels held on the host are range-checked there: a label outside ``[0, C)`` is a
``ValueError`` naming it. Labels on a device are not copied to the host for that check
(it would synchronise every batch); a label outside ``[0, C)`` makes its sample's loss,
and so the reduced loss, NaN instead: the trade-off of PyTorch's device-side assert on CUDA.
"""
import numpy

from ..tensor import Tensor, as_tensor, data_of
from .activation import log_softmax, softplus
from .reduction import mean, sum
from .shape import getitem
from .validation import first_outside, require_batch, require_floating

REDUCTIONS = ("mean", "sum", "batchmean", "none")


def check_reduction(caller, reduction):
    """Raise unless ``reduction`` is one of ``REDUCTIONS``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{caller}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_loss_input(caller, input, reduction):
    check_reduction(caller, reduction)
    require_floating(caller, input)
    require_batch(caller, input)


def _reduce(losses, reduction):
    if reduction == "mean":
        return mean(losses)
    if reduction == "sum":
        return sum(losses)
    if reduction == "batchmean":
        return sum(losses) / losses.shape[0]
    return losses


def _class_labels(name, scores, target):
    """``target`` as integer labels of shape ``(N,)``; host labels checked to lie in ``[0, C)``."""
    if scores.ndim != 2:
        raise ValueError(f"{name}: input must be 2-D (N, C), got shape {scores.shape}")
    given = data_of(target)
    labels = scores.xp.asarray(given)
    n, classes = scores.shape
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{name}: target must hold integer class labels, got dtype "
                         f"{labels.dtype} (shape {labels.shape})")
    if labels.shape != (n,):
        raise ValueError(f"{name}: target must have shape ({n},) to match input of shape "
                         f"{scores.shape}, got {labels.shape}")
    bad = first_outside(given, classes)
    if bad is not None:
        raise ValueError(f"{name}: target label {bad} is out of range [0, {classes}) "
                         f"for input of shape {scores.shape}")
    return labels


def _same_shape_target(name, input, target):
    """``target`` as a Tensor beside ``input``, which it must match in shape; an integer or
    bool target takes ``input``'s float dtype, as in PyTorch's type promotion (float32 input,
    int64 target: a float32 loss)."""
    target = as_tensor(target, like=input)
    if input.shape != target.shape:
        raise ValueError(f"{name}: target shape {target.shape} must equal input shape "
                         f"{input.shape}")
    if target.dtype.kind in "biu" and input.dtype.kind == "f":
        target = Tensor(target.data.astype(input.dtype))
    return target


def _picked_negative_log_probs(log_probs, labels, reduction):
    xp = log_probs.xp
    rows = xp.arange(log_probs.shape[0])
    picked = -getitem(log_probs, (rows, labels))
    if xp is not numpy:  # device labels are range-checked there, without a sync: NaN if outside
        outside = (labels < 0) | (labels >= log_probs.shape[1])
        picked = picked + Tensor(xp.where(outside, xp.nan, 0).astype(picked.dtype))
    return _reduce(picked, reduction)


def nll_loss(input, target, reduction="mean", *, caller="nll_loss"):
    """Negative log-likelihood ``−input[n, target_n]`` of log-probabilities ``input`` (N, C)
    and integer labels ``target`` (N,), reduced."""
    _check_loss_input(caller, input, reduction)
    labels = _class_labels(caller, input, target)
    return _picked_negative_log_probs(input, labels, reduction)


def cross_entropy(input, target, reduction="mean", *, caller="cross_entropy"):
    """Softmax cross-entropy of logits ``input`` (N, C) and integer labels ``target`` (N,).

    ``ℓ_n = log Σ_c e^(z_nc) − z_n,target_n``, i.e. ``nll_loss(log_softmax(z, 1), target)``.
    """
    _check_loss_input(caller, input, reduction)
    labels = _class_labels(caller, input, target)
    return _picked_negative_log_probs(log_softmax(input, dim=1), labels, reduction)


def mse_loss(input, target, reduction="mean", *, caller="mse_loss"):
    """Squared error ``(input − target)²`` elementwise, reduced (mean over all elements)."""
    _check_loss_input(caller, input, reduction)
    diff = input - _same_shape_target(caller, input, target)
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean", *,
                                     caller="binary_cross_entropy_with_logits"):
    """``−t log σ(z) − (1 − t) log(1 − σ(z)) = log(1 + e^z) − z t`` for logits ``z = input``
    and targets ``t = target`` in [0, 1] of the same shape, reduced."""
    _check_loss_input(caller, input, reduction)
    target = _same_shape_target(caller, input, target)
    return _reduce(softplus(input, threshold=float("inf")) - input * target, reduction)
