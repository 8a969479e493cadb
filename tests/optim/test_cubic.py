"""CubicRegularization (ARC) and its Lanczos subproblem solver."""
import math

import numpy
import pytest

from optim.cubic import CubicRegularization, minimize_small_cubic, solve_cubic_subproblem
from tests.optim.curvature_doubles import (FunctionClosure, assert_decreases_rosenbrock,
                                           assert_one_forward_per_evaluation,
                                           assert_rejects_argument, assert_state_dict_round_trip,
                                           quadratic_finite_only_near, rosenbrock_closure)


def cubic_model(g, B, sigma, s):
    return g @ s + 0.5 * s @ B @ s + sigma / 3 * numpy.linalg.norm(s) ** 3


@pytest.mark.parametrize("g, h, sigma", [(2.0, 1.0, 0.5), (-1.0, -3.0, 2.0), (0.3, 0.0, 1.0)])
def test_one_dimensional_cubic_matches_closed_form(g, h, sigma):
    """min g s + ½ h s² + σ/3 |s|³: s = −sign(g) (−h + sqrt(h² + 4σ|g|)) / (2σ)."""
    expected = -math.copysign(1, g) * (-h + math.sqrt(h * h + 4 * sigma * abs(g))) / (2 * sigma)
    result = solve_cubic_subproblem(lambda v: h * v, numpy.array([g]), sigma)
    assert result.step[0] == pytest.approx(expected, rel=1e-10)
    assert result.model_decrease == pytest.approx(
        -cubic_model(numpy.array([g]), numpy.array([[h]]), sigma, result.step), rel=1e-10)


def global_cubic_minimum(g, B, sigma, grid=4001):
    """Dense reference: the minimiser solves (B + λI)s = −g, λ = σ‖s‖, λ ≥ max(0, −λ_min)."""
    eigenvalues = numpy.linalg.eigvalsh(B)
    lower = max(0.0, -eigenvalues[0])
    candidates = lower + numpy.geomspace(1e-9, 1e3, grid)
    best = None
    for lam in candidates:
        s = -numpy.linalg.solve(B + lam * numpy.eye(len(g)), g)
        if best is None or abs(numpy.linalg.norm(s) - lam / sigma) < best[0]:
            best = (abs(numpy.linalg.norm(s) - lam / sigma), s)
    return best[1]


def test_full_krylov_space_gives_global_minimiser_of_indefinite_cubic():
    rng = numpy.random.default_rng(0)
    q, _ = numpy.linalg.qr(rng.standard_normal((5, 5)))
    B = q @ numpy.diag([2.0, 1.0, 0.3, -0.4, -1.5]) @ q.T
    g = rng.standard_normal(5)
    result = solve_cubic_subproblem(lambda v: B @ v, g, sigma=0.7, max_iter=5, tol=1e-12)
    reference = global_cubic_minimum(g, B, 0.7)
    assert cubic_model(g, B, 0.7, result.step) <= cubic_model(g, B, 0.7, reference) + 1e-9
    lam = 0.7 * numpy.linalg.norm(result.step)
    numpy.testing.assert_allclose((B + lam * numpy.eye(5)) @ result.step, -g, atol=1e-8)
    assert lam >= 1.5 - 1e-9


def test_hard_case_uses_the_eigenvector():
    """g ⟂ the negative-curvature eigenvector: y = (−1/3, ±sqrt(8/9)), λ = σ‖y‖ = 1."""
    T = numpy.diag([2.0, -1.0])
    y = minimize_small_cubic(T, 1.0, sigma=1.0)
    assert y[0] == pytest.approx(-1 / 3)
    assert abs(y[1]) == pytest.approx(math.sqrt(8 / 9))
    g = numpy.array([1.0, 0.0])
    assert cubic_model(g, T, 1.0, y) == pytest.approx(-1 / 3)
    assert cubic_model(g, T, 1.0, y) < cubic_model(g, T, 1.0, numpy.array([-1 / 3, 0.0]))


@pytest.mark.parametrize("norm, factor", [("spherical", 1e-2), ("rmsprop", 0.1)])
def test_arc_decreases_nonconvex_rosenbrock(norm, factor):
    assert_decreases_rosenbrock(
        lambda params: CubicRegularization(params, sigma=1.0, norm=norm, max_krylov_iter=4), 60,
        factor)


def test_sigma_update_and_exact_step_on_one_dimensional_quartic():
    """f(θ) = θ²/2 + θ⁴/4 from θ = 1: one step is the 1-D cubic minimiser with g = 2, h = 4."""
    closure = FunctionClosure(lambda t: float(t[0] ** 2 / 2 + t[0] ** 4 / 4),
                              lambda t: t + t ** 3, lambda t: numpy.diag(1 + 3 * t ** 2), [1.0])
    optimizer = CubicRegularization(closure.params, sigma=3.0)
    optimizer.step(closure)
    step = -(-4 + math.sqrt(16 + 4 * 3.0 * 2)) / (2 * 3.0)
    assert closure.theta[0] == pytest.approx(1 + step, rel=1e-12)
    assert optimizer.global_state["ratio"] > 0.9
    assert optimizer.global_state["sigma"] == pytest.approx(1.5)


def test_non_finite_trial_loss_raises_after_max_failures():
    A = numpy.diag([1.0, 2.0])
    theta = numpy.array([1.0, 1.0])
    closure = quadratic_finite_only_near(A, numpy.zeros(2), theta, 1e-12, numpy.nan)
    optimizer = CubicRegularization(closure.params, sigma=1.0, max_failures=3)
    for _ in range(2):
        optimizer.step(closure)
    assert optimizer.global_state["sigma"] == pytest.approx(4.0)
    numpy.testing.assert_array_equal(closure.theta, theta)
    with pytest.raises(FloatingPointError, match="3 consecutive failed steps.*nan"):
        optimizer.step(closure)


@pytest.mark.parametrize("norm", ["spherical", "adagrad"])
def test_state_dict_round_trip(norm):
    assert_state_dict_round_trip(
        rosenbrock_closure, lambda params: CubicRegularization(params, sigma=100.0, norm=norm,
                                                               max_krylov_iter=3))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(lr=0), "lr"), (dict(sigma=0), "sigma"), (dict(min_sigma=2.0), "min_sigma"),
    (dict(gamma=1.0), "gamma"), (dict(eta1=0.95), "eta1, eta2"), (dict(norm="full"), "norm"),
    (dict(max_krylov_iter=0), "max_krylov_iter"), (dict(krylov_tol=0), "krylov_tol"),
    (dict(curvature="kfac"), "curvature")])
def test_rejects_bad_hyper_parameters(kwargs, argument):
    assert_rejects_argument(CubicRegularization, kwargs, argument)


@pytest.mark.parametrize("curvature", ["hessian", "ggn"])
def test_one_forward_pass_per_step_plus_the_trial_loss(curvature):
    assert_one_forward_per_evaluation(
        lambda params: CubicRegularization(params, max_krylov_iter=10, krylov_tol=1e-12,
                                           curvature=curvature))
