"""Layerwise quantities on a token model (Embedding → transformer encoder → LayerNorm → head),
float64, against the dense Gauss-Newton matrix of the autodiff half (``ggn_operator``):
the exact GGN diagonal and the GGN blocks of every module owning parameters (the Embedding
table, the LayerNorm scale and shift, the attention, the MLP and the head), and the refusal of
the exact Hessian recursion naming the module and pointing to Hutchinson's diagonal."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from tests.helpers import float64_default

BATCH, TOKENS, VOCABULARY, WIDTH, CLASSES = 3, 3, 6, 4, 3


@pytest.fixture(scope="module")
def case():
    rng = numpy.random.default_rng(0)
    with float64_default():
        nn.manual_seed(0)
        layer = nn.TransformerEncoderLayer(WIDTH, 2, 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        model = nn.Sequential(nn.Embedding(VOCABULARY, WIDTH), nn.TransformerEncoder(layer, 1),
                              nn.LayerNorm(WIDTH), nn.Flatten(), nn.Linear(TOKENS * WIDTH, CLASSES))
        for p in model.parameters():
            p.data = p.data + p.xp.asarray(0.3 * rng.standard_normal(p.shape), dtype=p.dtype)
    x = minigrad.tensor(rng.integers(0, VOCABULARY, (BATCH, TOKENS)))
    y = rng.integers(0, CLASSES, BATCH)
    loss = nn.CrossEntropyLoss()
    operator = curvature.ggn_operator(model, loss, x, y)
    size = operator.shape[0]
    dense = numpy.stack([minigrad.to_host(operator.matvec(operator.xp.asarray(e)))
                         for e in numpy.eye(size)], axis=1)
    return model, loss, x, y, dense


def owner_ranges(model):
    """``[(module, start, stop)]`` of each module owning parameters, in the flat layout."""
    ranges, start = [], 0
    for module in model.modules():
        own = sum(p.numel() for p in module._parameters.values() if p is not None)
        if own:
            ranges.append((module, start, start + own))
            start += own
    return ranges


def test_exact_ggn_diagonal(case):
    model, loss, x, y, dense = case
    diagonal = minigrad.to_host(curvature.diag_ggn(model, loss, x, y))
    numpy.testing.assert_allclose(diagonal, numpy.diag(dense), rtol=1e-10,
                                  atol=1e-12 * abs(dense).max())


def test_exact_ggn_blocks_of_embedding_layer_norm_and_every_layer(case):
    model, loss, x, y, dense = case
    blocks = curvature.block_ggn(model, loss, x, y)
    ranges = owner_ranges(model)
    assert [type(m).__name__ for m, _, _ in ranges] == [
        "Embedding", "MultiheadAttention", "Linear", "Linear", "Linear", "LayerNorm", "LayerNorm",
        "LayerNorm", "Linear"]
    assert len(blocks) == len(ranges)
    for block, (module, start, stop) in zip(blocks, ranges):
        numpy.testing.assert_allclose(minigrad.to_host(block), dense[start:stop, start:stop],
                                      rtol=1e-10, atol=1e-12 * abs(dense).max(),
                                      err_msg=repr(module))


def test_exact_hessian_recursion_is_refused_naming_the_module(case):
    model, loss, x, y, _ = case
    with pytest.raises(TypeError, match=r"does not support the module model\.0 \(Embedding\): "
                                        r"Embedding\(6, 4\).*"
                                        r"hutchinson_diag\(hessian_operator\(model, loss, x, y\), "
                                        r"n\) gives the Hessian diagonal of any model"):
        curvature.diag_hessian(model, loss, x, y)
