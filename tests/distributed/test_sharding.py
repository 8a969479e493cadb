"""Shards of the global batch, and the Monte-Carlo draws each shard gets."""
import types

import numpy
import pytest

from minigrad.distributed.sampling import ShardedGenerator
from minigrad.distributed.sharding import BatchShard, BatchSharder


def ranks(size):
    return [types.SimpleNamespace(rank=r, size=size) for r in range(size)]


def test_shards_are_disjoint_equal_and_cover_the_batch():
    shards = [BatchSharder(comm, seed=5).shard(step=2, batch_size=12) for comm in ranks(3)]
    assert [s.size for s in shards] == [4, 4, 4]
    assert sorted(numpy.concatenate([s.positions for s in shards])) == list(range(12))


def test_shards_depend_on_seed_and_step_only():
    comm = ranks(2)[1]
    first = BatchSharder(comm, seed=5).shard(3, 8).positions
    numpy.testing.assert_array_equal(first, BatchSharder(comm, seed=5).shard(3, 8).positions)
    assert not numpy.array_equal(first, BatchSharder(comm, seed=6).shard(3, 8).positions)
    assert not numpy.array_equal(first, BatchSharder(comm, seed=5).shard(4, 8).positions)


def test_a_batch_size_not_divisible_by_the_ranks_is_refused():
    with pytest.raises(ValueError, match="global batch size 10 is not divisible by the 4 ranks"):
        BatchSharder(ranks(4)[0], seed=0).shard(0, 10)


def test_take_selects_the_rows_and_checks_the_batch_size():
    shard = BatchShard(numpy.array([3, 0]), 4)
    numpy.testing.assert_array_equal(shard.take(numpy.arange(8).reshape(4, 2)), [[6, 7], [0, 1]])
    with pytest.raises(ValueError, match="the array has 5 rows but the global batch has 4"):
        shard.take(numpy.zeros((5, 2)))


def test_sharded_draws_are_the_global_draws_of_the_shard_rows():
    shard = BatchShard(numpy.array([4, 1, 2]), 6)
    reference = numpy.random.default_rng(9)
    generator = ShardedGenerator(9, shard)
    assert numpy.random.default_rng(generator) is generator
    numpy.testing.assert_array_equal(generator.random((2, 3, 1)),
                                     reference.random((2, 6, 1))[:, shard.positions])
    numpy.testing.assert_array_equal(generator.standard_normal((1, 3, 2)),
                                     reference.standard_normal((1, 6, 2))[:, shard.positions])


def test_sharded_draws_refuse_a_shape_without_the_shard_axis():
    with pytest.raises(ValueError, match=r"expected draws of shape \(M, 3, ...\)"):
        ShardedGenerator(0, BatchShard(numpy.arange(3), 6)).random((2, 6))
