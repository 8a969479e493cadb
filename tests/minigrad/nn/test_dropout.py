"""Dropout: inverted dropout in training, identity in evaluation, reproducible masks."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def test_training_zeroes_or_rescales_each_entry():
    layer = nn.Dropout(0.25)
    x = random_tensor((50, 40), seed=12, low=1.0, high=2.0)
    nn.manual_seed(3)
    out = layer(x).numpy()
    kept = out != 0
    numpy.testing.assert_allclose(out[kept], x.numpy()[kept] / 0.75, rtol=1e-12)
    assert abs(kept.mean() - 0.75) < 0.03
    nn.manual_seed(3)
    numpy.testing.assert_array_equal(layer(x).numpy(), out)
    out_grad = layer(x)
    out_grad.sum().backward()
    assert set(numpy.unique(x.grad.numpy())) <= {0.0, 1 / 0.75}


def test_evaluation_is_identity():
    layer = nn.Dropout(0.5).eval()
    x = random_tensor((4, 3), seed=13)
    numpy.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.train()
    assert layer.training


def test_probability_is_checked():
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\)"):
        nn.Dropout(1.0)
