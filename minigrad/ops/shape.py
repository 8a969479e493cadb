"""Ops that move entries without changing them: reshape, permute, transpose,
flatten, unsqueeze, squeeze, clone, indexing (with its adjoint, ``index_add``)
and concatenation. ``unsqueeze`` and ``squeeze`` are reshapes that insert or
drop axes of size 1; ``clone`` copies the array and passes the gradient through."""
import numbers

from .. import backend
from ..autograd.function import Function


class Reshape(Function):
    backward_reads_inputs = False

    def forward(self, a, shape):
        self.source_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.source_shape),)


class Permute(Function):
    backward_reads_inputs = False

    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return (permute(g, *inverse),)


class Clone(Function):
    backward_reads_inputs = False

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return (g,)


class GetItem(Function):
    backward_reads_inputs = False

    def forward(self, a, index):
        self.index = index
        return a[index]

    def backward(self, g):
        (a,) = self.inputs
        return (index_add(g, self.index, a.shape),)


def _selects_each_entry_once(index):
    """Whether ``index`` is basic indexing (ints, slices, ``None``, ``...``), which picks each
    entry at most once, so its adjoint is an assignment into zeros; advanced indices may
    repeat an entry and need an unbuffered ``scatter_add``."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is None or part is Ellipsis or isinstance(part, slice)
               or (isinstance(part, numbers.Integral) and not isinstance(part, bool))
               for part in parts)


class IndexAdd(Function):
    backward_reads_inputs = False

    def forward(self, g, index, shape):
        self.index = index
        out = self.xp(g).zeros(shape, dtype=g.dtype)
        if _selects_each_entry_once(index):
            out[index] = g
            return out
        return backend.scatter_add(out, index, g)

    def backward(self, g):
        return (getitem(g, self.index),)


class Concatenate(Function):
    backward_reads_inputs = False

    def forward(self, *arrays, dim):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return self.xp(*arrays).concatenate(arrays, axis=dim)

    def backward(self, g):
        grads, start = [], 0
        for n in self.sizes:
            index = (slice(None),) * self.dim + (slice(start, start + n),)
            grads.append(getitem(g, index))
            start += n
        return tuple(grads)


def reshape(a, *shape):
    """``a`` with a new shape (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(a, shape=tuple(shape))


def permute(a, *dims):
    """``a`` with its axes reordered."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return Permute.apply(a, dims=tuple(d % a.ndim for d in dims))


def transpose(a, dim0, dim1):
    """``a`` with axes ``dim0`` and ``dim1`` swapped."""
    dims = list(range(a.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(a, *dims)


def flatten(a, start_dim=0, end_dim=-1, *, caller="flatten"):
    """Merge axes ``start_dim..end_dim`` into one; ``caller`` names the op or layer in errors."""
    ndim = max(a.ndim, 1)
    if not (-ndim <= start_dim < ndim and -ndim <= end_dim < ndim
            and start_dim % ndim <= end_dim % ndim):
        raise ValueError(f"{caller} cannot flatten dimensions {start_dim}..{end_dim} of an input "
                         f"of shape {a.shape} ({a.ndim} dimensions)")
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = start_dim % a.ndim, end_dim % a.ndim
    size = 1
    for n in a.shape[start:end + 1]:
        size *= n
    return reshape(a, a.shape[:start] + (size,) + a.shape[end + 1:])


def unsqueeze(a, dim):
    """``a`` with a new axis of size 1 at ``dim`` (``-a.ndim - 1 <= dim <= a.ndim``)."""
    if isinstance(dim, bool) or not isinstance(dim, int) or not -a.ndim - 1 <= dim <= a.ndim:
        raise ValueError(f"unsqueeze: dim must be an int in [{-a.ndim - 1}, {a.ndim}] for an "
                         f"input of shape {a.shape}, got {dim!r}")
    dim = dim % (a.ndim + 1)
    return reshape(a, a.shape[:dim] + (1,) + a.shape[dim:])


def squeeze(a, dim=None):
    """``a`` without its axes of size 1 (only axis ``dim``, if it has size 1, when given)."""
    if dim is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    if isinstance(dim, bool) or not isinstance(dim, int) or not -a.ndim <= dim < max(a.ndim, 1):
        raise ValueError(f"squeeze: dim must be an int in [{-a.ndim}, {a.ndim}) for an input of "
                         f"shape {a.shape}, got {dim!r}")
    if a.ndim == 0 or a.shape[dim] != 1:
        return a
    dim = dim % a.ndim
    return reshape(a, a.shape[:dim] + a.shape[dim + 1:])


def clone(a):
    """A copy of ``a`` in the graph: the gradient passes through unchanged."""
    return Clone.apply(a)


def _index_arrays(index):
    from ..tensor import data_of
    if isinstance(index, tuple):
        return tuple(_index_arrays(i) for i in index)
    return data_of(index)


def getitem(a, index):
    """``a[index]`` with NumPy indexing; repeated indices accumulate in the gradient."""
    return GetItem.apply(a, index=_index_arrays(index))


def index_add(g, index, shape):
    """A zero array of ``shape`` with ``g`` added at ``index`` (the adjoint of ``getitem``)."""
    return IndexAdd.apply(g, index=_index_arrays(index), shape=tuple(shape))


def cat(tensors, dim=0):
    """Concatenate ``tensors`` along ``dim``."""
    return Concatenate.apply(*tensors, dim=dim % tensors[0].ndim)


concatenate = cat
