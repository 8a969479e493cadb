"""Elementwise activation layers ``a = f(h)`` (PyTorch's ``nn.ReLU`` etc.) and ``Identity``.

Each applies the op of the same name in ``functional`` to every entry, so the
output has the input's shape. The ops also expose ``f'`` and ``f''`` (see
``minigrad/ops/activation.py``), which the Hessian recursion uses as
``B = diag(f'(h))`` and ``D = diag(f''(h) ⊙ ∂ℓ/∂a)`` (``minigrad/curvature/README.md``).
"""
from . import functional as F
from .module import Module


class ReLU(Module):
    """``max(h, 0)``."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """``h`` where ``h > 0``, ``negative_slope · h`` elsewhere."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """``1 / (1 + e^(−h))``."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """``tanh(h)``."""

    def forward(self, x):
        return F.tanh(x)


class Softplus(Module):
    """``log(1 + e^(β h)) / β``, linear where ``β h > threshold`` (as PyTorch)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Identity(Module):
    """Returns its input unchanged (the default shortcut of ``Residual``).

    Like ``torch.nn.Identity`` it accepts and ignores any constructor arguments.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
