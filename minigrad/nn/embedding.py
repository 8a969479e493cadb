"""``Embedding`` (PyTorch's ``nn.Embedding``): a table ``weight`` (num_embeddings, embedding_dim)
whose row ``i`` is the vector of index ``i``; input integer indices (...), output
(..., embedding_dim). Rows start as N(0, 1) draws; the row ``padding_idx`` (when given) starts
at zero and receives no gradient. The lookup and its index checks are
``functional.embedding`` (host indices out of range are an error; device indices give NaN
rows, see ``minigrad/ops/embedding.py``).
"""
from .. import backend
from ..random import generator
from . import functional as F
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """Look up rows of a learned table by integer index."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be positive, got "
                             f"{num_embeddings}, {embedding_dim}")
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx must be in [{-num_embeddings}, "
                             f"{num_embeddings}), got {padding_idx}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        values = generator().standard_normal((num_embeddings, embedding_dim))
        if self.padding_idx is not None:
            values[self.padding_idx] = 0
        self.weight = Parameter(backend.to_device(values.astype(backend.get_default_dtype())))

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx, caller=repr(self))

    def extra_repr(self):
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
