"""NewtonCG on quadratics with known minimisers, damping adaptation, divergence, state_dict."""
import numpy
import pytest

from optim.newton_cg import NewtonCG
from tests.optim.curvature_doubles import (SHAPES, QuadraticClosure, assert_decreases_rosenbrock,
                                           assert_one_forward_per_evaluation,
                                           assert_one_step_solves_least_squares,
                                           assert_rejects_argument, assert_state_dict_round_trip,
                                           quadratic_finite_only_near, rosenbrock_closure,
                                           spd_quadratic)


def test_one_step_solves_convex_quadratic():
    A, b, theta = spd_quadratic()
    closure = QuadraticClosure(A, b, theta, SHAPES)
    optimizer = NewtonCG(closure.params, damping=0.0, max_cg_iter=50, cg_tol=1e-12,
                         curvature="hessian")
    optimizer.step(closure)
    numpy.testing.assert_allclose(closure.theta, numpy.linalg.solve(A, b), rtol=1e-8)


def test_gauss_newton_curvature_uses_ggnvp():
    A, b, theta = spd_quadratic(seed=1)
    G = numpy.diag(numpy.arange(1.0, 11.0))
    closure = QuadraticClosure(A, b, theta, SHAPES, G=G)
    optimizer = NewtonCG(closure.params, lr=0.5, damping=0.3, max_cg_iter=50, cg_tol=1e-12,
                         curvature="ggn")
    optimizer.step(closure)
    expected = theta - 0.5 * numpy.linalg.solve(G + 0.3 * numpy.eye(10), A @ theta - b)
    numpy.testing.assert_allclose(closure.theta, expected, rtol=1e-8)


def test_damping_shrinks_when_model_is_exact_and_an_uphill_step_is_undone():
    A, b, theta = spd_quadratic(seed=2)
    closure = QuadraticClosure(A, b, theta, SHAPES)
    optimizer = NewtonCG(closure.params, damping=1.0, max_cg_iter=50, curvature="hessian")
    optimizer.step(closure)
    assert optimizer.global_state["damping"] == pytest.approx(2 / 3)

    closure = QuadraticClosure(A, b, theta, SHAPES, G=0.01 * A)
    optimizer = NewtonCG(closure.params, damping=1e-3, max_cg_iter=50, curvature="ggn")
    optimizer.step(closure)
    assert optimizer.global_state["damping"] == pytest.approx(1.5e-3)
    numpy.testing.assert_array_equal(closure.theta, theta)


def test_negative_curvature_at_first_iteration_gives_gradient_step():
    A = numpy.diag([-1.0, -2.0])
    closure = QuadraticClosure(A, numpy.zeros(2), numpy.array([0.5, 0.25]))
    optimizer = NewtonCG(closure.params, lr=0.1, damping=0.0, curvature="hessian")
    optimizer.step(closure)
    numpy.testing.assert_allclose(closure.theta, [0.5, 0.25] - 0.1 * (A @ [0.5, 0.25]))


def test_decreases_rosenbrock():
    assert_decreases_rosenbrock(
        lambda params: NewtonCG(params, damping=1.0, max_cg_iter=10, curvature="hessian"), 30)


def test_non_finite_trial_loss_is_undone_and_raises_after_max_failures():
    A, b, theta = spd_quadratic(seed=3)
    closure = quadratic_finite_only_near(A, b, theta, 1e-3, numpy.nan)
    optimizer = NewtonCG(closure.params, damping=1.0, max_failures=4)
    for _ in range(3):
        optimizer.step(closure)
    numpy.testing.assert_array_equal(closure.theta, theta)
    assert optimizer.global_state["damping"] == pytest.approx(1.5 ** 3)
    with pytest.raises(FloatingPointError, match="4 consecutive failed steps.*→ nan"):
        optimizer.step(closure)


def test_non_finite_loss_at_current_point_raises():
    A, b, theta = spd_quadratic(seed=4)
    closure = QuadraticClosure(A, b, theta)
    closure.diverged = True
    with pytest.raises(FloatingPointError, match="current parameters is nan"):
        NewtonCG(closure.params).step(closure)


def test_state_dict_round_trip():
    assert_state_dict_round_trip(
        rosenbrock_closure, lambda params: NewtonCG(params, damping=1.0, max_cg_iter=3,
                                                    curvature="hessian"))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(lr=0), "lr"), (dict(damping=-1), "damping"), (dict(max_cg_iter=0), "max_cg_iter"),
    (dict(cg_tol=1.5), "cg_tol"), (dict(curvature="fisher"), "curvature"),
    (dict(max_failures=0), "max_failures")])
def test_rejects_bad_hyper_parameters(kwargs, argument):
    assert_rejects_argument(NewtonCG, kwargs, argument)


@pytest.mark.parametrize("curvature", ["hessian", "ggn"])
def test_real_closure_linear_least_squares_in_one_step(curvature):
    assert_one_step_solves_least_squares(
        lambda params: NewtonCG(params, damping=0.0, max_cg_iter=50, cg_tol=1e-12,
                                curvature=curvature), seed=5)


@pytest.mark.parametrize("curvature", ["hessian", "ggn"])
def test_one_forward_pass_per_step_plus_the_trial_loss(curvature):
    assert_one_forward_per_evaluation(
        lambda params: NewtonCG(params, max_cg_iter=10, cg_tol=1e-12, curvature=curvature))
