"""The seeded random state shared by parameter initialisation, dropout masks and ``rand``/``randn``,
and the Rademacher probes of the Hutchinson estimators.

One NumPy ``Generator`` on the host; draws are copied to the active backend, so
a seed gives the same numbers on NumPy and CuPy. ``manual_seed(s)`` (PyTorch's
``torch.manual_seed``) replaces it with ``numpy.random.default_rng(s)``; a draw
given no seed of its own (``generator_for(None)``) is seeded from it.
"""
import numpy

_state = {"generator": numpy.random.default_rng(0)}


def manual_seed(seed):
    """Reset the generator used for initialisation, ``dropout`` masks and ``rand``/``randn``."""
    _state["generator"] = numpy.random.default_rng(seed)


def generator():
    """The host ``numpy.random.Generator`` behind every random draw of minigrad."""
    return _state["generator"]


def generator_for(seed):
    """``numpy.random.default_rng(seed)``; for ``seed=None`` a generator seeded by a draw from
    the global one, so that unseeded draws (Monte-Carlo samples, probes) follow
    ``manual_seed`` as PyTorch's do."""
    return numpy.random.default_rng(generator().integers(2 ** 63) if seed is None else seed)


def rademacher(generator, shape, xp, dtype):
    """An array of ``shape`` with independent ±1 entries (probability ½ each), drawn from the
    host ``generator`` and placed on ``xp``: ``E[z zᵀ] = I``, the Hutchinson probe."""
    return xp.asarray(generator.integers(0, 2, size=shape) * 2 - 1, dtype=dtype)
