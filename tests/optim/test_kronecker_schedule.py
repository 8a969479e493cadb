"""KFAC/KFRA/KFLR schedules: the running-average warm-up min(1 − 1/t, decay) and the inverse
schedule (every step for the first ``inverse_warmup`` steps, then every ``inverse_period``)."""
import numpy
import pytest

from optim.kronecker import KFLR, damped_inverses
from tests.optim.curvature_doubles import LinearRegressionClosure


def closures(count, n=12, features=3, outputs=2):
    """``count`` linear-regression closures on different data, sharing one model."""
    rng = numpy.random.default_rng(5)
    first = LinearRegressionClosure(rng.standard_normal((n, features)),
                                    rng.standard_normal((n, outputs)))
    return [first] + [first.with_data(rng.standard_normal((n, features)),
                                      rng.standard_normal((n, outputs)))
                      for _ in range(count - 1)]


def factors_A(closure):
    return closure.kronecker_factors("kflr")[0].A


def test_decay_warmup_averages_equally_then_decays():
    # With decay 0.8, ε_t = min(1 − 1/t, 0.8) is 0, 1/2, 2/3, 3/4, 0.8, 0.8: the average of the
    # first five steps is their plain mean, later steps decay by 0.8.
    steps = closures(6)
    optimizer = KFLR(steps[0].params, lr=1e-3, damping=0.1, decay=0.8, decay_warmup=True)
    seen = []
    for t, closure in enumerate(steps, start=1):
        seen.append(factors_A(closure))
        optimizer.step(closure)
        state = optimizer.state[steps[0].params[0]]
        expected = numpy.mean(seen, axis=0) if t <= 5 else 0.8 * previous + 0.2 * seen[-1]
        numpy.testing.assert_allclose(state["A"], expected, rtol=1e-12)
        previous = state["A"].copy()


def test_without_decay_warmup_the_first_factors_keep_weight_decay_to_the_t():
    steps = closures(3)
    optimizer = KFLR(steps[0].params, lr=1e-3, damping=0.1, decay=0.8)
    seen = []
    for closure in steps:
        seen.append(factors_A(closure))
        optimizer.step(closure)
    expected = 0.8 ** 2 * seen[0] + 0.8 * 0.2 * seen[1] + 0.2 * seen[2]
    numpy.testing.assert_allclose(optimizer.state[steps[0].params[0]]["A"], expected,
                                  rtol=1e-12)


@pytest.mark.parametrize("warmup, period, recomputed", [
    (3, 4, [0, 1, 2, 4, 8]),
    (0, 3, [0, 3, 6, 9]),
    (10, 5, list(range(10))),
])
def test_inverses_are_recomputed_during_the_warmup_then_every_period(warmup, period,
                                                                       recomputed):
    steps = closures(10)
    optimizer = KFLR(steps[0].params, lr=1e-3, damping=0.1, decay=0.5, inverse_period=period,
                     inverse_warmup=warmup)
    weight = steps[0].params[0]
    fresh = []
    for step, closure in enumerate(steps):
        optimizer.step(closure)
        state = optimizer.state[weight]
        expected, _, _ = damped_inverses(state["A"], state["G"], 0.1)
        if numpy.allclose(state["A_inverse"], expected, rtol=1e-12, atol=0):
            fresh.append(step)
    assert fresh == recomputed


@pytest.mark.parametrize("hyper, argument", [
    (dict(decay_warmup=1), "decay_warmup"), (dict(inverse_warmup=-1), "inverse_warmup"),
    (dict(inverse_warmup=2.0), "inverse_warmup"), (dict(inverse_warmup=True), "inverse_warmup"),
])
def test_schedule_arguments_are_checked(hyper, argument):
    with pytest.raises(ValueError, match=f"KFLR: invalid {argument}="):
        KFLR(closures(1)[0].params, **hyper)
