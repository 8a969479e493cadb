"""``BlockOperator``: the exact blocks applied to vectors without forming them."""
import numpy
import pytest

from minigrad.backend import to_device
from minigrad.curvature import block_ggn, block_hessian, hutchinson_diag, top_eigen
from minigrad.nn.activation import Sigmoid
from tests.minigrad.curvature.layerwise_reference import LAYERWISE_CASES, host, mlp_case


@pytest.mark.parametrize("name", ["sigmoid-ce", "cnn-maxpool", "cnn-batchnorm-avgpool", "residual"])
@pytest.mark.parametrize("kind", ["hessian", "ggn"])
def test_operators_apply_the_dense_blocks(name, kind):
    model, loss, x, y = LAYERWISE_CASES[name]()
    blocks_fn = block_hessian if kind == "hessian" else block_ggn
    dense = blocks_fn(model, loss, x, y)
    operators = blocks_fn(model, loss, x, y, dense=False, chunk_size=2)
    rng = numpy.random.default_rng(0)
    for block, operator in zip(dense, operators):
        assert operator.shape == block.shape
        vectors = block[:, :3] * 0 + to_device(rng.standard_normal((block.shape[0], 3)))
        numpy.testing.assert_allclose(host(operator @ vectors), host(block @ vectors),
                                      rtol=0, atol=1e-11)
        numpy.testing.assert_allclose(host(operator.matvec(vectors[:, 0])),
                                      host(block @ vectors[:, 0]), rtol=0, atol=1e-11)


def test_block_operator_is_a_linear_operator_for_the_estimators():
    model, loss, x, y = mlp_case(Sigmoid, "ce")
    dense = host(block_hessian(model, loss, x, y)[0])
    operator = block_hessian(model, loss, x, y, dense=False)[0]
    values, vectors = top_eigen(operator, 2, seed=0)
    numpy.testing.assert_allclose(host(values), numpy.linalg.eigvalsh(dense)[::-1][:2],
                                  rtol=1e-8, atol=1e-12)
    estimate, _ = hutchinson_diag(operator, 2, seed=0)
    assert estimate.shape == (dense.shape[0],)
