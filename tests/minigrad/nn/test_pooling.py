"""Pooling layers against NumPy references, the adaptive max-pool windows, bad input."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def reference_pool(x, k, s, p, reduce, pad_value):
    xp = numpy.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    oh, ow = (xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1
    y = numpy.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return y


@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 2, 1), (2, 1, 0)])
def test_max_and_average_pool_match_reference(k, s, p):
    x = random_tensor((2, 3, 6, 5), seed=9)
    stride = k if s is None else s
    maxed = nn.MaxPool2d(k, s, p)(x).numpy()
    numpy.testing.assert_allclose(maxed, reference_pool(x.numpy(), k, stride, p, numpy.max,
                                                        -numpy.inf))
    averaged = nn.AvgPool2d(k, s, p)(x).numpy()
    numpy.testing.assert_allclose(averaged, reference_pool(x.numpy(), k, stride, p, numpy.mean, 0),
                                  rtol=1e-12)


def test_adaptive_pools():
    x = random_tensor((2, 3, 6, 4), seed=10)
    data = x.numpy()
    numpy.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).numpy(),
                                  data.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    numpy.testing.assert_allclose(nn.AdaptiveMaxPool2d(1)(x).numpy(),
                                  data.max(axis=(2, 3), keepdims=True))
    two_by_two = nn.AdaptiveMaxPool2d((3, 2))
    assert two_by_two.window(x.shape) == (2, 2)
    numpy.testing.assert_allclose(two_by_two(x).numpy(),
                                  data.reshape(2, 3, 3, 2, 2, 2).max(axis=(3, 5)))
    numpy.testing.assert_allclose(nn.AdaptiveAvgPool2d((3, 2))(x).numpy(),
                                  data.reshape(2, 3, 3, 2, 2, 2).mean(axis=(3, 5)), rtol=1e-12)


def test_hyper_parameters_are_pairs():
    pool = nn.MaxPool2d(3, stride=2, padding=1)
    assert (pool.kernel_size, pool.stride, pool.padding) == ((3, 3), (2, 2), (1, 1))
    assert nn.AvgPool2d(2).stride == (2, 2)
    assert nn.AdaptiveAvgPool2d(1).output_size == (1, 1)


def test_bad_inputs_name_the_layer():
    message = r"MaxPool2d\(kernel_size=\(2, 2\).*\(N, C, H, W\).*\(2, 3\)"
    with pytest.raises(ValueError, match=message):
        nn.MaxPool2d(2)(random_tensor((2, 3)))
    with pytest.raises(ValueError, match=r"AvgPool2d.*smaller than the window"):
        nn.AvgPool2d(4)(random_tensor((1, 1, 3, 8)))
    message = r"AdaptiveMaxPool2d\(output_size=\(2, 2\)\).*\(1, 1, 5, 4\)"
    with pytest.raises(ValueError, match=message):
        nn.AdaptiveMaxPool2d(2)(random_tensor((1, 1, 5, 4)))
    with pytest.raises(ValueError, match="MaxPool2d: padding"):
        nn.MaxPool2d(2, padding=2)
