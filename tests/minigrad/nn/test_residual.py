"""Residual: branch(x) + shortcut(x), registration order, shape check."""
import numpy
import pytest

from minigrad import nn
from tests.helpers import random_tensor


def test_identity_shortcut_adds_the_input():
    branch = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    block = nn.Residual(branch)
    x = random_tensor((2, 3), seed=17)
    numpy.testing.assert_allclose(block(x).numpy(), branch(x).numpy() + x.numpy(), rtol=1e-12)
    assert isinstance(block.shortcut, nn.Identity) and block.branch is branch


def test_projection_shortcut_and_parameter_order():
    block = nn.Residual(nn.Linear(3, 2), nn.Linear(3, 2, bias=False))
    x = random_tensor((4, 3), seed=18)
    expected = block.branch(x).numpy() + block.shortcut(x).numpy()
    numpy.testing.assert_allclose(block(x).numpy(), expected, rtol=1e-12)
    assert [n for n, _ in block.named_parameters()] == ["branch.weight", "branch.bias",
                                                          "shortcut.weight"]


def test_shape_mismatch_and_non_modules_are_rejected():
    with pytest.raises(ValueError, match=r"Residual: branch output shape \(4, 2\) differs from "
                                         r"shortcut output shape \(4, 3\)"):
        nn.Residual(nn.Linear(3, 2))(random_tensor((4, 3)))
    with pytest.raises(TypeError, match="Residual: branch must be a Module"):
        nn.Residual(lambda x: x)
