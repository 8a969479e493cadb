"""An empty batch is an error naming the function and saying the batch is empty."""
import pytest

from minigrad import curvature
from minigrad.nn.activation import Tanh
from tests.minigrad.curvature.layerwise_reference import mlp_case

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
