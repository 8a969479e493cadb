"""KFRA factors of the global batch: the recursion reduced over the ranks at every step.

KFRA (Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning",
2017; CURVATURE.md) propagates a batch-averaged output-side factor,

    Ḡ_L = (1/N) Σ_n H_loss,n ,      Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n ,

which multiplies one batch average by the next, so the mean over ranks of the shard
factors is not the factor of the global batch. ``kfra`` therefore reduces ``Ḡ`` at the
loss and after every step (one all-reduce of a ``(D, D)`` matrix per step; equal shards
make each mean over ranks the global mean) and the input factors ``A`` at the end. It
walks the recorded steps of ``minigrad.curvature`` itself, so it is imported only when
KFRA is asked for.
"""
from ..curvature.derivatives.conv import Conv2dDerivatives
from ..curvature.flat import flatten, unflatten
from ..curvature.kronecker import (KRONECKER_RULES, KroneckerFactors, _position_trace,
                                   input_factor)
from ..curvature.recording import ResidualStep, lowest_parameterised_index
from ..curvature.recursion import RecordedBatch


def kfra(model, loss, x, y, comm):
    """KFRA factors of the global batch from this rank's shard ``(x, y)``."""
    batch = RecordedBatch(model, loss, x, y)
    steps = batch.steps
    G = batch.loss_rules.average_hessian(batch.loss, batch.logits, batch.y)
    G = comm.all_reduce_mean(G * (batch.scale * batch.batch_size))
    lowest = lowest_parameterised_index(steps)
    factors = []
    for index in range(len(steps) - 1, lowest - 1, -1):
        step = steps[index]
        if isinstance(step, ResidualStep):
            raise TypeError(f"KFRA's batch-averaged recursion is defined for feed-forward chains; "
                            f"{type(step.block).__name__} blocks are not supported (use kflr or "
                            f"kfac)")
        if isinstance(step.rules, KRONECKER_RULES):
            layer_G = G
            if isinstance(step.rules, Conv2dDerivatives):
                layer_G = _position_trace(G, step.module.out_channels)
            factors.append(KroneckerFactors(step.params, input_factor(step), layer_G))
        if index > lowest:
            G = comm.all_reduce_mean(step.rules.average_sandwich(step.module, step.x, step.out,
                                                                 G).copy())
    inputs = [f.A for f in factors]
    for factor, A in zip(factors, unflatten(comm.all_reduce_mean(flatten(inputs)), inputs)):
        factor.A = A.copy()
    return factors[::-1]
