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
        start = self.start_dim % x.ndim if -x.ndim <= self.start_dim < x.ndim else None
        end = self.end_dim % x.ndim if -x.ndim <= self.end_dim < x.ndim else None
        if start is None or end is None or start > end:
            raise ValueError(f"{self!r} cannot flatten an input of shape {x.shape} "
                             f"({x.ndim} dimensions)")
        return F.flatten(x, start, end)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
