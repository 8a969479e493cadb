"""KFLR's columns replaced by fewer ones below a narrow layer (``recursion.fewer_columns``)."""
import numpy
import pytest

from minigrad import nn
from minigrad.curvature import block_ggn, kflr
from minigrad.curvature.layerwise.kronecker import layer_columns
from minigrad.curvature.layerwise.recursion import ColumnGroup, CurvatureState, fewer_columns
from minigrad.nn.activation import Sigmoid
from tests.minigrad.curvature.layerwise_reference import _inputs, float64_models, host


def _per_sample_sums(columns):
    """(N, D, D): Σ_v c_v,n c_v,nᵀ over the flattened entries of columns (V, N, *shape)."""
    flat = columns.reshape(columns.shape[0], columns.shape[1], -1)
    return numpy.einsum("vni,vnj->nij", flat, flat)


def test_fewer_columns_keep_each_samples_sum_of_outer_products():
    S = numpy.random.default_rng(0).standard_normal((17, 3, 2, 2))
    (group,) = fewer_columns(CurvatureState([ColumnGroup(S)])).groups
    assert group.columns.shape == (4, 3, 2, 2)
    numpy.testing.assert_allclose(_per_sample_sums(group.columns), _per_sample_sums(S),
                                  rtol=0, atol=1e-12)


@pytest.mark.parametrize("V,weights", [(15, None), (17, "signs")])
def test_columns_are_kept_when_not_twice_the_entries_or_weighted(V, weights):
    S = numpy.random.default_rng(1).standard_normal((V, 3, 4))
    w = None if weights is None else numpy.sign(numpy.random.default_rng(2).standard_normal((V, 3)))
    (group,) = fewer_columns(CurvatureState([ColumnGroup(S, w)])).groups
    assert group.columns is S and group.weights is w


def _bottleneck(n):
    """12-8-2-8-12 with a linear code layer; MSE gives 12 columns, 2 entries at the code."""
    with float64_models(0):
        model = nn.Sequential(nn.Linear(12, 8), Sigmoid(), nn.Linear(8, 2), nn.Linear(2, 8),
                              Sigmoid(), nn.Linear(8, 12))
    return model, nn.MSELoss(), _inputs((n, 12), 1), _inputs((n, 12), 2)


def test_the_layers_below_the_code_get_its_two_columns():
    model, loss, x, y = _bottleneck(5)
    found, _ = layer_columns(model, loss, x, y, "type-2", None, None, "kflr")
    assert [C.shape[0] for _, C in found] == [12, 12, 2, 2]


def test_kflr_through_the_bottleneck_is_the_exact_block_for_one_sample():
    model, loss, x, y = _bottleneck(1)
    for factors, block in zip(kflr(model, loss, x, y), block_ggn(model, loss, x, y)):
        numpy.testing.assert_allclose(host(factors.to_dense()), host(block), rtol=0, atol=1e-12)


def test_kflr_through_the_bottleneck_averages_the_samples_factors():
    model, loss, x, y = _bottleneck(5)
    singles = [kflr(model, loss, x[i:i + 1], y[i:i + 1]) for i in range(5)]
    for index, factors in enumerate(kflr(model, loss, x, y)):
        expected = numpy.mean([host(single[index].G) for single in singles], axis=0)
        numpy.testing.assert_allclose(host(factors.G), expected, rtol=1e-12, atol=1e-14)
