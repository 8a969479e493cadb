"""SGD, Adagrad, RMSprop, Adam, AdamW: three steps against independent NumPy loops.

The problem is a diagonal quadratic over two parameters (a vector and a
matrix), gradient ``h ⊙ (θ − c)``; each reference loop restates the update of
the optimizer's documentation in plain NumPy.
"""
import numpy
import pytest

import optim
from tests.optim.closures import diagonal_quadratic, host

CURVATURES = [numpy.array([1.0, 2.0, 0.5]), numpy.array([[3.0, 0.2], [1.5, 4.0]])]
CENTRES = [numpy.array([0.5, -1.0, 2.0]), numpy.array([[1.0, 0.0], [-2.0, 0.3]])]
STARTS = [numpy.array([1.0, 1.0, -1.0]), numpy.array([[0.0, 2.0], [1.0, -1.0]])]
STEPS = 3


def gradient(thetas):
    return [h * (t - c) for h, t, c in zip(CURVATURES, thetas, CENTRES)]


def run_optimizer(cls, **hyper):
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    optimizer = cls(params, **hyper)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        optimizer.step(closure)
        trajectory.append([host(p.data).copy() for p in params])
    return trajectory


def run_reference(update, initial_state):
    thetas = [s.copy() for s in STARTS]
    states = [initial_state(t) for t in thetas]
    trajectory = []
    for step in range(1, STEPS + 1):
        grads = gradient(thetas)
        thetas = [update(t, g, s, step) for t, g, s in zip(thetas, grads, states)]
        trajectory.append([t.copy() for t in thetas])
    return trajectory


def assert_same(trajectory, expected):
    for got_step, want_step in zip(trajectory, expected):
        for got, want in zip(got_step, want_step):
            numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("momentum, dampening, nesterov, weight_decay", [
    (0.0, 0.0, False, 0.0), (0.9, 0.0, False, 0.0), (0.9, 0.3, False, 0.0),
    (0.9, 0.0, True, 0.0), (0.5, 0.0, False, 0.1), (0.8, 0.0, True, 0.05)])
def test_sgd_matches_reference(momentum, dampening, nesterov, weight_decay):
    lr = 0.1

    def update(theta, g, state, step):
        g = g + weight_decay * theta
        if momentum:
            state["b"] = g.copy() if step == 1 else momentum * state["b"] + (1 - dampening) * g
            g = g + momentum * state["b"] if nesterov else state["b"]
        return theta - lr * g

    expected = run_reference(update, lambda t: {})
    assert_same(run_optimizer(optim.SGD, lr=lr, momentum=momentum, dampening=dampening,
                              nesterov=nesterov, weight_decay=weight_decay), expected)


@pytest.mark.parametrize("lr_decay, weight_decay, initial", [(0.0, 0.0, 0.0), (0.1, 0.05, 0.2)])
def test_adagrad_matches_reference(lr_decay, weight_decay, initial):
    lr, eps = 0.5, 1e-10

    def update(theta, g, state, step):
        g = g + weight_decay * theta
        state["s"] = state["s"] + g * g
        return theta - lr / (1 + (step - 1) * lr_decay) * g / (numpy.sqrt(state["s"]) + eps)

    expected = run_reference(update, lambda t: {"s": numpy.full_like(t, initial)})
    assert_same(run_optimizer(optim.Adagrad, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial), expected)


@pytest.mark.parametrize("centered, momentum, weight_decay", [
    (False, 0.0, 0.0), (True, 0.0, 0.0), (False, 0.9, 0.0), (True, 0.7, 0.1)])
def test_rmsprop_matches_reference(centered, momentum, weight_decay):
    lr, alpha, eps = 0.01, 0.9, 1e-8

    def update(theta, g, state, step):
        g = g + weight_decay * theta
        state["v"] = alpha * state["v"] + (1 - alpha) * g * g
        if centered:
            state["m"] = alpha * state["m"] + (1 - alpha) * g
            denominator = numpy.sqrt(state["v"] - state["m"] ** 2) + eps
        else:
            denominator = numpy.sqrt(state["v"]) + eps
        if momentum:
            state["b"] = momentum * state["b"] + g / denominator
            return theta - lr * state["b"]
        return theta - lr * g / denominator

    zeros = lambda t: {"v": numpy.zeros_like(t), "m": numpy.zeros_like(t), "b": numpy.zeros_like(t)}
    expected = run_reference(update, zeros)
    assert_same(run_optimizer(optim.RMSprop, lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                              centered=centered, weight_decay=weight_decay), expected)


@pytest.mark.parametrize("cls, weight_decay, amsgrad", [
    (optim.Adam, 0.0, False), (optim.Adam, 0.1, False), (optim.Adam, 0.0, True),
    (optim.AdamW, 0.1, False), (optim.AdamW, 0.1, True)])
def test_adam_family_matches_reference(cls, weight_decay, amsgrad):
    lr, beta1, beta2, eps = 0.1, 0.8, 0.9, 1e-8
    decoupled = cls is optim.AdamW

    def update(theta, g, state, step):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        state["vmax"] = numpy.maximum(state["vmax"], state["v"])
        v = state["vmax"] if amsgrad else state["v"]
        m_hat = state["m"] / (1 - beta1 ** step)
        v_hat = v / (1 - beta2 ** step)
        return theta - lr * m_hat / (numpy.sqrt(v_hat) + eps)

    zeros = lambda t: {"m": numpy.zeros_like(t), "v": numpy.zeros_like(t),
                       "vmax": numpy.zeros_like(t)}
    expected = run_reference(update, zeros)
    assert_same(run_optimizer(cls, lr=lr, betas=(beta1, beta2), eps=eps,
                              weight_decay=weight_decay, amsgrad=amsgrad), expected)


def test_amsgrad_differs_from_adam_when_second_moment_shrinks():
    adam = run_optimizer(optim.Adam, lr=0.1, betas=(0.8, 0.5), amsgrad=False)
    amsgrad = run_optimizer(optim.Adam, lr=0.1, betas=(0.8, 0.5), amsgrad=True)
    assert not numpy.allclose(adam[-1][0], amsgrad[-1][0])


def test_adamw_default_weight_decay_is_decoupled():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    assert optim.AdamW(params).defaults["weight_decay"] == 1e-2


@pytest.mark.parametrize("cls, hyper, argument", [
    (optim.SGD, {"lr": -0.1}, "lr"), (optim.SGD, {"momentum": -1}, "momentum"),
    (optim.SGD, {"nesterov": True}, "nesterov"),
    (optim.SGD, {"weight_decay": -1e-3}, "weight_decay"),
    (optim.Adagrad, {"lr_decay": -1}, "lr_decay"), (optim.Adagrad, {"eps": -1}, "eps"),
    (optim.Adagrad, {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    (optim.RMSprop, {"alpha": -0.5}, "alpha"), (optim.RMSprop, {"momentum": -0.5}, "momentum"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "betas[0]"), (optim.Adam, {"betas": (0.9, -0.1)}, "betas[1]"),
    (optim.AdamW, {"eps": -1.0}, "eps")])
def test_invalid_hyper_parameters_raise_naming_argument(cls, hyper, argument):
    params, _ = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    with pytest.raises(ValueError, match=argument.replace("[", r"\[").replace("]", r"\]")):
        cls(params, **hyper)


def test_param_groups_take_their_own_hyper_parameters():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    optimizer = optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.0}], lr=0.1)
    before = host(params[1].data).copy()
    optimizer.step(closure)
    numpy.testing.assert_array_equal(host(params[1].data), before)
    assert optimizer.param_groups[0]["lr"] == 0.1 and optimizer.param_groups[1]["momentum"] == 0


def test_duplicate_and_empty_parameters_rejected():
    params, _ = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": params}, {"params": [params[0]]}])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.Adagrad, optim.RMSprop])
def test_a_parameter_listed_twice_in_one_group_is_rejected(cls):
    params, _ = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    with pytest.raises(ValueError, match=f"{cls.__name__}: a parameter group lists the same "
                                         "parameter twice"):
        cls([params[0], params[1], params[0]], lr=0.1)
    optimizer = cls([params[0]], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [params[1], params[0]]})


def test_zero_grad_and_parameters_without_grad():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    optimizer = optim.Adam(params)
    closure()
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    optimizer.step()
    numpy.testing.assert_array_equal(host(params[0].data), STARTS[0])


def test_create_registry_builds_by_lowercase_name():
    params, _ = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    assert isinstance(optim.create("AdamW", params, lr=0.01), optim.AdamW)
    assert isinstance(optim.create("gd-armijo", params), optim.GradientDescentLineSearch)
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        optim.create("adamax", params)
