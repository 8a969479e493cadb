"""``cupy.cuda`` of the stand-in: one pretend device, its runtime query and memory pool."""
from .._memory import MemoryPool, get_default_memory_pool
from .._ndarray import lacks
from . import runtime


class Device:
    """The one stand-in device, id 0."""

    def __init__(self, device=0):
        if int(device) != 0:
            raise ValueError(f"the CuPy stand-in has one device (0), got {device}")
        self.id = 0

    def synchronize(self):
        """Nothing runs asynchronously on the stand-in."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return "<CUDA Device 0 (CuPy stand-in)>"


def __getattr__(name):
    raise lacks(f"cupy.cuda.{name}")


__all__ = ["Device", "MemoryPool", "get_default_memory_pool", "runtime"]
