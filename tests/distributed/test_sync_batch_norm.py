"""``SyncBatchNorm`` and ``convert_sync_batchnorm`` on one rank (the 2-rank case is in
``test_curvature_equivalence.py``): the same layer as batch norm, to second order."""
import numpy
import pytest

from minigrad import nn
from minigrad.distributed.communicator import Communicator
from minigrad.distributed.sync_batch_norm import SyncBatchNorm, convert_sync_batchnorm
from tests.helpers import check_op, random_tensor

from .fakes import FAKE_MPI, LoopbackMPIComm


def one_rank():
    return Communicator(LoopbackMPIComm(rank=0, size=1), FAKE_MPI)


def net():
    nn.init.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))


def test_conversion_keeps_order_parameters_and_buffers():
    model = net()
    norm = model[1]
    convert_sync_batchnorm(model, one_rank())
    assert [type(m).__name__ for m in model] == ["Linear", "SyncBatchNorm", "Tanh", "Linear"]
    assert model[1].weight is norm.weight and model[1].running_mean is norm.running_mean
    assert [name for name, _ in model.named_parameters()] == [
        name for name, _ in net().named_parameters()]


@pytest.mark.parametrize("training", [True, False])
def test_one_rank_equals_batch_norm(training):
    plain, synced = net(), convert_sync_batchnorm(net(), one_rank())
    plain.train(training), synced.train(training)
    x = random_tensor((5, 3), seed=1, requires_grad=False)
    numpy.testing.assert_allclose(synced(x).data, plain(x).data, rtol=1e-13, atol=1e-15)
    numpy.testing.assert_allclose(synced[1].running_var, plain[1].running_var, rtol=1e-14)


def test_first_and_second_derivatives_match_finite_differences():
    layer = SyncBatchNorm(nn.BatchNorm2d(2), one_rank())
    check_op(lambda x: layer(x), [random_tensor((3, 2, 2, 2), seed=2)])


def test_a_wrong_input_shape_names_the_layer():
    layer = SyncBatchNorm(nn.BatchNorm1d(4), one_rank())
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(4.*expects input of shape"):
        layer(random_tensor((2, 3)))
