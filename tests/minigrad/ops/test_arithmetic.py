"""Broadcasting arithmetic and casts: values, gradcheck and gradgradcheck."""
import numpy
import pytest

from minigrad import ops
from tests.helpers import check_op, random_tensor

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((1,), (3,)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)),
                    ((1, 1), (5, 2))]


@pytest.mark.parametrize("a_shape,b_shape", BROADCAST_SHAPES)
@pytest.mark.parametrize("op,reference", [
    (ops.add, numpy.add), (ops.sub, numpy.subtract), (ops.mul, numpy.multiply),
    (ops.div, numpy.divide)])
def test_broadcasting_binary_ops(op, reference, a_shape, b_shape):
    a = random_tensor(a_shape, seed=1)
    b = random_tensor(b_shape, seed=2, low=0.5, high=2.0)
    check_op(op, [a, b], reference)


def test_neg_and_scalar_operands():
    a = random_tensor((3, 2))
    check_op(lambda x: -x * 2.0 + 1.0 - 3.0 / (x * x + 1.0), [a],
             lambda x: -x * 2.0 + 1.0 - 3.0 / (x * x + 1.0))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_pow_scalar_exponent(exponent):
    a = random_tensor((2, 3), low=0.5, high=2.0)
    check_op(lambda x: x ** exponent, [a], lambda x: x ** exponent)


def test_pow_tensor_exponent_broadcasts():
    a = random_tensor((2, 3), low=0.5, high=2.0)
    b = random_tensor((3,), seed=3)
    check_op(ops.pow, [a, b], numpy.power)


def test_unbroadcast_reduces_gradient_to_input_shape():
    a, b = random_tensor((2, 1, 4)), random_tensor((3, 1))
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1, 4) and b.grad.shape == (3, 1)
    numpy.testing.assert_allclose(b.grad.numpy(), numpy.full((3, 1), a.numpy().sum()))


def test_astype_roundtrip_gradient_dtype():
    a = random_tensor((3,))
    y = ops.astype(a, numpy.float32)
    assert y.dtype == numpy.float32
    y.sum().backward()
    assert a.grad.dtype == numpy.float64
