"""Recording a chain: unsupported modules and sample-coupling batch norm are refused by name."""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.curvature import block_hessian
from tests.minigrad.curvature.layerwise_reference import cnn_norm_case


class Cube(nn.Module):
    def forward(self, x):
        return x * x * x


def test_unsupported_module_is_named():
    model = nn.Sequential(nn.Linear(2, 2), Cube(), nn.Linear(2, 1))
    x = minigrad.tensor(numpy.ones((2, 2), dtype=numpy.float32))
    y = minigrad.tensor(numpy.ones((2, 1), dtype=numpy.float32))
    with pytest.raises(TypeError, match="Cube"):
        block_hessian(model, nn.MSELoss(), x, y)


def test_batchnorm_in_training_mode_is_refused_with_explanation():
    model, loss, x, y = cnn_norm_case()
    model.train()
    with pytest.raises(ValueError, match="couples the samples"):
        block_hessian(model, loss, x, y)
