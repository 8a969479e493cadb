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


def test_rademacher_probes_are_signs_on_the_requested_module_and_dtype():
    from minigrad import backend
    from minigrad.random import rademacher
    xp = backend.array_module()
    z = rademacher(numpy.random.default_rng(3), (2000,), xp, numpy.float32)
    host = minigrad.to_host(z)
    assert z.dtype == numpy.float32 and host.shape == (2000,)
    assert set(numpy.unique(host)) == {-1.0, 1.0}
    assert abs(host.mean()) < 0.1
    again = rademacher(numpy.random.default_rng(3), (2000,), xp, numpy.float32)
    numpy.testing.assert_array_equal(minigrad.to_host(again), host)
