"""Forward hooks and pre-hooks: recording activations, replacing values, removable handles."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def make_network():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_forward_hooks_record_activations_and_can_be_removed():
    network = make_network()
    activations, inputs = {}, []
    handles = [module.register_forward_hook(
        lambda m, args, out, name=name: activations.__setitem__(name, out))
        for name, module in network.named_modules() if name]
    pre = network[0].register_forward_pre_hook(lambda m, args: inputs.append(args[0]))
    x = random_tensor((5, 3))
    out = network(x)
    assert list(activations) == ["0", "1", "2"] and activations["2"] is out
    numpy.testing.assert_array_equal(activations["1"].numpy(),
                                     numpy.maximum(activations["0"].numpy(), 0))
    assert inputs[0] is x
    for handle in handles + [pre]:
        handle.remove()
    network(x)
    assert len(inputs) == 1 and len(activations) == 3


def test_hooks_may_replace_inputs_and_outputs():
    layer = nn.Linear(2, 2)
    with layer.register_forward_pre_hook(lambda m, args: args[0] * 0):
        with layer.register_forward_hook(lambda m, args, out: out + 1):
            out = layer(random_tensor((1, 2)))
    numpy.testing.assert_allclose(out.numpy(), layer.bias.numpy()[None] + 1)
    assert not layer._forward_hooks and not layer._forward_pre_hooks
    with pytest.raises(TypeError, match="register_forward_hook: hook must be callable"):
        layer.register_forward_hook(None)
