"""Module: apply, zero_grad, load_state_dict (strict, copies), to(), and the
refusal of plain lists of layers."""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import random_tensor


def make_network():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_apply_visits_children_before_the_module():
    network = make_network()
    seen = []
    assert network.apply(lambda m: seen.append(type(m).__name__)) is network
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
    network.apply(lambda m: nn.init.manual_seed(0))


def test_zero_grad_sets_none_by_default_and_zeros_on_request():
    network = make_network()
    network(random_tensor((2, 3))).sum().backward()
    network.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in network.parameters())
    network.zero_grad()
    assert all(p.grad is None for p in network.parameters())


def test_load_state_dict_copies_the_callers_arrays():
    network = make_network()
    best = network.state_dict()
    snapshot = {k: v.copy() for k, v in best.items()}
    network.load_state_dict(best)
    with minigrad.no_grad():
        for p in network.parameters():
            p.data += 1.0
    for key, value in best.items():
        numpy.testing.assert_array_equal(value, snapshot[key])


def test_load_state_dict_strict_and_non_strict():
    network = make_network()
    state = network.state_dict()
    del state["2.bias"]
    state["extra"] = numpy.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing keys \['2.bias'\], unexpected keys "
                                           r"\['extra'\]"):
        network.load_state_dict(state)
    state["0.weight"] = numpy.ones((4, 3))
    result = network.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    numpy.testing.assert_array_equal(network[0].weight.numpy(), numpy.ones((4, 3)))
    assert network.load_state_dict(network.state_dict()) == ([], [])


def test_to_casts_floating_parameters_and_buffers():
    network = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert network.to(numpy.float32) is network
    assert {p.dtype for p in network.parameters()} == {numpy.dtype(numpy.float32)}
    assert network[1].running_var.dtype == numpy.float32
    network.to("cpu", dtype=numpy.float64)
    assert network[0].weight.dtype == numpy.float64
    with pytest.raises(ValueError, match="Sequential.to: unknown device 'gpu'"):
        network.to("gpu")


@pytest.mark.parametrize("value, container", [
    ([nn.Linear(2, 2), nn.ReLU()], "nn.ModuleList"), ((nn.Linear(2, 2),), "nn.ModuleList"),
    ({"a": nn.Linear(2, 2)}, "nn.ModuleDict"), ([nn.Parameter(numpy.zeros(2))], "ModuleList"),
], ids=["list", "tuple", "dict", "parameters"])
def test_a_plain_container_of_layers_is_refused(value, container):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = value

    with pytest.raises(TypeError, match=f"Net: attribute 'layers' is a plain .*{container}"):
        Net()


def test_plain_containers_of_other_values_are_kept():
    layer = nn.Linear(2, 2)
    layer.sizes, layer.names = [1, 2], {"a": 1}
    assert layer.sizes == [1, 2] and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_add_module_named_children_and_freezing():
    network = make_network()
    network.add_module("head", nn.Linear(2, 1))
    assert [name for name, _ in network.named_children()] == ["0", "1", "2", "head"]
    assert network.requires_grad_(False) is network
    assert not any(p.requires_grad for p in network.parameters())
    out = network(random_tensor((2, 3), requires_grad=False))
    assert not out.requires_grad
    network[0].requires_grad_()
    assert [p.requires_grad for p in network.parameters()] == [True, True] + [False] * 4
    with pytest.raises(KeyError, match="add_module: name must be"):
        network.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="add_module: 'x' is a int, not a Module"):
        network.add_module("x", 3)
