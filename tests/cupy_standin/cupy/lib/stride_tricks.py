"""``cupy.lib.stride_tricks`` of the stand-in: strided views of device arrays."""
import numpy

from .._ndarray import lacks, ndarray


def as_strided(x, shape=None, strides=None):
    """A view of the device array ``x`` with ``shape`` and ``strides`` in bytes, as CuPy's."""
    if not isinstance(x, ndarray):
        raise TypeError(f"cupy.lib.stride_tricks.as_strided needs a device array, got {type(x)}")
    return ndarray(numpy.lib.stride_tricks.as_strided(x._array, shape=shape, strides=strides))


def __getattr__(name):
    raise lacks(f"cupy.lib.stride_tricks.{name}")
