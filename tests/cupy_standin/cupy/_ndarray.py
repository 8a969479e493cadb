"""The stand-in's device array: a NumPy buffer that refuses to be used as one.

``ndarray`` holds a private NumPy array and behaves as ``cupy.ndarray`` does
where minigrad can tell the difference:

- implicit conversion to NumPy (``numpy.asarray(d)``, ``numpy.array(d)``,
  ``__array__``) raises ``TypeError``; ``float``/``int``/``bool`` need a single
  element and count a device→host copy, as do ``.get()``, ``.item()``, ``.tolist()``
  and printing;
- an operand that is a NumPy array (even 0-d) raises ``TypeError``: operators,
  ``cupy.*`` functions and NumPy ufuncs or functions given a device array;
  Python and NumPy scalars are accepted as CuPy accepts them;
- ``numpy.<ufunc>.at`` and every NumPy function the stand-in does not implement
  raise ``TypeError``; reductions and full integer indexing give 0-d device
  arrays, never host scalars;
- host index arrays and host values assigned into a device array are copied to
  the device (counted), as CuPy copies them.
"""
import numbers

import numpy

from . import _memory, _transfers

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


def lacks(name):
    """The error for a CuPy feature the stand-in does not provide."""
    return AttributeError(
        f"the CuPy stand-in (tests/cupy_standin) lacks {name}: it implements only what "
        "minigrad uses; add it there if minigrad now needs it")


def _refuse_host(value, where):
    raise TypeError(f"Unsupported type {type(value)} in {where}: a NumPy array cannot be "
                    "mixed with a device array (CuPy stand-in); copy it with cupy.asarray")


def unwrap(value, where):
    """The NumPy buffer behind ``value``; host arrays refused, scalars and containers kept."""
    if isinstance(value, ndarray):
        return value._array
    if isinstance(value, numpy.ndarray):
        _refuse_host(value, where)
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(v, where) for v in value)
    if value is None or isinstance(value, (numbers.Number, numpy.generic, str, slice,
                                           numpy.dtype, type, type(Ellipsis))):
        return value
    raise TypeError(f"Unsupported type {type(value)} in {where} (CuPy stand-in)")


def wrap(value):
    """NumPy results as device arrays: arrays and NumPy scalars both become device arrays."""
    if isinstance(value, numpy.ndarray):
        return ndarray(value)
    if isinstance(value, numpy.generic):
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def index_to_device(index):
    """An index with host index arrays and lists copied to the device (counted)."""
    if isinstance(index, tuple):
        return tuple(index_to_device(i) for i in index)
    if isinstance(index, ndarray):
        return index._array
    if isinstance(index, (numpy.ndarray, list)):
        _transfers.record("host_to_device")
        return numpy.asarray(index)
    return unwrap(index, "an index")


def value_to_device(value, where):
    """A value stored into a device array: host arrays are copied to the device (counted)."""
    if isinstance(value, numpy.ndarray):
        _transfers.record("host_to_device")
        return value
    return unwrap(value, where)


def _binary(name, reflected=False):
    op = getattr(numpy, name)

    def method(self, other):
        if not isinstance(other, (ndarray, numpy.ndarray)) and (
                getattr(other, "__array_ufunc__", True) is None
                or getattr(other, "__array_priority__", 0) > self.__array_priority__):
            return NotImplemented
        other = unwrap(other, f"ndarray.{name}")
        return wrap(op(other, self._array) if reflected else op(self._array, other))
    return method


def _inplace(name):
    op = getattr(numpy, name)

    def method(self, other):
        op(self._array, unwrap(other, f"ndarray.{name} (in place)"), out=self._array)
        return self
    return method


def _forwarded(name):
    def method(self, *args, **kwargs):
        args = unwrap(args, f"ndarray.{name}")
        kwargs = {k: unwrap(v, f"ndarray.{name}") for k, v in kwargs.items()}
        return wrap(getattr(self._array, name)(*args, **kwargs))
    method.__name__ = name
    return method


_METHODS = ("sum", "mean", "max", "min", "argmax", "argmin", "prod", "var", "std", "any",
            "all", "cumsum", "reshape", "transpose", "swapaxes", "ravel", "flatten",
            "squeeze", "astype", "copy", "dot", "clip", "diagonal", "trace", "take",
            "repeat", "conj", "round", "nonzero", "argsort", "view")

_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power",
           "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
           "xor": "bitwise_xor"}

_COMPARE = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
            "gt": "greater", "ge": "greater_equal"}


class ndarray:
    """A device array of the CuPy stand-in (see the module docstring)."""

    __array_priority__ = 100

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"stand-in ndarray wraps a numpy.ndarray, got {type(array)}")
        if array.dtype.kind in "OUSV":
            raise TypeError(f"Unsupported dtype {array.dtype} (CuPy stand-in)")
        self._array = array
        _memory.get_default_memory_pool().track(array)

    # what CuPy refuses
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}.{method}"
        if method == "at":
            raise TypeError(f"{where} does not work on a device array (CuPy stand-in): "
                            "use cupyx.scatter_add")
        inputs = unwrap(inputs, where)
        if "out" in kwargs:
            kwargs["out"] = unwrap(kwargs["out"], where)
        kwargs = {k: unwrap(v, where) for k, v in kwargs.items()}
        return wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        from . import _functions, linalg
        module = {"numpy": _functions.IMPLEMENTED, "numpy.linalg": vars(linalg)}.get(
            func.__module__, {})
        implementation = module.get(func.__name__)
        if implementation is None:
            raise TypeError(f"{func.__module__}.{func.__name__} is not available on device "
                            "arrays (CuPy stand-in)")
        return implementation(*args, **kwargs)

    # explicit transfers
    def get(self):
        """A NumPy copy on the host (counted)."""
        _transfers.record("device_to_host")
        return self._array.copy()

    def set(self, host):
        """Copy the NumPy array ``host`` into this array (counted)."""
        if not isinstance(host, numpy.ndarray) or host.shape != self.shape:
            raise ValueError(f"set needs a NumPy array of shape {self.shape}")
        _transfers.record("host_to_device")
        self._array[...] = host

    def _scalar(self, kind):
        if self._array.size != 1:
            raise TypeError(f"only size-1 arrays can be converted to Python scalars "
                            f"({kind} of a device array of shape {self.shape})")
        _transfers.record("device_to_host")
        return self._array.reshape(()).item()

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __bool__(self):
        if self._array.size != 1:
            raise ValueError("The truth value of an array with more than one element is "
                             f"ambiguous (device array of shape {self.shape})")
        return bool(self._scalar("bool"))

    def __index__(self):
        if self._array.ndim != 0 or self._array.dtype.kind not in "iu":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._scalar("index"))

    def item(self):
        return self._scalar("item")

    def tolist(self):
        _transfers.record("device_to_host")
        return self._array.tolist()

    def __repr__(self):
        _transfers.record("device_to_host")
        return repr(self._array)

    def __str__(self):
        _transfers.record("device_to_host")
        return str(self._array)

    def __format__(self, spec):
        return format(self._scalar("format"), spec) if spec else str(self)

    # attributes
    shape = property(lambda self: self._array.shape)
    ndim = property(lambda self: self._array.ndim)
    size = property(lambda self: self._array.size)
    dtype = property(lambda self: self._array.dtype)
    itemsize = property(lambda self: self._array.itemsize)
    nbytes = property(lambda self: self._array.nbytes)
    strides = property(lambda self: self._array.strides)
    flags = property(lambda self: self._array.flags)
    T = property(lambda self: ndarray(self._array.T))
    real = property(lambda self: ndarray(self._array.real))
    imag = property(lambda self: ndarray(self._array.imag))
    device = property(lambda self: _current_device())

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray(row) if isinstance(row, numpy.ndarray) else wrap(row)
                for row in self._array)

    def __getitem__(self, index):
        return wrap(self._array[index_to_device(index)])

    def __setitem__(self, index, value):
        self._array[index_to_device(index)] = value_to_device(value, "ndarray.__setitem__")

    def fill(self, value):
        self._array.fill(unwrap(value, "ndarray.fill"))

    def __neg__(self):
        return wrap(-self._array)

    def __pos__(self):
        return wrap(+self._array)

    def __abs__(self):
        return wrap(abs(self._array))

    def __invert__(self):
        return wrap(~self._array)

    def __copy__(self):
        return ndarray(self._array.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._array.copy())

    def __reduce__(self):
        raise TypeError("pickling a device array needs .get() first (CuPy stand-in)")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise lacks(f"cupy.ndarray.{name}")


for _name in _METHODS:
    setattr(ndarray, _name, _forwarded(_name))
for _short, _numpy_name in _BINARY.items():
    setattr(ndarray, f"__{_short}__", _binary(_numpy_name))
    setattr(ndarray, f"__r{_short}__", _binary(_numpy_name, reflected=True))
    setattr(ndarray, f"__i{_short}__", _inplace(_numpy_name))
for _short, _numpy_name in _COMPARE.items():
    setattr(ndarray, f"__{_short}__", _binary(_numpy_name))
ndarray.__hash__ = None


def _current_device():
    from .cuda import Device
    return Device(0)
