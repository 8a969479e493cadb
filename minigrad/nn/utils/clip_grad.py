"""Gradient clipping in place, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

``clip_grad_norm_`` treats the gradients of all parameters as one vector g and
computes ``‖g‖_p = (Σ_i ‖g_i‖_p^p)^{1/p}`` (``max_i ‖g_i‖_∞`` for p = ∞); every
gradient is multiplied by ``min(1, max_norm / (‖g‖_p + 10⁻⁶))`` and the total
norm (before clipping) is returned. ``clip_grad_value_`` limits every entry
of every gradient to ``[−clip_value, clip_value]``. Parameters without a
gradient are skipped.
"""
import math

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, tensor


def _gradients(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping as a 0-d Tensor. With
    ``error_if_nonfinite=True`` a NaN or infinite total norm raises instead.
    """
    norm_type = float(norm_type)
    grads = _gradients(parameters)
    if not grads:
        return tensor(0.0)
    xp = grads[0].xp
    if norm_type == math.inf:
        norms = [xp.abs(g.data).max() for g in grads]
        total = xp.stack(norms).max()
    else:
        norms = [(xp.abs(g.data) ** norm_type).sum() ** (1.0 / norm_type) for g in grads]
        total = (xp.stack(norms) ** norm_type).sum() ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coefficient = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(Tensor(coefficient.astype(g.dtype)))
    return Tensor(total)


def clip_grad_value_(parameters, clip_value):
    """Limit every gradient entry to ``[−clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _gradients(parameters):
            g.clamp_(-clip_value, clip_value)

