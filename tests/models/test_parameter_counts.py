"""Parameter counts of the model factories against the papers and hand formulas."""
import pytest

import models
from minigrad import nn


def count(model):
    return sum(p.numel() for p in model.parameters())


def dense_count(sizes):
    return sum(fan_out * (fan_in + 1) for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def test_resnets_match_the_papers():
    assert count(models.resnet18(num_classes=10, in_channels=1)) == 11_175_370
    assert count(models.resnet18()) == 11_181_642
    assert count(models.resnet9()) == 6_573_130


@pytest.mark.parametrize("name, sizes", [
    ("mnist", [784, 1000, 500, 250, 30, 250, 500, 1000, 784]),
    ("curves", [784, 400, 200, 100, 50, 25, 6, 25, 50, 100, 200, 400, 784]),
    ("faces", [625, 2000, 1000, 500, 30, 500, 1000, 2000, 625]),
])
def test_autoencoders_have_the_mirrored_dense_layers(name, sizes):
    model = models.autoencoder(name)
    assert count(model) == dense_count(sizes)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(zip(sizes[:-1], sizes[1:]))
    # A sigmoid follows every hidden layer; the code layer and the output layer are linear.
    kinds = [type(m).__name__ for m in model]
    code = len(sizes) // 2 - 1
    expected = []
    for i in range(len(linears)):
        expected.append("Linear")
        if i not in (code, len(linears) - 1):
            expected.append("Sigmoid")
    assert kinds == expected


def test_small_models():
    assert count(models.small_cnn()) == 426
    assert count(models.lenet5()) == 61_706
    assert count(models.mlp([784, 100, 10])) == 79_510
    assert {name: count(model) for name, model in
            [("mnist", models.autoencoder("mnist")), ("curves", models.autoencoder("curves")),
             ("faces", models.autoencoder("faces"))]} == \
        {"mnist": 2_837_314, "curves": 842_340, "faces": 7_537_655}
