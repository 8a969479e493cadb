"""Exact curvature of residual networks with a nonlinearity below a residual block.

Below the block the Hessian recursion needs the gradient at the block input, which is the sum
of the gradients through the branch and the shortcut; a Tanh, Sigmoid or Softplus there turns
that gradient into a second-derivative term, so a wrong sum shows in the diagonal and the
blocks of every layer below. Each result is compared with dense float64 references
(``full_hessian`` by double backward, ``gauss_newton`` as ``Jᵀ H_z J``).
"""
import numpy
import pytest

from minigrad import nn
from minigrad.curvature import block_ggn, block_hessian, diag_ggn, diag_hessian
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, _labels, blocks_of, float64_models, full_hessian, gauss_newton, host,
    layer_parameters)

ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus}


def residual_below_case(activation, seed=4, n=4):
    """Linear → act → Residual(Linear → act → Linear, shortcut Linear) → Residual(Linear) → act → Linear."""
    with float64_models(seed):
        first = nn.Residual(nn.Sequential(nn.Linear(4, 3), activation(), nn.Linear(3, 4)),
                            nn.Linear(4, 4))
        second = nn.Residual(nn.Sequential(nn.Linear(4, 4)))
        model = nn.Sequential(nn.Linear(3, 4), activation(), first, second, activation(),
                              nn.Linear(4, 3))
    return model, nn.CrossEntropyLoss(), _inputs((n, 3), seed + 1), _labels(n, 3, seed + 2)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_diag_hessian_below_a_residual_block(name):
    model, loss, x, y = residual_below_case(ACTIVATIONS[name])
    expected = numpy.diag(full_hessian(model, loss, x, y))
    numpy.testing.assert_allclose(host(diag_hessian(model, loss, x, y)), expected,
                                  rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_block_hessian_below_a_residual_block(name):
    model, loss, x, y = residual_below_case(ACTIVATIONS[name])
    reference = blocks_of(full_hessian(model, loss, x, y), layer_parameters(model))
    blocks = block_hessian(model, loss, x, y)
    assert len(blocks) == len(reference)
    for block, expected in zip(blocks, reference):
        numpy.testing.assert_allclose(host(block), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gauss_newton_blocks_and_diagonal_below_a_residual_block(name):
    model, loss, x, y = residual_below_case(ACTIVATIONS[name])
    dense = gauss_newton(model, loss, x, y)
    reference = blocks_of(dense, layer_parameters(model))
    blocks = block_ggn(model, loss, x, y)
    assert len(blocks) == len(reference)
    for block, expected in zip(blocks, reference):
        numpy.testing.assert_allclose(host(block), expected, rtol=0, atol=1e-12)
    numpy.testing.assert_allclose(host(diag_ggn(model, loss, x, y)), numpy.diag(dense),
                                  rtol=0, atol=1e-12)


def test_the_lowest_block_sees_the_second_derivative_term():
    """The case is one where the term matters: Hessian and GN blocks of the lowest layer differ."""
    model, loss, x, y = residual_below_case(nn.Tanh)
    difference = host(block_hessian(model, loss, x, y)[0]) - host(block_ggn(model, loss, x, y)[0])
    assert numpy.abs(difference).max() > 1e-3
