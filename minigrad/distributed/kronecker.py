"""Kronecker factors of the global batch from the shards: reduced before any inversion.

For ``Linear``/``Conv2d`` layers (CURVATURE.md, "Kronecker-factored approximations";
Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning", 2017)

    A = (1/(N·L)) Σ_n Σ_t ā ā ᵀ          G = (1/N) Σ_n Σ_t C Cᵀ     (mean loss)

are means over the samples, so with equal-size shards the global factors are the means
over ranks of the shard factors: KFAC and KFLR reduce every ``A`` and ``G`` of every
layer in one all-reduce (``average_factors``). KFRA's recursion is not linear in the
batch, ``Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n`` multiplies a batch average by the next
one, so ``kfra`` reduces ``Ḡ`` at the loss and after every step (one all-reduce of a
``(D, D)`` matrix per step) and the input factors at the end.
"""
from ..curvature.derivatives.conv import Conv2dDerivatives
from ..curvature.flat import flatten, unflatten
from ..curvature.kronecker import (KRONECKER_RULES, KroneckerFactors, _position_trace,
                                   input_factor)
from ..curvature.recording import ResidualStep, lowest_parameterised_index
from ..curvature.recursion import RecordedBatch


def average_factors(factors, comm):
    """Replace every ``A`` and ``G`` by its mean over ranks (one all-reduce); returns ``factors``."""
    arrays = [f.A for f in factors] + [f.G for f in factors]
    flat = comm.all_reduce_mean(flatten(arrays))
    means = unflatten(flat, arrays)
    for factor, A, G in zip(factors, means[:len(factors)], means[len(factors):]):
        factor.A, factor.G = A.copy(), G.copy()
    return factors


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
