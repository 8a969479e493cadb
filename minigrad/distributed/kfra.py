"""KFRA factors of the global batch: the recursion reduced over the ranks at every step.

KFRA (Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning",
2017; ``minigrad/curvature/README.md``) propagates a batch-averaged output-side factor,

    Ḡ_L = (1/N) Σ_n H_loss,n ,      Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n ,

which multiplies one batch average by the next, so the mean over ranks of the shard
factors is not the factor of the global batch. ``kfra`` therefore reduces ``Ḡ`` at the
loss and after every step (one all-reduce of a ``(D, D)`` matrix per step; equal shards
make each mean over ranks the global mean; ``curvature.kfra``'s ``average`` hook) and
the input factors ``A`` at the end, in one all-reduce.
"""
from ..curvature.layerwise.kronecker import kfra as local_kfra
from ..flat_vectors import arrays_to_vector, vector_to_arrays


def kfra(model, loss, x, y, comm):
    """KFRA factors of the global batch from this rank's shard ``(x, y)``."""
    factors = local_kfra(model, loss, x, y,
                         average=lambda G: comm.all_reduce_mean(G).copy())
    inputs = [f.A for f in factors]
    means = vector_to_arrays(comm.all_reduce_mean(arrays_to_vector(inputs)), inputs)
    for factor, A in zip(factors, means):
        factor.A = A.copy()
    return factors
