"""The shared op check fails on an op that writes into its input."""
import pytest

from minigrad.autograd.function import Function
from tests.helpers import check_op, random_tensor


class DoubleInPlace(Function):
    def forward(self, a):
        a *= 2
        return a.copy()

    def backward(self, g):
        return (g * 2,)


def test_check_op_catches_an_op_that_modifies_its_input():
    with pytest.raises(AssertionError, match="the forward pass modified input 0 in place"):
        check_op(DoubleInPlace.apply, [random_tensor((3,))], lambda a: 2 * a)
