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
    LambdaLR           η₀ λ(e), with one λ for all groups or one per group
    OneCycleLR         (Smith & Topin 2019, "Super-convergence"; PyTorch's phases) over
                       T = total_steps: from η_max / div_factor up to η_max until step
                       p T − 1 (p = pct_start), then down to η_max / (div_factor ·
                       final_div_factor) at step T − 1, each phase annealed by
                       cos: η_end + (η_start − η_end)(1 + cos(π t)) / 2  or
                       linear: η_start + (η_end − η_start) t,   t ∈ [0, 1] the phase fraction;
                       three_phase goes back down to η_max / div_factor at step 2 p T − 2
                       first. The momentum (or Adam's β₁) follows the opposite path,
                       max_momentum → base_momentum → max_momentum.

Construction applies epoch 0; each ``step()`` advances one epoch (or
iteration: the unit is whatever the caller steps on). ``warmup_cosine`` builds
the usual linear warm-up followed by cosine annealing.

``ReduceLROnPlateau`` is driven by a metric instead: ``step(metric)`` counts the
epochs without improvement (better means below ``best·(1 − threshold)`` in
``"min"`` / ``"rel"`` mode, ``best − threshold`` in ``"abs"`` mode, mirrored for
``"max"``) and, once that count exceeds ``patience``, multiplies every learning
rate by ``factor`` (not below ``min_lr``, and only if it changes by more than
``eps``), then waits ``cooldown`` epochs before counting again.
"""
import bisect
import math


class LRScheduler:
    """Base class: subclasses define ``lr_at(epoch, initial_lr, index)`` (``index``: the group)."""

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

    def lr_at(self, epoch, initial_lr, index):
        raise NotImplementedError(f"{type(self).__name__} does not define lr_at")

    def step(self):
        """Advance one epoch and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        for index, (group, initial_lr) in enumerate(zip(self.optimizer.param_groups,
                                                        self.base_lrs)):
            group["lr"] = self.lr_at(self.last_epoch, initial_lr, index)
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

    def lr_at(self, epoch, initial_lr, index):
        return initial_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch in ``milestones``."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr, index):
        return initial_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr, index):
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

    def lr_at(self, epoch, initial_lr, index):
        fraction = min(epoch, self.total_iters) / self.total_iters
        return initial_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)


class CosineAnnealingLR(LRScheduler):
    """Anneal from the initial learning rate to ``eta_min`` along a half cosine of ``T_max`` epochs."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _require(T_max > 0, "CosineAnnealingLR", "T_max", T_max, "> 0")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr, index):
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

    def lr_at(self, epoch, initial_lr, index):
        position = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[position - 1] if position > 0 else 0
        return self.schedulers[position].lr_at(epoch - start, initial_lr, index)


class LambdaLR(LRScheduler):
    """The initial learning rate times ``lr_lambda(epoch)``; a list gives one function per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        _require(len(lambdas) == groups and all(callable(f) for f in lambdas), "LambdaLR",
                 "lr_lambda", lr_lambda, f"a function or a list of {groups} functions")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, initial_lr, index):
        return initial_lr * self.lr_lambdas[index](epoch)


def _per_group(scheduler, name, value, groups):
    values = list(value) if isinstance(value, (list, tuple)) else [value] * groups
    _require(len(values) == groups, scheduler, name, value, f"a number or a list of {groups}")
    return values


def _cosine_anneal(start, end, fraction):
    return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)


def _linear_anneal(start, end, fraction):
    return start + (end - start) * fraction


class OneCycleLR(LRScheduler):
    """The one-cycle policy over ``total_steps`` (or ``epochs · steps_per_epoch``) steps."""

    ANNEALING = {"cos": _cosine_anneal, "linear": _linear_anneal}

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        name, groups = "OneCycleLR", len(optimizer.param_groups)
        if total_steps is None:
            _require(isinstance(epochs, int) and epochs > 0 and isinstance(steps_per_epoch, int)
                     and steps_per_epoch > 0, name, "epochs, steps_per_epoch",
                     (epochs, steps_per_epoch), "positive ints when total_steps is not given")
            total_steps = epochs * steps_per_epoch
        _require(isinstance(total_steps, int) and total_steps > 0, name, "total_steps",
                 total_steps, "a positive int")
        _require(0 <= pct_start <= 1, name, "pct_start", pct_start, "in [0, 1]")
        _require(anneal_strategy in self.ANNEALING, name, "anneal_strategy", anneal_strategy,
                 f"one of {sorted(self.ANNEALING)}")
        self.total_steps, self.anneal = total_steps, self.ANNEALING[anneal_strategy]
        self.div_factor, self.final_div_factor = div_factor, final_div_factor
        up = float(pct_start * total_steps) - 1
        self.phases = ([(up, "initial", "max"), (2 * up, "max", "initial"),
                        (total_steps - 1, "initial", "min")] if three_phase else
                       [(up, "initial", "max"), (total_steps - 1, "max", "min")])
        self.momenta = None
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum "
                                 f"or betas, {type(optimizer).__name__} has neither (pass "
                                 "cycle_momentum=False)")
            self.momenta = list(zip(_per_group(name, "max_momentum", max_momentum, groups),
                                    _per_group(name, "base_momentum", base_momentum, groups)))
        for group, peak in zip(optimizer.param_groups,
                               _per_group(name, "max_lr", max_lr, groups)):
            group["initial_lr"] = peak / div_factor
        super().__init__(optimizer, last_epoch)

    def _phase(self, epoch):
        """``(phase index, fraction of it done)`` at step ``epoch``."""
        if epoch > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {epoch} times but total_steps is "
                             f"{self.total_steps}")
        start = 0
        for i, (end, _, _) in enumerate(self.phases):
            if epoch <= end or i == len(self.phases) - 1:
                return i, (epoch - start) / (end - start)
            start = end

    def lr_at(self, epoch, initial_lr, index):
        levels = {"initial": initial_lr, "max": initial_lr * self.div_factor,
                  "min": initial_lr / self.final_div_factor}
        phase, fraction = self._phase(epoch)
        _, start, end = self.phases[phase]
        return self.anneal(levels[start], levels[end], fraction)

    def step(self):
        super().step()
        if self.momenta is None:
            return
        phase, fraction = self._phase(self.last_epoch)
        for group, (high, low) in zip(self.optimizer.param_groups, self.momenta):
            levels = {"initial": high, "max": low, "min": high}
            _, start, end = self.phases[phase]
            momentum = self.anneal(levels[start], levels[end], fraction)
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


class ReduceLROnPlateau:
    """Multiply the learning rates by ``factor`` when ``step(metric)`` stops improving."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        name = "ReduceLROnPlateau"
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name} needs an Optimizer, got {type(optimizer).__name__}")
        _require(mode in ("min", "max"), name, "mode", mode, "'min' or 'max'")
        _require(threshold_mode in ("rel", "abs"), name, "threshold_mode", threshold_mode,
                 "'rel' or 'abs'")
        _require(0 < factor < 1, name, "factor", factor, "in (0, 1)")
        _require(isinstance(patience, int) and patience >= 0, name, "patience", patience,
                 "an int >= 0")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = (
            threshold, threshold_mode, cooldown, eps)
        self.min_lrs = _per_group(name, "min_lr", min_lr, len(optimizer.param_groups))
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value):
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            bar = (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                   else self.best - self.threshold)
            return value < bar
        bar = (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
               else self.best + self.threshold)
        return value > bar

    def step(self, metrics):
        """Hear this epoch's metric; reduce the learning rates after ``patience`` bad epochs."""
        value = float(metrics)
        if math.isnan(value):
            raise ValueError(f"ReduceLROnPlateau.step: the metric is NaN at epoch "
                             f"{self.last_epoch + 1}")
        self.last_epoch += 1
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                reduced = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - reduced > self.eps:
                    group["lr"] = reduced
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


def warmup_cosine(optimizer, warmup_epochs, total_epochs, warmup_start_factor=0.1, eta_min=0.0):
    """Linear warm-up from ``warmup_start_factor`` η₀ to η₀, then cosine annealing to ``eta_min``."""
    _require(0 < warmup_epochs < total_epochs, "warmup_cosine", "warmup_epochs", warmup_epochs,
             f"in (0, total_epochs={total_epochs})")
    warmup = LinearLR(optimizer, warmup_start_factor, 1.0, warmup_epochs)
    cosine = CosineAnnealingLR(optimizer, total_epochs - warmup_epochs, eta_min)
    return SequentialLR(optimizer, [warmup, cosine], [warmup_epochs])
