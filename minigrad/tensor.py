"""``Tensor``: an array (NumPy or CuPy) with a place in the autodiff graph.

``Tensor.data`` is the underlying array and may be reassigned (parameter
surgery, as in PyTorch). ``grad_fn`` is the ``Function`` node that produced the
tensor (``None`` for leaves); ``grad`` receives accumulated gradients of leaves
that require grad. Arithmetic operators and the common methods delegate to the
differentiable ops in ``minigrad.ops``. ``size()`` is the shape, ``numel()``
the number of entries, ``dim()`` the rank, as in PyTorch. In-place methods
(``add_``, ``-=``, ``zero_``, …) write into ``data`` under PyTorch's rules
(``minigrad.ops.in_place``).

Python's protocols follow PyTorch: ``bool``, ``float``, ``int``, ``format`` and
(for integer dtypes) ``operator.index`` work on one-element tensors and raise
for others; ``== != < <= > >=`` compare elementwise and return boolean tensors
outside the graph; tensors hash by identity, so they remain usable as dict
keys and set members (lookups compare identity first) while ``==`` is
elementwise. ``data_of(x)`` is the array of a Tensor, or ``x`` itself.
"""
import operator

import numpy

from . import backend
from .autograd import engine
from .device import device as Device


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

    def size(self, dim=None):
        """The shape as a tuple, or the length of dimension ``dim`` (negative counts from the end).

        As ``torch.Tensor.size``; the number of entries is ``numel()``.
        """
        if dim is None:
            return self.shape
        return self.shape[normalize_dim("size", dim, self.ndim)]

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self.ndim

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def device(self):
        return Device("cpu" if self.xp is numpy else "cuda")

    def numel(self):
        """The number of entries."""
        return int(self.data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __contains__(self, element):
        """``element in x``: whether any entry of ``x`` equals ``element`` (as PyTorch)."""
        return bool((self == element).any())

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to a "
                               f"Python scalar (shape {self.shape})")
        return self.data.item()

    # Python's number protocol, on one-element tensors as in PyTorch
    def __bool__(self):
        if self.numel() == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self.numel() > 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {self.shape}); use .any() or .all()")
        return bool(self.data.item())

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self.dtype.kind not in "biu" or self.numel() != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index, got shape {self.shape} and dtype {self.dtype}")
        return int(self.data.item())

    def __format__(self, format_spec):
        if self.numel() == 1:
            return format(self.data.item(), format_spec)
        if format_spec:
            raise TypeError(f"format spec {format_spec!r} needs a one-element tensor, got shape "
                            f"{self.shape}")
        return repr(self)

    def _scalar(self, conversion):
        if self.numel() != 1:
            raise TypeError(f"only one element tensors can be converted to Python scalars "
                            f"({conversion}() of a tensor of shape {self.shape})")
        return self.data.item()

    # tensors are hashed by identity (dict keys, sets), as in PyTorch; == is elementwise
    def __hash__(self):
        return id(self)

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

    def clone(self):
        """A copy of the data that stays in the graph (its gradient flows back to ``self``)."""
        return ops.clone(self)

    # in-place updates (minigrad.ops.in_place): the tensor itself changes, as in PyTorch
    def add_(self, other, alpha=1):
        """``self += alpha * other`` in place; returns ``self``."""
        return in_place.update(self, "add_", ops.add, _scaled(other, alpha))

    def sub_(self, other, alpha=1):
        """``self -= alpha * other`` in place; returns ``self``."""
        return in_place.update(self, "sub_", ops.sub, _scaled(other, alpha))

    def mul_(self, other):
        """``self *= other`` in place; returns ``self``."""
        return in_place.update(self, "mul_", ops.mul, other)

    def div_(self, other):
        """``self /= other`` in place; returns ``self``."""
        return in_place.update(self, "div_", ops.div, other)

    def pow_(self, exponent):
        """``self **= exponent`` in place; returns ``self``."""
        return in_place.update(self, "pow_", ops.pow, exponent)

    def clamp_(self, min=None, max=None):
        """Limit every entry to ``[min, max]`` in place; returns ``self``."""
        return in_place.update(self, "clamp_", ops.clamp, min, max)

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into ``self``."""
        return in_place.update(self, "copy_", _copied, src)

    def fill_(self, value):
        """Set every entry to ``value`` in place; returns ``self``."""
        return self._fill("fill_", value)

    def zero_(self):
        """Set every entry to zero in place; returns ``self``."""
        return self._fill("zero_", 0)

    def _fill(self, op_name, value):
        values = self.xp.full(self.shape, _fill_value(op_name, value, self.dtype),
                              dtype=self.dtype)
        return in_place.update(self, op_name, in_place.overwrite, Tensor(values))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std²) (the seeded generator of ``minigrad.random``)."""
        values = generator().normal(mean, std, size=self.shape)
        return in_place.update(self, "normal_", in_place.overwrite, _on_device_of(self, values))

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U[a, b) (the seeded generator of ``minigrad.random``)."""
        values = generator().uniform(a, b, size=self.shape)
        return in_place.update(self, "uniform_", in_place.overwrite, _on_device_of(self, values))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_

    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_ can only change leaf tensors")
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs):
        """This tensor on another device and/or dtype (``torch.Tensor.to``).

        ``to("cpu")``, ``to("cuda")`` (CuPy), ``to(dtype)``, ``to(device, dtype)``,
        ``to(other)`` (the device and dtype of ``other``), or keywords ``device=``,
        ``dtype=``. Returns ``self`` when nothing changes. A dtype change is the
        differentiable ``astype``; a device move gives a leaf that keeps
        ``requires_grad`` for leaves.
        """
        device, dtype = parse_to_arguments("Tensor.to", args, kwargs)
        out = self
        if device is not None and device != self.device:
            data = backend.to_host(self.data) if device == "cpu" else _cupy_array(self.data)
            out = Tensor(data, requires_grad=self.requires_grad and self.is_leaf)
        if dtype is not None and dtype != out.dtype:
            out = ops.astype(out, dtype)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return ops.astype(self, numpy.float32)

    def double(self):
        return ops.astype(self, numpy.float64)

    def long(self):
        """This tensor as int64 (outside the graph, as every integer tensor)."""
        return ops.astype(self, numpy.int64)

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

    def __setitem__(self, index, value):
        """``x[index] = value`` in place (``index_put``), under the rules of the in-place ops."""
        in_place.update(self, "__setitem__", lambda old, v: ops.index_put(old, index, v), value)

    # comparisons give plain boolean tensors, outside the graph
    def __eq__(self, other):
        return self._compare(operator.eq, other)

    def __ne__(self, other):
        return self._compare(operator.ne, other)

    def __lt__(self, other):
        return self._compare(operator.lt, other)

    def __le__(self, other):
        return self._compare(operator.le, other)

    def __gt__(self, other):
        return self._compare(operator.gt, other)

    def __ge__(self, other):
        return self._compare(operator.ge, other)

    # logical operators on boolean (and integer) tensors, outside the graph, as comparisons
    def __and__(self, other):
        return self._compare(operator.and_, other)

    __rand__ = __and__

    def __or__(self, other):
        return self._compare(operator.or_, other)

    __ror__ = __or__

    def __xor__(self, other):
        return self._compare(operator.xor, other)

    __rxor__ = __xor__

    def __invert__(self):
        return Tensor(~self.data)

    def _compare(self, comparison, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return Tensor(comparison(self.data, data_of(other)))

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    # methods mirroring torch.Tensor
    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True):
        return ops.var(self, dim, keepdim, unbiased)

    def max(self, dim=None, keepdim=False):
        """The maximum, or ``(values, indices)`` over one ``dim`` (as ``torch.Tensor.max``)."""
        if dim is None:
            return ops.max(self)
        return ops.max_with_indices(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The minimum, or ``(values, indices)`` over one ``dim`` (as ``torch.Tensor.min``)."""
        if dim is None:
            return ops.min(self)
        return ops.min_with_indices(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """Whether any entry (over ``dim``) is nonzero, as a boolean tensor outside the graph."""
        return Tensor(self.data.any(axis=dim, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        """Whether every entry (over ``dim``) is nonzero, as a boolean tensor outside the graph."""
        return Tensor(self.data.all(axis=dim, keepdims=keepdim))

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def view_as(self, other):
        """This tensor reshaped to ``other.shape``."""
        return ops.reshape(self, other.shape)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def expand_as(self, other):
        return ops.expand(self, *other.shape)

    def repeat(self, *repeats):
        return ops.repeat(self, *repeats)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def sort(self, dim=-1, descending=False):
        return ops.sort(self, dim, descending)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

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


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


def _copied(old, src):
    src = as_tensor(src, like=old)
    if src.dtype != old.dtype:
        src = ops.astype(src, old.dtype)
    return in_place.overwrite(old, ops.broadcast_to(src, old.shape))


def _fill_value(op_name, value, dtype):
    if dtype.kind in "biu" and not numpy.isfinite(float(data_of(value))):
        raise RuntimeError(f"{op_name}: value {value} cannot be converted to {dtype}")
    return data_of(value)


def _on_device_of(tensor, host_values):
    return Tensor(tensor.xp.asarray(host_values.astype(tensor.dtype)))


def normalize_dim(caller, dim, ndim):
    """``dim`` as an index in ``range(ndim)``; negative ``dim`` counts from the end."""
    if not -ndim <= dim < ndim or ndim == 0:
        raise IndexError(f"{caller}: dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def data_of(x):
    """The array of a Tensor, or ``x`` itself (an array, a scalar, an index)."""
    return x.data if isinstance(x, Tensor) else x


DEVICES = ("cpu", "cuda")


def parse_to_arguments(caller, args, kwargs):
    """``(device, dtype)`` from the arguments of ``to``; either may be ``None``.

    A string is a device: ``"cpu"``, ``"cuda"`` or ``"cuda:0"`` (one GPU); any
    other string is an error. A Tensor gives its own device and dtype; anything
    else must be a NumPy dtype.
    """
    unknown = set(kwargs) - {"device", "dtype"}
    if unknown or len(args) > 2:
        raise TypeError(f"{caller}: expected (device), (dtype), (device, dtype) or (tensor), "
                        f"got {len(args)} positional arguments and keywords {sorted(kwargs)}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str):
            device = arg
        else:
            dtype = arg
    return _device(caller, device), _dtype(caller, dtype)


def _device(caller, device):
    if device is None:
        return None
    if device == "cuda:0":
        return "cuda"
    if device not in DEVICES:
        raise ValueError(f"{caller}: unknown device {device!r}; expected 'cpu', 'cuda' or "
                         "'cuda:0'")
    return device


def _dtype(caller, dtype):
    if dtype is None:
        return None
    try:
        return numpy.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{caller}: {dtype!r} is neither a device string nor a dtype") from err


def _cupy_array(array):
    with backend.using("cupy"):
        return backend.to_device(array)


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
from .ops import in_place  # noqa: E402
from .random import generator  # noqa: E402
