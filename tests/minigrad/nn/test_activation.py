"""Activation layers and Identity against NumPy formulas; hyper-parameters reach the op."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


@pytest.mark.parametrize("layer, formula", [
    (nn.ReLU(), lambda h: numpy.maximum(h, 0)),
    (nn.LeakyReLU(0.2), lambda h: numpy.where(h > 0, h, 0.2 * h)),
    (nn.LeakyReLU(), lambda h: numpy.where(h > 0, h, 0.01 * h)),
    (nn.Sigmoid(), lambda h: 1 / (1 + numpy.exp(-h))),
    (nn.Tanh(), numpy.tanh),
    (nn.Softplus(), lambda h: numpy.log1p(numpy.exp(h))),
    (nn.Softplus(beta=2.0, threshold=1.0),
     lambda h: numpy.where(2 * h > 1.0, h, numpy.log1p(numpy.exp(2 * h)) / 2)),
    (nn.Identity(), lambda h: h),
])
def test_forward_matches_formula(layer, formula):
    x = random_tensor((3, 2, 4), seed=4)
    out = layer(x)
    assert out.shape == x.shape
    numpy.testing.assert_allclose(out.numpy(), formula(x.numpy()), rtol=1e-12, atol=1e-14)


def test_activations_have_no_parameters():
    for layer in (nn.ReLU(), nn.LeakyReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softplus(), nn.Identity()):
        assert list(layer.parameters()) == []
    assert repr(nn.LeakyReLU(0.3)) == "LeakyReLU(negative_slope=0.3)"
