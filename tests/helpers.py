"""Shared test helpers: seeded float64 inputs on the active backend, the op check, float64 models.

``check_op(fn, inputs)`` is the one comparison every op test runs: the
forward against an independent NumPy expression (when given), and the first
and second derivatives against central differences (``gradcheck`` and
``gradgradcheck``, relative error below 1e-6).

``float64_default()`` builds parameters in float64 within a ``with`` block and
restores the previous default dtype; ``float64_parameters`` is the same as an
autouse fixture, for a ``conftest.py`` to import.
"""
import contextlib

import numpy
import pytest

import minigrad


def random_tensor(shape, seed=0, low=None, high=None, requires_grad=True):
    """A float64 leaf tensor; standard normal, or uniform on ``[low, high]``."""
    rng = numpy.random.default_rng(seed)
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return minigrad.tensor(values, dtype=numpy.float64, requires_grad=requires_grad)


def check_op(fn, inputs, expected=None, rtol=1e-6, atol=1e-12):
    """Check ``fn`` on ``inputs``: value vs ``expected(*numpy_arrays)``, gradcheck, gradgradcheck."""
    if expected is not None:
        value = fn(*inputs).numpy()
        numpy.testing.assert_allclose(value, expected(*[t.numpy() for t in inputs]),
                                      rtol=1e-10, atol=atol)
    first = minigrad.gradcheck(fn, inputs, rtol=rtol)
    second = minigrad.gradgradcheck(fn, inputs, rtol=rtol)
    return first, second


@contextlib.contextmanager
def float64_default():
    """Within the block new parameters and tensors default to float64."""
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(numpy.float64)
    try:
        yield
    finally:
        minigrad.set_default_dtype(previous)


@pytest.fixture(autouse=True)
def float64_parameters():
    """Every test of a directory whose conftest imports this runs with float64 defaults."""
    with float64_default():
        yield


requires_cupy = pytest.mark.skipif(
    not (lambda: __import__("importlib").util.find_spec("cupy") is not None)(),
    reason="CuPy is not installed (GPU tests run with `pip install -e .[gpu]` on a CUDA machine)")
