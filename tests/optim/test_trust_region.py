"""TrustRegion: one-step solution of a convex quadratic, ratio test, radius updates,
ellipsoidal norms, sub-sampled curvature, divergence handling, state_dict."""
import numpy
import pytest

from optim.norms import inverse_sqrt_diagonal, update_second_moment
from optim.trust_region import TrustRegion
from tests.optim.curvature_doubles import (SHAPES, QuadraticClosure, assert_decreases_rosenbrock,
                                           assert_one_forward_per_evaluation,
                                           assert_one_step_solves_least_squares,
                                           assert_rejects_argument, assert_state_dict_round_trip,
                                           quadratic_finite_only_near, rosenbrock_closure,
                                           spd_quadratic)


@pytest.mark.parametrize("norm", ["spherical", "rmsprop", "adagrad", "adam"])
def test_one_step_solves_convex_quadratic_with_large_radius(norm):
    A, b, theta = spd_quadratic()
    closure = QuadraticClosure(A, b, theta, SHAPES)
    optimizer = TrustRegion(closure.params, radius=1e3, max_radius=1e3, norm=norm,
                            max_cg_iter=50, cg_tol=1e-12)
    optimizer.step(closure)
    numpy.testing.assert_allclose(closure.theta, numpy.linalg.solve(A, b), rtol=1e-7)
    assert optimizer.global_state["ratio"] == pytest.approx(1.0)


def ellipsoid_diagonal(norm, gradients, beta=0.95, eps=1e-8):
    """M of norms.py computed directly from the list of gradients seen."""
    g = numpy.array(gradients)
    t = len(g)
    if norm == "adagrad":
        v = (g ** 2).sum(axis=0)
    else:
        weights = (1 - beta) * beta ** numpy.arange(t - 1, -1, -1)
        v = weights @ g ** 2
        if norm == "adam":
            v = v / (1 - beta ** t)
    return numpy.sqrt(v) + eps


@pytest.mark.parametrize("norm", ["rmsprop", "adagrad", "adam"])
def test_ellipsoidal_steps_stay_in_the_ellipsoid(norm):
    A, b, theta = spd_quadratic(seed=1)
    closure = QuadraticClosure(A, b, theta, SHAPES)
    optimizer = TrustRegion(closure.params, radius=0.05, norm=norm, max_cg_iter=20, eta1=0.0)
    gradients = []
    for _ in range(4):
        before = closure.theta.copy()
        gradients.append(A @ before - b)
        radius = optimizer.global_state.get("radius", 0.05)
        optimizer.step(closure)
        s = closure.theta - before
        M = ellipsoid_diagonal(norm, gradients)
        assert numpy.sqrt(s @ (M * s)) <= radius * (1 + 1e-9)
        assert numpy.sqrt(s @ (M * s)) == pytest.approx(radius, rel=1e-9)


@pytest.mark.parametrize("norm", ["rmsprop", "adagrad", "adam"])
def test_inverse_sqrt_diagonal_matches_direct_formula(norm):
    gradients = numpy.random.default_rng(8).standard_normal((3, 5))
    v = numpy.zeros(5)
    for g in gradients:
        v = update_second_moment(norm, v, g, 0.95)
    numpy.testing.assert_allclose(inverse_sqrt_diagonal(norm, v, 3, 0.95, 1e-8),
                                  1 / numpy.sqrt(ellipsoid_diagonal(norm, list(gradients))))


def test_interior_step_matches_exact_subproblem_solution():
    A, b, theta = spd_quadratic(seed=2)
    closure = QuadraticClosure(A, b, theta, SHAPES)
    g = A @ theta - b
    newton = -numpy.linalg.solve(A, g)
    optimizer = TrustRegion(closure.params, radius=2 * numpy.linalg.norm(newton),
                            max_radius=10.0 * numpy.linalg.norm(newton),
                            max_cg_iter=50, cg_tol=1e-12)
    optimizer.step(closure)
    numpy.testing.assert_allclose(closure.theta - theta, newton, rtol=1e-8)


def test_indefinite_quadratic_step_lands_on_boundary():
    rng = numpy.random.default_rng(3)
    q, _ = numpy.linalg.qr(rng.standard_normal((6, 6)))
    A = q @ numpy.diag([3.0, 2.0, 1.0, 0.5, -0.5, -1.0]) @ q.T
    theta = rng.standard_normal(6)
    closure = QuadraticClosure(A, numpy.zeros(6), theta)
    optimizer = TrustRegion(closure.params, radius=0.3, max_cg_iter=50, cg_tol=1e-12)
    optimizer.step(closure)
    assert numpy.linalg.norm(closure.theta - theta) == pytest.approx(0.3)
    assert optimizer.global_state["radius"] == pytest.approx(0.6)


def test_rejected_step_keeps_parameters_and_shrinks_radius():
    A, b, theta = spd_quadratic(seed=4)
    closure = QuadraticClosure(A, b, theta, G=0.01 * A)
    optimizer = TrustRegion(closure.params, radius=5.0, curvature="ggn", max_cg_iter=50)
    optimizer.step(closure)
    numpy.testing.assert_array_equal(closure.theta, theta)
    assert optimizer.global_state["ratio"] < 0.1
    assert optimizer.global_state["radius"] == pytest.approx(2.5)


def test_sub_sampled_curvature_closure_supplies_products():
    A, b, theta = spd_quadratic(seed=5)
    closure = QuadraticClosure(A, b, theta, SHAPES)
    other = QuadraticClosure(2 * A, b, theta, SHAPES)
    other.params = closure.params
    optimizer = TrustRegion(closure.params, radius=1e3, max_radius=1e3, max_cg_iter=50,
                            cg_tol=1e-12, eta1=0.0)
    optimizer.step(closure, curvature_closure=other)
    assert closure.calls["product"] == 0 and other.calls["product"] > 0
    numpy.testing.assert_allclose(closure.theta - theta,
                                  -numpy.linalg.solve(2 * A, A @ theta - b), rtol=1e-8)


@pytest.mark.parametrize("norm", ["spherical", "rmsprop"])
def test_decreases_rosenbrock(norm):
    assert_decreases_rosenbrock(
        lambda params: TrustRegion(params, radius=0.5, norm=norm, max_cg_iter=10), 60)


def test_non_finite_trial_loss_is_rejected_and_raises_after_max_failures():
    A, b, theta = spd_quadratic(seed=6)
    closure = quadratic_finite_only_near(A, b, theta, 1e-9, numpy.inf)
    optimizer = TrustRegion(closure.params, radius=1.0, max_failures=5)
    for _ in range(4):
        optimizer.step(closure)
    numpy.testing.assert_array_equal(closure.theta, theta)
    assert optimizer.global_state["radius"] == pytest.approx(1 / 16)
    with pytest.raises(FloatingPointError, match="5 consecutive failed steps.*inf.*ratio -inf"):
        optimizer.step(closure)


@pytest.mark.parametrize("norm", ["spherical", "adam"])
def test_state_dict_round_trip(norm):
    assert_state_dict_round_trip(
        rosenbrock_closure, lambda params: TrustRegion(params, radius=0.3, norm=norm,
                                                       max_cg_iter=3))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(lr=1.5), "lr"), (dict(radius=0), "radius"), (dict(radius=2, max_radius=1), "max_radius"),
    (dict(eta1=0.8, eta2=0.5), "eta1, eta2"), (dict(gamma1=1.5), "gamma1"),
    (dict(gamma2=0.5), "gamma2"), (dict(norm="l1"), "norm"), (dict(beta=1.0), "beta"),
    (dict(eps=0), "eps"), (dict(max_cg_iter=0), "max_cg_iter"), (dict(cg_tol=0), "cg_tol"),
    (dict(curvature="kfac"), "curvature"), (dict(max_failures=0), "max_failures")])
def test_rejects_bad_hyper_parameters(kwargs, argument):
    assert_rejects_argument(TrustRegion, kwargs, argument)


def test_real_closure_linear_least_squares_in_one_step():
    assert_one_step_solves_least_squares(
        lambda params: TrustRegion(params, radius=1e3, max_radius=1e3, norm="rmsprop",
                                   max_cg_iter=50, cg_tol=1e-12), seed=7)


@pytest.mark.parametrize("curvature_batch", [False, True])
def test_one_forward_pass_per_step_plus_the_trial_loss(curvature_batch):
    assert_one_forward_per_evaluation(
        lambda params: TrustRegion(params, max_cg_iter=10, cg_tol=1e-12), curvature_batch)
