"""One seeded random state: manual_seed reproduces initialisation, dropout masks and randn."""
import numpy

import minigrad
from minigrad import nn


def _draws():
    layer = nn.Linear(3, 2)
    mask = nn.functional.dropout(minigrad.ones(8), 0.5)
    return [layer.weight.numpy(), mask.numpy(), minigrad.randn(4).numpy()]


def test_manual_seed_reproduces_every_random_draw():
    minigrad.manual_seed(11)
    first = _draws()
    nn.init.manual_seed(11)
    again = _draws()
    for a, b in zip(first, again):
        numpy.testing.assert_array_equal(a, b)
    assert nn.init.generator() is minigrad.random.generator()
