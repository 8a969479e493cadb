"""exp, log, sqrt, abs: values against NumPy, gradcheck and gradgradcheck (as derivative cases)."""
import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor

CASES = [
    pytest.param(ops.exp, numpy.exp, {}, id="exp"),
    pytest.param(ops.log, numpy.log, {"low": 0.2, "high": 3.0}, id="log"),
    pytest.param(ops.sqrt, numpy.sqrt, {"low": 0.2, "high": 3.0}, id="sqrt"),
    pytest.param(ops.abs, numpy.abs, {"low": 0.1, "high": 2.0}, id="abs-positive"),
    pytest.param(ops.abs, numpy.abs, {"low": -2.0, "high": -0.1}, id="abs-negative"),
    pytest.param(lambda x: ops.abs(x) * x, lambda x: numpy.abs(x) * x, {}, id="abs-times-x"),
]


@pytest.mark.parametrize("op, reference, domain", CASES)
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 1, 3)])
def test_elementwise_op(op, reference, domain, shape):
    check_op(op, [random_tensor(shape, seed=7, **domain)], reference)


def test_abs_derivative_at_zero_is_zero():
    x = minigrad.tensor(numpy.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.abs(x).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


def test_tensor_methods_are_the_ops():
    x = random_tensor((4,), low=0.5, high=2.0)
    for method, op in [("exp", ops.exp), ("log", ops.log), ("sqrt", ops.sqrt), ("abs", ops.abs)]:
        numpy.testing.assert_array_equal(getattr(x, method)().numpy(), op(x).numpy())
