"""``cupyx`` of the stand-in: ``scatter_add`` on device arrays only."""
import numpy

from cupy._ndarray import index_to_device, lacks, ndarray, value_to_device


def scatter_add(a, slices, value):
    """``a[slices] += value`` summing over repeated indices, in place, as ``cupyx.scatter_add``.

    Host index arrays and host values are copied to the device (counted), as CuPy does.
    """
    if not isinstance(a, ndarray):
        raise TypeError(f"cupyx.scatter_add needs a device array, got {type(a)}")
    numpy.add.at(a._array, index_to_device(slices), value_to_device(value, "cupyx.scatter_add"))


def __getattr__(name):
    raise lacks(f"cupyx.{name}")
