"""``Tensor``: an array (NumPy or CuPy) with a place in the autodiff graph.

``Tensor.data`` is the underlying array and may be reassigned (parameter
surgery, as in PyTorch). ``grad_fn`` is the ``Function`` node that produced the
tensor (``None`` for leaves); ``grad`` receives accumulated gradients of leaves
that require grad. Arithmetic operators and the common methods delegate to the
differentiable ops in ``minigrad.ops``.
"""
import numpy

from . import backend
from .autograd import engine


class Tensor:
    """A multi-dimensional array that records the ops applied to it."""

    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, grad_fn=None):
        self.data = data
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.grad = None

    @property
    def xp(self):
        """The array module of ``data`` (NumPy or CuPy)."""
        return backend.get_array_module(self.data)

    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return int(self.data.size)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def device(self):
        return "cpu" if self.xp is numpy else "cuda"

    def numel(self):
        return self.size

    def __len__(self):
        return self.data.shape[0]

    def item(self):
        return self.data.item()

    def numpy(self):
        """The contents as a NumPy array on the host."""
        return backend.to_host(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def __repr__(self):
        grad = f", grad_fn={self.grad_fn!r}" if self.grad_fn is not None else (
            ", requires_grad=True" if self.requires_grad else "")
        return f"tensor({self.numpy()!r}{grad})"

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        engine.backward(self, gradient, retain_graph, create_graph)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_ can only change leaf tensors")
        self.requires_grad = requires_grad
        return self

    def to(self, device):
        """A copy on ``"cpu"`` (NumPy) or ``"cuda"`` (CuPy); keeps requires_grad for leaves."""
        data = backend.to_host(self.data) if device == "cpu" else _cupy_array(self.data)
        return Tensor(data, requires_grad=self.requires_grad and self.is_leaf)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return ops.astype(self, numpy.float32)

    def double(self):
        return ops.astype(self, numpy.float64)

    # arithmetic
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pow__(self, exponent):
        return ops.pow(self, exponent)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # comparisons give plain boolean tensors, outside the graph
    def __lt__(self, other):
        return Tensor(self.data < _data(other))

    def __le__(self, other):
        return Tensor(self.data <= _data(other))

    def __gt__(self, other):
        return Tensor(self.data > _data(other))

    def __ge__(self, other):
        return Tensor(self.data >= _data(other))

    def eq(self, other):
        return Tensor(self.data == _data(other))

    # methods mirroring torch.Tensor
    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True):
        return ops.var(self, dim, keepdim, unbiased)

    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    def argmax(self, dim=None):
        return Tensor(self.data.argmax(axis=dim))

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    @property
    def T(self):
        return ops.permute(self, *reversed(range(self.ndim)))

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _cupy_array(array):
    previous = backend.backend_name()
    backend.use("cupy")
    try:
        return backend.to_device(array)
    finally:
        backend.use(previous)


def as_tensor(value, like=None):
    """``value`` as a Tensor outside the graph, on the backend and dtype of ``like``.

    Python scalars take the dtype of ``like`` (so ``x * 2`` keeps x's dtype).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None:
        xp = like.xp
        if numpy.isscalar(value) and numpy.issubdtype(like.dtype, numpy.floating):
            return Tensor(xp.full((), value, dtype=like.dtype))
        return Tensor(xp.asarray(value))
    return tensor(value)


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf Tensor on the active backend holding a copy of ``data`` (as ``torch.tensor``).

    Python floats and float arrays get the default dtype unless they are NumPy
    or CuPy arrays with a dtype of their own; integers stay integers.
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.array_module()
    if dtype is None:
        array_like = hasattr(data, "dtype")
        probe = None if array_like else numpy.asarray(data)
        if not array_like and numpy.issubdtype(probe.dtype, numpy.floating):
            dtype = backend.get_default_dtype()
        elif not array_like and probe.dtype == numpy.int64:
            dtype = numpy.int64
    array = xp.array(data, dtype=dtype)
    if requires_grad and not xp.issubdtype(array.dtype, xp.floating):
        raise ValueError(f"only floating tensors can require grad, got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


from . import ops  # noqa: E402  (ops import Tensor; the methods above call them)
