"""Shared test helpers: seeded float64 inputs on the active backend, the op check, float64 models.

``check_op(fn, inputs)`` is the one comparison every op test runs: the
forward against an independent NumPy expression (when given), the first
and second derivatives against central differences (``gradcheck`` and
``gradgradcheck``, relative error below 1e-6), and that neither the forward
nor the backward passes modified the inputs.

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
    """Check ``fn`` on ``inputs``: value vs ``expected(*numpy_arrays)``, gradcheck, gradgradcheck,
    and inputs left unchanged."""
    originals = [t.numpy().copy() for t in inputs]
    value = fn(*inputs)
    _assert_unchanged(inputs, originals, "forward")
    if expected is not None:
        numpy.testing.assert_allclose(value.numpy(), expected(*originals), rtol=1e-10, atol=atol)
    if value.requires_grad:
        minigrad.grad(value.sum(), [t for t in inputs if t.requires_grad], allow_unused=True)
        _assert_unchanged(inputs, originals, "backward")
    first = minigrad.gradcheck(fn, inputs, rtol=rtol)
    second = minigrad.gradgradcheck(fn, inputs, rtol=rtol)
    return first, second


def _assert_unchanged(inputs, originals, stage):
    for i, (t, original) in enumerate(zip(inputs, originals)):
        numpy.testing.assert_array_equal(t.numpy(), original,
                                         err_msg=f"the {stage} pass modified input {i} in place")


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
