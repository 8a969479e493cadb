"""BLAS thread count: set it, read it, record it.

NumPy's matrix products run on the BLAS library it was built with (OpenBLAS,
MKL, ...), which by default starts one thread per core. On a machine shared
with other work that default can make small products far slower than one
thread would, and results that sum in a different order differ in the last
bits, so a run that must repeat pins its thread count.

``set_num_threads(n)`` limits every BLAS and OpenMP pool loaded in this process
to ``n`` threads through threadpoolctl (an optional dependency, installed by
the ``test`` extra). ``get_num_threads()`` reports the current limit, or
``None`` when threadpoolctl is not installed and nothing pinned it.
"""
import os

_ENV_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError as err:
        raise RuntimeError(
            "setting the BLAS thread count needs threadpoolctl: `pip install threadpoolctl` "
            "(or `pip install -e \".[test]\"`), or set OMP_NUM_THREADS before Python starts"
        ) from err
    return threadpoolctl


def set_num_threads(n):
    """Limit the BLAS/OpenMP thread pools of this process to ``n`` threads (n ≥ 1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive integer, got {n!r}")
    import numpy  # noqa: F401  (loads the BLAS library so that its pool is found)
    _threadpoolctl().threadpool_limits(limits=n)


def get_num_threads():
    """The largest thread count among the loaded BLAS/OpenMP pools, or ``None`` if unknown."""
    try:
        import threadpoolctl
    except ImportError:
        for name in _ENV_VARIABLES:
            if os.environ.get(name, "").isdigit():
                return int(os.environ[name])
        return None
    import numpy  # noqa: F401
    counts = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
    return max(counts) if counts else None
