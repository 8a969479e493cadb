"""Linear: forward against NumPy and the error for a wrong input width."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def test_forward_matches_numpy():
    layer = nn.Linear(4, 3)
    x = random_tensor((5, 4), seed=3)
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    numpy.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)


def test_wrong_width_names_linear_and_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=3\).*\(5, 6\).*4"):
        layer(random_tensor((5, 6)))
