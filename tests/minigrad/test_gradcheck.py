"""gradcheck / gradgradcheck: they pass correct derivatives and catch wrong or non-finite ones."""
import numpy
import pytest

import minigrad
from minigrad.autograd.function import Function
from tests.helpers import random_tensor


class ScaledSquare(Function):
    """``x²`` whose backward multiplies the true derivative by ``factor``."""

    def forward(self, x, factor):
        self.factor = factor
        return x * x

    def backward(self, g):
        (x,) = self.inputs
        return (g * x * (2 * self.factor),)


def scaled_square(factor):
    return lambda x: ScaledSquare.apply(x, factor=factor)


def test_correct_derivatives_pass_with_a_tiny_error():
    x = random_tensor((3, 2), seed=1)
    assert minigrad.gradcheck(scaled_square(1.0), [x]).max_rel_error < 1e-8
    assert minigrad.gradgradcheck(lambda t: t * t * t, [x]).max_rel_error < 1e-8


def test_a_wrong_gradient_is_reported_with_its_location():
    with pytest.raises(minigrad.GradcheckError, match="input 0"):
        minigrad.gradcheck(scaled_square(1.01), [random_tensor((3,), seed=2)])


class FrozenSlopeSquare(Function):
    """``x²`` with the right gradient ``2x`` built from a constant, so its own derivative is 0."""

    def forward(self, x):
        self.slope = 2 * x
        return x * x

    def backward(self, g):
        return (g * minigrad.Tensor(self.slope),)


def test_a_wrong_second_derivative_is_caught_by_gradgradcheck():
    x = random_tensor((3,), seed=3)
    minigrad.gradcheck(FrozenSlopeSquare.apply, [x])
    with pytest.raises(minigrad.GradcheckError):
        minigrad.gradgradcheck(FrozenSlopeSquare.apply, [x])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_gradient_fails(value):
    with pytest.raises(minigrad.GradcheckError, match="inf"):
        minigrad.gradcheck(scaled_square(value), [random_tensor((3,), seed=4)])
    result = minigrad.gradcheck(scaled_square(value), [random_tensor((3,), seed=4)],
                                raise_exception=False)
    assert result.max_rel_error == numpy.inf


def test_inputs_without_requires_grad_are_refused():
    x = random_tensor((2,), seed=5, requires_grad=False)
    for check in (minigrad.gradcheck, minigrad.gradgradcheck):
        with pytest.raises(ValueError, match="none of the 1 inputs requires grad"):
            check(lambda t: t * 2, [x])


def test_float32_inputs_are_refused():
    x = minigrad.tensor(numpy.ones(2, dtype=numpy.float32), requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        minigrad.gradcheck(lambda t: t * 2, [x])
