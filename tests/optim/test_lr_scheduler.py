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
