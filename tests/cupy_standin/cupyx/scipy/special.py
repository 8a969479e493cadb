"""``cupyx.scipy.special`` of the stand-in: ``erf`` on device arrays, as SciPy's."""
import scipy.special

from cupy._functions import _forward
from cupy._ndarray import lacks

erf = _forward("erf", scipy.special, prefix="cupyx.scipy.special")


def __getattr__(name):
    raise lacks(f"cupyx.scipy.special.{name}")
