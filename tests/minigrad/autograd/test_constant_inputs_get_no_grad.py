"""Tensors that do not require grad never get a ``.grad``, whatever op they feed.

Add, Sub and Neg return a gradient for every input (they need no input values to form it);
the engine must drop those meant for inputs that do not require grad, as PyTorch does.
Constants enter on either side, broadcast, after a ``detach`` and as the output of an op run
under ``no_grad``; the gradients of the tensors that do require grad are checked too.
"""
import numpy
import pytest

import minigrad
from minigrad.backend import to_host

EXPRESSIONS = {
    "a + c": lambda a, c: a + c,
    "c + a": lambda a, c: c + a,
    "a - c": lambda a, c: a - c,
    "c - a": lambda a, c: c - a,
    "-(c - a) + c": lambda a, c: -(c - a) + c,
    "-(a + c) - c": lambda a, c: -(a + c) - c,
    "a * 2 + c * 3": lambda a, c: a * 2 + c * 3,
}
SIGN = {"a + c": 1, "c + a": 1, "a - c": 1, "c - a": -1, "-(c - a) + c": 1,
        "-(a + c) - c": -1, "a * 2 + c * 3": 2}


def _constants(a):
    with minigrad.no_grad():
        computed = a * 1.5
    return {"leaf": minigrad.tensor(numpy.ones(3)), "broadcast": minigrad.tensor(numpy.ones(1)),
            "detached": (a * 2).detach(), "no_grad output": computed}


@pytest.mark.parametrize("expression", sorted(EXPRESSIONS))
def test_backward_leaves_grad_of_constants_none(expression):
    a = minigrad.tensor(numpy.array([1.0, -2.0, 0.5]), requires_grad=True)
    for name, c in _constants(a).items():
        a.grad = None
        assert not c.requires_grad
        (EXPRESSIONS[expression](a, c) * minigrad.tensor(numpy.array([1.0, 2.0, 3.0]))).sum() \
            .backward()
        assert c.grad is None, f"{expression} with a {name} constant"
        numpy.testing.assert_array_equal(to_host(a.grad.data),
                                         SIGN[expression] * numpy.array([1.0, 2.0, 3.0]))


def test_grad_of_a_non_leaf_does_not_reach_constants():
    a = minigrad.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    c = minigrad.tensor(numpy.array([3.0, 4.0]))
    hidden = a * a
    out = (c - hidden + c).sum()
    (g,) = minigrad.grad(out, [hidden], retain_graph=True)
    numpy.testing.assert_array_equal(to_host(g.data), [-1.0, -1.0])
    out.backward()
    assert c.grad is None and hidden.grad is None
    numpy.testing.assert_array_equal(to_host(a.grad.data), [-2.0, -4.0])
