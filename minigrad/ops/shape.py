"""Ops that move entries without changing them: reshape, permute, transpose,
flatten, indexing (with its adjoint, ``index_add``) and concatenation."""
from .. import backend
from ..autograd.function import Function


class Reshape(Function):
    def forward(self, a, shape):
        self.source_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.source_shape),)


class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return (permute(g, *inverse),)


class GetItem(Function):
    def forward(self, a, index):
        self.index = index
        return a[index]

    def backward(self, g):
        (a,) = self.inputs
        return (index_add(g, self.index, a.shape),)


class IndexAdd(Function):
    def forward(self, g, index, shape):
        self.index = index
        out = self.xp(g).zeros(shape, dtype=g.dtype)
        return backend.scatter_add(out, index, g)

    def backward(self, g):
        return (getitem(g, self.index),)


class Concatenate(Function):
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


def flatten(a, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one."""
    start, end = start_dim % a.ndim, end_dim % a.ndim
    size = 1
    for n in a.shape[start:end + 1]:
        size *= n
    return reshape(a, a.shape[:start] + (size,) + a.shape[end + 1:])


def _index_arrays(index):
    from ..tensor import Tensor
    if isinstance(index, tuple):
        return tuple(_index_arrays(i) for i in index)
    return index.data if isinstance(index, Tensor) else index


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
