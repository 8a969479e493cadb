"""``DistributedClosure``: the curvature closure of the global batch, from one rank's shard.

Each rank holds ``Closure(model, loss_fn, shard.take(x), shard.take(y))`` on its
``B/K`` rows of the global batch (``sharding.py``). Every answer is reduced over the
ranks so that it is the single-process quantity of the global batch, the same on every
rank (so line searches, ratio tests and damping updates take the same decisions):

    closure()                    shard backward, then ∇L and L averaged in ONE all-reduce;
                                 returns the global mean loss (a Tensor); the model's
                                 buffers (batch-norm running statistics) become rank 0's
    loss_value()                 (1/K) Σ_r L_r                       (forward only)
    hessian_product(backward)    the shard's product operator, reduced (``products.py``):
    gauss_newton_product(...)    v ↦ (1/K) Σ_r B_r v, with ``.loss`` the global loss; with
                                 ``backward`` (default) ``p.grad`` and buffers as closure()
    hvp(v), ggnvp(v)             (1/K) Σ_r H_r v,  (1/K) Σ_r G_r v   (one all-reduce each)
    kronecker_factors(kind)      A and G averaged before any inversion (``kronecker.py``,
                                 KFRA's recursion reduced at every step: ``kfra.py``);
                                 seeded KFAC draws the global batch's noise (``sampling.py``)
    diag_hessian(), diag_ggn()   exact (or sampled) diagonals, averaged
    operator(curvature)          ``LinearOperator`` of the global H or G (Hutchinson, Lanczos)
    class_gradients()            c_k with the global class counts |D_k| (shards hold
                                 different counts, so these are not plain averages)

The mean of equal-size shard means is the global mean only for ``reduction="mean"`` or
``"batchmean"``; other reductions are refused. ``output`` is the shard's network output
(its rows are ``shard.positions`` of the global batch); ``local`` is the shard's closure.
"""
from ..curvature import diag_ggn, diag_hessian
from ..curvature.class_gradients import class_gradients
from ..curvature.closure import KRONECKER_KINDS
from ..curvature.flat import arrays_to_vector, num_parameters, vector_to_arrays
from ..linear_operator import LinearOperator
from ..tensor import Tensor
from .class_gradients import global_class_gradients
from .kronecker import average_factors
from .products import ReducedProduct, average_arrays
from .replicate import average_gradients, broadcast_buffers
from .sampling import ShardedGenerator

MEAN_REDUCTIONS = ("mean", "batchmean")


class DistributedClosure:
    """The global-batch closure on ``comm`` from the shard closure ``local``; see the module."""

    def __init__(self, local, comm, shard):
        reduction = getattr(local.loss_fn, "reduction", None)
        if reduction not in MEAN_REDUCTIONS:
            raise ValueError(f"DistributedClosure: {local.loss_fn!r} has reduction={reduction!r};"
                             f" the global loss is the mean of the shard losses only for "
                             f"reduction in {MEAN_REDUCTIONS}")
        rows = local.x.shape[0]
        if rows != shard.size:
            raise ValueError(f"DistributedClosure: the closure holds {rows} samples but the "
                             f"rank's shard has {shard.size}")
        self.local, self.comm, self.shard = local, comm, shard
        self.params = local.params

    @property
    def output(self):
        return self.local.output

    def _global_loss(self, loss, backward):
        """The global loss Tensor; with ``backward`` the gradients and buffers become global."""
        if backward:
            value, = average_gradients(self.params, self.comm, extra=[float(loss.item())])
            broadcast_buffers(self.local.model, self.comm)
        else:
            value = self.comm.average_scalar(float(loss.item()))
        return Tensor(loss.xp.asarray(value, dtype=loss.dtype))

    def __call__(self):
        """Shard forward and backward; ``p.grad`` ← global gradient; returns the global loss."""
        return self._global_loss(self.local(), backward=True)

    def loss_value(self):
        """The global mean loss at the current parameters (forward only)."""
        return self.comm.average_scalar(self.local.loss_value())

    def _reduced(self, product, backward):
        return ReducedProduct(product, self._global_loss(product.loss, backward), self.comm)

    def hessian_product(self, backward=True):
        """``v ↦ H v`` of the global batch from one forward pass of the shard."""
        return self._reduced(self.local.hessian_product(backward=backward), backward)

    def gauss_newton_product(self, backward=True):
        """``v ↦ G v`` (Gauss-Newton) of the global batch from one forward pass of the shard."""
        return self._reduced(self.local.gauss_newton_product(backward=backward), backward)

    def hvp(self, vectors):
        """``H v`` of the global batch, a list of arrays shaped like ``params``."""
        return average_arrays(self.local.hvp(vectors), self.comm)

    def ggnvp(self, vectors):
        """``G v`` of the global batch, a list of arrays shaped like ``params``."""
        return average_arrays(self.local.ggnvp(vectors), self.comm)

    def _draws(self, seed):
        return None if seed is None else ShardedGenerator(seed, self.shard)

    def kronecker_factors(self, kind, mc_samples=1, seed=None, chunk_size=None, approx="expand"):
        """Per layer ``G ⊗ A`` of the global batch (``kind`` "kfac" | "kflr" | "kfra");
        ``chunk_size`` bounds the local samples back-propagated at once (KFAC, KFLR); ``approx``
        "expand" | "reduce" for a shared axis (KFAC, KFLR)."""
        if kind not in KRONECKER_KINDS:
            raise ValueError(f"DistributedClosure.kronecker_factors: kind must be one of "
                             f"{KRONECKER_KINDS}, got {kind!r}")
        local = self.local
        if kind == "kfra":
            if chunk_size is not None:
                raise ValueError(f"DistributedClosure.kronecker_factors: chunk_size applies to "
                                 f"'kfac' and 'kflr', not to 'kfra'; got {chunk_size!r}")
            if approx != "expand":
                raise ValueError(f"DistributedClosure.kronecker_factors: KFRA reads a shared "
                                 f"axis as approx='expand' only, got {approx!r}")
            from .kfra import kfra
            return kfra(local.model, local.loss_fn, local.x, local.y, self.comm)
        if kind == "kfac":
            factors = local.kronecker_factors("kfac", mc_samples=mc_samples,
                                              seed=self._draws(seed), chunk_size=chunk_size,
                                              approx=approx)
        else:
            factors = local.kronecker_factors(kind, chunk_size=chunk_size, approx=approx)
        return average_factors(factors, self.comm)

    def diag_hessian(self):
        """The exact Hessian diagonal of the global batch, ``(P,)``."""
        local = self.local
        return self.comm.all_reduce_mean(diag_hessian(local.model, local.loss_fn, local.x,
                                                      local.y))

    def diag_ggn(self, mc_samples=None, seed=None):
        """The Gauss-Newton diagonal of the global batch (sampled with ``mc_samples``), ``(P,)``."""
        local = self.local
        return self.comm.all_reduce_mean(diag_ggn(local.model, local.loss_fn, local.x, local.y,
                                                  mc_samples=mc_samples,
                                                  seed=self._draws(seed)))

    def operator(self, curvature="ggn"):
        """``v ↦ B v`` on flat ``(P,)`` vectors, ``B`` the global Hessian or Gauss-Newton matrix."""
        product = {"hessian": self.hvp, "ggn": self.ggnvp}.get(curvature)
        if product is None:
            raise ValueError(f"DistributedClosure.operator: curvature must be 'hessian' or "
                             f"'ggn', got {curvature!r}")
        size = num_parameters(self.params)
        first = self.params[0]

        def matvec(vector):
            return arrays_to_vector(product(vector_to_arrays(vector, self.params)))
        return LinearOperator(matvec, (size, size), first.dtype, first.xp)

    def class_gradients(self):
        """``(C, P)`` class gradients of the global batch (``class_gradients.py``)."""
        local = self.local
        if local.y is None:
            return self.comm.all_reduce_mean(class_gradients(local.model, local.x))
        return global_class_gradients(local.model, self.params, local.x, local.y, self.comm)

    def __getattr__(self, name):
        raise AttributeError(f"DistributedClosure has no {name!r}: it offers only quantities "
                             f"reduced over the ranks (see its docstring); the shard's closure "
                             f"is .local")
