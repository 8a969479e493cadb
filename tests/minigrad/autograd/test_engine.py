"""The engine: accumulation, graph release, grad(), double backward, deep graphs, pruning."""
import numpy
import pytest

import minigrad
from tests.helpers import random_tensor


def test_backward_accumulates_into_leaves_and_reuses_shared_inputs():
    x = random_tensor((3,))
    y = (x * x + x).sum()
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 1)
    (x * 3).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 4)


def test_second_backward_without_retain_graph_raises():
    x = random_tensor((3,))
    y = (x.exp()).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = random_tensor((3,))
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * numpy.exp(x.numpy()))


def test_grad_returns_without_touching_dot_grad_and_handles_non_leaf_inputs():
    x = random_tensor((4,))
    h = x * 2
    y = (h * h).sum()
    gx, gh = minigrad.grad(y, [x, h])
    numpy.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    numpy.testing.assert_allclose(gx.numpy(), 8 * x.numpy())
    assert x.grad is None


def test_grad_unused_input_raises_unless_allowed():
    x, z = random_tensor((2,)), random_tensor((2,), seed=1)
    with pytest.raises(RuntimeError, match="input 1 of grad"):
        minigrad.grad((x * x).sum(), [x, z])
    assert minigrad.grad((x * x).sum(), [x, z], allow_unused=True)[1] is None


def test_double_backward_gives_exact_hessian_vector_product():
    rng = numpy.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x, v = random_tensor((4,)), rng.standard_normal(4)
    loss = (minigrad.tensor(a) @ x).exp().sum()
    (g,) = minigrad.grad(loss, x, create_graph=True)
    (hv,) = minigrad.grad(g, x, grad_outputs=minigrad.tensor(v))
    hessian = a.T @ numpy.diag(numpy.exp(a @ x.numpy())) @ a
    numpy.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-12)


def test_deep_graph_has_no_recursion_limit():
    x = random_tensor((2,))
    y = x
    for _ in range(20000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.ones(2))


def test_non_scalar_backward_needs_gradient():
    x = random_tensor((2,))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward()


def test_grad_runs_only_the_nodes_leading_to_the_requested_inputs():
    from minigrad.autograd.function import Function

    class Forbidden(Function):
        def forward(self, a):
            return a * 1.0

        def backward(self, g):
            raise AssertionError("backward ran on a branch that does not reach the inputs")

    x, w = random_tensor((3,)), random_tensor((3,), seed=1)
    h = Forbidden.apply(x)
    loss = (h * w).sum()
    (gw,) = minigrad.grad(loss, w)
    numpy.testing.assert_allclose(gw.numpy(), h.numpy())


def test_gradients_of_many_consumers_add_up_without_touching_shared_arrays():
    x = random_tensor((3, 4), 21)
    y = x * 2.0
    (y + y + y * 3.0 + y.exp()).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2.0 * (5 + numpy.exp(2.0 * x.numpy())),
                                  rtol=1e-14)
    w = random_tensor((5,), 22)
    for create_graph in (False, True):
        (g,) = minigrad.grad(w.sum() + w.sum() + w.sum() + (w * 2.0).sum(), [w],
                             create_graph=create_graph)
        numpy.testing.assert_array_equal(g.numpy(), numpy.full(5, 5.0))
