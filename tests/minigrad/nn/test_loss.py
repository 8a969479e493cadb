"""Loss modules against NumPy formulas, reductions, and shape mismatches."""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import random_tensor


def test_cross_entropy_matches_log_softmax_formula():
    logits = random_tensor((4, 3), seed=14)
    labels = numpy.array([0, 2, 1, 2])
    z = logits.numpy()
    per_sample = numpy.log(numpy.exp(z).sum(axis=1)) - z[numpy.arange(4), labels]
    for reduction, expected in (("mean", per_sample.mean()), ("sum", per_sample.sum()),
                                ("none", per_sample)):
        value = nn.CrossEntropyLoss(reduction=reduction)(logits, labels).numpy()
        numpy.testing.assert_allclose(value, expected, rtol=1e-12)
    numpy.testing.assert_allclose(nn.CrossEntropyLoss()(logits, labels.tolist()).numpy(),
                                  per_sample.mean(), rtol=1e-12)


def test_mse_and_bce_with_logits_match_formulas():
    x = random_tensor((3, 5), seed=15)
    t = random_tensor((3, 5), seed=16, low=0.0, high=1.0, requires_grad=False)
    diff = x.numpy() - t.numpy()
    numpy.testing.assert_allclose(nn.MSELoss()(x, t).numpy(), (diff ** 2).mean(), rtol=1e-12)
    z, y = x.numpy(), t.numpy()
    sigma = 1 / (1 + numpy.exp(-z))
    bce = -(y * numpy.log(sigma) + (1 - y) * numpy.log(1 - sigma))
    numpy.testing.assert_allclose(nn.BCEWithLogitsLoss()(x, t).numpy(), bce.mean(), rtol=1e-12)
    numpy.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="sum")(x, t).numpy(), bce.sum(),
                                  rtol=1e-12)


def test_shape_mismatch_names_the_loss_and_shapes():
    x = random_tensor((3, 5))
    with pytest.raises(ValueError, match=r"MSELoss\(reduction='mean'\).*\(3, 4\).*\(3, 5\)"):
        nn.MSELoss()(x, minigrad.tensor(numpy.zeros((3, 4))))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss.*\(5,\).*\(3, 5\)"):
        nn.BCEWithLogitsLoss()(x, numpy.zeros(5))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss.*\(3, 5\).*\(4,\)"):
        nn.CrossEntropyLoss()(x, numpy.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.CrossEntropyLoss(reduction="average")
