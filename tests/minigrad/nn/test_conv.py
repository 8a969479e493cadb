"""Conv2d: forward against a direct NumPy loop, hyper-parameters, derivatives, bad input."""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import random_tensor


def reference_conv2d(x, w, b, stride, padding, dilation):
    """The cross-correlation written as loops over output positions."""
    n, c, h, wd = x.shape
    out, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = numpy.zeros((n, out, oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            patch = xp[:, :, rows, cols]
            y[:, :, i, j] = numpy.einsum("nckl,ockl->no", patch, w)
    return y + (0 if b is None else b[None, :, None, None])


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(padding=1, bias=False),
])
def test_forward_matches_loop_reference(kwargs):
    nn.manual_seed(0)
    layer = nn.Conv2d(3, 4, (3, 2), **kwargs)
    x = random_tensor((2, 3, 7, 6), seed=1)
    bias = None if layer.bias is None else layer.bias.numpy()
    expected = reference_conv2d(x.numpy(), layer.weight.numpy(), bias, layer.stride,
                                layer.padding, layer.dilation)
    numpy.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12, atol=1e-12)


def test_hyper_parameters_are_pairs_and_shapes_follow_pytorch():
    layer = nn.Conv2d(2, 5, 3, stride=2, padding=1, dilation=1)
    assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == \
        ((3, 3), (2, 2), (1, 1), (1, 1))
    assert layer.weight.shape == (5, 2, 3, 3) and layer.bias.shape == (5,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(2, 5, 3, bias=False).bias is None


def test_gradients_match_finite_differences():
    layer = nn.Conv2d(2, 2, 2, stride=1, padding=1)
    x = random_tensor((1, 2, 3, 3), seed=2)
    minigrad.gradcheck(lambda x, w, b: nn.functional.conv2d(x, w, b, layer.stride, layer.padding),
                       [x, layer.weight, layer.bias])
    out = layer(x)
    out.sum().backward()
    assert layer.weight.grad.shape == layer.weight.shape


def test_wrong_channel_count_names_the_layer_and_shapes():
    layer = nn.Conv2d(3, 4, 3)
    message = r"Conv2d\(3, 4, kernel_size=\(3, 3\).*\(N, 3, H, W\).*\(2, 1, 8, 8\)"
    with pytest.raises(ValueError, match=message):
        layer(random_tensor((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"Conv2d.*\(2, 3, 8\)"):
        layer(random_tensor((2, 3, 8)))
    with pytest.raises(ValueError, match=r"Conv2d.*smaller than the dilated kernel"):
        layer(random_tensor((1, 3, 2, 8)))


def test_bad_hyper_parameters_are_rejected():
    with pytest.raises(ValueError, match="Conv2d: kernel_size"):
        nn.Conv2d(1, 1, (3, 3, 3))
