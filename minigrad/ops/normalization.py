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

The training-mode output is composed from differentiable ops (``mean``,
``sqrt``, arithmetic), so the dependence of μ and σ² on the whole batch is
differentiated exactly, to any order (exact Hessian-vector products through
batch norm). The per-channel factor ``weight / √(σ² + eps)`` is formed on the
``(1, C, 1, …)`` statistics, so the full-size work is ``x − μ``, its square,
two channel sums and one multiply-add (and their backward passes).
"""
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
        batch_mean = mean(input, axes, keepdim=True)
        centred = input - batch_mean
        batch_var = mean(centred * centred, axes, keepdim=True)
        _update_running_stats(running_mean, running_var, batch_mean.data.reshape(channels),
                              batch_var.data.reshape(channels) * count / (count - 1), momentum)
        inverse_std = 1 / sqrt(batch_var + eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and "
                             "running_var")
        xp = input.xp
        centred = input - Tensor(_array(running_mean).reshape(stats_shape).astype(input.dtype))
        inverse_std = Tensor((1 / xp.sqrt(_array(running_var).reshape(stats_shape) + eps))
                             .astype(input.dtype))
    scale = inverse_std if weight is None else inverse_std * reshape(weight, stats_shape)
    normalized = centred * scale
    if bias is not None:
        normalized = normalized + reshape(bias, stats_shape)
    return normalized


def _update_running_stats(running_mean, running_var, batch_mean, unbiased_var, momentum):
    if running_mean is not None:
        target = _array(running_mean)
        target[...] = (1 - momentum) * target + momentum * batch_mean
    if running_var is not None:
        target = _array(running_var)
        target[...] = (1 - momentum) * target + momentum * unbiased_var
