"""``sqrt_ggn`` and ``diag_ggn_mc`` against the dense Gauss-Newton matrix ``Jᵀ H_z J`` built from
Jacobians by ``minigrad.grad`` (``layerwise_reference.gauss_newton``)."""
import numpy
import pytest

from minigrad import curvature
from tests.minigrad.curvature.layerwise_reference import (cnn_norm_case, gauss_newton, host,
                                                          mlp_case)
from tests.minigrad.curvature.test_per_sample_gradients import CASES
from minigrad.nn.activation import Tanh


def stacked(columns):
    """(V·N, P): the square-root columns over all parameters, flat in ``parameters()`` order."""
    V, N = columns[0].shape[:2]
    return numpy.concatenate([host(c).reshape(V * N, -1) for c in columns], axis=1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outer_product_of_the_exact_square_root_is_the_gauss_newton_matrix(name):
    model, loss, x, y = CASES[name]()
    columns = curvature.sqrt_ggn(model, loss, x, y)
    outputs = host(model(x).data).reshape(x.shape[0], -1).shape[1]
    assert [c.shape for c in columns] == [(outputs, x.shape[0]) + p.shape
                                          for p in model.parameters()]
    root = stacked(columns)
    numpy.testing.assert_allclose(root.T @ root, gauss_newton(model, loss, x, y),
                                  rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("name", ["mlp-ce", "residual", "custom-module", "tied-weights"])
def test_sampled_square_root_has_the_draws_of_diag_ggn_mc(name):
    model, loss, x, y = CASES[name]()
    columns = curvature.sqrt_ggn(model, loss, x, y, mc_samples=3, seed=7)
    assert [c.shape for c in columns] == [(3, x.shape[0]) + p.shape for p in model.parameters()]
    root = stacked(columns)
    numpy.testing.assert_allclose((root ** 2).sum(axis=0),
                                  host(curvature.diag_ggn_mc(model, loss, x, y, mc_samples=3,
                                                             seed=7)), rtol=1e-10, atol=1e-14)


def test_monte_carlo_diagonal_converges_to_the_exact_diagonal():
    model, loss, x, y = CASES["mlp-ce"]()
    exact = host(curvature.diag_ggn(model, loss, x, y))
    errors = [numpy.abs(host(curvature.diag_ggn_mc(model, loss, x, y, mc_samples=m, seed=0))
                        - exact).max() / exact.max() for m in (10, 10000)]
    assert errors[1] < 0.05 and errors[1] < errors[0] / 5


def test_mse_square_root_outer_product_equals_ggn():
    model, loss, x, y = mlp_case(Tanh, "mse")
    root = stacked(curvature.sqrt_ggn(model, loss, x, y))
    numpy.testing.assert_allclose(root.T @ root, host(curvature.ggn(model, loss, x, y)),
                                  rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_diag_ggn_mc_refuses_a_bad_sample_count(bad):
    model, loss, x, y = CASES["mlp-ce"]()
    with pytest.raises(ValueError, match="mc_samples"):
        curvature.diag_ggn_mc(model, loss, x, y, mc_samples=bad)


def test_batch_norm_in_training_mode_is_refused_naming_the_layer():
    model, loss, x, y = cnn_norm_case()
    model.train()
    with pytest.raises(ValueError, match=r"sqrt_ggn: model\.1 \(BatchNorm2d\)"):
        curvature.sqrt_ggn(model, loss, x, y)
