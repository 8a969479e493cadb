"""``flatten(a, start_dim, end_dim)`` over every range of a 4-D input, as ``torch.flatten``.

The shape keeps the axes before ``start_dim`` and after ``end_dim`` and merges those between;
the values are NumPy's row-major reshape, and the gradient flows back to the input's shape.
"""
import itertools

import numpy
import pytest

import minigrad
from minigrad import ops
from minigrad.backend import to_host

SHAPE = (2, 3, 4, 5)


@pytest.mark.parametrize("start, end", [(s, e) for s, e in itertools.product(range(4), range(4))
                                        if s <= e] + [(1, -2), (-3, -1), (-4, 1)])
def test_flatten_merges_the_axes_between_start_and_end(start, end):
    values = numpy.arange(float(numpy.prod(SHAPE))).reshape(SHAPE)
    x = minigrad.tensor(values, requires_grad=True)
    out = ops.flatten(x, start, end)
    s, e = start % 4, end % 4
    expected = SHAPE[:s] + (int(numpy.prod(SHAPE[s:e + 1])),) + SHAPE[e + 1:]
    assert out.shape == expected
    numpy.testing.assert_array_equal(to_host(out.data), values.reshape(expected))
    (g,) = minigrad.grad((out * out).sum(), [x])
    numpy.testing.assert_array_equal(to_host(g.data), 2 * values)
