"""Reductions and their adjoints: sum, mean, max, min, var, sum_to, broadcast_to; argmax, argmin.

``sum`` and ``broadcast_to`` are each other's backward, as are ``sum_to`` and
``broadcast_to``; ``mean`` and ``var`` are built from them. ``max`` and ``min``
reduce over one or several axes and return the values, with the gradient on
the first extreme entry; ``min(a) = −max(−a)``. ``max_with_indices`` and
``min_with_indices`` (behind ``Tensor.max(dim)`` and ``Tensor.min(dim)``) reduce
over one axis and return ``(values, indices)`` as PyTorch's ``torch.max(x, dim)``;
the indices (int64, from ``argmax`` / ``argmin``) are outside the graph.
"""
import collections

from ..autograd.function import Function

ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])


def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(d % ndim for d in dims))


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    backward_reads_inputs = False

    def forward(self, a, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.inputs
        if not self.keepdim:
            g = g.reshape(_keepdim_shape(a.shape, self.axes))
        return (broadcast_to(g, a.shape),)


class BroadcastTo(Function):
    backward_reads_inputs = False

    def forward(self, a, shape):
        self.source_shape = a.shape
        return self.xp(a).broadcast_to(a, shape)

    def backward(self, g):
        return (sum_to(g, self.source_shape),)


def _column_sums(a):
    """``Σ_m a[m, :]`` of a 2-D ``a`` ``(M, k)`` as one matrix-vector product ``1ᵀ a``.

    NumPy sums over the leading axis row by row, a ``k``-long inner loop per row:
    for a bias gradient of a few channels over 100,000 positions (LeNet-5) that is
    about 20× slower than the one BLAS call."""
    return Function.xp(a).ones(a.shape[0], dtype=a.dtype) @ a


class SumTo(Function):
    backward_reads_inputs = False

    def forward(self, a, shape):
        self.source_shape = a.shape
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
        if axes == (0,) and a.ndim == 2 and a.dtype.kind == "f":
            return _column_sums(a).reshape(shape)
        out = a.sum(axis=axes, keepdims=True) if axes else a
        return out.reshape(shape)

    def backward(self, g):
        return (broadcast_to(g, self.source_shape),)


class Max(Function):
    def forward(self, a, axes, keepdim):
        xp = self.xp(a)
        self.axes, self.keepdim = axes, keepdim
        moved = xp.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
        flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
        index = flat.argmax(axis=-1)
        mask = (xp.arange(flat.shape[-1]) == index[..., None]).astype(a.dtype)
        self.mask = xp.moveaxis(mask.reshape(moved.shape),
                                tuple(range(a.ndim - len(axes), a.ndim)), axes)
        return a.max(axis=axes, keepdims=keepdim)

    def backward(self, g):
        from ..tensor import Tensor
        (a,) = self.inputs
        if not self.keepdim:
            g = g.reshape(_keepdim_shape(a.shape, self.axes))
        return (g * Tensor(self.mask),)


def sum(a, dim=None, keepdim=False):
    """Sum over ``dim`` (an int, a tuple, or ``None`` for all axes)."""
    return Sum.apply(a, axes=_axes(dim, a.ndim), keepdim=keepdim)


def mean(a, dim=None, keepdim=False):
    """Mean over ``dim``."""
    axes = _axes(dim, a.ndim)
    count = 1
    for d in axes:
        count *= a.shape[d]
    return sum(a, axes, keepdim) / count


def var(a, dim=None, keepdim=False, unbiased=True):
    """Variance over ``dim``; ``unbiased`` divides by n - 1 (PyTorch's default)."""
    axes = _axes(dim, a.ndim)
    count = 1
    for d in axes:
        count *= a.shape[d]
    centred = a - mean(a, axes, keepdim=True)
    return sum(centred * centred, axes, keepdim) / (count - 1 if unbiased else count)


def max(a, dim=None, keepdim=False):
    """Maximum over ``dim``; the gradient goes to the first maximal entry."""
    return Max.apply(a, axes=_axes(dim, a.ndim), keepdim=keepdim)


def min(a, dim=None, keepdim=False):
    """Minimum over ``dim``; the gradient goes to the first minimal entry."""
    return -max(-a, dim, keepdim)


def argmax(a, dim=None, keepdim=False):
    """Index (int64) of the first maximum over one ``dim``; of the flattened input when ``None``."""
    return _extreme_index(a, dim, keepdim, "argmax")


def argmin(a, dim=None, keepdim=False):
    """Index (int64) of the first minimum over one ``dim``; of the flattened input when ``None``."""
    return _extreme_index(a, dim, keepdim, "argmin")


def max_with_indices(a, dim, keepdim=False):
    """``(values, indices)`` of the maximum over one ``dim`` (PyTorch's ``torch.max(a, dim)``)."""
    return ValuesIndices(max(a, _one_axis("max", a, dim), keepdim), argmax(a, dim, keepdim))


def min_with_indices(a, dim, keepdim=False):
    """``(values, indices)`` of the minimum over one ``dim`` (PyTorch's ``torch.min(a, dim)``)."""
    return ValuesIndices(min(a, _one_axis("min", a, dim), keepdim), argmin(a, dim, keepdim))


def _one_axis(name, a, dim):
    if isinstance(dim, bool) or not isinstance(dim, int) or not -a.ndim <= dim < a.ndim:
        raise ValueError(f"{name}: dim must be one int in [{-a.ndim}, {a.ndim}) for an input of "
                         f"shape {a.shape}, got {dim!r}")
    return dim % a.ndim


def _extreme_index(a, dim, keepdim, name):
    from ..tensor import Tensor
    xp = a.xp
    if dim is None:
        index = getattr(a.data.reshape(-1), name)()
        return Tensor(xp.asarray(index, dtype=xp.int64).reshape((1,) * a.ndim if keepdim else ()))
    axis = _one_axis(name, a, dim)
    index = getattr(a.data, name)(axis=axis)
    if keepdim:
        index = xp.expand_dims(index, axis)
    return Tensor(index.astype(xp.int64))


def broadcast_to(a, shape):
    """``a`` broadcast to ``shape``; the backward sums over the broadcast axes."""
    shape = tuple(shape)
    if a.shape == shape:
        return a
    return BroadcastTo.apply(a, shape=shape)


def sum_to(a, shape):
    """Sum ``a`` down to ``shape`` (the inverse of broadcasting to ``a.shape``)."""
    shape = tuple(shape)
    if a.shape == shape:
        return a
    return SumTo.apply(a, shape=shape)
