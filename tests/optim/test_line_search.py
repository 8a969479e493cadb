"""Armijo gradient descent, the strong-Wolfe search and L-BFGS.

Known answers: Rosenbrock's minimiser (1, 1); the Armijo condition checked
independently at every accepted step; the two-loop recursion against the
dense BFGS inverse-Hessian update; failures on non-finite losses.
"""
import math

import numpy
import pytest

import minigrad
import optim
from optim.line_search import LineSearchError, armijo_backtracking, strong_wolfe
from tests.optim.closures import (AutogradClosure, diagonal_quadratic, host, parameter,
                                  rosenbrock_problem)
from tests.optim.curvature_doubles import rosenbrock, rosenbrock_gradient


@pytest.mark.parametrize("line_search_fn", ["strong_wolfe", "armijo"])
def test_lbfgs_converges_on_rosenbrock(line_search_fn):
    p, closure = rosenbrock_problem((-1.2, 1.0))
    optimizer = optim.LBFGS([p], lr=1, max_iter=200, tolerance_grad=1e-12,
                            tolerance_change=1e-16, line_search_fn=line_search_fn)
    for _ in range(5):
        optimizer.step(closure)
    numpy.testing.assert_allclose(host(p.data), [1.0, 1.0], atol=1e-6)


def test_lbfgs_without_line_search_decreases_a_quadratic():
    params, closure = diagonal_quadratic([numpy.array([1.0, 3.0, 10.0])], [numpy.zeros(3)],
                                         [numpy.array([1.0, -2.0, 0.5])])
    optimizer = optim.LBFGS(params, lr=1, max_iter=50, tolerance_grad=1e-12,
                            tolerance_change=1e-16)
    optimizer.step(closure)
    numpy.testing.assert_allclose(host(params[0].data), numpy.zeros(3), atol=1e-8)


def test_two_loop_recursion_equals_dense_bfgs_inverse_update():
    rng = numpy.random.default_rng(3)
    n, pairs = 5, 4
    steps = [rng.standard_normal(n) for _ in range(pairs)]
    curvature = rng.standard_normal((n, n))
    curvature = curvature @ curvature.T + n * numpy.eye(n)
    changes = [curvature @ s for s in steps]
    gamma = steps[-1] @ changes[-1] / (changes[-1] @ changes[-1])
    inverse = gamma * numpy.eye(n)
    for s, y in zip(steps, changes):
        rho = 1.0 / (y @ s)
        v = numpy.eye(n) - rho * numpy.outer(y, s)
        inverse = v.T @ inverse @ v + rho * numpy.outer(s, s)
    g = rng.standard_normal(n)
    direction = optim.LBFGS._two_loop(g, changes, steps, [1.0 / (y @ s) for s, y in
                                                          zip(steps, changes)], gamma)
    numpy.testing.assert_allclose(direction, -inverse @ g, rtol=1e-10)


def test_lbfgs_strong_wolfe_keeps_its_own_bracket_tolerance(monkeypatch):
    """As torch.optim.LBFGS: tolerance_change stops the outer loop, not the Wolfe zoom."""
    import optim.lbfgs
    calls = []

    def recording_strong_wolfe(*args, **kwargs):
        calls.append(kwargs)
        return strong_wolfe(*args, **kwargs)
    monkeypatch.setattr(optim.lbfgs, "strong_wolfe", recording_strong_wolfe)
    p, closure = rosenbrock_problem((-1.2, 1.0))
    optim.LBFGS([p], max_iter=2, tolerance_change=1e-3, line_search_fn="strong_wolfe").step(closure)
    assert calls and all("tolerance_change" not in kwargs for kwargs in calls)


def test_lbfgs_skips_pairs_without_positive_curvature():
    p = parameter([1.0, -1.0])

    def loss_fn():
        return (p * p).sum() * -1.0
    optimizer = optim.LBFGS([p], lr=0.1, max_iter=3, tolerance_change=0.0)
    optimizer.step(AutogradClosure(loss_fn, [p]))
    assert optimizer.state[p]["old_dirs"] == []


def test_gd_armijo_accepts_only_sufficient_decrease():
    p, closure = rosenbrock_problem((-1.2, 1.0))
    c = 1e-4
    optimizer = optim.GradientDescentLineSearch([p], lr=1.0, rho=0.5, c=c)
    losses = []
    for _ in range(50):
        start = host(p.data).copy()
        loss = optimizer.step(closure).item()
        t = optimizer.state[p]["step_size"]
        moved = host(p.data)
        numpy.testing.assert_allclose(moved, start - t * rosenbrock_gradient(start), rtol=1e-12)
        new_loss = rosenbrock(moved)
        assert new_loss <= loss - c * t * rosenbrock_gradient(start) @ rosenbrock_gradient(start)
        assert t == 0.5 ** round(math.log(t, 0.5))
        losses.append(new_loss)
    assert losses[-1] < 4.0 < 24.2


def test_gd_armijo_takes_the_full_step_when_it_suffices():
    params, closure = diagonal_quadratic([numpy.array([0.5, 0.5])], [numpy.zeros(2)],
                                         [numpy.array([1.0, 2.0])])
    optimizer = optim.GradientDescentLineSearch(params)
    optimizer.step(closure)
    assert optimizer.state[params[0]]["step_size"] == 1.0
    numpy.testing.assert_allclose(host(params[0].data), [0.5, 1.0])


def overflowing_closure():
    """A loss that is finite only for |x| < 1: a large step gives inf."""
    p = parameter([0.5])

    def loss_fn():
        x = p[0]
        return -((1 - x * x).log()) * 1.0
    return p, AutogradClosure(loss_fn, [p])


def test_nonfinite_trial_losses_shrink_the_step():
    p, closure = overflowing_closure()
    optimizer = optim.GradientDescentLineSearch([p], lr=100.0)
    with numpy.errstate(all="ignore"):
        optimizer.step(closure)
    assert abs(host(p.data)[0]) < 0.5


def test_armijo_raises_after_max_backtracks_nonfinite():
    p, closure = overflowing_closure()
    optimizer = optim.GradientDescentLineSearch([p], lr=1e6, max_backtracks=3)
    with numpy.errstate(all="ignore"), pytest.raises(LineSearchError,
                                                     match="3 trials.*3 gave a non-finite loss"):
        optimizer.step(closure)
    numpy.testing.assert_array_equal(host(p.data), [0.5])


def test_armijo_helper_reports_insufficient_decrease():
    with pytest.raises(LineSearchError, match="2 did not decrease"):
        armijo_backtracking(lambda t: (1.0,), 1.0, -1.0, 1.0, max_backtracks=2)
    with pytest.raises(LineSearchError, match="descent direction"):
        armijo_backtracking(lambda t: (1.0,), 1.0, 0.5, 1.0)


def test_strong_wolfe_step_satisfies_both_conditions():
    scale = numpy.array([1.0, 10.0])

    def evaluate(t):
        x = start + t * direction
        return 0.5 * float(x @ (scale * x)), scale * x

    start = numpy.array([1.0, 1.0])
    grad = scale * start
    direction = -grad
    loss = 0.5 * float(start @ (scale * start))
    new_loss, new_grad, t, _ = strong_wolfe(evaluate, direction, loss, grad, 1.0)
    slope = grad @ direction
    assert new_loss <= loss + 1e-4 * t * slope
    assert abs(new_grad @ direction) <= 0.9 * abs(slope)


def test_strong_wolfe_raises_after_repeated_nonfinite_losses():
    direction = numpy.array([-1.0])
    with pytest.raises(LineSearchError, match="non-finite at 25 trial steps"):
        strong_wolfe(lambda t: (math.inf, numpy.array([1.0])), direction, 1.0,
                     numpy.array([1.0]), 1.0)


def test_lbfgs_armijo_raises_on_persistent_nonfinite_losses():
    p = parameter([0.5])

    def loss_fn():
        return p.sum() * minigrad.tensor(numpy.float64(math.nan)) + p.sum()
    optimizer = optim.LBFGS([p], line_search_fn="armijo")
    with numpy.errstate(all="ignore"), pytest.raises(LineSearchError, match="non-finite"):
        optimizer.step(LossAfterFirst(loss_fn, p))


class LossAfterFirst(AutogradClosure):
    """Finite at the starting point (loss = x), NaN everywhere else."""

    def __init__(self, loss_fn, p):
        super().__init__(loss_fn, [p])
        self.start = host(p.data).copy()

    def __call__(self):
        if numpy.array_equal(host(self.params[0].data), self.start):
            self.params[0].grad = None
            loss = self.params[0].sum()
            loss.backward()
            return loss
        return super().__call__()


@pytest.mark.parametrize("hyper, argument", [
    ({"lr": 0}, "lr"), ({"rho": 1.0}, "rho"), ({"c": 0.0}, "c"),
    ({"max_backtracks": 0}, "max_backtracks")])
def test_gd_armijo_invalid_arguments(hyper, argument):
    with pytest.raises(ValueError, match=argument):
        optim.GradientDescentLineSearch([parameter([1.0])], **hyper)


def test_lbfgs_invalid_arguments():
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([parameter([1.0])], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS([parameter([1.0])], history_size=0)
