"""max_pool2d, avg_pool2d and adaptive_avg_pool2d: values against naive loops over
output positions, gradcheck and gradgradcheck, tie-breaking, and argument validation."""
import math

import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def naive_pool(x, kernel, stride, padding, reduce, fill):
    """Apply ``reduce`` to every window of ``x`` padded with ``fill``; also return window sizes."""
    (kh, kw), (sh, sw), (ph, pw) = map(_pair, (kernel, stride, padding))
    n, c, h, w = x.shape
    padded = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    inside = numpy.pad(numpy.ones((h, w)), ((ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out, counts = numpy.zeros((n, c, oh, ow)), numpy.zeros((oh, ow))
    for y in range(oh):
        for z in range(ow):
            rows, cols = slice(y * sh, y * sh + kh), slice(z * sw, z * sw + kw)
            out[:, :, y, z] = reduce(padded[:, :, rows, cols], axis=(2, 3))
            counts[y, z] = inside[rows, cols].sum()
    return out, counts


# (input shape, kernel, stride, padding)
POOL_CASES = [
    ((1, 1, 4, 4), 2, None, 0),
    ((2, 2, 7, 5), 3, 2, 1),
    ((1, 2, 5, 7), (3, 2), 1, (1, 1)),
    ((1, 1, 6, 6), 4, 3, 2),
    ((2, 1, 5, 5), 1, 2, 0),
    ((2, 3, 5, 7), 2, None, 0),
    ((1, 2, 6, 6), (3, 2), (3, 2), 0),
]


@pytest.mark.parametrize("x_shape,kernel,stride,padding", POOL_CASES)
def test_max_pool2d_matches_naive_loops(x_shape, kernel, stride, padding):
    x = random_tensor(x_shape, 1)
    check_op(lambda x: ops.max_pool2d(x, kernel, stride, padding), [x],
             lambda x: naive_pool(x, kernel, stride or kernel, padding, numpy.max, -numpy.inf)[0])


def test_max_pool2d_pads_with_minus_infinity():
    x = minigrad.tensor(-numpy.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True)
    out = ops.max_pool2d(x, 2, 1, 1)
    numpy.testing.assert_array_equal(out.numpy()[0, 0, 0], [-1.0, -1.0, -2.0, -3.0])


def test_max_pool2d_gradient_goes_to_first_maximum_of_window():
    x = minigrad.tensor(numpy.array([[[[1.0, 2.0, 2.0, 0.0],
                                       [2.0, 0.0, 0.0, 2.0]]]]), requires_grad=True)
    ops.max_pool2d(x, 2).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 1.0, 1.0, 0.0],
                                                            [0.0, 0.0, 0.0, 0.0]])


def test_max_pool2d_propagates_nan_and_sends_the_gradient_to_the_first_nan():
    x = minigrad.tensor(numpy.array([[[[1.0, numpy.nan, 7.0, 2.0],
                                       [numpy.nan, 5.0, 7.0, 3.0]]]]), requires_grad=True)
    out = ops.max_pool2d(x, 2)
    out.sum().backward()
    assert numpy.isnan(out.numpy()[0, 0, 0, 0]) and out.numpy()[0, 0, 0, 1] == 7.0
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 1.0, 1.0, 0.0],
                                                            [0.0, 0.0, 0.0, 0.0]])


def test_max_pool2d_overlapping_windows_add_their_gradients_at_shared_maxima():
    x = minigrad.tensor(numpy.array([[[[0.0, 9.0, 0.0],
                                       [1.0, 9.0, 2.0],
                                       [3.0, 0.0, 4.0]]]]), requires_grad=True)
    ops.max_pool2d(x, 2, 1).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 2.0, 0.0],
                                                            [0.0, 2.0, 0.0],
                                                            [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_max_pool2d_reads_a_channels_last_input_in_its_layout(kernel, stride, padding):
    values = numpy.random.default_rng(7).standard_normal((2, 3, 6, 5))
    channels_last = minigrad.tensor(numpy.ascontiguousarray(values.transpose(0, 2, 3, 1))
                                    .transpose(0, 3, 1, 2), requires_grad=True)
    plain = minigrad.tensor(values, requires_grad=True)
    assert ops.pooling.is_channels_last(channels_last.data)
    assert not ops.pooling.is_channels_last(plain.data)
    outputs = [ops.max_pool2d(x, kernel, stride, padding) for x in (channels_last, plain)]
    numpy.testing.assert_array_equal(outputs[0].numpy(), outputs[1].numpy())
    weights = numpy.random.default_rng(8).standard_normal(outputs[1].shape)
    for x, out in zip((channels_last, plain), outputs):
        (out * minigrad.tensor(weights)).sum().backward()
    numpy.testing.assert_array_equal(channels_last.grad.numpy(), plain.grad.numpy())
    check_op(lambda x: ops.max_pool2d(x, kernel, stride, padding), [channels_last])


def test_max_pool2d_second_derivative_is_zero():
    x = random_tensor((1, 2, 4, 4), 2)
    (gradient,) = minigrad.grad(ops.max_pool2d(x, 2).sum() * 3.0, [x], create_graph=True)
    (second,) = minigrad.grad((gradient * random_tensor((1, 2, 4, 4), 3)).sum(), [x],
                              allow_unused=True)
    assert second is None or not numpy.any(second.numpy())


@pytest.mark.parametrize("x_shape,kernel,stride,padding", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_naive_loops(x_shape, kernel, stride, padding, count_include_pad):
    x = random_tensor(x_shape, 4)

    def reference(x):
        total, counts = naive_pool(x, kernel, stride or kernel, padding, numpy.sum, 0.0)
        return total / (math.prod(_pair(kernel)) if count_include_pad else counts)

    check_op(lambda x: ops.avg_pool2d(x, kernel, stride, padding, count_include_pad), [x],
             reference)


def naive_adaptive_avg_pool2d(x, out_h, out_w):
    n, c, h, w = x.shape
    out = numpy.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            r0, r1 = math.floor(i * h / out_h), math.ceil((i + 1) * h / out_h)
            c0, c1 = math.floor(j * w / out_w), math.ceil((j + 1) * w / out_w)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("x_shape,output_size,expected_size", [
    ((2, 3, 4, 4), 1, (1, 1)), ((1, 2, 7, 5), (3, 2), (3, 2)), ((1, 1, 5, 7), (4, 3), (4, 3)),
    ((1, 2, 6, 4), (2, None), (2, 4)), ((1, 1, 3, 3), 5, (5, 5))])
def test_adaptive_avg_pool2d_matches_pytorch_bins(x_shape, output_size, expected_size):
    x = random_tensor(x_shape, 5)
    check_op(lambda x: ops.adaptive_avg_pool2d(x, output_size), [x],
             lambda x: naive_adaptive_avg_pool2d(x, *expected_size))


@pytest.mark.parametrize("fn,message", [
    (lambda: ops.max_pool2d(random_tensor((2, 4, 4)), 2),
     r"max_pool2d: input must be 4-D .*\(2, 4, 4\)"),
    (lambda: ops.max_pool2d(random_tensor((1, 1, 4, 4)), 3, padding=2),
     r"max_pool2d: padding \(2, 2\) must be at most half of the kernel \(3, 3\)"),
    (lambda: ops.avg_pool2d(random_tensor((1, 1, 2, 2)), 3),
     r"avg_pool2d: kernel \(3, 3\).*spans more than the padded input.*\(1, 1, 2, 2\)"),
    (lambda: ops.adaptive_avg_pool2d(random_tensor((1, 1, 4, 4)), (2, 0)),
     r"adaptive_avg_pool2d: output_size must be positive"),
])
def test_bad_arguments_raise_clear_errors(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()
