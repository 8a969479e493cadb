"""Flatten: row-major merge of dimensions, and its input check."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def test_flatten_is_row_major():
    x = random_tensor((2, 3, 4, 5), seed=11)
    numpy.testing.assert_array_equal(nn.Flatten()(x).numpy(), x.numpy().reshape(2, 60))
    numpy.testing.assert_array_equal(nn.Flatten(0, 1)(x).numpy(), x.numpy().reshape(6, 4, 5))
    numpy.testing.assert_array_equal(nn.Flatten(1, -2)(x).numpy(), x.numpy().reshape(2, 12, 5))


def test_flatten_rejects_missing_dimensions():
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=-1\).*\(4,\)"):
        nn.Flatten()(random_tensor((4,)))
