"""Kronecker factors of the global batch from the shards: reduced before any inversion.

For ``Linear``/``Conv2d`` layers (``minigrad/curvature/README.md``, "Kronecker factors: output side first";
Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning", 2017)

    A = (1/(N·L)) Σ_n Σ_t ā ā ᵀ          G = (1/N) Σ_n Σ_t C Cᵀ     (mean loss)

are means over the samples, so with equal-size shards the global factors are the means
over ranks of the shard factors: KFAC and KFLR reduce every ``A`` and ``G`` of every
layer in one all-reduce (``average_factors``). KFRA is not linear in the batch
(``kfra.py``).
"""
from ..curvature.flat import arrays_to_vector, vector_to_arrays


def average_factors(factors, comm):
    """Replace every ``A`` and ``G`` by its mean over ranks (one all-reduce); returns ``factors``."""
    arrays = [f.A for f in factors] + [f.G for f in factors]
    flat = comm.all_reduce_mean(arrays_to_vector(arrays))
    means = vector_to_arrays(flat, arrays)
    for factor, A, G in zip(factors, means[:len(factors)], means[len(factors):]):
        factor.A, factor.G = A.copy(), G.copy()
    return factors
