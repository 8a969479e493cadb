"""``ReducedProduct``: a curvature product operator of the global batch, from a shard's.

A shard's product operator (``HessianProduct`` or ``GaussNewtonProduct``, built from one
forward pass of the shard) multiplies by the shard's ``B_r``; with equal-size shards of a
mean loss the global matrix is ``B = (1/K) Σ_r B_r``, so

    apply(v) = (1/K) Σ_r B_r v        (one all-reduce of one flat buffer per product)

and ``loss`` is the global mean loss (a Tensor). Every rank must apply the operator to
the same vectors in the same order (the optimizers do, as they act on reduced numbers).
"""
from ..curvature.flat import arrays_to_vector, vector_to_arrays


def average_arrays(arrays, comm):
    """The means over ranks of a list of arrays, in one all-reduce (new arrays, same shapes)."""
    return vector_to_arrays(comm.all_reduce_mean(arrays_to_vector(arrays)), arrays)


class ReducedProduct:
    """``v ↦ (1/K) Σ_r B_r v`` from this rank's ``product``; ``loss`` is the global loss."""

    def __init__(self, product, loss, comm):
        self.product, self.loss, self.comm = product, loss, comm

    def apply(self, vectors, retain_graph=True):
        """``B v`` of the global batch for ``vectors`` shaped like the parameters."""
        return average_arrays(self.product.apply(vectors, retain_graph=retain_graph), self.comm)
