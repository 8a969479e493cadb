"""``size()``, ``size(d)``, ``numel()`` and ``dim()`` as in PyTorch."""
import numpy
import pytest

import minigrad


def test_size_is_the_shape_and_numel_the_count():
    x = minigrad.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4)
    assert (x.size(0), x.size(1), x.size(-1), x.size(-3)) == (2, 3, 4, 2)
    assert x.numel() == 24
    assert x.dim() == 3


def test_size_of_a_dimension_out_of_range_raises():
    x = minigrad.zeros(2, 3)
    for dim in (2, -3):
        with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range "
                                             r"of \[-2, 1\], but got"):
            x.size(dim)


def test_scalar_tensor_has_empty_size_and_one_entry():
    x = minigrad.tensor(numpy.float64(1.5))
    assert x.size() == () and x.numel() == 1 and x.dim() == 0
