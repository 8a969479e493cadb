"""Monte-Carlo draws of the global batch, of which each rank keeps the rows of its shard.

The sampled curvature (KFAC's Fisher columns, ``diag_ggn(mc_samples=M)``) draws its
noise with one call of shape ``(M, N, ...)`` (axis 1 = the samples) on a NumPy
generator seeded by ``seed``. ``ShardedGenerator(seed, shard)`` is that generator for a
rank holding ``shard``: asked for ``(M, N/K, ...)`` draws, it draws ``(M, N, ...)`` for
the global batch with the stream of ``numpy.random.default_rng(seed)`` and returns the
columns ``[:, shard.positions]``. Every sample then gets the draw it gets in one process
on the global batch, so the reduced factors equal the single-process ones for the same seed.
"""
import numpy


class ShardedGenerator(numpy.random.Generator):
    """``numpy.random.default_rng(seed)``'s draws for the global batch, restricted to ``shard``."""

    def __init__(self, seed, shard):
        super().__init__(numpy.random.PCG64(seed))
        self.shard = shard

    def _global_size(self, size, method):
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        if len(size) < 2 or size[1] != self.shard.size:
            raise ValueError(f"ShardedGenerator.{method}: expected draws of shape (M, "
                             f"{self.shard.size}, ...) for a shard of {self.shard.size} "
                             f"samples, got size {size}")
        return (size[0], self.shard.global_size) + size[2:]

    def random(self, size=None, dtype=numpy.float64, out=None):
        draws = super().random(self._global_size(size, "random"), dtype)
        return draws[:, self.shard.positions]

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        draws = super().standard_normal(self._global_size(size, "standard_normal"), dtype)
        return draws[:, self.shard.positions]
