"""``embedding``: rows vs NumPy indexing, gradcheck and gradgradcheck in the table, the padding
row's gradient, refused indices naming the caller, the index and the range."""
import sys

import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor

INDICES = numpy.array([[0, 2, 2], [4, 1, 0]])


def test_embedding():
    check_op(lambda w: ops.embedding(INDICES, w), [random_tensor((5, 3))],
             lambda w: w[INDICES])


def test_repeated_indices_add_their_gradients_and_padding_gets_none():
    weight = random_tensor((5, 3))
    ops.embedding(INDICES, weight, padding_idx=2).sum().backward()
    counts = numpy.array([2, 1, 0, 0, 1])[:, None] * numpy.ones(3)
    numpy.testing.assert_array_equal(weight.grad.numpy(), counts)
    weight.grad = None
    ops.embedding(INDICES, weight, padding_idx=-3).sum().backward()
    numpy.testing.assert_array_equal(weight.grad.numpy(), counts)


@pytest.mark.parametrize("index", [5, -1])
def test_index_out_of_range_is_refused(index):
    with pytest.raises(ValueError, match=rf"Embedding\(5, 3\): index {index} is out of range "
                                         rf"\[0, 5\) \(indices of shape \(2,\)\)"):
        ops.embedding(numpy.array([1, index]), random_tensor((5, 3)), caller="Embedding(5, 3)")


def test_floating_indices_are_refused():
    with pytest.raises(TypeError, match="indices must be integers, got dtype float64"):
        ops.embedding(numpy.array([1.0]), random_tensor((5, 3)))


@pytest.mark.skipif(not getattr(sys.modules.get("cupy"), "is_standin", False),
                    reason="needs MINIGRAD_BACKEND=cupy-standin")
def test_device_indices_are_not_copied_to_the_host_and_outside_gives_nan_rows():
    cupy = sys.modules["cupy"]
    weight = random_tensor((5, 3))
    indices = minigrad.tensor(numpy.array([1, 5, -1, 4]))
    with cupy._transfers.counting() as counts:
        rows = ops.embedding(indices, weight)
    assert counts["device_to_host"] == 0
    rows = rows.numpy()
    numpy.testing.assert_array_equal(rows[[0, 3]], weight.numpy()[[1, 4]])
    assert numpy.isnan(rows[[1, 2]]).all()
