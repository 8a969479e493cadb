"""``masked_fill``: ``value`` where a boolean mask is true, the input elsewhere.

    y = where(mask, value, x)          ∂y/∂x = 1 − mask   (a constant of the graph)

The mask broadcasts against ``x`` (PyTorch's rule); the output has ``x``'s shape, so the
mask may not enlarge it. The backward multiplies by the constant ``1 − mask``, a
differentiable op, so second derivatives through it are exact (and zero where masked).
"""
import numpy

from ..autograd.function import Function
from ..tensor import Tensor, data_of


class MaskedFill(Function):
    def forward(self, x, mask, value):
        xp = self.xp(x)
        self.keep = xp.logical_not(mask).astype(x.dtype)
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(self, g):
        return (g * Tensor(self.keep),)


def masked_fill(input, mask, value):
    """``input`` with ``value`` written where the boolean ``mask`` (broadcast to ``input``'s
    shape) is true."""
    mask = input.xp.asarray(data_of(mask))
    if mask.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {mask.dtype} "
                        f"(shape {mask.shape}) for input of shape {input.shape}")
    try:
        broadcast = numpy.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        broadcast = None
    if broadcast != input.shape:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the "
                         f"input's shape {input.shape}")
    return MaskedFill.apply(input, mask=mask, value=value)
