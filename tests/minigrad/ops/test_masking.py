"""``masked_fill``: value vs ``numpy.where``, gradcheck and gradgradcheck, refused masks."""
import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor


@pytest.mark.parametrize("shape,mask_shape", [((3, 4), (3, 4)), ((2, 3, 4), (3, 1)),
                                              ((2, 3, 4), (4,))])
def test_masked_fill(shape, mask_shape):
    mask = numpy.random.default_rng(5).random(mask_shape) < 0.4
    check_op(lambda x: ops.masked_fill(x, mask, -2.5), [random_tensor(shape)],
             lambda x: numpy.where(mask, -2.5, x))


def test_masked_entries_get_no_gradient():
    x = random_tensor((2, 3))
    mask = numpy.array([[True, False, False], [False, False, True]])
    (ops.masked_fill(x, mask, 0.0) * 3).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), numpy.where(mask, 0.0, 3.0))


def test_non_boolean_mask_is_refused():
    with pytest.raises(TypeError, match="mask must be boolean, got dtype int64"):
        ops.masked_fill(random_tensor((2, 3)), numpy.zeros((2, 3), dtype=numpy.int64), 0.0)


def test_mask_that_enlarges_the_input_is_refused():
    with pytest.raises(ValueError, match=r"mask of shape \(4, 2, 3\) does not broadcast to "
                                         r"the input's shape \(2, 3\)"):
        ops.masked_fill(random_tensor((2, 3)), numpy.zeros((4, 2, 3), dtype=bool), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        ops.masked_fill(random_tensor((2, 3)), minigrad.tensor(numpy.zeros(2, dtype=bool)), 0.0)
