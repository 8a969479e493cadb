"""state_dict / load_state_dict of a network with parameters and buffers in nested modules."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def make_network():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(),
                         nn.Residual(nn.Sequential(nn.Conv2d(2, 2, 3, padding=1),
                                                   nn.BatchNorm2d(2))),
                         nn.Flatten(), nn.Linear(8, 3))


def test_round_trip_restores_parameters_buffers_and_outputs():
    nn.manual_seed(1)
    source = make_network()
    source(random_tensor((3, 1, 4, 4), seed=19))
    nn.manual_seed(2)
    target = make_network()
    state = source.state_dict()
    assert "1.running_mean" in state and "3.branch.1.running_var" in state
    target.load_state_dict(state)
    for name, value in target.state_dict().items():
        numpy.testing.assert_array_equal(value, state[name])
    source.eval(), target.eval()
    x = random_tensor((2, 1, 4, 4), seed=20)
    numpy.testing.assert_array_equal(target(x).numpy(), source(x).numpy())


def test_assigning_a_buffer_keeps_it_in_the_state_dict():
    norm = nn.BatchNorm1d(3)
    norm.running_mean = norm.running_mean + 2.0
    assert [name for name, _ in norm.named_buffers()] == ["running_mean", "running_var"]
    numpy.testing.assert_array_equal(norm.state_dict()["running_mean"], numpy.full(3, 2.0))


def test_load_state_dict_refuses_a_buffer_of_the_wrong_shape():
    state = nn.BatchNorm1d(3).state_dict()
    state["running_var"] = numpy.ones(4)
    with pytest.raises(ValueError, match=r"running_var has shape \(4,\).*\(3,\)"):
        nn.BatchNorm1d(3).load_state_dict(state)
