"""``Softmax`` and ``LogSoftmax`` (PyTorch's layers): ``e^(x_i) / Σ_j e^(x_j)`` and its logarithm
over the axis ``dim``; the ops are ``functional.softmax`` and ``functional.log_softmax``."""
from . import functional as F
from .module import Module


class Softmax(Module):
    """Probabilities over axis ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        if dim is None:
            name = type(self).__name__
            raise ValueError(f"{name}: give the axis to normalise over, e.g. {name}(dim=-1)")
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-probabilities over axis ``dim``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)
