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

In training mode the whole layer, ``y = x̂ · weight + bias`` with
``x̂ = (x − μ)/√(σ² + eps)``, is one op (``BatchNormTraining``). It keeps only its
input and the per-channel ``μ`` and ``1/√(σ² + eps)``; its backward recomputes
``x̂`` in one pass and gives

    ∂L/∂bias = Σ g,   ∂L/∂weight = Σ g x̂,
    ∂L/∂x = weight / √(σ² + eps) · (g − mean(g) − x̂ · mean(g x̂))     (over the channel's entries)

When that backward is itself differentiated (``create_graph``) it is built from
``x``, ``weight`` and ``g`` with differentiable ops (``mean``, ``sqrt``,
arithmetic), so the dependence of μ and σ² on the whole batch is differentiated
exactly, to any order (exact Hessian-vector products through batch norm).
In eval mode ``(x − running_mean) · (weight / √(running_var + eps)) + bias`` is
plain arithmetic.
"""
import functools

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import sqrt
from .reduction import mean, sum
from .shape import reshape


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def _check_channels(name, value, channels, input_shape):
    if value is not None and tuple(value.shape) != (channels,):
        raise ValueError(f"batch_norm: {name} must have shape ({channels},) for input of shape "
                         f"{tuple(input_shape)}, got {tuple(value.shape)}")


class BatchNormTraining(Function):
    """``y = x̂ · weight + bias`` with ``x̂`` normalised by the batch statistics over ``axes``.

    Inputs ``(x, weight, bias)``, the last two already shaped to broadcast
    (``(1, C, 1, ...)``). The forward hands ``(μ, σ²)`` to ``record`` and keeps
    ``μ`` and ``1/√(σ² + eps)``; the backward recomputes ``x̂`` from them (see the
    module docstring). When the backward is itself recorded (``create_graph``)
    it recomputes the statistics from ``x`` with differentiable ops, so the
    second derivative through them is exact.
    """

    def forward(self, x, weight, bias, axes, eps, record):
        self.axes, self.eps = axes, eps
        self.batch_mean = x.mean(axis=axes, keepdims=True)
        centred = x - self.batch_mean
        batch_var = (centred * centred).mean(axis=axes, keepdims=True)
        record(self.batch_mean, batch_var)
        self.inverse_std = 1 / self.xp(x).sqrt(batch_var + eps)
        centred *= self.inverse_std * weight
        centred += bias
        return centred

    def backward(self, g):
        x, weight, _ = self.inputs
        if is_grad_enabled():
            centred = x - mean(x, self.axes, keepdim=True)
            inverse_std = 1 / sqrt(mean(centred * centred, self.axes, keepdim=True) + self.eps)
            normalized = centred * inverse_std
        else:
            inverse_std = Tensor(self.inverse_std)
            normalized = Tensor((x.data - self.batch_mean) * self.inverse_std)
        wants_x, wants_weight, wants_bias = self.needs_input_grad
        bias_grad = sum(g, self.axes, keepdim=True) if wants_x or wants_bias else None
        weight_grad = sum(g * normalized, self.axes, keepdim=True) \
            if wants_x or wants_weight else None
        x_grad = None
        if wants_x:
            count = x.numel() // x.shape[1]
            x_grad = (g - bias_grad / count - normalized * (weight_grad / count)) * \
                (inverse_std * weight)
        return (x_grad, weight_grad if wants_weight else None, bias_grad if wants_bias else None)


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
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"batch_norm: training needs more than 1 value per channel, "
                             f"got input of shape {tuple(input.shape)}")
        record = functools.partial(_update_running_stats, running_mean, running_var, count,
                                   momentum)
        xp = input.xp
        scale = Tensor(xp.ones(stats_shape, dtype=input.dtype)) if weight is None \
            else reshape(weight, stats_shape)
        shift = Tensor(xp.zeros(stats_shape, dtype=input.dtype)) if bias is None \
            else reshape(bias, stats_shape)
        return BatchNormTraining.apply(input, scale, shift, axes=axes, eps=eps, record=record)
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
