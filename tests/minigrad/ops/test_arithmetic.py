"""Arithmetic, matmul, reductions and shape ops: values, gradcheck and gradgradcheck."""
import numpy
import pytest

import minigrad
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


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4), (4, 2)), ((1, 4), (4, 1)),
                                             ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 2)),
                                             ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul(a_shape, b_shape):
    check_op(ops.matmul, [random_tensor(a_shape, 1), random_tensor(b_shape, 2)], numpy.matmul)


def test_linear_matches_x_wt_plus_b():
    x, w, b = random_tensor((5, 3), 1), random_tensor((4, 3), 2), random_tensor((4,), 3)
    check_op(ops.linear, [x, w, b], lambda x, w, b: x @ w.T + b)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                         (-1, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "max"])
def test_reductions(name, dim, keepdim):
    a = random_tensor((3, 4, 5))
    reference = {"sum": numpy.sum, "mean": numpy.mean, "max": numpy.max,
                 "var": lambda x, axis, keepdims: numpy.var(x, axis=axis, keepdims=keepdims,
                                                            ddof=1)}[name]
    axis = dim if not isinstance(dim, list) else tuple(dim)
    check_op(lambda x: getattr(ops, name)(x, dim, keepdim), [a],
             lambda x: reference(x, axis=axis, keepdims=keepdim))


def test_var_biased_batch_of_one_row():
    a = random_tensor((1, 6))
    check_op(lambda x: ops.var(x, 1, unbiased=False), [a], lambda x: x.var(axis=1))


def test_max_gradient_goes_to_first_maximum_on_ties():
    a = minigrad.tensor(numpy.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    ops.max(a, 1).sum().backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("fn,reference", [
    (lambda x: ops.reshape(x, 6, -1), lambda x: x.reshape(6, -1)),
    (lambda x: ops.transpose(x, 0, 2), lambda x: x.swapaxes(0, 2)),
    (lambda x: ops.permute(x, 2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    (lambda x: ops.flatten(x, 1), lambda x: x.reshape(2, -1)),
    (lambda x: x[1], lambda x: x[1]),
    (lambda x: x[:, 1:3, ::2], lambda x: x[:, 1:3, ::2]),
    (lambda x: x[[0, 0, 1], :, 1], lambda x: x[[0, 0, 1], :, 1]),
    (lambda x: ops.cat([x, x * 2, x[:, :1]], dim=1),
     lambda x: numpy.concatenate([x, x * 2, x[:, :1]], axis=1)),
    (lambda x: ops.broadcast_to(x[:, :1], (2, 3, 4)), lambda x: numpy.broadcast_to(x[:, :1], (2, 3, 4))),
])
def test_shape_ops(fn, reference):
    check_op(fn, [random_tensor((2, 3, 4))], reference)


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


def test_index_add_sums_repeated_indices_and_is_the_adjoint_of_getitem():
    g = random_tensor((4, 2), seed=3)
    rows = numpy.array([2, 0, 2, 2])
    expected = numpy.zeros((3, 2))
    numpy.add.at(expected, rows, g.numpy())
    numpy.testing.assert_allclose(ops.index_add(g, rows, (3, 2)).numpy(), expected, rtol=0,
                                  atol=1e-15)
    check_op(lambda t: ops.index_add(t, rows, (3, 2)), [g])
    x = random_tensor((3, 2), seed=4)
    ops.getitem(x, rows).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), numpy.array([[1, 1], [0, 0], [3, 3]]))


@pytest.mark.parametrize("source,target", [((2, 3, 4), (3, 1)), ((3, 4), (1, 4)), ((5,), ())])
def test_sum_to_sums_over_broadcast_axes(source, target):
    def reference(a):
        lead = a.ndim - len(target)
        summed = a.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, n in enumerate(target) if n == 1)
        return summed.sum(axis=axes, keepdims=True).reshape(target)

    check_op(lambda t: ops.sum_to(t, target), [random_tensor(source, seed=5)], reference)
