"""The Vision Transformer: layout and parameter count, patches against NumPy, one SGD step that
lowers the loss by about ``lr ‖g‖²``, creation by name, and images of the wrong size refused."""
import numpy
import pytest

import models
from minigrad import nn
from tests.helpers import random_tensor
from tests.models.test_training_step import LABELS, sgd_step_decrease


def test_layout_and_parameter_count():
    model = models.vit()
    assert [type(m).__name__ for m in model] == [
        "PatchTokens", "Linear", "ClassTokenAndPositions", "TransformerEncoder", "LayerNorm",
        "Token", "Linear"]
    assert sum(p.numel() for p in model.parameters()) == 72074
    assert len(model[3].layers) == 2 and model[3].layers[0].norm_first
    assert isinstance(model[3].layers[0].activation, nn.GELU)


def test_patches_are_row_major_7x7_blocks():
    x = random_tensor((2, 3, 28, 28), requires_grad=False)
    tokens = models.vit.__globals__["PatchTokens"](7)(x).numpy()
    assert tokens.shape == (2, 16, 147)
    numpy.testing.assert_array_equal(tokens[1, 6], x.numpy()[1, :, 7:14, 14:21].ravel())


def test_sgd_step_lowers_the_loss_as_predicted():
    nn.manual_seed(0)
    model = models.create("vit", input_shape=(1, 28, 28), num_classes=10)
    x = random_tensor((2, 1, 28, 28), seed=22, requires_grad=False)
    assert model(x).shape == (2, 10)
    loss = nn.CrossEntropyLoss()
    before, after, predicted = sgd_step_decrease(model, lambda m: loss(m(x), LABELS))
    assert 0.8 * predicted < before - after < 1.2 * predicted


def test_images_of_the_wrong_size_are_refused():
    with pytest.raises(ValueError, match=r"PatchTokens\(patch_size=7\): expects images \(N, C, H, "
                                         r"W\) with H and W multiples of 7, got \(2, 1, 30, 30\)"):
        models.vit()(random_tensor((2, 1, 30, 30)))
    with pytest.raises(ValueError, match="image_size 30 must be a multiple of patch_size 7"):
        models.vit(image_size=30)
