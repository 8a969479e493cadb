"""Kronecker factors and Gauss-Newton quantities of any ``nn.Module`` (``capture.py``).

References: the same factors of the equivalent ``nn.Sequential`` (per-sample recursion), and
the dense Gauss-Newton matrix ``Jᵀ H_z J`` from Jacobians by ``minigrad.grad``, exact also
with batch norm in training mode.
"""
import numpy
import pytest

import minigrad
import optim
from minigrad import nn
from minigrad.curvature import Closure, kfac, kflr
from minigrad.curvature.layerwise.capture import recording_layers
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, _labels, blocks_of, float64_models, gauss_newton, host, layer_parameters,
    output_hessian)


class TwoLayerNet(nn.Module):
    """Linear → Tanh → Linear → Sigmoid → Linear, written as a forward method."""

    def __init__(self):
        super().__init__()
        self.first, self.second, self.third = nn.Linear(4, 5), nn.Linear(5, 3), nn.Linear(3, 3)

    def forward(self, x):
        return self.third(self.second(self.first(x).tanh()).sigmoid())


def _twin_models():
    with float64_models(0):
        custom = TwoLayerNet()
    chain = nn.Sequential(custom.first, nn.Tanh(), custom.second, nn.Sigmoid(), custom.third)
    return custom, chain


@pytest.mark.parametrize("method", [
    pytest.param(lambda m, l, x, y: kflr(m, l, x, y), id="kflr"),
    pytest.param(lambda m, l, x, y: kflr(m, l, x, y, chunk_size=2), id="kflr-chunked"),
    pytest.param(lambda m, l, x, y: kfac(m, l, x, y, mc_samples=3, seed=4), id="kfac")])
def test_custom_module_gives_the_factors_of_the_equivalent_sequential(method):
    custom, chain = _twin_models()
    loss, x, y = nn.CrossEntropyLoss(), _inputs((5, 4), 1), _labels(5, 3, 2)
    for mine, reference in zip(method(custom, loss, x, y), method(chain, loss, x, y), strict=True):
        assert mine.params[0] is reference.params[0]
        numpy.testing.assert_allclose(host(mine.A), host(reference.A), rtol=1e-12, atol=1e-14)
        numpy.testing.assert_allclose(host(mine.G), host(reference.G), rtol=1e-10, atol=1e-14)


class SmallResNet(nn.Module):
    """Conv → BatchNorm2d → ReLU → Residual(Conv → BatchNorm2d → Tanh) → pool → Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())
        self.block = nn.Residual(nn.Sequential(nn.Conv2d(3, 3, 3, padding=1, bias=False),
                                               nn.BatchNorm2d(3), nn.Tanh()), nn.Identity())
        self.pool, self.flatten = nn.AvgPool2d(2), nn.Flatten()
        self.head = nn.Linear(12, 3)

    def forward(self, x):
        return self.head(self.flatten(self.pool(self.block(self.stem(x)))))


def _resnet_case(n):
    with float64_models(3):
        model = SmallResNet()
    model.train()
    return model, nn.CrossEntropyLoss(), _inputs((n, 2, 4, 4), 5), _labels(n, 3, 6)


def test_resnet_kflr_at_batch_size_one_equals_the_gauss_newton_blocks():
    model, loss, x, y = _resnet_case(1)
    factors = kflr(model, loss, x, y)
    G = gauss_newton(model, loss, x, y)
    layers = layer_parameters(model)
    kronecker = [layer for layer in layers if len(layer[0].shape) in (2, 4)]
    assert [f.params[0] for f in factors] == [layer[0] for layer in kronecker]
    head = factors[-1]
    numpy.testing.assert_allclose(host(head.to_dense()), blocks_of(G, layers)[-1],
                                  rtol=1e-9, atol=1e-13)
    with minigrad.enable_grad(), recording_layers(model) as records:
        z = model(x)
    H = output_hessian(loss, z.detach(), y)
    for factor, (step, out) in zip(factors[:-1], records[:-1]):
        flat = z.reshape(-1)
        J = numpy.array([host(minigrad.grad(flat[i], [out], retain_graph=True)[0].data).ravel()
                         for i in range(flat.shape[0])])
        channels = out.shape[1]
        Gpre = (J.T @ H @ J).reshape(channels, -1, channels, out.shape[2] * out.shape[3])
        numpy.testing.assert_allclose(host(factor.G), numpy.einsum("atbt->ab", Gpre),
                                      rtol=1e-9, atol=1e-13)


def test_kfac_trains_a_resnet_with_training_batch_norm():
    model, loss, x, y = _resnet_case(8)
    optimizer = optim.KFAC(model.parameters(), lr=0.3, damping=0.1, seed=0)
    closure = Closure(model, loss, x, y)
    losses = [float(optimizer.step(closure).item()) for _ in range(6)]
    assert all(numpy.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0]


def test_monte_carlo_samples_are_checked_on_any_model():
    custom, _ = _twin_models()
    with pytest.raises(ValueError, match="mc_samples must be a positive integer, got 0"):
        kfac(custom, nn.CrossEntropyLoss(), _inputs((3, 4), 1), _labels(3, 3, 2), mc_samples=0)


class SharedLayerNet(nn.Module):
    """One Linear applied twice, registered under two names."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 3)
        self.again = self.layer

    def forward(self, x):
        return self.again(self.layer(x).tanh())


def test_a_layer_called_twice_has_one_factor_from_both_calls():
    with float64_models(1):
        model = SharedLayerNet()
    with float64_models(1):
        copies = [nn.Linear(3, 3), nn.Linear(3, 3)]
    for copy in copies:
        copy.weight.data[...] = model.layer.weight.data
        copy.bias.data[...] = model.layer.bias.data
    separate = nn.Sequential(copies[0], nn.Tanh(), copies[1])
    loss, x, y = nn.CrossEntropyLoss(), _inputs((4, 3), 1), _labels(4, 3, 2)
    (shared,) = kflr(model, loss, x, y)
    (chain,) = kflr(nn.Sequential(model.layer, nn.Tanh(), model.layer), loss, x, y)
    first, second = kflr(separate, loss, x, y)
    numpy.testing.assert_allclose(host(shared.G), host(chain.G), rtol=1e-10)
    numpy.testing.assert_allclose(host(shared.A), host(first.A + second.A) / 2, rtol=1e-12)
    numpy.testing.assert_allclose(host(shared.G), host(first.G + second.G), rtol=1e-10)
