"""Shared test helpers: seeded float64 inputs on the active backend, and the op check.

``check_op(fn, *shapes)`` is the one comparison every op test runs: the
forward against an independent NumPy expression (when given), and the first
and second derivatives against central differences (``gradcheck`` and
``gradgradcheck``, relative error below 1e-6).
"""
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


requires_cupy = pytest.mark.skipif(
    not (lambda: __import__("importlib").util.find_spec("cupy") is not None)(),
    reason="CuPy is not installed (GPU tests run with `pip install -e .[gpu]` on a CUDA machine)")
