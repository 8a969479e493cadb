"""``Dropout``: inverted dropout in training, the identity in evaluation (PyTorch's ``nn.Dropout``).

In training each entry is zeroed with probability ``p`` and the rest scaled by
``1/(1 − p)``, so the expected output is the input; masks come from the seeded
generator of ``minigrad.nn.init`` (``manual_seed`` reproduces them).
"""
from . import functional as F
from .module import Module


class Dropout(Module):
    """Zero entries with probability ``p`` while ``self.training``; output shape = input shape."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
