"""The layouts the curvature code walks: Sequential chains and explicit Residual blocks."""
import pytest

import models
from minigrad import nn


def of_type(model, layer_type):
    return [m for m in model.modules() if isinstance(m, layer_type)]


def test_resnet18_blocks_and_torchvision_parameter_order():
    model = models.resnet18(in_channels=1)
    blocks = of_type(model, nn.Residual)
    assert len(blocks) == 8
    projections = [b for b in blocks if not isinstance(b.shortcut, nn.Identity)]
    assert len(projections) == 3
    conv, bn = projections[0].shortcut
    assert (conv.kernel_size, conv.stride, conv.bias) == ((1, 1), (2, 2), None)
    assert isinstance(bn, nn.BatchNorm2d)
    names = [n for n, _ in projections[0].named_parameters()]
    assert names == ["branch.0.weight", "branch.1.weight", "branch.1.bias", "branch.3.weight",
                     "branch.4.weight", "branch.4.bias", "shortcut.0.weight", "shortcut.1.weight",
                     "shortcut.1.bias"]
    stem = model[0][0]
    assert (stem.kernel_size, stem.stride, stem.padding) == ((7, 7), (2, 2), (3, 3))
    assert stem.bias is None
    assert all(c.bias is None for c in of_type(model, nn.Conv2d))


def test_resnet9_layout():
    model = models.resnet9()
    assert len(of_type(model, nn.Residual)) == 2
    convs = of_type(model, nn.Conv2d)
    assert [c.out_channels for c in convs] == [64, 128, 128, 128, 256, 512, 512, 512]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) and c.bias is None for c in convs)
    assert len(of_type(model, nn.MaxPool2d)) == 3 and len(of_type(model, nn.BatchNorm2d)) == 8
    assert isinstance(model[-1][0], nn.AdaptiveMaxPool2d) and model[-1][-1].bias is not None


def test_create_by_name():
    assert sorted(models.MODELS) == sorted(["mlp", "autoencoder-mnist", "autoencoder-curves",
                                            "autoencoder-faces", "small_cnn", "lenet5", "resnet9",
                                            "resnet18", "vit"])
    model = models.create("mlp", sizes=[4, 3, 2], activation="tanh")
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear"]
    assert models.create("autoencoder-curves")[0].in_features == 784
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        models.create("vgg")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        models.mlp([2, 2, 2], activation="gelu")
    with pytest.raises(ValueError, match="unknown name 'cifar'"):
        models.autoencoder("cifar")
    with pytest.raises(ValueError, match="lenet5: input_size"):
        models.lenet5(input_size=33)
