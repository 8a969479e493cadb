"""EKFAC (``ekfac.py``) and ``kfac(fisher_type=...)`` against the dense blocks of the same
curvature: the Gauss-Newton matrix or its Monte-Carlo estimate from ``sqrt_ggn`` (checked
against ``Jᵀ H_z J`` in ``test_ggn_square_root.py``) and the empirical Fisher (checked against
single-sample gradients in ``test_empirical_fisher.py``)."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from minigrad.backend import to_device
from minigrad.nn.activation import Sigmoid, Tanh
from tests.minigrad.curvature.layerwise_reference import (blocks_of, cnn_case, float64_models,
                                                          gauss_newton, host, layer_parameters,
                                                          mlp_case, residual_case)
from tests.minigrad.curvature.test_ggn_square_root import stacked

CASES = {
    "mlp-ce": lambda: mlp_case(Sigmoid, "ce"),
    "mlp-mse": lambda: mlp_case(Tanh, "mse"),
    "cnn-maxpool": cnn_case,
    "residual": residual_case,
}
SEED, SAMPLES = 4, 3


def dense_blocks(model, loss, x, y, fisher_type):
    """The exact per-layer blocks of the curvature ``fisher_type`` names."""
    if fisher_type == "empirical":
        matrix = host(curvature.empirical_fisher(model, loss, x, y))
    else:
        samples = None if fisher_type == "type-2" else SAMPLES
        root = stacked(curvature.sqrt_ggn(model, loss, x, y, mc_samples=samples, seed=SEED))
        matrix = root.T @ root
    return blocks_of(matrix, layer_parameters(model))


def eigenbasis(block):
    """``Q_G ⊗ Q_A`` over ``[W.ravel(), b]``."""
    size = block.shape[0]
    order = block.kronecker.matrix_to_vector(
        numpy.arange(size).reshape(block.QG.shape[0], block.QA.shape[0]))
    return numpy.kron(host(block.QG), host(block.QA))[order]


@pytest.mark.parametrize("fisher_type", ["type-2", "mc", "empirical"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_ekfac_is_the_dense_block_diagonalised_in_the_kronecker_eigenbasis(name, fisher_type):
    model, loss, x, y = CASES[name]()
    blocks = curvature.ekfac(model, loss, x, y, fisher_type=fisher_type, mc_samples=SAMPLES,
                             seed=SEED)
    factors = curvature.kfac(model, loss, x, y, fisher_type=fisher_type, mc_samples=SAMPLES,
                             seed=SEED)
    for block, kfac, F in zip(blocks, factors, dense_blocks(model, loss, x, y, fisher_type),
                              strict=True):
        E, K = host(block.to_dense()), host(kfac.to_dense())
        numpy.testing.assert_allclose(host(block.kronecker.to_dense()), K, rtol=1e-10,
                                      atol=1e-13)
        Q = eigenbasis(block)
        numpy.testing.assert_allclose(E, Q @ numpy.diag(numpy.diag(Q.T @ F @ Q)) @ Q.T,
                                      rtol=1e-9, atol=1e-12)
        numpy.testing.assert_allclose(E @ K, K @ E, rtol=1e-9, atol=1e-12)
        assert numpy.linalg.norm(E - F) <= numpy.linalg.norm(K - F) * (1 + 1e-12) + 1e-14
        v = numpy.random.default_rng(0).standard_normal(E.shape[0])
        numpy.testing.assert_allclose(host(block @ to_device(v)), E @ v, rtol=1e-10, atol=1e-13)
        solved = host(block.solve(to_device(v), 0.1))
        numpy.testing.assert_allclose(E @ solved + 0.1 * solved, v, rtol=1e-9, atol=1e-12)


def test_kfac_fisher_types_are_kflr_and_the_default_draws():
    model, loss, x, y = CASES["mlp-ce"]()
    for mine, kflr in zip(curvature.kfac(model, loss, x, y, fisher_type="type-2"),
                          curvature.kflr(model, loss, x, y), strict=True):
        numpy.testing.assert_array_equal(host(mine.G), host(kflr.G))
    for mine, default in zip(curvature.kfac(model, loss, x, y, seed=1, fisher_type="mc"),
                             curvature.kfac(model, loss, x, y, seed=1), strict=True):
        numpy.testing.assert_array_equal(host(mine.G), host(default.G))


def deep_linear_case(n):
    with float64_models(5):
        model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2))
    rng = numpy.random.default_rng(n)
    return (model, nn.MSELoss(), minigrad.tensor(rng.standard_normal((n, 3))),
            minigrad.tensor(rng.standard_normal((n, 2))))


@pytest.mark.parametrize("n", [1, 3, 8])
def test_type_2_kfac_and_ekfac_are_exact_for_a_deep_linear_network_with_mse(n):
    model, loss, x, y = deep_linear_case(n)
    exact = blocks_of(gauss_newton(model, loss, x, y), layer_parameters(model))
    factors = curvature.kfac(model, loss, x, y, fisher_type="type-2")
    blocks = curvature.ekfac(model, loss, x, y, fisher_type="type-2")
    for kfac, block, G in zip(factors, blocks, exact, strict=True):
        numpy.testing.assert_allclose(host(kfac.to_dense()), G, rtol=1e-9, atol=1e-12)
        numpy.testing.assert_allclose(host(block.to_dense()), G, rtol=1e-9, atol=1e-12)


def test_unknown_fisher_type_is_refused_with_the_names():
    model, loss, x, y = CASES["mlp-ce"]()
    for quantity in (curvature.kfac, curvature.ekfac):
        with pytest.raises(ValueError, match="fisher_type must be one of.*type-2.*'fisher'"):
            quantity(model, loss, x, y, fisher_type="fisher")
