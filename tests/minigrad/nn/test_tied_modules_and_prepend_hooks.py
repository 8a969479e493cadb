"""A module or Parameter registered at several places is listed once (PyTorch's
``remove_duplicate``), and ``prepend=True`` runs a hook before those already registered."""
import numpy

import minigrad
from minigrad import nn


def test_a_module_registered_twice_is_listed_once_unless_asked():
    inner = nn.Linear(2, 2)
    model = nn.Sequential(inner, nn.Tanh(), inner)
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert [name for name, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [name for name, _ in model.named_parameters(prefix="net")] == ["net.0.weight",
                                                                         "net.0.bias"]


def test_to_and_train_reach_a_tied_module_once():
    inner = nn.Linear(2, 2)
    model = nn.Sequential(inner, inner).to(numpy.float64).eval()
    assert inner.weight.dtype == numpy.float64 and not inner.training


def test_prepend_runs_a_hook_first():
    layer, order = nn.Identity(), []
    layer.register_forward_hook(lambda m, a, o: order.append("first"))
    layer.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    layer.register_forward_pre_hook(lambda m, a: order.append("pre"))
    layer.register_forward_pre_hook(lambda m, a: order.append("pre prepended"), prepend=True)
    layer(minigrad.tensor(numpy.ones(2)))
    assert order == ["pre prepended", "pre", "prepended", "first"]
