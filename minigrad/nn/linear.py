"""``Linear``: ``h = x Wᵀ + b`` with ``W`` of shape ``(out, in)`` and ``b`` of ``(out,)``."""
import math

from ..ops.linalg import linear
from ..ops.validation import require_sizes
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """Fully connected layer; input ``(N, in_features)``, output ``(N, out_features)``."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        require_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(init.kaiming_uniform((out_features, in_features)))
        bound = 1.0 / math.sqrt(in_features)
        self.bias = Parameter(init.uniform((out_features,), bound)) if bias else None

    def forward(self, x):
        caller = f"Linear(in_features={self.in_features}, out_features={self.out_features})"
        return linear(x, self.weight, self.bias, caller=caller)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
