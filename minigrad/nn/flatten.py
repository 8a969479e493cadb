"""``Flatten``: merge dimensions ``start_dim..end_dim`` into one (PyTorch's ``nn.Flatten``).

``(N, C, H, W) → (N, C·H·W)`` with the defaults, raveled row-major, so a
following ``Linear`` sees features in ``(c, y, z)`` order.
"""
from . import functional as F
from .module import Module


class Flatten(Module):
    """Flatten dimensions ``start_dim`` to ``end_dim`` (inclusive) of the input."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim, caller=repr(self))

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
