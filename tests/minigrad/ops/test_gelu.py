"""``erf`` and ``gelu`` (both forms): values vs SciPy/NumPy formulas, gradcheck, gradgradcheck;
``GELU.derivative`` and ``second_derivative`` vs finite differences of the op."""
import math

import numpy
import pytest
import scipy.special

import minigrad
from minigrad import ops
from minigrad.ops.gelu import GELU
from tests.helpers import check_op, random_tensor

SHAPES = [(1,), (3, 4), (2, 3, 4)]


def numpy_gelu(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + numpy.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + scipy.special.erf(x / math.sqrt(2)))


@pytest.mark.parametrize("shape", SHAPES)
def test_erf(shape):
    check_op(ops.erf, [random_tensor(shape, seed=1)], scipy.special.erf)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gelu(shape, approximate):
    check_op(lambda x: ops.gelu(x, approximate), [random_tensor(shape, seed=2, low=-3, high=3)],
             lambda x: numpy_gelu(x, approximate))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_derivatives_match_finite_differences_of_the_op(approximate):
    x = numpy.linspace(-4, 4, 41)
    eps = 1e-5

    def f(values):
        return ops.gelu(minigrad.tensor(values), approximate).numpy()

    numeric_first = (f(x + eps) - f(x - eps)) / (2 * eps)
    numeric_second = (f(x + eps) - 2 * f(x) + f(x - eps)) / eps ** 2
    numpy.testing.assert_allclose(GELU.derivative(x, approximate), numeric_first, atol=1e-9)
    numpy.testing.assert_allclose(GELU.second_derivative(x, approximate), numeric_second,
                                  atol=2e-5)


def test_tanh_form_is_close_to_the_exact_one():
    x = minigrad.tensor(numpy.linspace(-5, 5, 101))
    gap = abs(ops.gelu(x, "tanh").numpy() - ops.gelu(x).numpy()).max()
    assert 0 < gap < 1e-3


def test_unknown_approximation_is_refused():
    with pytest.raises(ValueError, match="approximate must be one of"):
        ops.gelu(minigrad.tensor([1.0]), approximate="sigmoid")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_third_derivative_through_recorded_backwards(approximate):
    """Three nested ``grad(create_graph=True)`` calls give ``f'''``, the central difference of
    ``GELU.second_derivative``: the recorded backward of ``GELUSlope`` is itself exact."""
    values = numpy.linspace(-3, 3, 13)
    x = minigrad.tensor(values, requires_grad=True)
    derivative = ops.gelu(x, approximate)
    for _ in range(3):
        (derivative,) = minigrad.grad(derivative.sum(), [x], create_graph=True)
    eps = 1e-5
    numeric = (GELU.second_derivative(values + eps, approximate)
               - GELU.second_derivative(values - eps, approximate)) / (2 * eps)
    numpy.testing.assert_allclose(derivative.numpy(), numeric, atol=1e-8)
