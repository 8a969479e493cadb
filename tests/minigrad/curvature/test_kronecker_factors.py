"""``KroneckerFactors``: its layout ``[W.ravel(), b]`` ↔ ``[W | b]`` and its products."""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.backend import to_device
from minigrad.curvature import KroneckerFactors
from tests.helpers import float64_default
from tests.minigrad.curvature.layerwise_reference import host


def test_to_dense_orders_weight_then_bias():
    rng = numpy.random.default_rng(0)
    G, A = rng.standard_normal((2, 2)), rng.standard_normal((4, 4))
    weight, bias = nn.Parameter(numpy.zeros((2, 3))), nn.Parameter(numpy.zeros(2))
    dense = KroneckerFactors([weight, bias], A, G).to_dense()
    for o in range(2):
        for p in range(2):
            numpy.testing.assert_allclose(dense[o * 3:o * 3 + 3, p * 3:p * 3 + 3], G[o, p] * A[:3, :3])
            numpy.testing.assert_allclose(dense[o * 3:o * 3 + 3, 6 + p], G[o, p] * A[:3, 3])
            assert dense[6 + o, 6 + p] == pytest.approx(G[o, p] * A[3, 3])


@pytest.mark.parametrize("bias", [True, False])
def test_kronecker_block_applies_to_vectors_as_its_dense_form(bias):
    from minigrad import curvature
    with float64_default():
        nn.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 3, bias=bias), nn.Sigmoid(), nn.Linear(3, 2))
        rng = numpy.random.default_rng(0)
        x = minigrad.tensor(rng.standard_normal((5, 4)))
        y = minigrad.tensor(rng.integers(0, 2, 5))
        for block in curvature.kflr(model, nn.CrossEntropyLoss(), x, y):
            dense = block.to_dense()
            v = to_device(rng.standard_normal((dense.shape[0], 3)))
            numpy.testing.assert_allclose(host(block @ v), host(dense @ v), atol=1e-12)
            numpy.testing.assert_allclose(host(block @ v[:, 0]), host(dense @ v[:, 0]), atol=1e-12)
            op = curvature.aslinearoperator(block)
            top = curvature.top_eigen(op, 1)[0]
            numpy.testing.assert_allclose(host(top)[0], numpy.linalg.eigvalsh(host(dense))[-1],
                                          rtol=1e-8)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_layout_round_trips_and_puts_the_bias_last(bias):
    rng = numpy.random.default_rng(1)
    weight = nn.Parameter(rng.standard_normal((3, 2, 2)))
    params = [weight, nn.Parameter(rng.standard_normal(3))] if bias else [weight]
    width = 5 if bias else 4
    block = KroneckerFactors(params, numpy.eye(width), numpy.eye(3))
    arrays = [p.data for p in params]
    matrix = block.to_matrix(arrays)
    numpy.testing.assert_array_equal(matrix[:, :4], weight.data.reshape(3, 4))
    if bias:
        numpy.testing.assert_array_equal(matrix[:, 4], params[1].data)
    flat = numpy.concatenate([a.ravel() for a in arrays])
    numpy.testing.assert_array_equal(block.vector_to_matrix(flat), matrix)
    numpy.testing.assert_array_equal(block.matrix_to_vector(matrix), flat)
    for piece, array in zip(block.from_matrix(matrix), arrays):
        numpy.testing.assert_array_equal(piece, array)
    with pytest.raises(ValueError, match=r"give a matrix \(3, 4\) but the factors are A"):
        KroneckerFactors(params[:1], numpy.eye(5), numpy.eye(3)).to_matrix(arrays[:1])
