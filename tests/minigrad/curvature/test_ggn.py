"""The full Gauss-Newton matrix in Khatri-Rao form against Jᵀ H_z J from autograd Jacobians."""
import numpy
import pytest

from minigrad.curvature import ggn
from minigrad.nn.activation import ReLU, Sigmoid, Tanh
from tests.minigrad.curvature.layerwise_reference import (
    cnn_case, cnn_norm_case, gauss_newton, host, mlp_case, residual_case)

CASES = {
    "sigmoid-ce": lambda: mlp_case(Sigmoid, "ce"),
    "tanh-mse": lambda: mlp_case(Tanh, "mse"),
    "relu-bce": lambda: mlp_case(ReLU, "bce"),
    "cnn-maxpool": cnn_case,
    "cnn-batchnorm-avgpool": cnn_norm_case,
    "residual": residual_case,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ggn_matches_jacobian_reference(name):
    model, loss, x, y = CASES[name]()
    result = host(ggn(model, loss, x, y))
    numpy.testing.assert_allclose(result, gauss_newton(model, loss, x, y), rtol=0, atol=1e-10)
    numpy.testing.assert_allclose(result, result.T, rtol=0, atol=1e-14)
    assert numpy.linalg.eigvalsh(result).min() > -1e-12
