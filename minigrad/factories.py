"""Tensor factories under PyTorch's names: ``zeros``, ``ones``, ``full``, ``empty``, ``arange``,
``rand``, ``randn``, ``randint`` and the ``*_like`` forms.

Sizes are given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floating results take
the default dtype (``minigrad.get_default_dtype()``) unless ``dtype`` says
otherwise; ``full`` and ``arange`` with integer values give int64, as in
PyTorch. ``device`` is ``"cpu"`` or ``"cuda"`` (default: the active backend).
``rand`` (U[0, 1)), ``randn`` (N(0, 1)) and ``randint`` draw from the seeded
host generator of ``minigrad.random`` (``minigrad.manual_seed``), so a seed
gives the same numbers on either backend. The ``*_like`` forms take the shape,
dtype and device of a tensor.
"""
import numbers

import numpy

from . import backend
from .random import generator
from .tensor import Tensor, parse_to_arguments


def _size(name, size):
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0
               for n in shape):
        raise ValueError(f"{name}: size must be non-negative ints, got {size!r}")
    return tuple(int(n) for n in shape)


def _new(name, array, dtype, device, requires_grad):
    """A leaf holding the host ``array`` cast to ``dtype``, on ``device``."""
    target, dtype = parse_to_arguments(name, (), {"device": device, "dtype": dtype})
    dtype = dtype if dtype is not None else numpy.dtype(backend.get_default_dtype())
    if dtype.kind in "biu" and array.dtype.kind in "fc":
        _require_integral(name, array, dtype)
    array = array.astype(dtype, copy=False)
    if requires_grad and array.dtype.kind != "f":
        raise ValueError(f"{name}: only floating tensors can require grad, got dtype {array.dtype}")
    if target == "cuda" or (target is None and backend.backend_name() == "cupy"):
        array = Tensor(array).to("cuda").data
    return Tensor(array, requires_grad=requires_grad)


def _require_integral(name, values, dtype):
    """Refuse float ``values`` that an integer or bool ``dtype`` cannot hold (NaN, ±inf, out of
    range), as PyTorch does, instead of a wrapped-around number."""
    finite = numpy.isfinite(values)
    info = numpy.iinfo(dtype) if dtype.kind in "iu" else None
    if not finite.all() or (info is not None and values.size and not (
            info.min <= values.min() and values.max() < float(info.max) + 1)):
        bad = values[~finite][0] if not finite.all() else (
            values.min() if values.min() < info.min else values.max())
        raise RuntimeError(f"{name}: value cannot be converted to type {dtype} without "
                           f"overflow: {bad}")


def _require_floating(name, dtype):
    if dtype is not None and numpy.dtype(dtype).kind != "f":
        raise RuntimeError(f"{name}: draws real numbers and needs a floating dtype, got dtype "
                           f"{numpy.dtype(dtype)} (use randint for integers)")


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of ``size``."""
    return _new("zeros", numpy.zeros(_size("zeros", size)), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of ``size``."""
    return _new("ones", numpy.ones(_size("ones", size)), dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` whose entries are unspecified (zeros here: uninitialised memory
    would be cast to ``dtype``, overflowing or refused as non-integral for integer dtypes)."""
    return _new("empty", numpy.zeros(_size("empty", size)), dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (int64 for ints, bool for bools)."""
    if dtype is None and isinstance(fill_value, (bool, numbers.Integral)):
        dtype = numpy.bool_ if isinstance(fill_value, bool) else numpy.int64
    shape = _size("full", (size,) if isinstance(size, numbers.Integral) else (tuple(size),))
    return _new("full", numpy.full(shape, fill_value), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``start, start + step, …`` below ``end`` (``arange(n)`` is ``0 … n − 1``)."""
    start, end = (0, start) if end is None else (start, end)
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got start={start}, end={end}, step=0")
    values = numpy.arange(start, end, step)
    if dtype is None and values.dtype.kind in "iu":
        dtype = numpy.int64
    return _new("arange", values, dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Independent draws from U[0, 1) of ``size``."""
    _require_floating("rand", dtype)
    values = generator().random(_size("rand", size))
    return _new("rand", values, dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Independent standard normal draws of ``size``."""
    _require_floating("randn", dtype)
    values = generator().standard_normal(_size("randn", size))
    return _new("randn", values, dtype, device, requires_grad)


def randint(low, high=None, size=None, dtype=numpy.int64, device=None):
    """Integers drawn uniformly from ``[low, high)`` (``[0, low)`` without ``high``), int64."""
    low, high = (0, low) if high is None else (low, high)
    if size is None or high <= low:
        raise ValueError(f"randint: need a size and low < high, got low={low}, high={high}, "
                         f"size={size!r}")
    values = generator().integers(low, high, size=_size("randint", (tuple(size),)))
    return _new("randint", values, dtype, device, False)


def _like(name, factory, tensor, dtype, device, requires_grad, *args):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    return factory(tensor.shape, *args, dtype=tensor.dtype if dtype is None else dtype,
                   device=tensor.device if device is None else device,
                   requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape, dtype and device of ``input``."""
    return _like("zeros_like", zeros, input, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    """Ones with the shape, dtype and device of ``input``."""
    return _like("ones_like", ones, input, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    """An unspecified tensor with the shape, dtype and device of ``input``."""
    return _like("empty_like", empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, with the shape, dtype and device of ``input``."""
    return _like("full_like", full, input, dtype, device, requires_grad, fill_value)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    """U[0, 1) draws with the shape, dtype and device of ``input``."""
    return _like("rand_like", rand, input, dtype, device, requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    """Standard normal draws with the shape, dtype and device of ``input``."""
    return _like("randn_like", randn, input, dtype, device, requires_grad)
