"""An empty batch, and a model with no Kronecker layer, are errors that say so."""
import numpy
import pytest

import optim
from minigrad import curvature, nn
from tests.minigrad.curvature.layerwise_reference import float64_models, mlp_case
from minigrad.nn.activation import Tanh

EMPTY_BATCH_FUNCTIONS = [
    pytest.param(lambda m, l, x, y: curvature.hessian(m, l, x, y), id="hessian"),
    pytest.param(lambda m, l, x, y: curvature.ggn(m, l, x, y), id="ggn"),
    pytest.param(lambda m, l, x, y: curvature.kflr(m, l, x, y), id="kflr"),
    pytest.param(lambda m, l, x, y: curvature.kfac(m, l, x, y, seed=0), id="kfac"),
    pytest.param(lambda m, l, x, y: curvature.kfra(m, l, x, y), id="kfra"),
    pytest.param(lambda m, l, x, y: curvature.block_hessian(m, l, x, y), id="block_hessian"),
    pytest.param(lambda m, l, x, y: curvature.block_ggn(m, l, x, y, dense=False),
                 id="block_ggn-operator"),
    pytest.param(lambda m, l, x, y: curvature.diag_hessian(m, l, x, y), id="diag_hessian"),
    pytest.param(lambda m, l, x, y: curvature.diag_ggn(m, l, x, y), id="diag_ggn"),
    pytest.param(lambda m, l, x, y: curvature.flat_gradient(m, l, x, y), id="flat_gradient"),
    pytest.param(lambda m, l, x, y: curvature.Closure(m, l, x, y)(), id="closure"),
]


@pytest.mark.parametrize("function", EMPTY_BATCH_FUNCTIONS)
def test_empty_batch_is_an_error_saying_so(function):
    model, loss, x, y = mlp_case(Tanh, "ce")
    with pytest.raises(ValueError, match=r"the batch is empty \(x has shape \(0, 4\)\)"):
        function(model, loss, x.data[:0], y[:0])


def _model_without_kronecker_layers():
    with float64_models(0):
        model = nn.Sequential(nn.BatchNorm1d(3), nn.Tanh())
    model.eval()
    rng = numpy.random.default_rng(0)
    return model, nn.MSELoss(), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))


@pytest.mark.parametrize("method", [curvature.kfac, curvature.kflr])
def test_factors_of_a_model_without_linear_or_conv_layers_are_refused(method):
    model, loss, x, y = _model_without_kronecker_layers()
    with pytest.raises(ValueError, match="has no Linear or Conv2d layer"):
        method(model, loss, x, y)


@pytest.mark.parametrize("optimizer_class", [optim.KFAC, optim.KFLR, optim.KFRA])
def test_kronecker_optimizers_refuse_parameters_without_factors(optimizer_class):
    model, loss, x, y = _model_without_kronecker_layers()

    class NoFactors(curvature.Closure):
        def kronecker_factors(self, kind, mc_samples=1, seed=None):
            return []

    optimizer = optimizer_class(model.parameters())
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="plain gradient step"):
        optimizer.step(NoFactors(model, loss, x, y))
    for p, data in zip(model.parameters(), before):
        numpy.testing.assert_array_equal(p.data, data)
