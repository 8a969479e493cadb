"""Shape ops (reshape, transpose, permute, flatten, indexing, cat, broadcast_to, index_add)."""
import numpy
import pytest

from minigrad import ops
from tests.helpers import check_op, random_tensor


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


@pytest.mark.parametrize("start, end", [(2, 1), (0, 3), (-4, -1)])
def test_flatten_of_missing_or_reversed_dimensions_names_the_shape(start, end):
    with pytest.raises(ValueError, match=rf"flatten cannot flatten dimensions {start}\.\.{end} of "
                                         r"an input of shape \(2, 3, 4\)"):
        ops.flatten(random_tensor((2, 3, 4)), start, end)


def test_unsqueeze_squeeze_and_clone_are_differentiable():
    check_op(lambda x: ops.squeeze(ops.unsqueeze(x, 1) * 2.0, 1), [random_tensor((2, 3))],
             lambda x: x * 2.0)
    check_op(lambda x: ops.clone(x) * x, [random_tensor((2, 3))], lambda x: x * x)
