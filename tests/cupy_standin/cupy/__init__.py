"""A strict CuPy stand-in for testing minigrad's CuPy path on machines without a GPU.

It is not CuPy: it is found only when ``tests/cupy_standin`` is put first on
``sys.path`` (``MINIGRAD_BACKEND=cupy-standin`` makes ``tests/conftest.py`` do
so). Device arrays (``cupy.ndarray``) hold NumPy buffers but refuse what CuPy
refuses (see ``_ndarray``), and every explicit host↔device copy is counted in
``cupy._transfers``. Only what minigrad uses is provided; anything else raises
an ``AttributeError`` saying that the stand-in lacks it.
"""
import numpy

from . import _transfers, cuda, lib, linalg
from ._functions import IMPLEMENTED, asnumpy
from ._memory import get_default_memory_pool
from ._ndarray import lacks, ndarray

__version__ = "0.0.0-standin"
is_standin = True

globals().update(IMPLEMENTED)

_PASSED_THROUGH = ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                   "uint8", "bool_", "complex64", "complex128", "dtype", "issubdtype",
                   "floating", "integer", "signedinteger", "number", "finfo", "iinfo",
                   "can_cast", "promote_types", "newaxis", "inf", "nan", "pi",
                   "e")
globals().update({name: getattr(numpy, name) for name in _PASSED_THROUGH})


def __getattr__(name):
    raise lacks(f"cupy.{name}")


__all__ = ["ndarray", "asnumpy", "cuda", "lib", "linalg", "get_default_memory_pool",
           *IMPLEMENTED, *_PASSED_THROUGH]
