"""``models.resnet18(init=...)`` and ``nn.init.kaiming_normal_``: torchvision's convolution init."""
import math

import numpy
import pytest

import models
from minigrad import nn


def convolutions(model):
    return [module for module in model.modules() if isinstance(module, nn.Conv2d)]


def test_torchvision_init_draws_every_convolution_from_kaiming_normal_fan_out():
    nn.init.manual_seed(0)
    model = models.resnet18(in_channels=1, num_classes=10, init="torchvision")
    for conv in convolutions(model):
        w = conv.weight.numpy().astype(float)
        std = math.sqrt(2.0 / (w.shape[0] * w.shape[2] * w.shape[3]))
        assert abs(w.std() / std - 1) < 0.1, conv
        assert abs(w.mean()) < 0.1 * std
    big = convolutions(model)[-1].weight.numpy().astype(float).ravel()
    kurtosis = numpy.mean((big - big.mean()) ** 4) / big.var() ** 2
    assert abs(kurtosis - 3.0) < 0.1          # normal (a uniform draw has 1.8)


def test_pytorch_init_is_the_default_and_differs_from_torchvision():
    nn.init.manual_seed(3)
    default = models.resnet18(in_channels=1)
    nn.init.manual_seed(3)
    pytorch = models.resnet18(in_channels=1, init="pytorch")
    nn.init.manual_seed(3)
    vision = models.resnet18(in_channels=1, init="torchvision")
    for a, b, c in zip(default.parameters(), pytorch.parameters(), vision.parameters()):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
    first = convolutions(pytorch)[0].weight.numpy()
    assert numpy.abs(first).max() <= 1 / math.sqrt(49) + 1e-7      # kaiming_uniform_(a=√5)
    assert abs(first.std() * math.sqrt(3 * 49) - 1) < 0.1                # U(−1/7, 1/7)
    assert convolutions(vision)[0].weight.numpy().std() < 0.4 * first.std()   # √(2/(64·49))


def test_batch_norm_and_the_last_linear_keep_their_defaults_under_torchvision_init():
    nn.init.manual_seed(1)
    model = models.resnet18(in_channels=1, init="torchvision")
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(numpy.all(m.weight.numpy() == 1) and numpy.all(m.bias.numpy() == 0) for m in norms)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    assert numpy.abs(last.weight.numpy()).max() <= 1 / math.sqrt(512) + 1e-7


def test_unknown_init_and_bad_kaiming_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        models.resnet18(init="xavier")
    conv = nn.Conv2d(2, 3, 3)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_normal_(conv.weight, mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        nn.init.kaiming_normal_(conv.weight, nonlinearity="swish")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.kaiming_normal_(conv.bias)


def test_kaiming_normal_fan_in_and_fan_out_scales():
    nn.init.manual_seed(0)
    linear = nn.Linear(400, 100)
    nn.init.kaiming_normal_(linear.weight, mode="fan_in")
    assert abs(linear.weight.numpy().std() / math.sqrt(2 / 400) - 1) < 0.05
    nn.init.kaiming_normal_(linear.weight, mode="fan_out", nonlinearity="linear")
    assert abs(linear.weight.numpy().std() / math.sqrt(1 / 100) - 1) < 0.05
