"""BatchNorm1d/2d: batch statistics in training, running statistics in evaluation,
buffers in state_dict, and input checks."""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import random_tensor


def reference_batch_norm(x, gamma, beta, axes, eps):
    shape = [1] * x.ndim
    shape[1] = -1
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / numpy.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("layer_type, shape, axes", [
    (nn.BatchNorm2d, (4, 3, 2, 5), (0, 2, 3)),
    (nn.BatchNorm1d, (6, 3), (0,)),
    (nn.BatchNorm1d, (4, 3, 5), (0, 2)),
])
def test_training_forward_and_running_statistics(layer_type, shape, axes):
    layer = layer_type(3, momentum=0.25)
    layer.weight.data = layer.weight.xp.asarray([0.5, 2.0, -1.0])
    layer.bias.data = layer.bias.xp.asarray([0.1, 0.0, 3.0])
    x = random_tensor(shape, seed=5)
    out = layer(x)
    data = x.numpy()
    expected = reference_batch_norm(data, numpy.array([0.5, 2.0, -1.0]),
                                    numpy.array([0.1, 0.0, 3.0]), axes, 1e-5)
    numpy.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    m = data.size // 3
    batch_mean = data.mean(axis=axes)
    unbiased_var = data.var(axis=axes) * m / (m - 1)
    numpy.testing.assert_allclose(minigrad.to_host(layer.running_mean), 0.25 * batch_mean,
                                  rtol=1e-12)
    numpy.testing.assert_allclose(minigrad.to_host(layer.running_var),
                                  0.75 + 0.25 * unbiased_var, rtol=1e-12)


def test_evaluation_uses_running_statistics_and_leaves_them_alone():
    layer = nn.BatchNorm2d(2)
    layer.running_mean = layer.running_mean + layer.running_mean.dtype.type(1.5)
    layer.running_var = layer.running_var * 4
    layer.eval()
    x = random_tensor((2, 2, 3, 3), seed=6)
    out = layer(x)
    numpy.testing.assert_allclose(out.numpy(), (x.numpy() - 1.5) / numpy.sqrt(4 + 1e-5),
                                  rtol=1e-12)
    numpy.testing.assert_array_equal(minigrad.to_host(layer.running_mean), [1.5, 1.5])
    single = layer(random_tensor((1, 2, 1, 1), seed=7))
    assert single.shape == (1, 2, 1, 1)


def test_parameters_buffers_and_state_dict_round_trip():
    layer = nn.BatchNorm2d(3)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var"]
    numpy.testing.assert_array_equal(layer.weight.numpy(), numpy.ones(3))
    numpy.testing.assert_array_equal(layer.bias.numpy(), numpy.zeros(3))
    layer(random_tensor((4, 3, 2, 2), seed=8))
    state = layer.state_dict()
    fresh = nn.BatchNorm2d(3)
    fresh.load_state_dict(state)
    for name, value in fresh.state_dict().items():
        numpy.testing.assert_array_equal(value, state[name])
    assert not numpy.array_equal(state["running_mean"], numpy.zeros(3))
    assert list(nn.BatchNorm1d(3, affine=False).parameters()) == []


def test_bad_inputs_name_the_layer():
    message = r"BatchNorm2d\(3, .*\(N, C, H, W\).*C = 3.*\(2, 4, 5, 5\)"
    with pytest.raises(ValueError, match=message):
        nn.BatchNorm2d(3)(random_tensor((2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*\(N, C\) or \(N, C, L\).*\(2, 3, 1, 1\)"):
        nn.BatchNorm1d(3)(random_tensor((2, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*more than one value per channel"):
        nn.BatchNorm1d(3)(random_tensor((1, 3)))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)
