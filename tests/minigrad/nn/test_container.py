"""Sequential, ModuleList and ModuleDict register their modules (parameters, state_dict, modes)."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(3, 2), "reg": nn.Linear(3, 1)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x).tanh()
        return self.heads["cls"](x), self.heads["reg"](x)


def test_module_list_and_dict_register_parameters_in_order():
    tower = Tower()
    names = [name for name, _ in tower.named_parameters()]
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                     "heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "heads.reg.bias"]
    assert list(tower.state_dict()) == names
    tower.eval()
    assert not any(m.training for m in tower.modules())
    cls, reg = tower(random_tensor((4, 3)))
    assert cls.shape == (4, 2) and reg.shape == (4, 1)


def test_module_list_behaves_as_a_list():
    layers = nn.ModuleList([nn.ReLU()])
    layers.append(nn.Tanh()).extend([nn.Sigmoid()])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(layers[-1], nn.Sigmoid) and len(layers[1:3]) == 2
    layers[0] = nn.Linear(2, 2)
    del layers[1]
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh", "Sigmoid"]
    assert [name for name, _ in layers.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="ModuleList entry 3 is a int, not a Module"):
        layers.append(3)


def test_module_dict_behaves_as_a_dict():
    heads = nn.ModuleDict([("a", nn.Linear(2, 2))])
    heads["b"] = nn.ReLU()
    assert "a" in heads and heads.keys() == ["a", "b"] and len(heads) == 2
    assert isinstance(heads.pop("a"), nn.Linear) and list(heads) == ["b"]
    assert list(heads.parameters()) == []
    for key in ("x.y", "train", 3):
        with pytest.raises(KeyError, match="ModuleDict: key must be"):
            heads[key] = nn.ReLU()


def test_sequential_refuses_a_non_module():
    with pytest.raises(TypeError, match="Sequential entry 1 is a ufunc, not a Module"):
        nn.Sequential(nn.ReLU(), numpy.tanh)
