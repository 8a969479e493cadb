"""Exact Hessian and GN diagonals against the diagonals of dense references."""
import numpy
import pytest

from minigrad import nn
from minigrad.curvature import diag_ggn, diag_hessian, ggn
from minigrad.nn.activation import Sigmoid, Softplus
from tests.minigrad.curvature.layerwise_reference import (
    LAYERWISE_CASES, float64_models, full_hessian, gauss_newton, host, mlp_case,
    residual_case, _inputs, _labels)


def deep_chain_case():
    """Four Linear layers, so the lowest layer's diagonal needs columns from two layers up."""
    with float64_models(7):
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Sigmoid(),
                              nn.Linear(4, 3), nn.Softplus(), nn.Linear(3, 3))
    return model, nn.CrossEntropyLoss(), _inputs((4, 3), 8), _labels(4, 3, 9)


CASES = {
    **LAYERWISE_CASES,
    "softplus-bce": lambda: mlp_case(Softplus, "bce", seed=2),
    "deep-chain": deep_chain_case,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diag_hessian_is_the_hessian_diagonal(name):
    model, loss, x, y = CASES[name]()
    expected = numpy.diag(full_hessian(model, loss, x, y))
    numpy.testing.assert_allclose(host(diag_hessian(model, loss, x, y)), expected,
                                  rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_diag_ggn_is_the_gn_diagonal(name):
    model, loss, x, y = CASES[name]()
    expected = numpy.diag(gauss_newton(model, loss, x, y))
    numpy.testing.assert_allclose(host(diag_ggn(model, loss, x, y)), expected, rtol=0, atol=1e-10)


def test_monte_carlo_diag_ggn_converges():
    model, loss, x, y = mlp_case(Sigmoid, "ce")
    exact = host(diag_ggn(model, loss, x, y))
    errors = [numpy.abs(host(diag_ggn(model, loss, x, y, mc_samples=m, seed=1)) - exact).max()
              for m in (20, 4000)]
    assert errors[1] < errors[0] / 4
    assert errors[1] < 0.05 * numpy.abs(exact).max()
    numpy.testing.assert_array_equal(host(diag_ggn(model, loss, x, y, mc_samples=5, seed=3)),
                                     host(diag_ggn(model, loss, x, y, mc_samples=5, seed=3)))


def test_diag_ggn_equals_ggn_diagonal_for_residual_net():
    model, loss, x, y = residual_case()
    numpy.testing.assert_allclose(host(diag_ggn(model, loss, x, y)),
                                  numpy.diag(host(ggn(model, loss, x, y))), rtol=0, atol=1e-12)
