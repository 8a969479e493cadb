"""Selecting entries by condition or by index: ``where``, ``gather``, ``sort``, ``topk``, and
``index_put`` (the values of ``x[index] = v``).

``where(c, a, b)[i] = a[i] if c[i] else b[i]`` (broadcast); its gradient is
``where(c, g, 0)`` for ``a`` and ``where(c, 0, g)`` for ``b`` (summed over
broadcast axes), itself a ``where``, so it differentiates again.
``gather(x, dim, index)[i][j][k] = x[i][index[i][j][k]][k]`` (for dim = 1) is
``x[full_index]`` with the advanced index that holds ``index`` on axis ``dim``
and the position on every other axis; its gradient adds ``g`` back at those
places (``index_add``, the adjoint of indexing). ``sort`` and ``topk`` find the
order on the values (not differentiated: it is piecewise constant) and return
``(values, indices)`` with ``values = gather(x, dim, indices)``.
``index_put(x, index, v)`` is ``x`` with ``v`` (broadcast) written at
``x[index]``; its gradient is ``g`` with zeros at ``index`` for ``x`` (an
``index_put`` again) and ``g[index]`` summed to ``v``'s shape for ``v``.
"""
import collections

import numpy

from ..autograd.function import Function
from .reduction import sum_to
from .shape import _index_arrays, getitem

SortResult = collections.namedtuple("SortResult", ["values", "indices"])
TopkResult = collections.namedtuple("TopkResult", ["values", "indices"])


class Where(Function):
    def forward(self, condition, a, b):
        return self.xp(a, b).where(condition, a, b)

    def backward(self, g):
        from ..tensor import Tensor
        condition, a, b = self.inputs
        zero = Tensor(g.xp.zeros((), dtype=g.dtype))
        ga = sum_to(where(condition, g, zero), a.shape) if self.needs_input_grad[1] else None
        gb = sum_to(where(condition, zero, g), b.shape) if self.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, input, other):
    """Entries of ``input`` where ``condition`` holds, of ``other`` elsewhere (``torch.where``).

    ``input`` and ``other`` are Tensors or Python numbers (which take the dtype of
    the Tensor among them), broadcast with ``condition``.
    """
    from ..tensor import Tensor, as_tensor
    condition = as_tensor(condition)
    if condition.dtype != numpy.bool_:
        raise TypeError(f"where expected condition to be a boolean tensor, but got a tensor "
                        f"with dtype {condition.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    input, other = as_tensor(input, like=like), as_tensor(other, like=like)
    return Where.apply(condition, input, other)


def _dim(caller, dim, ndim):
    from ..tensor import normalize_dim
    return normalize_dim(caller, dim, max(ndim, 1)) if ndim else 0


def gather(input, dim, index):
    """``out[…, j, …] = input[…, index[…, j, …], …]`` along ``dim`` (``torch.gather``)."""
    from ..tensor import as_tensor
    index = as_tensor(index)
    dim = _dim("gather", dim, input.ndim)
    if index.dtype.kind not in "iu" or index.ndim != input.ndim:
        raise TypeError(f"gather: index must be an integer tensor with as many dimensions as "
                        f"the input ({input.ndim}), got dtype {index.dtype} and shape "
                        f"{index.shape}")
    for k, (n, m) in enumerate(zip(index.shape, input.shape)):
        if k != dim and n > m:
            raise ValueError(f"gather: size of index {index.shape} exceeds the input "
                             f"{input.shape} at dimension {k} (dim={dim})")
    values = index.data
    if values.size and (int(values.min()) < 0 or int(values.max()) >= input.shape[dim]):
        bad = int(values.min()) if int(values.min()) < 0 else int(values.max())
        raise IndexError(f"gather: index {bad} is out of bounds for dimension {dim} with size "
                         f"{input.shape[dim]}")
    xp = index.xp
    full_index = tuple(values if k == dim else xp.arange(n).reshape(
        tuple(-1 if j == k else 1 for j in range(index.ndim))) for k, n in enumerate(index.shape))
    return getitem(input, full_index)


def _order(caller, input, dim, descending):
    from ..tensor import Tensor
    dim = _dim(caller, dim, input.ndim)
    xp = input.xp
    data = input.data if input.ndim else input.data.reshape(1)
    keys = -data if descending else data
    order = xp.argsort(keys, axis=dim, kind="stable").astype(xp.int64)
    return dim, Tensor(order if input.ndim else order.reshape(()))


def sort(input, dim=-1, descending=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (stable; ``torch.sort``)."""
    dim, indices = _order("sort", input, dim, descending)
    return SortResult(gather(input, dim, indices) if input.ndim else input * 1, indices)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
    dim, indices = _order("topk", input, dim, largest)
    size = input.shape[dim] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= size:
        raise ValueError(f"topk: k ({k!r}) must be an int in [0, {size}], the size of "
                         f"dimension {dim} of the input of shape {input.shape}")
    indices = indices[(slice(None),) * dim + (slice(0, k),)] if input.ndim else indices
    return TopkResult(gather(input, dim, indices) if input.ndim else input * 1, indices)


class IndexPut(Function):
    backward_reads_inputs = False

    def forward(self, a, values, index):
        self.index = index
        out = a.copy()
        out[index] = values
        return out

    def backward(self, g):
        from ..tensor import Tensor
        a, values = self.inputs
        ga = index_put(g, self.index, Tensor(g.xp.zeros((), dtype=g.dtype))) \
            if self.needs_input_grad[0] else None
        gv = sum_to(getitem(g, self.index), values.shape) if self.needs_input_grad[1] else None
        return ga, gv


def index_put(input, index, values):
    """``input`` with ``values`` (broadcast) written at ``input[index]``, out of place."""
    from ..tensor import as_tensor
    return IndexPut.apply(input, as_tensor(values, like=input), index=_index_arrays(index))
