"""Pre-activation Hessians and Gauss-Newton matrices (``preactivation.py``) against double
backward through the part of the network above a layer: ``∂²L/∂z²`` of ``loss(upper(z), y)``
and ``J_upperᵀ H_out J_upper``, whose per-sample diagonal blocks they are."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from minigrad.nn.activation import Sigmoid, Tanh
from tests.minigrad.curvature.layerwise_reference import (host, mlp_case, output_hessian,
                                                          residual_case)
from tests.minigrad.curvature.test_per_sample_gradients import custom_case


def upper_references(model, loss, x, y, index):
    """(Hessian, Gauss-Newton) of the batch loss in the output z of ``model[index]``,
    (N·D, N·D), with ``model[index + 1:]`` above it."""
    z = x
    for layer in list(model)[:index + 1]:
        z = layer(z)
    leaf = minigrad.Tensor(z.data, requires_grad=True)
    out = leaf
    for layer in list(model)[index + 1:]:
        out = layer(out)
    (g,) = minigrad.grad(loss(out, y), [leaf], create_graph=True)
    flat = g.reshape(-1)
    hessian = numpy.array([minigrad.grad(flat[i], [leaf], retain_graph=True)[0].numpy().ravel()
                           for i in range(flat.shape[0])])
    outputs = out.reshape(-1)
    J = numpy.array([minigrad.grad(outputs[i], [leaf], retain_graph=True)[0].numpy().ravel()
                     for i in range(outputs.shape[0])])
    return hessian, J.T @ output_hessian(loss, out.detach(), y) @ J


def sample_blocks(matrix, n):
    size = matrix.shape[0] // n
    blocks = matrix.reshape(n, size, n, size)
    return numpy.stack([blocks[k, :, k, :] for k in range(n)]), blocks


CASES = {
    "mlp-ce": (lambda: mlp_case(Sigmoid, "ce"), [0, 2, 4]),
    "mlp-mse": (lambda: mlp_case(Tanh, "mse"), [0, 2, 4]),
    "residual": (residual_case, [0, 3]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_preactivation_matrices_are_the_per_sample_blocks_of_the_dense_ones(name):
    build, top_level = CASES[name]
    model, loss, x, y = build()
    n = x.shape[0]
    hessians = curvature.preactivation_hessians(model, loss, x, y)
    ggns = curvature.preactivation_ggns(model, loss, x, y)
    layered = [m for m in model.modules() if m._parameters and not list(m.children())]
    assert len(hessians) == len(ggns) == len(layered)
    for index in top_level:
        position = layered.index(model[index])
        hessian, ggn = upper_references(model, loss, x, y, index)
        for mine, dense in ((hessians[position], hessian), (ggns[position], ggn)):
            blocks, all_blocks = sample_blocks(dense, n)
            numpy.testing.assert_allclose(host(mine), blocks, rtol=1e-9, atol=1e-13)
            for k in range(n):
                all_blocks[k, :, k, :] = 0
            assert numpy.abs(all_blocks).max() < 1e-14       # no cross-sample curvature
    assert any(numpy.abs(host(h) - host(g)).max() > 1e-6 for h, g in zip(hessians, ggns))


def test_a_model_that_is_not_a_chain_is_refused_with_the_reason():
    model, loss, x, y = custom_case()
    with pytest.raises(TypeError, match="preactivation_hessians"):
        curvature.preactivation_hessians(model, loss, x, y)
