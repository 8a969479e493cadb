"""Exact Gauss-Newton diagonal and blocks of any ``nn.Module`` (``captured_gauss_newton.py``)
against the equivalent ``nn.Sequential`` and the dense ``Jᵀ H_z J`` from Jacobians."""
import numpy

from minigrad import nn
from minigrad.curvature import block_ggn, diag_ggn
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, blocks_of, gauss_newton, host, layer_parameters)
from tests.minigrad.curvature.test_capture import _resnet_case, _twin_models


def test_custom_module_gives_the_gauss_newton_quantities_of_the_equivalent_sequential():
    custom, chain = _twin_models()
    loss, x, y = nn.MSELoss(), _inputs((4, 4), 1), _inputs((4, 3), 2)
    numpy.testing.assert_allclose(host(diag_ggn(custom, loss, x, y)),
                                  host(diag_ggn(chain, loss, x, y)), rtol=1e-10, atol=1e-14)
    for mine, reference in zip(block_ggn(custom, loss, x, y), block_ggn(chain, loss, x, y),
                               strict=True):
        numpy.testing.assert_allclose(host(mine), host(reference), rtol=1e-10, atol=1e-14)


def test_diag_and_blocks_of_a_resnet_with_training_batch_norm_are_exact():
    model, loss, x, y = _resnet_case(3)
    G = gauss_newton(model, loss, x, y)
    numpy.testing.assert_allclose(host(diag_ggn(model, loss, x, y)), numpy.diag(G),
                                  rtol=1e-9, atol=1e-13)
    expected = blocks_of(G, layer_parameters(model))
    for block, reference in zip(block_ggn(model, loss, x, y), expected, strict=True):
        numpy.testing.assert_allclose(host(block), reference, rtol=1e-9, atol=1e-13)
