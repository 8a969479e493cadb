"""Memory estimates made before dense curvature is allocated, and the one limit they meet.

Dense curvature grows with the square of the parameters it covers: a Hessian or Gauss-Newton
matrix over P parameters holds P² numbers, a layer's block P_λ², and the layerwise recursion
holds its back-propagated columns, K·N·P_λ numbers for K output columns and N samples, while it
builds them. Every function that forms such arrays first adds up what it will hold
(``require_memory``); above the limit it refuses, stating the estimate and the option that
needs no such array (an operator, ``dense=False``, ``chunk_size=``), instead of swapping or
running out of memory.

The limit is 2 GiB unless set with ``minigrad.curvature.set_memory_limit(nbytes)`` (``None``:
no limit), the one place it is configured; it counts the estimated arrays, not the
interpreter or the model.
"""
import math
import numbers

import numpy

DEFAULT_MEMORY_LIMIT = 2 * 1024 ** 3

_limit = [DEFAULT_MEMORY_LIMIT]


def set_memory_limit(nbytes):
    """Set the limit (bytes, or ``None`` for none) for dense curvature arrays; returns the
    previous limit."""
    if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, numbers.Integral)
                               or nbytes < 1):
        raise ValueError(f"set_memory_limit: nbytes must be a positive integer or None, "
                         f"got {nbytes!r}")
    previous, _limit[0] = _limit[0], nbytes if nbytes is None else int(nbytes)
    return previous


def get_memory_limit():
    """The limit in bytes for dense curvature arrays (``None``: no limit)."""
    return _limit[0]


def _gib(nbytes):
    return f"{nbytes / 1024 ** 3:.2f} GiB"


def require_memory(quantity, shapes, dtype, alternative):
    """Refuse (``MemoryError``) if the arrays of ``shapes`` in ``dtype`` exceed the limit.

    ``quantity`` names the caller and ``alternative`` the option that fits; the message gives
    the estimate, the limit and how to change it."""
    itemsize = numpy.dtype(dtype).itemsize
    total = sum(math.prod(shape) for shape in shapes) * itemsize
    limit = _limit[0]
    if limit is not None and total > limit:
        listed = " + ".join("×".join(str(d) for d in shape) for shape in shapes)
        raise MemoryError(f"{quantity}: the dense arrays would take {_gib(total)} ({listed} "
                          f"numbers of {itemsize} bytes), above the curvature memory limit of "
                          f"{_gib(limit)}; {alternative}, or raise the limit with "
                          f"minigrad.curvature.set_memory_limit(nbytes)")
    return total
