import pytest

import models
from minigrad import nn


@pytest.mark.parametrize("name, shape, first", [
    ("mlp", (1, 28, 28), 784), ("mlp", (3, 32, 32), 3072), ("autoencoder-mnist", (1, 28, 28), 784),
    ("lenet5", (1, 28, 28), 1), ("small_cnn", (3, 32, 32), 3), ("resnet9", (3, 32, 32), 3)])
def test_create_sizes_the_model_for_the_input_shape(name, shape, first):
    model = models.create(name, input_shape=shape, num_classes=10, hidden=(16,))
    layer = next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d)))
    assert (layer.in_features if isinstance(layer, nn.Linear) else layer.in_channels) == first


def test_input_and_loss_of_each_model():
    assert models.flat_input("mlp") and models.flat_input("autoencoder-faces")
    assert not models.flat_input("lenet5") and models.reconstructs("autoencoder-curves")
    assert isinstance(models.loss_for("mlp"), nn.CrossEntropyLoss)
    assert isinstance(models.loss_for("autoencoder-faces"), nn.MSELoss)
    assert isinstance(models.loss_for("autoencoder-mnist"), nn.BCEWithLogitsLoss)


def test_an_autoencoder_refuses_images_of_another_size():
    with pytest.raises(ValueError, match="autoencoder-faces takes 625 input features, but images "
                                         r"of shape \(1, 28, 28\) have 784"):
        models.create("autoencoder-faces", input_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        models.loss_for("vgg")
