"""``minigrad.cuda.is_available()``: whether the ``"cuda"`` device can be used, as
``torch.cuda.is_available`` — CuPy is installed and sees a CUDA GPU."""
from . import backend


def is_available():
    """True when CuPy imports and reports at least one usable CUDA GPU."""
    try:
        backend._import_cupy()
    except RuntimeError:
        return False
    return True
