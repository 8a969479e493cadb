"""``empirical_fisher_operator`` over a data set: the product over uneven batches equals that of
the concatenated batch, and the matrix is ``(1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ`` over all samples (single-sample
gradients, ``reference_batch_grad``)."""
import numpy
import pytest

import minigrad
from minigrad import curvature
from minigrad.data import DataLoader
from minigrad.nn.activation import Sigmoid, Tanh
from tests.helpers import float64_default
from tests.minigrad.curvature.layerwise_reference import (cnn_case, host, layer_parameters,
                                                          mlp_case, residual_case)
from tests.minigrad.curvature.matrix_free_cases import relative_error
from tests.minigrad.curvature.test_data_operators import _split
from tests.minigrad.curvature.test_per_sample_gradients import reference_batch_grad

N = 6
CASES = {
    "mlp-ce": lambda: mlp_case(Sigmoid, "ce", n=N),
    "mlp-mse": lambda: mlp_case(Tanh, "mse", n=N),
    "cnn-maxpool": lambda: cnn_case(n=N),
    "residual": lambda: residual_case(n=N),
}


def per_sample_fisher(model, loss, x, y):
    """``(1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ`` from one backward pass per sample (mean losses: g_n = ∇ℓ_n / N)."""
    rows = numpy.concatenate([g.reshape(N, -1) for g in reference_batch_grad(model, loss, x, y)],
                             axis=1) * N
    return rows.T @ rows / N


def uneven_batches(x, y):
    return _split(x, y if isinstance(y, minigrad.Tensor) else numpy.asarray(y), [3, 1, 2])


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_loader_of_uneven_batches_equals_the_concatenated_batch(name):
    model, loss, x, y = CASES[name]()
    expected = per_sample_fisher(model, loss, x, y)
    v = numpy.random.default_rng(0).standard_normal(expected.shape[0])
    over_data = curvature.empirical_fisher_operator(model, loss, uneven_batches(x, y))
    whole = curvature.empirical_fisher_operator(model, loss, x, y)
    assert relative_error(over_data @ v, whole @ v) < 1e-12
    assert relative_error(over_data.to_dense(), expected) < 1e-12


def test_a_data_loader_and_a_layer_subset():
    model, loss, x, y = CASES["mlp-ce"]()
    expected = per_sample_fisher(model, loss, x, y)
    layers = layer_parameters(model)
    start = sum(p.numel() for p in layers[0])
    stop = start + sum(p.numel() for p in layers[1])
    with float64_default():                  # the loader's batches in float64
        loader = DataLoader(minigrad.to_host(x.data), numpy.asarray(y), batch_size=4)
        whole = curvature.empirical_fisher_operator(model, loss, loader).to_dense()
        block = curvature.empirical_fisher_operator(model, loss, loader, params=layers[1])
        assert relative_error(block.to_dense(), expected[start:stop, start:stop]) < 1e-12
    assert relative_error(whole, expected) < 1e-12
    one_batch = curvature.empirical_fisher_operator(model, loss, x, y, params=layers[1])
    assert relative_error(one_batch.to_dense(), expected[start:stop, start:stop]) < 1e-12


def test_a_one_shot_iterator_and_empty_data_are_refused():
    model, loss, x, y = CASES["mlp-mse"]()
    with pytest.raises(TypeError, match="empirical_fisher_operator: data must be re-iterable"):
        curvature.empirical_fisher_operator(model, loss, iter(uneven_batches(x, y)))
    with pytest.raises(ValueError, match="empirical_fisher_operator: data holds no batches"):
        curvature.empirical_fisher_operator(model, loss, []) @ numpy.ones(
            sum(p.numel() for p in model.parameters()))
