"""``state_dict`` round-trip: a restored optimizer continues along exactly the same trajectory.

Run k steps, save parameters and optimizer state, continue n steps; restore a
fresh optimizer over fresh parameters from the saved copies, continue n steps:
the parameters must be identical. The coupled problem (Rosenbrock plus a
quadratic) makes every optimizer's state matter.
"""
import numpy
import pytest

import minigrad
import optim
from tests.optim.closures import AutogradClosure, host, parameter

START = ([-1.2, 1.0], [[0.5, -0.5], [1.0, 0.2]])
CASES = {
    "sgd": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=1e-3, momentum=0.5, centered=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01),
    "adahessian": lambda ps: optim.AdaHessian(ps, lr=0.05, seed=4),
    "hybrid": lambda ps: optim.Hybrid(ps, sgd_lr=1e-3, lr=0.01, seed=2),
    "gd-armijo": lambda ps: optim.GradientDescentLineSearch(ps),
    "lbfgs": lambda ps: optim.LBFGS(ps, max_iter=3, history_size=4),
    "lbfgs-wolfe": lambda ps: optim.LBFGS(ps, max_iter=3, history_size=4,
                                          line_search_fn="strong_wolfe"),
    "lbfgs-armijo": lambda ps: optim.LBFGS(ps, max_iter=3, history_size=4,
                                           line_search_fn="armijo"),
    "swa": lambda ps: optim.SWA(optim.SGD(ps, lr=1e-3, momentum=0.9), swa_start=2, swa_freq=2,
                                swa_lr=5e-4),
}


def problem(values):
    params = [parameter(v) for v in values]
    a = minigrad.tensor(numpy.array([[2.0, 0.5], [0.5, 1.0]]))

    def loss_fn():
        xy, w = params
        x, y = xy[0], xy[1]
        coupled = (w @ a * w).sum() * 0.5 + (w.sum() * x) * 0.1
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2 + coupled

    return params, AutogradClosure(loss_fn, params)


def run(optimizer, params, closure, steps, hybrid_switch_at=None):
    for i in range(steps):
        optimizer.step(closure)
        if hybrid_switch_at is not None:
            optimizer.observe_validation_loss(0.5 if i == hybrid_switch_at else 2.0)
    return [host(p.data).copy() for p in params]


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_reproduces_trajectory(name):
    params, closure = problem(START)
    optimizer = CASES[name](params)
    switch = 3 if name == "hybrid" else None
    run(optimizer, params, closure, 4, switch)
    saved_state = optimizer.state_dict()
    saved_params = [host(p.data).copy() for p in params]
    continued = run(optimizer, params, closure, 4, switch and -1)

    fresh_params, fresh_closure = problem(START)
    restored = CASES[name](fresh_params)
    for p, value in zip(fresh_params, saved_params):
        p.data = minigrad.tensor(value.copy()).data
    restored.load_state_dict(saved_state)
    resumed = run(restored, fresh_params, fresh_closure, 4, switch and -1)
    for a, b in zip(continued, resumed):
        numpy.testing.assert_array_equal(a, b)
    assert not all(numpy.array_equal(a, b) for a, b in zip(continued, saved_params))


def test_state_dict_arrays_are_copies():
    params, closure = problem(START)
    optimizer = optim.Adam(params, lr=0.01)
    optimizer.step(closure)
    saved = optimizer.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    optimizer.step(closure)
    numpy.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_load_state_dict_rejects_mismatched_groups():
    params, _ = problem(START)
    saved = optim.SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.1).load_state_dict(saved)
