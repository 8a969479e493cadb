"""Array backend: NumPy by default, CuPy on request.

This is the only module that imports CuPy, and only when it is asked for
(``MINIGRAD_BACKEND=cupy`` or ``minigrad.use("cupy")``). Ops never consult the
global choice: they take the array module from their inputs with
``get_array_module``, so NumPy and CuPy arrays each stay where they are.
The global choice decides where *new* arrays (parameters, ``minigrad.tensor``)
are created; ``with backend.using(name):`` makes it for a block only.

Device memory, as ``torch.cuda``: ``memory_allocated()`` is the bytes of live
CuPy arrays, ``memory_reserved()`` the bytes CuPy's default memory pool holds.
Freed blocks stay in the pool until ``empty_cache()`` releases them, so
``memory_reserved()`` is the peak of ``memory_allocated()`` since the last
``empty_cache()`` (rounded up to the pool's block sizes). Without CuPy in use all
three report 0 and do nothing.
"""
import contextlib
import os
import sys

import numpy

_state = {"name": "numpy", "xp": numpy, "dtype": numpy.dtype(numpy.float32)}


def _import_cupy():
    try:
        import cupy
    except ImportError as err:
        raise RuntimeError(
            "minigrad backend 'cupy' was requested but CuPy is not installed; "
            "install it with `pip install -e \".[gpu]\"` (or the cupy-cudaXXx wheel "
            "matching your CUDA) or use the 'numpy' backend") from err
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CUDA driver or runtime missing
        raise RuntimeError(
            f"minigrad backend 'cupy' was requested but no CUDA GPU is usable: {err}") from err
    if count == 0:
        raise RuntimeError("minigrad backend 'cupy' was requested but no CUDA GPU is present")
    return cupy


def use(name):
    """Select the backend for new arrays: ``"numpy"`` or ``"cupy"``."""
    if name == "numpy":
        module = numpy
    elif name == "cupy":
        module = _import_cupy()
    else:
        raise ValueError(f"unknown backend {name!r}: expected 'numpy' or 'cupy'")
    _state["name"], _state["xp"] = name, module


@contextlib.contextmanager
def using(name):
    """Within the block new arrays go to backend ``name``; the previous one is restored after,
    however the block ends. Asking for CuPy where it is missing raises and changes nothing."""
    previous = _state["name"]
    use(name)
    try:
        yield
    finally:
        use(previous)


def backend_name():
    """The name of the active backend, ``"numpy"`` or ``"cupy"``."""
    return _state["name"]


def array_module():
    """The array module (``numpy`` or ``cupy``) of the active backend."""
    return _state["xp"]


def get_array_module(*arrays):
    """``cupy`` if any argument is a CuPy array, else ``numpy``."""
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return numpy


def set_default_dtype(dtype):
    """Set the floating dtype of new tensors and parameters (float16, float32 or float64)."""
    dtype = numpy.dtype(dtype)
    if dtype not in (numpy.float32, numpy.float64, numpy.float16):
        raise ValueError(f"default dtype must be a floating type, got {dtype}")
    _state["dtype"] = dtype


def get_default_dtype():
    """The floating dtype of new tensors and parameters."""
    return _state["dtype"]


def to_device(array):
    """Copy a host array onto the active backend (a no-op for NumPy)."""
    return _state["xp"].asarray(array)


def to_host(array):
    """Return a NumPy array with the contents of a NumPy or CuPy array."""
    if get_array_module(array) is numpy:
        return numpy.asarray(array)
    return array.get()


def scatter_add(target, indices, values):
    """In-place ``target[indices] += values`` summing over repeated indices.

    ``numpy.add.at`` on the host and ``cupyx.scatter_add`` on the GPU: plain
    fancy-index assignment would keep only one of the duplicates.
    """
    if get_array_module(target) is numpy:
        numpy.add.at(target, indices, values)
    else:
        import cupyx
        cupyx.scatter_add(target, indices, values)
    return target


def erf(array):
    """The error function elementwise: ``scipy.special.erf`` on the host,
    ``cupyx.scipy.special.erf`` on the GPU; the dtype is kept."""
    if get_array_module(array) is numpy:
        import scipy.special
        return scipy.special.erf(array)
    import cupyx.scipy.special
    return cupyx.scipy.special.erf(array)


def _memory_pool():
    cupy = sys.modules.get("cupy")
    return None if cupy is None else cupy.get_default_memory_pool()


def memory_allocated():
    """Bytes of device memory held by live CuPy arrays (0 without CuPy)."""
    pool = _memory_pool()
    return 0 if pool is None else int(pool.used_bytes())


def memory_reserved():
    """Bytes held by CuPy's memory pool: the peak allocation since ``empty_cache()``."""
    pool = _memory_pool()
    return 0 if pool is None else int(pool.total_bytes())


def empty_cache():
    """Return the pool's cached blocks to the device (nothing to do without CuPy)."""
    pool = _memory_pool()
    if pool is not None:
        pool.free_all_blocks()


if os.environ.get("MINIGRAD_BACKEND", "numpy") != "numpy":
    use(os.environ["MINIGRAD_BACKEND"])
