"""Grad mode: no_grad, enable_grad, set_grad_enabled nest and restore; detach."""
import numpy

import minigrad
from tests.helpers import random_tensor


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = random_tensor((2,))
    with minigrad.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    z = (x.detach() * x).sum()
    z.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), x.numpy())


def test_grad_mode_switches_nest_and_restore():
    x = random_tensor((2,))
    assert minigrad.is_grad_enabled()
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled() and not (x * 2).requires_grad
        with minigrad.enable_grad():
            assert minigrad.is_grad_enabled() and (x * 2).requires_grad
        with minigrad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not minigrad.is_grad_enabled()
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert minigrad.is_grad_enabled()
