"""``DistributedClosure`` on one rank: the contract, one all-reduce per step, clear errors."""
import numpy
import pytest

import minigrad
import optim
from minigrad import nn
from minigrad.curvature import Closure
from minigrad.distributed import BatchShard, DistributedClosure, average_gradients
from minigrad.distributed.communicator import Communicator

from .fakes import FAKE_MPI, LoopbackMPIComm


def setup(loss_fn=None, rows=6):
    nn.init.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    rng = numpy.random.default_rng(0)
    x, y = minigrad.tensor(rng.standard_normal((rows, 3))), rng.integers(0, 2, rows)
    local = Closure(model, loss_fn or nn.CrossEntropyLoss(), x, y)
    mpi = LoopbackMPIComm(rank=0, size=1)
    return local, Communicator(mpi, FAKE_MPI), mpi, BatchShard(numpy.arange(rows), rows)


def test_a_step_makes_one_all_reduce_of_one_flat_buffer():
    local, comm, mpi, shard = setup()
    closure = DistributedClosure(local, comm, shard)
    loss = closure()
    total = sum(p.numel() for p in local.params)
    assert mpi.calls == [("Allreduce", total + 1)]
    assert isinstance(loss, minigrad.Tensor) and loss.item() == local.loss_value()


def test_one_rank_takes_the_same_steps_as_the_plain_closure():
    local, comm, _, shard = setup()
    reference, _, _, _ = setup()
    mine, theirs = optim.NewtonCG(local.params), optim.NewtonCG(reference.params)
    for _ in range(3):
        mine.step(DistributedClosure(local, comm, shard))
        theirs.step(reference)
    for a, b in zip(local.params, reference.params):
        numpy.testing.assert_array_equal(a.data, b.data)


def test_average_gradients_keeps_missing_gradients_missing():
    local, comm, _, _ = setup()
    local()
    local.params[1].grad = None
    assert average_gradients(local.params, comm, extra=[2.0]) == [2.0]
    assert local.params[1].grad is None


def test_a_sum_reduction_is_refused():
    local, comm, _, shard = setup(nn.CrossEntropyLoss(reduction="sum"))
    with pytest.raises(ValueError, match="reduction='sum'.*mean of the shard losses"):
        DistributedClosure(local, comm, shard)


def test_a_closure_that_is_not_the_shard_is_refused():
    local, comm, _, _ = setup()
    with pytest.raises(ValueError, match="holds 6 samples but the rank's shard has 3"):
        DistributedClosure(local, comm, BatchShard(numpy.arange(3), 6))


def test_an_unreduced_attribute_fails_loudly():
    local, comm, _, shard = setup()
    closure = DistributedClosure(local, comm, shard)
    with pytest.raises(AttributeError, match="no 'model': it offers only quantities reduced"):
        closure.model
    with pytest.raises(ValueError, match="kind must be one of"):
        closure.kronecker_factors("kfc")
    with pytest.raises(ValueError, match="curvature must be 'hessian' or 'ggn'"):
        closure.operator("fisher")
