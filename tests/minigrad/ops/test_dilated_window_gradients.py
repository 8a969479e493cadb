"""Input gradients of dilated convolution and max pooling where stride ≥ kernel.

With dilation the windows of ``conv2d(k=2, s=2, d=2)`` and ``max_pool2d(x, 2, dilation=2)``
overlap although the stride is not smaller than the kernel: window ``y`` covers rows
``2y`` and ``2y + 2``, so row ``2y + 2`` is shared with window ``y + 1``. Folding the
patches back must add the contributions of both windows, not keep one. Checked with
``gradcheck`` against central differences and with a count: an all-ones kernel and output
gradient give each input entry the number of windows that read it.
"""
import numpy

import minigrad
from minigrad import ops
from minigrad.backend import to_host as host
from minigrad.gradcheck import gradcheck


def _input(shape, seed=0):
    return minigrad.tensor(numpy.random.default_rng(seed).standard_normal(shape),
                           dtype=numpy.float64, requires_grad=True)


def _windows_per_entry(size, kernel, stride, dilation, padding=0):
    """How many windows of a 1-D sliding window read each of the ``size`` entries."""
    count = numpy.zeros(size + 2 * padding)
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    for y in range(out):
        for i in range(kernel):
            count[y * stride + i * dilation] += 1
    return count[padding:padding + size]


def test_dilated_conv_input_gradient_adds_overlapping_windows():
    x = _input((1, 1, 7, 7))
    w = minigrad.tensor(numpy.ones((1, 1, 2, 2)), dtype=numpy.float64)
    out = ops.conv2d(x, w, stride=2, dilation=2)
    (g,) = minigrad.grad(out.sum(), [x])
    per_axis = _windows_per_entry(7, 2, 2, 2)
    numpy.testing.assert_array_equal(host(g.data)[0, 0], numpy.outer(per_axis, per_axis))
    assert per_axis.max() == 2


def test_dilated_conv_gradients_match_finite_differences():
    x, w = _input((2, 2, 7, 6), 1), _input((3, 2, 2, 2), 2)
    assert gradcheck(lambda a, b: ops.conv2d(a, b, stride=2, dilation=2), [x, w])
    assert gradcheck(lambda a, b: ops.conv2d(a, b, stride=3, padding=1, dilation=2), [x, w])


def test_dilated_max_pool_input_gradient_adds_overlapping_windows():
    x = _input((1, 1, 7, 7), 4)
    out = ops.max_pool2d(x, 2, dilation=2)
    (g,) = minigrad.grad(out.sum(), [x])
    values, expected = host(x.data)[0, 0], numpy.zeros((7, 7))
    for y in range(out.shape[2]):
        for z in range(out.shape[3]):
            rows, cols = [2 * y, 2 * y + 2], [2 * z, 2 * z + 2]
            window = values[numpy.ix_(rows, cols)]
            i, j = numpy.unravel_index(numpy.argmax(window), window.shape)
            expected[rows[i], cols[j]] += 1
    numpy.testing.assert_array_equal(host(g.data)[0, 0], expected)
    assert expected.max() == 2


def test_dilated_max_pool_gradient_matches_finite_differences():
    x = _input((2, 2, 7, 7), 3)
    assert gradcheck(lambda a: ops.max_pool2d(a, 2, dilation=2), [x])
    assert gradcheck(lambda a: ops.max_pool2d(a, 2, stride=3, padding=1, dilation=2), [x])
