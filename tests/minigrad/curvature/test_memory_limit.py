"""Dense curvature is estimated before it is allocated: above the limit (2 GiB by default,
``set_memory_limit``) it is refused with the estimate and the option that fits."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from minigrad.nn.activation import Tanh
from tests.minigrad.curvature.layerwise_reference import host, mlp_case


@pytest.fixture
def small_limit():
    previous = curvature.set_memory_limit(2000)
    yield
    curvature.set_memory_limit(previous)


def test_the_default_limit_refuses_a_large_layer_block_before_allocating():
    assert curvature.get_memory_limit() == curvature.DEFAULT_MEMORY_LIMIT == 2 * 1024 ** 3
    model = nn.Sequential(nn.Linear(300, 300), nn.Tanh(), nn.Linear(300, 3))
    x = minigrad.tensor(numpy.ones((2, 300), dtype=numpy.float32))
    y = minigrad.tensor([0, 1])
    with pytest.raises(MemoryError, match=r"block_hessian: the dense arrays would take 30\.\d+ "
                                          r"GiB .*90300×90300.*dense=False"):
        curvature.block_hessian(model, nn.CrossEntropyLoss(), x, y)
    operators = curvature.block_hessian(model, nn.CrossEntropyLoss(), x, y, dense=False)
    assert operators[0].shape == (90300, 90300)


@pytest.mark.parametrize("quantity, option", [
    (lambda m, l, x, y: curvature.hessian(m, l, x, y), "hessian_operator"),
    (lambda m, l, x, y: curvature.ggn(m, l, x, y), "ggn_operator"),
    (lambda m, l, x, y: curvature.block_hessian(m, l, x, y), "dense=False"),
    (lambda m, l, x, y: curvature.block_ggn(m, l, x, y), "dense=False"),
], ids=["hessian", "ggn", "block_hessian", "block_ggn"])
def test_each_dense_quantity_names_its_estimate_and_option(small_limit, quantity, option):
    model, loss, x, y = mlp_case(Tanh, "ce", n=3)
    with pytest.raises(MemoryError, match=rf"GiB.*above the curvature memory limit.*{option}"):
        quantity(model, loss, x, y)


def test_the_operator_that_fits_gives_the_same_numbers(small_limit):
    model, loss, x, y = mlp_case(Tanh, "ce", n=3)
    curvature.set_memory_limit(None)
    dense = curvature.block_hessian(model, loss, x, y)
    curvature.set_memory_limit(2000)
    for block, operator in zip(dense, curvature.block_hessian(model, loss, x, y, dense=False)):
        eye = minigrad.to_device(numpy.eye(block.shape[0]))
        numpy.testing.assert_allclose(host(operator @ eye), host(block), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("value", [0, -1, 1.5, "2GB"])
def test_set_memory_limit_rejects_a_bad_value(value):
    with pytest.raises(ValueError, match="nbytes must be a positive integer or None"):
        curvature.set_memory_limit(value)
    assert curvature.get_memory_limit() == curvature.DEFAULT_MEMORY_LIMIT


def test_kronecker_columns_above_the_limit_name_chunk_size_and_chunks_fit():
    model, loss, x, y = mlp_case(Tanh, "ce", n=40)
    exact = curvature.kflr(model, loss, x, y)
    previous = curvature.set_memory_limit(3000)
    try:
        with pytest.raises(MemoryError, match=r"kflr: .*3×40×5 \+ 3×40×4 \+ 3×40×3.*chunk_size="):
            curvature.kflr(model, loss, x, y)
        chunked = curvature.kflr(model, loss, x, y, chunk_size=8)
    finally:
        curvature.set_memory_limit(previous)
    for a, b in zip(chunked, exact):
        numpy.testing.assert_allclose(host(a.to_dense()), host(b.to_dense()), rtol=1e-10)
