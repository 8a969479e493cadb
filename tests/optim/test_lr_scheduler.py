"""Learning-rate schedules against their closed forms, epoch by epoch."""
import math

import pytest

import optim
from optim import lr_scheduler
from tests.optim.closures import parameter


def make_optimizer(lr=0.5):
    return optim.SGD([{"params": [parameter([1.0])]}, {"params": [parameter([2.0])], "lr": 0.1}],
                     lr=lr)


def lrs(scheduler, epochs):
    values = [scheduler.get_last_lr()]
    for _ in range(epochs - 1):
        scheduler.step()
        values.append(scheduler.get_last_lr())
    return values


def check(scheduler, formula, epochs=12):
    for epoch, got in enumerate(lrs(scheduler, epochs)):
        for value, initial in zip(got, (0.5, 0.1)):
            assert value == pytest.approx(formula(epoch, initial), rel=1e-12, abs=1e-15)
    assert [g["lr"] for g in scheduler.optimizer.param_groups] == scheduler.get_last_lr()


def test_step_lr():
    check(lr_scheduler.StepLR(make_optimizer(), step_size=3, gamma=0.5),
          lambda e, lr0: lr0 * 0.5 ** (e // 3))


def test_multistep_and_exponential_lr():
    check(lr_scheduler.MultiStepLR(make_optimizer(), milestones=[2, 5], gamma=0.1),
          lambda e, lr0: lr0 * 0.1 ** ((e >= 2) + (e >= 5)))
    check(lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.9), lambda e, lr0: lr0 * 0.9 ** e)


def test_linear_lr_warm_up():
    check(lr_scheduler.LinearLR(make_optimizer(), start_factor=0.25, end_factor=1.0, total_iters=4),
          lambda e, lr0: lr0 * (0.25 + 0.75 * min(e, 4) / 4))


def test_cosine_annealing_lr():
    check(lr_scheduler.CosineAnnealingLR(make_optimizer(), T_max=10, eta_min=0.01),
          lambda e, lr0: 0.01 + (lr0 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2, epochs=11)


def test_warmup_cosine_is_linear_then_cosine():
    def formula(e, lr0):
        if e < 3:
            return lr0 * (0.1 + 0.9 * e / 3)
        return lr0 * (1 + math.cos(math.pi * (e - 3) / 7)) / 2
    check(lr_scheduler.warmup_cosine(make_optimizer(), warmup_epochs=3, total_epochs=10),
          formula, epochs=11)


def test_scheduler_state_dict_resumes_the_sequence():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=2, gamma=0.5)
    for _ in range(3):
        scheduler.step()
    saved = scheduler.state_dict()
    fresh = lr_scheduler.StepLR(make_optimizer(), step_size=2, gamma=0.5)
    fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == scheduler.get_last_lr() == [0.5 * 0.5, 0.1 * 0.5]


@pytest.mark.parametrize("build, argument", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: lr_scheduler.warmup_cosine(o, 5, 5), "warmup_epochs")])
def test_invalid_scheduler_arguments(build, argument):
    with pytest.raises(ValueError, match=argument):
        build(make_optimizer())


def test_lambda_lr_with_one_function_or_one_per_group():
    check(lr_scheduler.LambdaLR(make_optimizer(), lambda e: 0.9 ** e),
          lambda e, lr0: lr0 * 0.9 ** e)
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)])
    for epoch, (first, second) in enumerate(lrs(scheduler, 6)):
        assert first == pytest.approx(0.5 * 0.9 ** epoch)
        assert second == pytest.approx(0.1 / (epoch + 1))
    with pytest.raises(ValueError, match="LambdaLR: invalid lr_lambda"):
        lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1.0])


def one_cycle_reference(step, low, high, final, up, total, anneal):
    """PyTorch's documented two phases: low → high until step up − 1, then high → final."""
    if step <= up - 1:
        return anneal(low, high, step / (up - 1))
    return anneal(high, final, (step - (up - 1)) / (total - 1 - (up - 1)))


def cosine(start, end, t):
    return end + (start - end) * (1 + math.cos(math.pi * t)) / 2


def test_one_cycle_lr_and_momentum_follow_the_cosine_phases():
    optimizer = optim.SGD([parameter([1.0])], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    values, momenta = [], []
    for step in range(10):
        values.append(scheduler.get_last_lr()[0])
        momenta.append(optimizer.param_groups[0]["momentum"])
        if step < 9:
            scheduler.step()
    assert [round(v, 6) for v in values] == [0.04, 0.52, 1.0, 0.950485, 0.811746, 0.611262,
                                             0.388742, 0.188258, 0.049519, 4e-06]
    for step, (lr, momentum) in enumerate(zip(values, momenta)):
        assert lr == pytest.approx(one_cycle_reference(step, 0.04, 1.0, 4e-6, 3, 10, cosine))
        assert momentum == pytest.approx(one_cycle_reference(step, 0.95, 0.85, 0.95, 3, 10, cosine))
    scheduler.step()
    with pytest.raises(ValueError, match="OneCycleLR: stepped 11 times but total_steps is 10"):
        scheduler.step()


def test_one_cycle_three_linear_phases_per_group_and_adam_beta1():
    parameters = [parameter([1.0]), parameter([2.0])]
    optimizer = optim.Adam([{"params": [parameters[0]]}, {"params": [parameters[1]]}], lr=0.1)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=[1.0, 0.5], epochs=3, steps_per_epoch=4,
                                        three_phase=True, anneal_strategy="linear")
    first = [lr[0] for lr in lrs(scheduler, 12)]
    assert [round(v, 6) for v in first] == [0.04, 0.409231, 0.778462, 0.852308, 0.483077,
                                            0.113846, 0.034483, 0.027587, 0.020692, 0.013796,
                                            0.0069, 4e-06]
    assert scheduler.get_last_lr()[1] == pytest.approx(0.5 / 25 / 1e4)
    assert optimizer.param_groups[0]["betas"] == (pytest.approx(0.95), 0.999)


@pytest.mark.parametrize("make, message", [
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), "epochs, steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda o: lr_scheduler.OneCycleLR(o, [1.0], 10), "max_lr"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), "mode"),
], ids=["no-steps", "anneal", "max-lr-groups", "factor", "mode"])
def test_bad_one_cycle_and_plateau_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make(make_optimizer())


def test_one_cycle_needs_momentum_to_cycle():
    optimizer = optim.Adagrad([parameter([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with momentum"):
        lr_scheduler.OneCycleLR(optimizer, 1.0, 10)
    lr_scheduler.OneCycleLR(optimizer, 1.0, 10, cycle_momentum=False)


def test_reduce_lr_on_plateau_waits_patience_then_cools_down():
    optimizer = make_optimizer(lr=0.1)
    optimizer.param_groups[1]["lr"] = 0.01
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5, cooldown=1,
                                               min_lr=[0.0, 0.004])
    metrics = [5, 4, 4, 4, 4, 4, 3.9996, 3.9, 3.9, 3.9, 3.9, 3.9]
    seen = []
    for value in metrics:
        scheduler.step(value)
        seen.append(scheduler.get_last_lr())
    assert seen[3] == [0.1, 0.01] and seen[4] == [0.05, 0.005]
    assert seen[9] == [0.05, 0.005], "3.9996 is within the relative threshold of 4: no improvement"
    assert seen[10] == [0.025, 0.004], "the second group stops at its min_lr"
    fresh = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=2)
    fresh.load_state_dict(scheduler.state_dict())
    assert fresh.best == 3.9 and fresh.get_last_lr() == [0.025, 0.004]
    with pytest.raises(ValueError, match="ReduceLROnPlateau.step: the metric is NaN"):
        scheduler.step(float("nan"))


def test_reduce_lr_on_plateau_in_max_mode_with_an_absolute_threshold():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(lr=0.1), mode="max",
                                               threshold_mode="abs", threshold=0.1, patience=1)
    seen = []
    for value in [1, 1.05, 1.2, 1.25, 1.29, 1.5, 1.5, 1.5]:
        scheduler.step(value)
        seen.append(scheduler.get_last_lr()[0])
    assert seen == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
