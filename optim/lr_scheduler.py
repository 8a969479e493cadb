"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler`` names and arguments).

A scheduler sets ``group["lr"]`` of every parameter group of an optimizer to a
closed form of the epoch counter ``e`` (``last_epoch``), from the group's
initial learning rate η₀ (saved once as ``group["initial_lr"]``):

    StepLR             η₀ γ^⌊e / step_size⌋
    MultiStepLR        η₀ γ^(number of milestones ≤ e)
    ExponentialLR      η₀ γ^e
    LinearLR           η₀ (s + (f − s) min(e, T) / T)        s = start_factor, f = end_factor
    CosineAnnealingLR  η_min + (η₀ − η_min)(1 + cos(π e / T_max)) / 2
                       (Loshchilov & Hutter 2017, SGDR, eq. 5, without restarts)
    SequentialLR       the i-th scheduler at e − milestone_{i−1} for
                       milestone_{i−1} ≤ e < milestone_i

Construction applies epoch 0; each ``step()`` advances one epoch (or
iteration: the unit is whatever the caller steps on). ``warmup_cosine`` builds
the usual linear warm-up followed by cosine annealing.
"""
import bisect
import math


class LRScheduler:
    """Base class: subclasses define ``lr_at(epoch, initial_lr)``."""

    def __init__(self, optimizer, last_epoch=-1):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch, initial_lr):
        raise NotImplementedError(f"{type(self).__name__} does not define lr_at")

    def step(self):
        """Advance one epoch and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        for group, initial_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(self.last_epoch, initial_lr)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict):
        self.base_lrs = list(state_dict["base_lrs"])
        self.last_epoch = state_dict["last_epoch"] - 1
        self.step()


def _require(condition, scheduler, argument, value, rule):
    if not condition:
        raise ValueError(f"{scheduler}: invalid {argument}={value!r} (must be {rule})")


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _require(int(step_size) == step_size and step_size > 0, "StepLR", "step_size", step_size,
                 "a positive integer")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        return initial_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch in ``milestones``."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        return initial_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        return initial_lr * self.gamma ** epoch


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _require(0 < start_factor <= 1, "LinearLR", "start_factor", start_factor, "in (0, 1]")
        _require(0 <= end_factor <= 1, "LinearLR", "end_factor", end_factor, "in [0, 1]")
        _require(total_iters > 0, "LinearLR", "total_iters", total_iters, "> 0")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        fraction = min(epoch, self.total_iters) / self.total_iters
        return initial_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)


class CosineAnnealingLR(LRScheduler):
    """Anneal from the initial learning rate to ``eta_min`` along a half cosine of ``T_max`` epochs."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _require(T_max > 0, "CosineAnnealingLR", "T_max", T_max, "> 0")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        return self.eta_min + (initial_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from ``milestones[i − 1]`` (each restarted at its epoch 0)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _require(len(milestones) == len(schedulers) - 1, "SequentialLR", "milestones", milestones,
                 f"one fewer than the {len(schedulers)} schedulers")
        _require(list(milestones) == sorted(milestones), "SequentialLR", "milestones", milestones,
                 "increasing")
        for scheduler in schedulers:
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: {type(scheduler).__name__} is bound to a "
                                 "different optimizer than the one given")
        self.schedulers, self.milestones = list(schedulers), list(milestones)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr):
        index = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[index - 1] if index > 0 else 0
        return self.schedulers[index].lr_at(epoch - start, initial_lr)


def warmup_cosine(optimizer, warmup_epochs, total_epochs, warmup_start_factor=0.1, eta_min=0.0):
    """Linear warm-up from ``warmup_start_factor`` η₀ to η₀, then cosine annealing to ``eta_min``."""
    _require(0 < warmup_epochs < total_epochs, "warmup_cosine", "warmup_epochs", warmup_epochs,
             f"in (0, total_epochs={total_epochs})")
    warmup = LinearLR(optimizer, warmup_start_factor, 1.0, warmup_epochs)
    cosine = CosineAnnealingLR(optimizer, total_epochs - warmup_epochs, eta_min)
    return SequentialLR(optimizer, [warmup, cosine], [warmup_epochs])
