"""``cupy.cuda.runtime`` of the stand-in: it reports one device."""
from .._ndarray import lacks


def getDeviceCount():
    return 1


def deviceSynchronize():
    """Nothing runs asynchronously on the stand-in."""


def __getattr__(name):
    raise lacks(f"cupy.cuda.runtime.{name}")
