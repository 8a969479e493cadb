"""``cupy.linalg`` of the stand-in: NumPy's linear algebra on device arrays only."""
import numpy

from ._functions import _forward
from ._ndarray import lacks

_NAMES = ("norm", "inv", "solve", "cholesky", "qr", "svd", "eigh", "eigvalsh", "det",
          "slogdet", "pinv")

globals().update({name: _forward(name, numpy.linalg, "cupy.linalg") for name in _NAMES})


def __getattr__(name):
    raise lacks(f"cupy.linalg.{name}")
