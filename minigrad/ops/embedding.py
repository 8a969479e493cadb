"""Embedding lookup, PyTorch's ``F.embedding``: row ``weight[i]`` for every index ``i``.

For integer indices ``idx`` of any shape (...) and a table ``weight`` (num_embeddings, dim):

    y[...] = weight[idx[...]]                         (..., dim)
    ∂L/∂weight[r] = Σ_{positions p with idx[p] = r} g[p]      (nothing for r = padding_idx)

The backward scatters the output gradient back into the table (``index_add``, whose own
backward is the lookup again), so second derivatives are exact (zero: the map is linear).
Indices held on the host are checked to lie in ``[0, num_embeddings)``: one outside is a
``ValueError`` naming it and the range. Indices on a device are not copied to the host for
that check (it would synchronise every batch); an index outside the range gives its output
row NaN instead, the trade-off the losses make for class labels (``minigrad/ops/loss.py``).
"""
import numpy

from ..autograd.function import Function
from ..tensor import Tensor, data_of
from .shape import index_add
from .validation import first_outside


class Embedding(Function):
    def forward(self, weight, indices, padding_idx):
        self.indices, self.padding_idx = indices, padding_idx
        return weight[indices]

    def backward(self, g):
        (weight,) = self.inputs
        if self.padding_idx is not None:
            keep = (self.indices != self.padding_idx)[..., None].astype(g.dtype)
            g = g * Tensor(keep)
        return (index_add(g, self.indices, weight.shape),)


def checked_indices(caller, indices, num_embeddings):
    """``indices`` as an integer array; host indices must lie in ``[0, num_embeddings)``."""
    if not hasattr(indices, "dtype"):
        indices = numpy.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{caller}: indices must be integers, got dtype {indices.dtype} (shape "
                        f"{indices.shape})")
    bad = first_outside(indices, num_embeddings)
    if bad is not None:
        raise ValueError(f"{caller}: index {bad} is out of range [0, {num_embeddings}) "
                         f"(indices of shape {indices.shape})")
    return indices


def embedding(input, weight, padding_idx=None, *, caller="embedding"):
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input``; the row
    ``padding_idx`` gets no gradient."""
    num_embeddings = weight.shape[0]
    indices = weight.xp.asarray(checked_indices(caller, data_of(input), num_embeddings))
    if padding_idx is not None:
        padding_idx = padding_idx % num_embeddings
    if weight.xp is numpy:
        return Embedding.apply(weight, indices=indices, padding_idx=padding_idx)
    outside = (indices < 0) | (indices >= num_embeddings)
    rows = Embedding.apply(weight, indices=weight.xp.clip(indices, 0, num_embeddings - 1),
                           padding_idx=padding_idx)
    return rows + Tensor(weight.xp.where(outside, weight.xp.nan, 0)[..., None].astype(rows.dtype))
