"""``clamp(x, min, max)``: each entry limited to ``[min, max]`` (either bound may be ``None``).

``clamp(x) = min(max(x, lo), hi)``; the gradient is ``g`` where ``lo <= x <= hi``
(bounds included, as ``torch.clamp``) and 0 elsewhere. The mask is a constant,
so the backward (a product with it) is differentiable again and the second
derivative is 0.
"""
import numbers

from ..autograd.function import Function


class Clamp(Function):
    def forward(self, a, low, high):
        self.low, self.high = low, high
        return self.xp(a).clip(a, low, high).astype(a.dtype, copy=False)

    def backward(self, g):
        from ..tensor import Tensor
        (a,) = self.inputs
        inside = a.xp.ones(a.shape, dtype=bool)
        if self.low is not None:
            inside &= a.data >= self.low
        if self.high is not None:
            inside &= a.data <= self.high
        return (g * Tensor(inside.astype(g.dtype)),)


def clamp(input, min=None, max=None):
    """``input`` with every entry limited to ``[min, max]`` (Python numbers; either may be None)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must not be None")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and (not isinstance(bound, numbers.Real) or isinstance(bound, bool)):
            raise TypeError(f"clamp: {name} must be a Python number or None, got "
                            f"{type(bound).__name__}")
    return Clamp.apply(input, low=min, high=max)
