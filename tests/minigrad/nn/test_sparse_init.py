"""Sparse initialisation (Martens 2010): 15 N(0, 1) incoming weights per unit, the rest and the
biases zero; ``models.autoencoder(init="sparse")`` applies it to every Linear."""
import numpy
import pytest

import models
from minigrad import nn


def test_each_unit_gets_exactly_incoming_normal_weights_and_a_zero_bias():
    nn.manual_seed(0)
    layer = nn.init.sparse_incoming_(nn.Linear(200, 300))
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert ((weight != 0).sum(axis=1) == 15).all()
    numpy.testing.assert_array_equal(bias, 0)
    values = weight[weight != 0]
    # 4,500 draws of N(0, 1): mean within 0.1, std within 5% of 1.
    assert abs(values.mean()) < 0.1 and abs(values.std() - 1) < 0.05
    # The chosen inputs differ between units (not the same 15 columns for every row).
    assert len({tuple(numpy.flatnonzero(row)) for row in weight}) == 300


def test_incoming_and_std_are_followed_and_seeded():
    nn.manual_seed(3)
    first = nn.init.sparse_incoming_(nn.Linear(10, 4, bias=False), incoming=10, std=0.5)
    nn.manual_seed(3)
    second = nn.init.sparse_incoming_(nn.Linear(10, 4, bias=False), incoming=10, std=0.5)
    assert (first.weight.numpy() != 0).all()
    numpy.testing.assert_array_equal(first.weight.numpy(), second.weight.numpy())
    assert first.weight.dtype == nn.Linear(2, 2).weight.dtype


@pytest.mark.parametrize("make, hyper, error, match", [
    (lambda: nn.Conv2d(3, 4, 3), {}, TypeError, "Linear module with a 2-D weight, got Conv2d"),
    (lambda: nn.Linear(10, 4), {}, ValueError, "incoming=15 exceeds the 10 inputs"),
    (lambda: nn.Linear(20, 4), dict(incoming=0), ValueError, "incoming must be a positive"),
    (lambda: nn.Linear(20, 4), dict(std=0.0), ValueError, "std must be > 0"),
])
def test_bad_layers_and_arguments_are_refused(make, hyper, error, match):
    with pytest.raises(error, match=match):
        nn.init.sparse_incoming_(make(), **hyper)


def test_autoencoder_sparse_init_applies_to_every_linear_and_default_stays_dense():
    sparse = models.autoencoder("curves", init="sparse")
    linears = [m for m in sparse.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 12
    for layer in linears:
        expected = min(15, layer.in_features)
        assert ((layer.weight.numpy() != 0).sum(axis=1) == expected).all()
        numpy.testing.assert_array_equal(layer.bias.numpy(), 0)
    dense = [m for m in models.autoencoder("curves").modules() if isinstance(m, nn.Linear)]
    assert all((layer.weight.numpy() != 0).all() for layer in dense)
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        models.autoencoder("curves", init="xavier")
