"""The verification ladder (gradient, HVP, Hessian against finite differences) on every
layerwise test net (MLPs with sigmoid, tanh and ReLU under CE, MSE and BCE; a CNN with
max-pooling; a CNN with batch norm (eval) and average pooling; a residual net):

1. ``hessian`` (dense, from HVPs) equals the Hessian from central differences of the
   gradient (relative error < 1e-6);
2. every ``block_hessian`` block and ``diag_hessian`` equal the matching parts of that
   ``hessian`` (< 1e-10).
"""
import numpy
import pytest

from minigrad.curvature import block_hessian, diag_hessian, hessian
from tests.minigrad.curvature.layerwise_reference import (LAYERWISE_CASES, blocks_of, host,
                                                          layer_parameters)
from tests.minigrad.curvature.matrix_free_cases import finite_difference_hessian, relative_error


@pytest.mark.parametrize("name", sorted(LAYERWISE_CASES))
def test_hessian_matches_finite_differences_and_the_layerwise_recursion(name):
    model, loss, x, y = LAYERWISE_CASES[name]()
    dense = host(hessian(model, loss, x, y))
    assert relative_error(dense, host(finite_difference_hessian(model, loss, x, y))) < 1e-6
    for block, expected in zip(block_hessian(model, loss, x, y),
                               blocks_of(dense, layer_parameters(model))):
        numpy.testing.assert_allclose(host(block), expected, rtol=0, atol=1e-10)
    numpy.testing.assert_allclose(host(diag_hessian(model, loss, x, y)), numpy.diag(dense),
                                  rtol=0, atol=1e-10)
