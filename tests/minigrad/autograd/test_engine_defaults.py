"""The engine's defaults and argument forms, as in PyTorch.

``backward()`` leaves a detached ``.grad`` and frees the graph; ``backward(create_graph=True)``
leaves a ``.grad`` that can be differentiated again (the Hessian of ``Σ x³`` is ``6x``);
``grad`` refuses an unused input unless ``allow_unused=True``; ``grad_outputs`` may be one
array for one output or a list with one entry per output.
"""
import numpy
import pytest

import minigrad
from minigrad.backend import to_host


def _x():
    return minigrad.tensor(numpy.array([1.0, -2.0, 3.0]), requires_grad=True)


def test_backward_leaves_a_detached_grad_and_frees_the_graph():
    x = _x()
    loss = (x * x * x).sum()
    loss.backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None
    numpy.testing.assert_array_equal(to_host(x.grad.data), [3.0, 12.0, 27.0])
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = _x()
    (x * x * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    (second,) = minigrad.grad(first.sum(), [x])
    numpy.testing.assert_array_equal(to_host(second.data), [6.0, -12.0, 18.0])


def test_grad_is_detached_unless_create_graph():
    x = _x()
    (g,) = minigrad.grad((x * x * x).sum(), [x])
    assert not g.requires_grad
    (g,) = minigrad.grad((x * x * x).sum(), [x], create_graph=True)
    assert g.requires_grad


def test_an_unused_input_is_refused_by_default():
    x, unused = _x(), minigrad.tensor(numpy.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 of grad.*not used.*allow_unused=True"):
        minigrad.grad((x * x).sum(), [x, unused])
    assert minigrad.grad((x * x).sum(), [x, unused], allow_unused=True)[1] is None


def test_grad_outputs_as_one_array_or_one_per_output():
    x = _x()
    weights = numpy.array([1.0, 10.0, 100.0])
    (g,) = minigrad.grad(x * x, x, grad_outputs=weights)
    numpy.testing.assert_array_equal(to_host(g.data), 2 * weights * [1.0, -2.0, 3.0])
    (g,) = minigrad.grad(x * x, x, grad_outputs=minigrad.tensor(weights))
    numpy.testing.assert_array_equal(to_host(g.data), 2 * weights * [1.0, -2.0, 3.0])
    (g,) = minigrad.grad([x * x, x * 3], [x], grad_outputs=[weights, numpy.ones(3)])
    numpy.testing.assert_array_equal(to_host(g.data), 2 * weights * [1.0, -2.0, 3.0] + 3)
    (g,) = minigrad.grad([x * x, x * 3], [x],
                         grad_outputs=[minigrad.tensor(weights), minigrad.tensor(numpy.ones(3))])
    numpy.testing.assert_array_equal(to_host(g.data), 2 * weights * [1.0, -2.0, 3.0] + 3)
