"""``split`` and ``chunk``: pieces vs ``numpy.split``/PyTorch's sizes, gradcheck and
gradgradcheck of every piece together, refused arguments."""
import numpy
import pytest

from minigrad import ops
from tests.helpers import check_op, random_tensor


def weighted_sum_of_pieces(pieces):
    return sum((p * (i + 1)).sum() for i, p in enumerate(pieces))


@pytest.mark.parametrize("size,dim,sizes", [(2, 1, [2, 2, 1]), (5, 1, [5]), (1, 0, [1, 1]),
                                            ([1, 4], -1, [1, 4]), ([0, 2], 0, [0, 2])])
def test_split(size, dim, sizes):
    x = random_tensor((2, 5, 5) if dim == -1 else (2, 5))
    pieces = ops.split(x, size, dim)
    assert [p.shape[dim] for p in pieces] == sizes
    numpy.testing.assert_array_equal(numpy.concatenate([p.numpy() for p in pieces], dim),
                                     x.numpy())
    check_op(lambda x: weighted_sum_of_pieces(ops.split(x, size, dim)), [x])


@pytest.mark.parametrize("length,chunks,sizes", [(6, 3, [2, 2, 2]), (5, 3, [2, 2, 1]),
                                                 (6, 4, [2, 2, 2]), (2, 5, [1, 1])])
def test_chunk_sizes_follow_pytorch(length, chunks, sizes):
    x = random_tensor((3, length))
    pieces = ops.chunk(x, chunks, dim=1)
    assert [p.shape[1] for p in pieces] == sizes
    check_op(lambda x: weighted_sum_of_pieces(ops.chunk(x, chunks, 1)), [x])


def test_bad_arguments_are_refused():
    x = random_tensor((2, 4))
    with pytest.raises(ValueError, match=r"sections \[1, 2\] must .* add up to the size 4"):
        ops.split(x, [1, 2], dim=1)
    with pytest.raises(ValueError, match="split_size must be a positive int, got 0"):
        ops.split(x, 0)
    with pytest.raises(ValueError, match="chunks must be a positive int"):
        ops.chunk(x, 0)
    with pytest.raises(ValueError, match=r"dim must be an int in \[-2, 2\).*got 2"):
        ops.chunk(x, 2, dim=2)
