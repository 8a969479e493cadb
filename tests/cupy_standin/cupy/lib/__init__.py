"""``cupy.lib`` of the stand-in: only ``stride_tricks``."""
from .._ndarray import lacks
from . import stride_tricks


def __getattr__(name):
    raise lacks(f"cupy.lib.{name}")


__all__ = ["stride_tricks"]
