"""Conjugate gradients and Steihaug-Toint CG against dense NumPy solutions."""
import numpy
import pytest

from optim.cg import conjugate_gradient, steihaug_cg


def spd_matrix(n, seed, shift=0.5):
    rng = numpy.random.default_rng(seed)
    q = rng.standard_normal((n, n))
    return q @ q.T / n + shift * numpy.eye(n)


def symmetric_matrix(eigenvalues, seed):
    rng = numpy.random.default_rng(seed)
    q, _ = numpy.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    return q @ numpy.diag(eigenvalues) @ q.T


def test_conjugate_gradient_solves_spd_system():
    A = spd_matrix(8, seed=0)
    b = numpy.random.default_rng(1).standard_normal(8)
    result = conjugate_gradient(lambda v: A @ v, b, max_iter=50, tol=1e-12)
    numpy.testing.assert_allclose(result.solution, numpy.linalg.solve(A, b), rtol=1e-9)
    numpy.testing.assert_allclose(result.residual, b - A @ result.solution, atol=1e-9)
    assert result.iterations <= 8 + 1 and not result.negative_curvature


def test_conjugate_gradient_truncates_and_reports_residual():
    A = spd_matrix(10, seed=2)
    b = numpy.ones(10)
    result = conjugate_gradient(lambda v: A @ v, b, max_iter=2, tol=1e-12)
    assert result.iterations == 2
    numpy.testing.assert_allclose(result.residual, b - A @ result.solution, atol=1e-12)


def test_conjugate_gradient_stops_on_negative_curvature():
    A = numpy.diag([1.0, -1.0])
    b = numpy.array([1.0, 1.0])
    result = conjugate_gradient(lambda v: A @ v, b)
    assert result.negative_curvature and result.iterations == 0
    numpy.testing.assert_allclose(result.solution, b)


def test_steihaug_interior_matches_exact_solution():
    A = spd_matrix(6, seed=3)
    g = numpy.random.default_rng(4).standard_normal(6)
    exact = -numpy.linalg.solve(A, g)
    result = steihaug_cg(lambda v: A @ v, g, radius=10 * numpy.linalg.norm(exact),
                         max_iter=50, tol=1e-12)
    assert result.stop_reason == "converged"
    numpy.testing.assert_allclose(result.step, exact, rtol=1e-8)
    numpy.testing.assert_allclose(result.model_decrease, -(g @ exact + 0.5 * exact @ A @ exact))


def test_steihaug_stops_on_boundary_with_negative_curvature():
    A = symmetric_matrix([2.0, 1.0, -1.0, 3.0], seed=5)
    g = numpy.array([0.3, -0.2, 0.5, 0.1])
    radius = 0.7
    result = steihaug_cg(lambda v: A @ v, g, radius=radius, max_iter=50, tol=1e-12)
    assert result.stop_reason in ("negative_curvature", "boundary")
    assert numpy.linalg.norm(result.step) == pytest.approx(radius, rel=1e-10)
    model = g @ result.step + 0.5 * result.step @ A @ result.step
    assert result.model_decrease == pytest.approx(-model, rel=1e-10)
    cauchy = -radius * g / numpy.linalg.norm(g)
    assert model <= g @ cauchy + 0.5 * cauchy @ A @ cauchy + 1e-12


def test_steihaug_first_direction_negative_curvature_is_steepest_descent_to_boundary():
    A = -numpy.eye(3)
    g = numpy.array([1.0, 2.0, 2.0])
    result = steihaug_cg(lambda v: A @ v, g, radius=2.0)
    assert result.stop_reason == "negative_curvature"
    numpy.testing.assert_allclose(result.step, -2.0 * g / 3.0)


def test_steihaug_boundary_when_newton_step_is_outside():
    A = spd_matrix(5, seed=6)
    g = numpy.random.default_rng(7).standard_normal(5)
    radius = 0.25 * numpy.linalg.norm(numpy.linalg.solve(A, g))
    result = steihaug_cg(lambda v: A @ v, g, radius=radius, max_iter=50, tol=1e-12)
    assert result.stop_reason == "boundary"
    assert numpy.linalg.norm(result.step) == pytest.approx(radius)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="radius"):
        steihaug_cg(lambda v: v, numpy.ones(2), radius=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        conjugate_gradient(lambda v: v, numpy.ones(2), max_iter=0)
