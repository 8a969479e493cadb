"""``matmul`` and ``linear``, and ``MatMul`` with transposed operands (``transpose_a`` /
``transpose_b``): values against NumPy, gradcheck and gradgradcheck, with and without
broadcast batch axes; ``linear`` of a vector."""
import numpy
import pytest

from minigrad import ops
from minigrad.ops.linalg import MatMul
from tests.helpers import check_op, random_tensor


def _swapped(array, swap):
    return numpy.swapaxes(array, -1, -2) if swap else array


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("batch_a,batch_b", [((), ()), ((2,), ()), ((2, 1), (3,))])
def test_matmul_with_transposed_operands(transpose_a, transpose_b, batch_a, batch_b):
    a_shape = batch_a + ((4, 3) if transpose_a else (3, 4))
    b_shape = batch_b + ((2, 4) if transpose_b else (4, 2))
    a, b = random_tensor(a_shape, 1), random_tensor(b_shape, 2)

    def product(a, b):
        return MatMul.apply(a, b, transpose_a=transpose_a, transpose_b=transpose_b)

    check_op(product, [a, b],
             lambda a, b: _swapped(a, transpose_a) @ _swapped(b, transpose_b))


def test_linear_of_a_single_vector():
    x, w, b = random_tensor((3,), 1), random_tensor((4, 3), 2), random_tensor((4,), 3)
    check_op(ops.linear, [x, w, b], lambda x, w, b: w @ x + b)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4), (4, 2)), ((1, 4), (4, 1)),
                                             ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 2)),
                                             ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul(a_shape, b_shape):
    check_op(ops.matmul, [random_tensor(a_shape, 1), random_tensor(b_shape, 2)], numpy.matmul)


def test_linear_matches_x_wt_plus_b():
    x, w, b = random_tensor((5, 3), 1), random_tensor((4, 3), 2), random_tensor((4,), 3)
    check_op(ops.linear, [x, w, b], lambda x, w, b: x @ w.T + b)
