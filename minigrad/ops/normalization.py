"""Batch normalisation (Ioffe & Szegedy 2015) with PyTorch's semantics.

For an input of shape ``(N, C)`` or ``(N, C, *spatial)`` each channel ``c`` is
normalised over the ``m = N · Π spatial`` entries it has in the batch:

    training:  μ_c = mean(x_c),  σ²_c = (1/m) Σ (x_c − μ_c)²    (biased; batch statistics)
    eval:      μ_c = running_mean[c],  σ²_c = running_var[c]
    y = (x − μ_c) / √(σ²_c + eps) · weight[c] + bias[c]

In training mode the running estimates are updated in place, as PyTorch does,
with the *unbiased* batch variance:

    running_mean ← (1 − momentum) running_mean + momentum μ
    running_var  ← (1 − momentum) running_var  + momentum σ² m / (m − 1)

In training mode ``x̂ = (x − μ)/√(σ² + eps)`` is one op (``Normalize``) whose
backward reuses the forward's ``x̂`` and ``1/√(σ² + eps)``:

    ∂L/∂x = (g − mean(g) − x̂ · mean(g x̂)) / √(σ² + eps)     (means over the channel's entries)

When that backward is itself differentiated (``create_graph``) it is built from
``x`` with differentiable ops (``mean``, ``sqrt``, arithmetic), so the
dependence of μ and σ² on the whole batch is differentiated exactly, to any
order (exact Hessian-vector products through batch norm). ``weight`` and
``bias`` are applied as ``x̂ · weight + bias``.
"""
import functools

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import sqrt
from .reduction import mean
from .shape import reshape


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def _check_channels(name, value, channels, input_shape):
    if value is not None and tuple(value.shape) != (channels,):
        raise ValueError(f"batch_norm: {name} must have shape ({channels},) for input of shape "
                         f"{tuple(input_shape)}, got {tuple(value.shape)}")


class Normalize(Function):
    """``x̂ = (x − μ) / √(σ² + eps)`` with the batch statistics over ``axes`` (training mode).

    The forward hands ``(μ, σ²)`` to ``record``. The backward is
    ``∂L/∂x = (g − mean(g) − x̂ mean(g x̂)) / √(σ² + eps)`` (means over ``axes``).
    It reuses the forward's ``x̂`` and ``1/√(σ² + eps)``; when the backward is
    itself recorded (``create_graph``) it recomputes them from ``x`` with
    differentiable ops, so the second derivative through the batch statistics
    is exact.
    """

    def forward(self, x, axes, eps, record):
        self.axes, self.eps = axes, eps
        batch_mean = x.mean(axis=axes, keepdims=True)
        centred = x - batch_mean
        batch_var = (centred * centred).mean(axis=axes, keepdims=True)
        record(batch_mean, batch_var)
        self.inverse_std = 1 / self.xp(x).sqrt(batch_var + eps)
        self.normalized = centred * self.inverse_std
        return self.normalized

    def backward(self, g):
        (x,) = self.inputs
        if is_grad_enabled():
            centred = x - mean(x, self.axes, keepdim=True)
            inverse_std = 1 / sqrt(mean(centred * centred, self.axes, keepdim=True) + self.eps)
            normalized = centred * inverse_std
        else:
            normalized, inverse_std = Tensor(self.normalized), Tensor(self.inverse_std)
        centred_g = g - mean(g, self.axes, keepdim=True)
        correlation = mean(g * normalized, self.axes, keepdim=True)
        return ((centred_g - normalized * correlation) * inverse_std,)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise ``input`` ``(N, C, ...)`` per channel; see the module docstring.

    ``running_mean`` and ``running_var`` are arrays (or Tensors) of shape
    ``(C,)``; in training mode they are updated in place (either may be
    ``None`` to skip tracking), in eval mode they are the statistics used.
    ``weight`` and ``bias`` are optional ``(C,)`` Tensors.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, *spatial), "
                         f"got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_channels(name, value, channels, input.shape)
    stats_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        count = input.size // channels
        if count <= 1:
            raise ValueError(f"batch_norm: training needs more than 1 value per channel, "
                             f"got input of shape {tuple(input.shape)}")
        record = functools.partial(_update_running_stats, running_mean, running_var, count,
                                   momentum)
        normalized = Normalize.apply(input, axes=axes, eps=eps, record=record)
        scale = None if weight is None else reshape(weight, stats_shape)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and "
                             "running_var")
        xp = input.xp
        centred = input - Tensor(_array(running_mean).reshape(stats_shape).astype(input.dtype))
        inverse_std = Tensor((1 / xp.sqrt(_array(running_var).reshape(stats_shape) + eps))
                             .astype(input.dtype))
        normalized = centred
        scale = inverse_std if weight is None else inverse_std * reshape(weight, stats_shape)
    if scale is not None:
        normalized = normalized * scale
    if bias is not None:
        normalized = normalized + reshape(bias, stats_shape)
    return normalized


def _update_running_stats(running_mean, running_var, count, momentum, batch_mean, batch_var):
    """Move the running estimates toward the batch mean and the unbiased batch variance."""
    if running_mean is not None:
        target = _array(running_mean)
        target[...] = (1 - momentum) * target + momentum * batch_mean.reshape(target.shape)
    if running_var is not None:
        target = _array(running_var)
        unbiased_var = batch_var.reshape(target.shape) * count / (count - 1)
        target[...] = (1 - momentum) * target + momentum * unbiased_var
