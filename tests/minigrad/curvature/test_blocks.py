"""Exact per-layer Hessian and GN blocks against double-backward and Jacobian references."""
import numpy
import pytest

from minigrad import nn
from minigrad.curvature import block_ggn, block_hessian, ggn, hessian
from minigrad.nn.activation import ReLU, Sigmoid, Softplus, Tanh
from tests.minigrad.curvature.layerwise_reference import (
    LAYERWISE_CASES, blocks_of, full_hessian, host, layer_parameters, mlp_case)

CASES = {
    **LAYERWISE_CASES,
    "softplus-ce": lambda: mlp_case(Softplus, "ce", seed=3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_block_hessian_matches_double_backward(name):
    model, loss, x, y = CASES[name]()
    reference = blocks_of(full_hessian(model, loss, x, y), layer_parameters(model))
    blocks = block_hessian(model, loss, x, y)
    assert len(blocks) == len(reference)
    for block, expected in zip(blocks, reference):
        numpy.testing.assert_allclose(host(block), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_block_ggn_matches_blocks_of_ggn(name):
    model, loss, x, y = CASES[name]()
    reference = blocks_of(host(ggn(model, loss, x, y)), layer_parameters(model))
    for block, expected in zip(block_ggn(model, loss, x, y), reference):
        numpy.testing.assert_allclose(host(block), expected, rtol=0, atol=1e-12)


def test_relu_within_layer_hessian_blocks_equal_gn_blocks():
    model, loss, x, y = mlp_case(ReLU, "ce", seed=5)
    for hessian_block, gn_block in zip(block_hessian(model, loss, x, y), block_ggn(model, loss, x, y)):
        numpy.testing.assert_allclose(host(hessian_block), host(gn_block), rtol=0, atol=1e-12)
    model, loss, x, y = mlp_case(Sigmoid, "ce", seed=5)
    difference = max(numpy.abs(host(h) - host(g)).max() for h, g in
                     zip(block_hessian(model, loss, x, y), block_ggn(model, loss, x, y)))
    assert difference > 1e-6


def test_sum_reduction_scales_by_batch_size():
    model, loss, x, y = mlp_case(Tanh, "mse")
    mean_blocks = block_hessian(model, loss, x, y)
    sum_blocks = block_hessian(model, nn.MSELoss(reduction="sum"), x, y)
    for mean_block, sum_block in zip(mean_blocks, sum_blocks):
        numpy.testing.assert_allclose(host(sum_block), host(mean_block) * x.shape[0] * 3,
                                      rtol=1e-10, atol=1e-12)


def test_batchmean_reduction_is_the_sum_over_outputs_averaged_over_samples():
    model, loss, x, y = mlp_case(Tanh, "mse")
    sum_blocks = block_hessian(model, nn.MSELoss(reduction="sum"), x, y)
    batchmean_blocks = block_hessian(model, nn.MSELoss(reduction="batchmean"), x, y)
    dense = hessian(model, nn.MSELoss(reduction="batchmean"), x, y)
    start = 0
    for sum_block, batchmean_block in zip(sum_blocks, batchmean_blocks):
        numpy.testing.assert_allclose(host(batchmean_block), host(sum_block) / x.shape[0],
                                      rtol=1e-10, atol=1e-12)
        stop = start + batchmean_block.shape[0]
        numpy.testing.assert_allclose(host(batchmean_block), host(dense)[start:stop, start:stop],
                                      rtol=1e-10, atol=1e-12)
        start = stop


def test_loss_without_reduction_is_refused():
    model, _, x, y = mlp_case(Tanh, "mse")
    with pytest.raises(ValueError, match="reduction"):
        block_ggn(model, nn.MSELoss(reduction="none"), x, y)
