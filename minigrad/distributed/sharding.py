"""Each rank's deterministic, seed-dependent shard of every global batch.

A global batch of ``B`` samples (``B`` divisible by the world size ``K``) is split at
step ``t`` by the permutation ``π = permutation(B)`` of a NumPy generator seeded with
``(seed, t)``: rank ``r`` holds the positions ``π[r·B/K : (r+1)·B/K]``. The shards are
disjoint, cover the batch, have ``B/K`` samples each (so the global mean loss is the mean
of the shard means), depend on nothing but ``(seed, t, B, K, r)``, and mix which samples
share a rank from step to step (per-rank batch-norm statistics see varied groups).

``BatchSharder(comm, seed).shard(step, batch_size)`` → ``BatchShard`` with ``positions``
(the rank's rows of the global batch, ``(B/K,)`` int64), ``global_size`` and ``take(array)``
(the rows of a global-batch array, NumPy or CuPy).
"""
import numpy

from ..backend import get_array_module
from ..tensor import Tensor


class BatchShard:
    """One rank's rows ``positions`` of a global batch of ``global_size`` samples."""

    def __init__(self, positions, global_size):
        self.positions, self.global_size = positions, global_size

    @property
    def size(self):
        return len(self.positions)

    def take(self, array):
        """The rank's rows of ``array`` (first axis = the global batch)."""
        data = array.data if isinstance(array, Tensor) else array
        if data.shape[0] != self.global_size:
            raise ValueError(f"BatchShard.take: the array has {data.shape[0]} rows but the "
                             f"global batch has {self.global_size} samples")
        return data[get_array_module(data).asarray(self.positions)]

    def __repr__(self):
        return f"BatchShard({self.size} of {self.global_size} samples)"


class BatchSharder:
    """Splits every global batch among the ranks of ``comm``; see the module docstring."""

    def __init__(self, comm, seed=0):
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"BatchSharder: seed must be an integer ≥ 0, got {seed!r}")
        self.rank, self.world_size, self.seed = comm.rank, comm.size, seed

    def shard(self, step, batch_size):
        """The ``BatchShard`` of this rank at ``step`` for a global batch of ``batch_size``."""
        if batch_size % self.world_size:
            raise ValueError(f"the global batch size {batch_size} is not divisible by the "
                             f"{self.world_size} ranks; choose a multiple of {self.world_size}")
        per_rank = batch_size // self.world_size
        order = numpy.random.default_rng([self.seed, step]).permutation(batch_size)
        return BatchShard(order[self.rank * per_rank:(self.rank + 1) * per_rank], batch_size)
