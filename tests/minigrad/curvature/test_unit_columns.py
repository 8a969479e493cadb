"""Scaled unit columns (a diagonal loss Hessian's square root) through a ``Linear`` and in
its KFLR output factor."""
import numpy
import pytest

from minigrad import nn
from minigrad.curvature.layerwise.derivatives.linear import LinearDerivatives
from minigrad.curvature.layerwise.kronecker import output_factor
from minigrad.curvature.layerwise.losses import unit_columns
from minigrad.curvature.layerwise.recursion import ColumnGroup, RecordedBatch
from tests.minigrad.curvature.layerwise_reference import (_inputs, float64_models, host,
                                                          mlp_case)


def test_a_linear_maps_unit_columns_as_their_dense_product():
    with float64_models(0):
        layer = nn.Linear(4, 3)
    x = _inputs((5, 4), 1)
    root = numpy.abs(_inputs((5, 3), 2).data)
    rules = LinearDerivatives()
    fast = rules.jac_t_unit_columns(layer, x.data, None, root)
    dense = rules.jac_t_mat_prod(layer, x.data, None, unit_columns(root, (3,)))
    assert fast.shape == (3, 5, 4)
    numpy.testing.assert_allclose(host(fast), host(dense), rtol=0, atol=1e-15)


@pytest.mark.parametrize("loss_name,unit", [("mse", True), ("bce", True), ("ce", False)])
def test_the_exact_output_columns_are_unit_columns_for_a_diagonal_loss_hessian(loss_name, unit):
    model, loss, x, y = mlp_case(nn.Tanh, loss_name)
    group = RecordedBatch(model, loss, x, y, "test").output_group()
    assert (group.unit_root is not None) == unit
    if unit:
        numpy.testing.assert_allclose(
            host(unit_columns(group.unit_root, (3,))), host(group.columns), rtol=0, atol=0)


def test_sampled_columns_are_not_unit_columns():
    model, loss, x, y = mlp_case(nn.Tanh, "mse")
    assert RecordedBatch(model, loss, x, y, "test").output_group(1, 0).unit_root is None


@pytest.mark.parametrize("approx", ["expand", "reduce"])
def test_the_output_factor_of_unit_columns_is_the_gram_of_their_rows(approx):
    model, loss, x, y = mlp_case(nn.Tanh, "bce")
    batch = RecordedBatch(model, loss, x, y, "test")
    group = batch.output_group()
    step = batch.steps[-1]
    dense = ColumnGroup(group.columns)
    numpy.testing.assert_allclose(host(output_factor(step, group, approx, 0.2)),
                                  host(output_factor(step, dense, approx, 0.2)),
                                  rtol=0, atol=1e-15)
