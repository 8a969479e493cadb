"""The ``cupy.*`` functions of the stand-in: NumPy's, on device arrays only.

Each forwarded function unwraps device arrays, refuses NumPy arrays (as CuPy
raises ``TypeError: Unsupported type``), calls NumPy and wraps the result, so
reductions give 0-d device arrays. ``asarray``/``array`` of host data and
``asnumpy`` of device data are the explicit, counted transfers.
"""
import numpy

from . import _transfers
from ._ndarray import ndarray, unwrap, wrap

_FORWARDED = (
    # elementwise
    "abs", "absolute", "sign", "sqrt", "square", "exp", "expm1", "log", "log1p", "log2",
    "tanh", "sinh", "cosh", "sin", "cos", "arctan", "floor", "ceil", "negative",
    "reciprocal", "add", "subtract", "multiply", "divide", "true_divide", "power",
    "maximum", "minimum", "fmax", "fmin", "logaddexp", "where", "clip", "isfinite",
    "isnan", "isinf", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_not", "isclose",
    # reductions
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
    "all", "any", "count_nonzero", "cumsum", "trace", "allclose", "argsort", "sort", "bincount",
    # linear algebra
    "dot", "vdot", "matmul", "einsum", "tensordot", "outer", "kron", "diag", "diagonal",
    "tril", "triu",
    # shape
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
    "broadcast_to", "concatenate", "stack", "vstack", "hstack", "split", "tile", "repeat",
    "flip", "roll", "pad", "take", "take_along_axis",
    # like-creation
    "zeros_like", "ones_like", "empty_like", "full_like", "copy", "ascontiguousarray",
)

_CREATION = ("zeros", "ones", "empty", "full", "arange", "eye", "identity", "linspace")


def _forward(name, module=numpy, prefix="cupy"):
    target = getattr(module, name)

    def function(*args, **kwargs):
        where = f"{prefix}.{name}"
        args = unwrap(args, where)
        kwargs = {k: unwrap(v, where) for k, v in kwargs.items()}
        return wrap(target(*args, **kwargs))
    function.__name__ = name
    function.__qualname__ = f"{prefix}.{name}"
    return function


def _contains_device(value):
    if isinstance(value, ndarray):
        return True
    return isinstance(value, (list, tuple)) and any(_contains_device(v) for v in value)


def _to_device(value, dtype, copy):
    if isinstance(value, ndarray):
        if dtype is None or numpy.dtype(dtype) == value.dtype:
            return ndarray(value._array.copy()) if copy else value
        return ndarray(value._array.astype(dtype))
    if _contains_device(value):
        return ndarray(numpy.array(unwrap(value, "cupy.asarray"), dtype=dtype))
    _transfers.record("host_to_device")
    return ndarray(numpy.array(value, dtype=dtype, copy=True))


def asarray(a, dtype=None):
    """``a`` on the device; host data is copied (counted), device data kept."""
    return _to_device(a, dtype, copy=False)


def array(obj, dtype=None, copy=True):
    """A new device array from ``obj``; host data is copied (counted)."""
    return _to_device(obj, dtype, copy)


def asnumpy(a):
    """``a`` as a NumPy array; a device array is copied to the host (counted)."""
    if isinstance(a, ndarray):
        return a.get()
    return numpy.asarray(a)


def result_type(*arrays_and_dtypes):
    """NumPy's type promotion, with device arrays standing for their dtypes."""
    return numpy.result_type(*[a.dtype if isinstance(a, ndarray) else unwrap(a, "cupy.result_type")
                               for a in arrays_and_dtypes])


IMPLEMENTED = {name: _forward(name) for name in _FORWARDED + _CREATION}
IMPLEMENTED.update(asarray=asarray, array=array, result_type=result_type)
