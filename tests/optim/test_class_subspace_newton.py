"""ClassSubspaceNewton(curvature="subspace"): Newton's step in span{v_k} with the exact Hessian.

Checked on quadratics whose subspace-Newton step is known in closed form and on a
small network against its dense Hessian from finite differences of gradients.
"""
import numpy
import pytest

import minigrad
from minigrad import backend, curvature, nn
from optim.class_subspace import ClassSubspaceNewton, orthonormal_basis, projected_hessian
from tests.optim.curvature_doubles import (QuadraticClosure, gradient_at, spd_quadratic,
                                          tanh_classifier_closure)

host_only = pytest.mark.skipif(
    minigrad.backend_name() != "numpy",
    reason="host-only test: its reference or test double computes with NumPy")


class QuadraticClassClosure(QuadraticClosure):
    """``½ θᵀAθ − bᵀθ`` whose "class gradients" are the fixed rows of ``directions``."""

    def __init__(self, A, b, theta, directions):
        super().__init__(A, b, theta)
        self.directions = directions

    def class_gradients(self):
        return self.directions


def subspace_newton(theta, A, b, directions, lr, damping=0.0):
    """The update of the module docstring, with dense NumPy linear algebra."""
    g = A @ theta - b
    u, s, _ = numpy.linalg.svd(directions.T, full_matrices=False)
    q = u[:, s > 1e-10 * s[0]]
    values, vectors = numpy.linalg.eigh(q.T @ A @ q)
    scale = numpy.where(values > 0, 1 / (numpy.where(values > 0, values, 1) + damping), lr)
    return theta - lr * (g - q @ q.T @ g) - q @ vectors @ (scale * (vectors.T @ q.T @ g))


def one_step(A, b, theta, directions, **kwargs):
    closure = QuadraticClassClosure(A, b, theta, directions)
    ClassSubspaceNewton(closure.params, curvature="subspace", **kwargs).step(closure)
    return closure.theta


@host_only
def test_whole_space_is_one_newton_step_to_the_minimiser():
    A, b, theta = spd_quadratic(seed=0, n=6)
    directions = numpy.random.default_rng(1).standard_normal((6, 6))
    numpy.testing.assert_allclose(one_step(A, b, theta, directions, lr=0.3),
                                  numpy.linalg.solve(A, b), rtol=1e-10, atol=1e-12)


@host_only
def test_gradient_in_the_span_minimises_over_the_subspace():
    A, b, theta = spd_quadratic(seed=2, n=8)
    directions = numpy.random.default_rng(3).standard_normal((3, 8))
    b = A @ theta - directions.T @ numpy.array([1.0, -2.0, 0.5])  # g ∈ span{v_k}
    new = one_step(A, b, theta, directions, lr=0.1)
    # the minimiser of f over θ + span{v_k}: the gradient there is orthogonal to the span
    numpy.testing.assert_allclose(directions @ (A @ new - b), 0, atol=1e-10)


@host_only
@pytest.mark.parametrize("damping", [0.0, 0.7])
def test_non_orthogonal_and_repeated_directions(damping):
    A, b, theta = spd_quadratic(seed=4, n=9)
    rng = numpy.random.default_rng(5)
    base = rng.standard_normal((3, 9))
    directions = numpy.vstack([base, base[0] + 0.1 * base[1], 2 * base[2], numpy.zeros(9)])
    numpy.testing.assert_allclose(one_step(A, b, theta, directions, lr=0.2, damping=damping),
                                  subspace_newton(theta, A, b, directions, 0.2, damping),
                                  rtol=1e-10)


@host_only
@pytest.mark.parametrize("damping", [0.0, 1.5])
def test_negative_curvature_takes_the_sgd_step(damping):
    A = numpy.diag([2.0, -1.0, 0.5, 3.0])
    b, theta = numpy.array([1.0, 1.0, 0.0, 0.0]), numpy.array([0.5, 0.2, 1.0, -1.0])
    directions = numpy.eye(4)[:2]
    g = A @ theta - b
    expected = theta - numpy.array([g[0] / (2.0 + damping), 0.1 * g[1], 0.1 * g[2], 0.1 * g[3]])
    numpy.testing.assert_allclose(one_step(A, b, theta, directions, lr=0.1, damping=damping),
                                  expected, rtol=1e-12)


def network_closure():
    return tanh_classifier_closure(model_seed=4, data_seed=6, hidden=5)


def flat(closure):
    return numpy.concatenate([p.numpy().ravel() for p in closure.params])


@host_only
def test_network_step_matches_the_dense_finite_difference_hessian():
    closure = network_closure()
    theta = flat(closure)
    eps, size = 1e-5, theta.size
    hessian = numpy.stack([(gradient_at(closure, theta + eps * e) -
                            gradient_at(closure, theta - eps * e)) / (2 * eps)
                           for e in numpy.eye(size)], axis=1)
    hessian = (hessian + hessian.T) / 2
    g = gradient_at(closure, theta)
    class_gradients = minigrad.to_host(closure.class_gradients())
    directions = class_gradients / numpy.linalg.norm(class_gradients, axis=1, keepdims=True)
    b = hessian @ theta - g  # the quadratic model with this gradient and Hessian at θ
    expected = subspace_newton(theta, hessian, b, directions, 0.1, damping=0.01)
    ClassSubspaceNewton(closure.params, lr=0.1, damping=0.01, curvature="subspace").step(closure)
    numpy.testing.assert_allclose(flat(closure), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", ["eq4", "subspace"])
@pytest.mark.parametrize("bad", [numpy.nan, 1e200])
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@host_only
def test_non_finite_class_gradients_are_an_error(kind, bad):
    A, b, theta = spd_quadratic(seed=7, n=4)
    directions = numpy.array([[1.0, bad, 0.0, 0.0]])
    closure = QuadraticClassClosure(A, b, theta, directions)
    message = r"class gradients \(1, 4\) float64 are not finite or their norms overflow"
    with pytest.raises(FloatingPointError, match=message):
        ClassSubspaceNewton(closure.params, curvature=kind).step(closure)


def test_steps_run_on_the_backend_arrays():
    nn.init.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    rng = numpy.random.default_rng(8)
    closure = curvature.Closure(model, nn.CrossEntropyLoss(), minigrad.tensor(
        rng.standard_normal((12, 4)).astype("float32")), minigrad.tensor(numpy.arange(12) % 3))
    optimizer = ClassSubspaceNewton(closure.params, lr=0.1, damping=1.0, curvature="subspace")
    losses = [float(optimizer.step(closure).item()) for _ in range(4)]
    values = optimizer.state[closure.params[0]]["eigenvalues"]
    assert backend.get_array_module(values) is backend.get_array_module(closure.params[0].data)
    assert values.shape == (3,) and bool((values == values).all())
    assert losses[-1] < losses[0]


@host_only
def test_orthonormal_basis_spans_the_directions_at_their_numerical_rank():
    rng = numpy.random.default_rng(3)
    a, b = rng.standard_normal((2, 7))
    directions = numpy.stack([a, b, 2 * a - b, numpy.zeros(7)])
    basis = orthonormal_basis(directions)
    assert basis.shape == (7, 2)
    numpy.testing.assert_allclose(basis.T @ basis, numpy.eye(2), atol=1e-12)
    numpy.testing.assert_allclose(basis @ (basis.T @ directions.T), directions.T, atol=1e-12)
    assert orthonormal_basis(numpy.zeros((3, 7))).shape == (7, 0)


@host_only
def test_projected_hessian_is_q_transpose_a_q_on_a_quadratic():
    A, b, theta = spd_quadratic(seed=5, n=6)
    closure = QuadraticClassClosure(A, b, theta, numpy.eye(2, 6))
    basis = orthonormal_basis(numpy.random.default_rng(4).standard_normal((3, 6)))
    numpy.testing.assert_allclose(projected_hessian(closure, basis, closure.params),
                                  basis.T @ A @ basis, rtol=1e-12, atol=1e-12)
