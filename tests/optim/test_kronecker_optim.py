"""KFAC/KFRA/KFLR optimizers: exact Gauss-Newton step on a linear model, damping and π,
running averages, inverse period, momentum, uncovered parameters, state_dict."""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from optim.kronecker import KFAC, KFLR, KFRA, damped_inverses
from tests.minigrad.curvature.layerwise_reference import no_kronecker_case
from tests.optim.curvature_doubles import (LinearRegressionClosure,
                                           assert_one_step_solves_least_squares,
                                           assert_state_dict_round_trip, least_squares)


def regression_data(seed=0, n=12, features=3, outputs=2):
    rng = numpy.random.default_rng(seed)
    return rng.standard_normal((n, features)), rng.standard_normal((n, outputs))


def test_kflr_step_on_linear_mse_is_the_exact_gauss_newton_step():
    x, y = regression_data()
    closure = LinearRegressionClosure(x, y)
    optimizer = KFLR(closure.params, lr=1.0, damping=1e-20, decay=0.0)
    optimizer.step(closure)
    weight, bias = least_squares(x, y)
    numpy.testing.assert_allclose(closure.model.weight.data, weight, rtol=1e-6, atol=1e-9)
    numpy.testing.assert_allclose(closure.model.bias.data, bias, rtol=1e-6, atol=1e-9)


def test_damped_step_matches_dense_kronecker_solve():
    x, y = regression_data(seed=1)
    closure = LinearRegressionClosure(x, y)
    before = [p.data.copy() for p in closure.params]
    damping, lr = 0.3, 0.7
    optimizer = KFLR(closure.params, lr=lr, damping=damping, decay=0.0)
    optimizer.step(closure)
    grad_w, grad_b = (p.grad.numpy() for p in closure.params)
    design = numpy.concatenate([x, numpy.ones((len(x), 1))], axis=1)
    A = design.T @ design / len(x)
    G = numpy.eye(2) * 2.0 / 2
    pi = numpy.sqrt((numpy.trace(A) / 4) / (numpy.trace(G) / 2))
    dense = numpy.kron(G + numpy.sqrt(damping) / pi * numpy.eye(2),
                       A + pi * numpy.sqrt(damping) * numpy.eye(4))
    gradient = numpy.concatenate([grad_w, grad_b[:, None]], axis=1).ravel()
    update = numpy.linalg.solve(dense, gradient).reshape(2, 4)
    weight, bias = closure.params
    numpy.testing.assert_allclose(weight.data, before[0] - lr * update[:, :3], rtol=1e-10)
    numpy.testing.assert_allclose(bias.data, before[1] - lr * update[:, 3], rtol=1e-10)


def test_pi_adjusted_damping_by_hand():
    A = numpy.diag([1.0, 2.0, 3.0])
    G = numpy.diag([6.0, 10.0])
    a_inverse, g_inverse, pi = damped_inverses(A, G, damping=0.04)
    assert pi == pytest.approx(0.5)
    numpy.testing.assert_allclose(a_inverse, numpy.diag(1 / numpy.array([1.1, 2.1, 3.1])))
    numpy.testing.assert_allclose(g_inverse, numpy.diag(1 / numpy.array([6.4, 10.4])))


def test_running_averages_and_inverse_period():
    x1, y1 = regression_data(seed=2)
    x2, y2 = regression_data(seed=3)
    first = LinearRegressionClosure(x1, y1)
    second = first.with_data(x2, y2)
    optimizer = KFLR(first.params, lr=0.1, damping=0.1, decay=0.8, inverse_period=2)
    optimizer.step(first)
    A1 = first.kronecker_factors("kflr")[0].A
    inverse_after_first = optimizer.state[first.params[0]]["A_inverse"].copy()
    optimizer.step(second)
    A2 = second.kronecker_factors("kflr")[0].A
    state = optimizer.state[first.params[0]]
    numpy.testing.assert_allclose(state["A"], 0.8 * A1 + 0.2 * A2)
    numpy.testing.assert_array_equal(state["A_inverse"], inverse_after_first)
    averaged_A, averaged_G = state["A"].copy(), state["G"].copy()
    optimizer.step(first)
    expected, _, _ = damped_inverses(0.8 * averaged_A + 0.2 * A1, averaged_G, 0.1)
    numpy.testing.assert_allclose(optimizer.state[first.params[0]]["A_inverse"], expected)


def test_momentum_is_heavy_ball_on_the_preconditioned_direction():
    x, y = regression_data(seed=4)
    closure = LinearRegressionClosure(x, y)
    plain = LinearRegressionClosure(x, y)
    with_momentum = KFLR(closure.params, lr=0.2, damping=0.5, decay=0.0, momentum=0.9)
    without = KFLR(plain.params, lr=0.2, damping=0.5, decay=0.0)
    without.step(plain)
    first_direction = (closure.theta - plain.theta) / 0.2
    with_momentum.step(closure)
    numpy.testing.assert_allclose(closure.theta, plain.theta)
    start = plain.theta.copy()
    without.step(plain)
    second_direction = (start - plain.theta) / 0.2
    with_momentum.step(closure)
    numpy.testing.assert_allclose(closure.theta,
                                  start - 0.2 * (0.9 * first_direction + second_direction))


def test_parameters_outside_kronecker_layers_take_sgd_steps():
    x, y = regression_data(seed=5)
    closure = LinearRegressionClosure(x, y)
    extra = nn.Parameter(minigrad.tensor(numpy.ones(3)))
    extra.grad = minigrad.tensor(numpy.array([1.0, -2.0, 0.5]))
    optimizer = KFLR(closure.params + [extra], lr=0.1, damping=0.1)
    optimizer.step(closure)
    numpy.testing.assert_allclose(extra.data, [0.9, 1.2, 0.95])


class RecordingClosure(LinearRegressionClosure):
    def kronecker_factors(self, kind, mc_samples=1, seed=None):
        self.requests.append((kind, mc_samples, seed))
        return super().kronecker_factors(kind, mc_samples, seed)


@pytest.mark.parametrize("optimizer_class, kind", [(KFAC, "kfac"), (KFRA, "kfra"), (KFLR, "kflr")])
def test_each_class_asks_for_its_factor_kind(optimizer_class, kind):
    x, y = regression_data(seed=6)
    closure = RecordingClosure(x, y)
    closure.requests = []
    optimizer = optimizer_class(closure.params, mc_samples=3, seed=10)
    optimizer.step(closure)
    optimizer.step(closure)
    if kind == "kfac":
        assert closure.requests == [("kfac", 3, 10), ("kfac", 3, 11)]
    else:
        assert closure.requests == [(kind, 1, None)] * 2


def test_shape_mismatch_names_the_layer():
    x, y = regression_data(seed=7)
    closure = LinearRegressionClosure(x, y, bias=False)
    closure.bias = True
    with pytest.raises(ValueError, match=r"give a matrix \(2, 3\) but the factors are A \(4, 4\)"):
        KFLR(closure.params).step(closure)


def test_state_dict_round_trip():
    x, y = regression_data(seed=8)
    assert_state_dict_round_trip(
        lambda: LinearRegressionClosure(x, y),
        lambda params: KFLR(params, lr=0.3, damping=0.2, decay=0.9, inverse_period=2,
                            momentum=0.5))


@pytest.mark.parametrize("kwargs, argument", [
    (dict(lr=0), "lr"), (dict(damping=0), "damping"), (dict(decay=1.0), "decay"),
    (dict(inverse_period=0), "inverse_period"), (dict(momentum=1.0), "momentum"),
    (dict(mc_samples=0), "mc_samples")])
def test_rejects_bad_hyper_parameters(kwargs, argument):
    x, y = regression_data()
    with pytest.raises(ValueError, match=f"invalid {argument}="):
        KFAC(LinearRegressionClosure(x, y).params, **kwargs)


@pytest.mark.parametrize("optimizer_class", [KFLR, KFRA])
def test_real_closure_one_layer_mse_step_is_least_squares(optimizer_class):
    """For one Linear layer, KFLR and KFRA factors give the exact Gauss-Newton = Hessian."""
    assert_one_step_solves_least_squares(
        lambda params: optimizer_class(params, lr=1.0, damping=1e-20, decay=0.0), seed=9,
        rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("optimizer_class", [optim.KFAC, optim.KFLR, optim.KFRA])
def test_kronecker_optimizers_refuse_parameters_without_factors(optimizer_class):
    model, loss, x, y = no_kronecker_case()

    class NoFactors(curvature.Closure):
        def kronecker_factors(self, kind, mc_samples=1, seed=None):
            return []

    optimizer = optimizer_class(model.parameters())
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="plain gradient step"):
        optimizer.step(NoFactors(model, loss, x, y))
    for p, data in zip(model.parameters(), before):
        numpy.testing.assert_array_equal(minigrad.to_host(p.data), minigrad.to_host(data))
