"""The learning-rate schedule of a training run: ``--lr-schedule`` and ``--warmup-steps``.

A run takes T = epochs × (batches per epoch) optimizer steps, t = 0, …, T − 1. With the
learning rate η (``--lr``, or the optimizer's default) and K warm-up steps (0 ≤ K < T),
step t uses

    constant   η                                        (no scheduler: η is never touched)
    cosine     η (t + 1) / K                            for t < K   (linear warm-up)
               η (1 + cos(π (t − K) / (T − K))) / 2     for K ≤ t < T

The warm-up rises by η/K a step from η/K, reaching η at its last step t = K − 1, as in the
ViT recipe (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2021; gradual warm-up:
Goyal et al., "Accurate, Large Minibatch SGD", 2017); the cosine (Loshchilov & Hutter,
"SGDR", 2017, eq. 5 without restarts) starts at η at step K and reaches 0 after the last
step, t = T, so no step is spent at rate 0. The scheduler is stepped after every optimizer
step, never per epoch. It is built from ``optim.lr_scheduler``: ``LambdaLR`` with
λ(t) = (t + 1)/K for the warm-up and ``CosineAnnealingLR(T_max=T − K)`` for the decay,
joined by ``SequentialLR`` at milestone K (K = 0: the ``CosineAnnealingLR`` alone), so each
rate is the closed form above, evaluated in that order.
"""
from optim.lr_scheduler import CosineAnnealingLR, LambdaLR, SequentialLR

from .errors import UsageError

LR_SCHEDULES = ("constant", "cosine")


class _Warmup:
    """λ(t) = (t + 1) / K: the warm-up factor of ``LambdaLR``."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, step):
        return (step + 1) / self.steps


def create(optimizer, schedule, warmup_steps, epochs, steps_per_epoch):
    """The scheduler of ``schedule`` over T = ``epochs · steps_per_epoch`` optimizer steps, or
    ``None`` for the constant schedule; ``UsageError`` unless ``warmup_steps`` < T."""
    if schedule == "constant":
        return None
    total_steps = epochs * steps_per_epoch
    if warmup_steps >= total_steps:
        raise UsageError(f"--warmup-steps {warmup_steps} must be fewer than the run's "
                         f"{total_steps} optimizer steps (--epochs {epochs} × "
                         f"{steps_per_epoch} batches per epoch)")
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    if warmup_steps == 0:
        return cosine
    warmup = LambdaLR(optimizer, _Warmup(warmup_steps))
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
