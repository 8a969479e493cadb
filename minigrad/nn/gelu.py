"""``GELU`` (PyTorch's ``nn.GELU``): ``x Φ(x)`` elementwise, or its tanh approximation
(``approximate="tanh"``). ``f'`` and ``f''`` are ``minigrad.ops.gelu.GELU.derivative`` and
``second_derivative`` (formulas in ``minigrad/ops/gelu.py``)."""
from ..ops.gelu import check_approximate
from . import functional as F
from .module import Module


class GELU(Module):
    """Gaussian error linear unit; output shape = input shape."""

    def __init__(self, approximate="none"):
        super().__init__()
        check_approximate("GELU", approximate)
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"
