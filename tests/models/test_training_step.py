"""Every model: output shapes on MNIST- and CIFAR-shaped batches, and one hand-written SGD
step on a fixed batch lowers the loss by about the first-order prediction ``lr ‖g‖²``."""
import numpy
import pytest

import minigrad
import models
from minigrad import nn
from tests.helpers import random_tensor

MNIST, CIFAR = (2, 1, 28, 28), (2, 3, 32, 32)
LABELS = numpy.array([3, 7])

CLASSIFIERS = {
    "mlp-mnist": (lambda: models.mlp([784, 32, 10]), (2, 784)),
    "mlp-cifar": (lambda: models.mlp([3072, 16, 10], activation="tanh"), (2, 3072)),
    "small_cnn-mnist": (models.small_cnn, MNIST),
    "small_cnn-cifar": (lambda: models.small_cnn(in_channels=3), CIFAR),
    "lenet5-mnist": (models.lenet5, MNIST),
    "lenet5-cifar": (lambda: models.lenet5(in_channels=3, input_size=32), CIFAR),
    "resnet9-mnist": (lambda: models.resnet9(in_channels=1), MNIST),
    "resnet9-cifar": (models.resnet9, CIFAR),
    "resnet18-mnist": (lambda: models.resnet18(in_channels=1), MNIST),
    "resnet18-cifar": (models.resnet18, CIFAR),
}
AUTOENCODERS = {"mnist": 784, "curves": 784, "faces": 625}


def sgd_step_decrease(model, loss_fn):
    """Loss before and after ``p ← p − lr ∇L``, and the predicted decrease ``lr ‖∇L‖²``."""
    before = loss_fn(model)
    model.zero_grad()
    before.backward()
    squared_norm = sum(float((p.grad.data ** 2).sum()) for p in model.parameters())
    lr = 1e-3 * before.item() / squared_norm
    for p in model.parameters():
        p.data -= lr * p.grad.data
    return before.item(), loss_fn(model).item(), lr * squared_norm


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_shape_and_sgd_step(name):
    make, shape = CLASSIFIERS[name]
    nn.manual_seed(0)
    model = make()
    x = random_tensor(shape, seed=22, requires_grad=False)
    assert model(x).shape == (2, 10)
    loss = nn.CrossEntropyLoss()
    before, after, predicted = sgd_step_decrease(model, lambda m: loss(m(x), LABELS))
    assert 0.8 * predicted < before - after < 1.2 * predicted


@pytest.mark.parametrize("name", sorted(AUTOENCODERS))
def test_autoencoder_shape_and_sgd_step(name):
    nn.manual_seed(0)
    model = models.autoencoder(name)
    x = random_tensor((2, AUTOENCODERS[name]), seed=23, low=0.0, high=1.0, requires_grad=False)
    assert model(x).shape == x.shape
    loss = models.reconstruction_loss(name)
    before, after, predicted = sgd_step_decrease(model, lambda m: loss(m(x), x))
    assert 0.8 * predicted < before - after < 1.2 * predicted


def test_models_follow_the_default_dtype():
    assert all(p.dtype == numpy.float64 for p in models.small_cnn().parameters())
    assert minigrad.get_default_dtype() == numpy.float64
