"""Step-size rules with known answers: the trust-region radius update and Armijo's largest step.

Trust region (Adolphs, Kohler & Lucchi 2019, eq. 7; ``optim/trust_region.py``): Δ grows by
γ2 (capped at Δ_max) only when ρ > η2 *and* the step reached the boundary; an accepted
interior step keeps Δ. On a quadratic with exact curvature the model is exact, so ρ = 1.

The trust-region checks use the NumPy quadratic double of ``curvature_doubles.py`` and
skip on a device backend (as ``test_trust_region.py``'s do).

Armijo backtracking (Salkey, Benton & Maddox 2019, Algorithm 1) returns the largest
``lr·ρᵏ`` that satisfies ``L(θ + t d) ≤ L(θ) + c t gᵀd``. For ``L = ½ h x²`` along
``d = −g`` the condition reads ``t ≤ 2(1 − c)/h``, so the answer is known in closed form.
"""
import numpy
import pytest

import minigrad
import optim
from optim.line_search import armijo_backtracking
from optim.trust_region import TrustRegion
from tests.optim.closures import diagonal_quadratic, host
from tests.conftest import HOST_ONLY_REASON
from tests.optim.curvature_doubles import SHAPES, QuadraticClosure, spd_quadratic

host_only = pytest.mark.skipif(minigrad.backend_name() != "numpy", reason=HOST_ONLY_REASON)


def _newton_step(seed):
    A, b, theta = spd_quadratic(seed=seed)
    return A, b, theta, -numpy.linalg.solve(A, A @ theta - b)


@host_only
def test_interior_step_keeps_the_radius():
    A, b, theta, newton = _newton_step(2)
    radius = 2 * numpy.linalg.norm(newton)
    closure = QuadraticClosure(A, b, theta, SHAPES)
    optimizer = TrustRegion(closure.params, radius=radius, max_radius=10 * radius,
                            max_cg_iter=50, cg_tol=1e-12)
    optimizer.step(closure)
    numpy.testing.assert_allclose(closure.theta - theta, newton, rtol=1e-8)
    assert optimizer.global_state["ratio"] == pytest.approx(1.0)
    assert optimizer.global_state["radius"] == radius


@host_only
def test_boundary_step_with_good_ratio_grows_the_radius_up_to_the_cap():
    A, b, theta, newton = _newton_step(2)
    radius = 0.25 * numpy.linalg.norm(newton)
    radii = []
    for max_radius, gamma2 in ((10 * radius, 2.0), (1.5 * radius, 3.0)):
        closure = QuadraticClosure(A, b, theta, SHAPES)
        optimizer = TrustRegion(closure.params, radius=radius, max_radius=max_radius,
                                gamma2=gamma2, max_cg_iter=50, cg_tol=1e-12)
        optimizer.step(closure)
        assert numpy.linalg.norm(closure.theta - theta) == pytest.approx(radius)
        assert optimizer.global_state["ratio"] > 0.75
        radii.append(optimizer.global_state["radius"])
    assert radii == [pytest.approx(2 * radius), pytest.approx(1.5 * radius)]


def _quadratic_line(h):
    return lambda t: (0.5 * h * (1 - t) ** 2,)


@pytest.mark.parametrize("step, expected, evaluations", [
    (7.99, 7.99 / 4, 3), (1.9, 1.9, 1), (100.0, 100.0 / 64, 7)])
def test_armijo_returns_the_largest_valid_step(step, expected, evaluations):
    """``L(t) = ½ (1 − t)²`` from x = 1, slope −1, c = 1e-4: valid steps are t ≤ 1.9998."""
    t, result, count = armijo_backtracking(_quadratic_line(1.0), 0.5, -1.0, step, rho=0.5)
    assert t == expected and count == evaluations
    assert result == _quadratic_line(1.0)(t)
    assert t <= 2 * (1 - 1e-4) < t / 0.5


def test_armijo_condition_bound_uses_c_and_rho():
    """With c = 0.4 the bound is t ≤ 1.2; from 3 with ρ = 0.7 the grid is 3, 2.1, 1.47, 1.029."""
    t, _, count = armijo_backtracking(_quadratic_line(1.0), 0.5, -1.0, 3.0, rho=0.7, c=0.4)
    assert count == 4 and t == pytest.approx(3.0 * 0.7 ** 3)


def test_gradient_descent_line_search_moves_by_the_largest_valid_step():
    """``L = ½ Σ h x²`` with h = (1, 1), x = (1, −2): valid steps t ≤ 1.9998, lr 7.99 → 7.99/4."""
    params, closure = diagonal_quadratic([numpy.ones(2)], [numpy.zeros(2)],
                                         [numpy.array([1.0, -2.0])])
    optimizer = optim.GradientDescentLineSearch(params, lr=7.99)
    optimizer.step(closure)
    t = optimizer.state[params[0]]["step_size"]
    assert t == 7.99 / 4
    numpy.testing.assert_allclose(host(params[0].data), (1 - t) * numpy.array([1.0, -2.0]),
                                  rtol=1e-14)


@host_only
def test_default_radius_is_one():
    """From the defaults (Δ = 1) a Newton step longer than 1 is cut to the boundary ‖s‖ = 1."""
    A, b, theta, newton = _newton_step(2)
    scale = 3.0 / numpy.linalg.norm(newton)
    closure = QuadraticClosure(A, b * scale, theta * scale, SHAPES)
    optimizer = TrustRegion(closure.params, max_cg_iter=50, cg_tol=1e-12)
    optimizer.step(closure)
    assert numpy.linalg.norm(closure.theta - theta * scale) == pytest.approx(1.0)
    assert optimizer.global_state["radius"] == pytest.approx(2.0)
