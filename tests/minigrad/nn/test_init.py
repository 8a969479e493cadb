"""Initialisation of Linear and Conv2d: PyTorch's bounds, and manual_seed reproduces weights."""
import math

import numpy
import pytest

from minigrad import nn


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(50, 40), 50),
    (lambda: nn.Conv2d(6, 20, (3, 5)), 6 * 3 * 5),
])
def test_weight_and_bias_bounds_follow_pytorch(make, fan_in):
    nn.manual_seed(0)
    layer = make()
    # kaiming_uniform(a=√5): gain √(2/6) times √(3/fan_in) = 1/√fan_in; bias the same.
    bound = math.sqrt(2.0 / 6.0) * math.sqrt(3.0 / fan_in)
    assert math.isclose(bound, 1 / math.sqrt(fan_in))
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert numpy.abs(weight).max() <= bound and numpy.abs(bias).max() <= bound
    # The draws fill the interval: the extremes come close to ±bound and the spread is uniform.
    assert numpy.abs(weight).max() > 0.95 * bound
    numpy.testing.assert_allclose(weight.std(), bound / math.sqrt(3), rtol=0.1)


def test_manual_seed_reproduces_weights():
    nn.manual_seed(7)
    first = [nn.Linear(4, 3).state_dict(), nn.Conv2d(2, 3, 3).state_dict()]
    nn.manual_seed(7)
    second = [nn.Linear(4, 3).state_dict(), nn.Conv2d(2, 3, 3).state_dict()]
    nn.manual_seed(8)
    other = nn.Linear(4, 3).state_dict()
    for a, b in zip(first, second):
        for name in a:
            numpy.testing.assert_array_equal(a[name], b[name])
    assert not numpy.array_equal(first[0]["weight"], other["weight"])
