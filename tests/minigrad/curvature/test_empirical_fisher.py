"""The empirical Fisher ``c_N Σ_n ∇ℓ_n ∇ℓ_nᵀ``, its operator and its diagonal against outer
products of single-sample gradients (``minigrad.grad`` one sample at a time)."""
import numpy
import pytest

from minigrad import curvature, nn
from minigrad.nn.activation import Tanh
from tests.minigrad.curvature.layerwise_reference import host, mlp_case
from tests.minigrad.curvature.test_per_sample_gradients import CASES, reference_batch_grad


def reference_empirical_fisher(model, loss, x, y):
    scale = 1.0 / x.shape[0] if loss.reduction == "mean" else 1.0
    rows = numpy.concatenate([g.reshape(x.shape[0], -1)
                              for g in reference_batch_grad(model, loss, x, y)], axis=1) / scale
    return scale * rows.T @ rows


@pytest.mark.parametrize("name", sorted(CASES))
def test_dense_operator_and_diagonal_equal_the_outer_products_of_sample_gradients(name):
    model, loss, x, y = CASES[name]()
    expected = reference_empirical_fisher(model, loss, x, y)
    numpy.testing.assert_allclose(host(curvature.empirical_fisher(model, loss, x, y)), expected,
                                  rtol=1e-10, atol=1e-13)
    operator = curvature.empirical_fisher_operator(model, loss, x, y)
    v = numpy.random.default_rng(0).standard_normal(expected.shape[0])
    numpy.testing.assert_allclose(host(operator @ v), expected @ v, rtol=1e-10, atol=1e-13)
    numpy.testing.assert_allclose(host(curvature.diag_empirical_fisher(model, loss, x, y)),
                                  numpy.diag(expected), rtol=1e-10, atol=1e-13)


def test_mean_loss_is_one_over_n_of_the_sum_of_outer_products():
    model, loss, x, y = mlp_case(Tanh, "mse")
    summed = curvature.empirical_fisher(model, nn.MSELoss(reduction="sum"), x, y)
    mean = curvature.empirical_fisher(model, loss, x, y)
    n, outputs = x.shape[0], 3           # MSELoss("mean") also divides each ℓ_n by K
    numpy.testing.assert_allclose(host(mean), host(summed) / (n * outputs ** 2), rtol=1e-10)


def test_sum_reduction_uses_c_n_one():
    model, _, x, y = mlp_case(Tanh, "mse")
    loss = nn.MSELoss(reduction="sum")
    numpy.testing.assert_allclose(host(curvature.empirical_fisher(model, loss, x, y)),
                                  reference_empirical_fisher(model, loss, x, y), rtol=1e-10,
                                  atol=1e-13)


def test_dense_empirical_fisher_above_the_memory_limit_names_the_operator():
    model, loss, x, y = mlp_case(Tanh, "mse")
    previous = curvature.set_memory_limit(1024)
    try:
        with pytest.raises(MemoryError, match="empirical_fisher.*empirical_fisher_operator"):
            curvature.empirical_fisher(model, loss, x, y)
    finally:
        curvature.set_memory_limit(previous)
