"""``scaled_dot_product_attention``: values vs a NumPy formula for every kind of mask,
gradcheck and gradgradcheck in all three operands, PyTorch's mask conventions, bad masks."""
import math

import numpy
import pytest

from minigrad import ops
from tests.helpers import check_op, random_tensor

RNG = numpy.random.default_rng(7)
BOOL_MASK = RNG.random((3, 4)) < 0.7
BOOL_MASK[:, 0] = True
FLOAT_MASK = RNG.standard_normal((2, 1, 3, 4))


def numpy_attention(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ numpy.swapaxes(k, -1, -2) * scale
    if causal:
        mask = numpy.tril(numpy.ones(scores.shape[-2:], dtype=bool))
    if mask is not None and mask.dtype == bool:
        scores = numpy.where(mask, scores, -numpy.inf)
    elif mask is not None:
        scores = scores + mask
    weights = numpy.exp(scores - scores.max(-1, keepdims=True))
    return weights / weights.sum(-1, keepdims=True) @ v


def operands(batch=(2, 2), queries=3, keys=4, width=3, value_width=2):
    return [random_tensor(batch + (queries, width), 1), random_tensor(batch + (keys, width), 2),
            random_tensor(batch + (keys, value_width), 3)]


@pytest.mark.parametrize("mask,causal,scale", [(None, False, None), (BOOL_MASK, False, None),
                                               (FLOAT_MASK, False, 0.7), (None, True, None)],
                         ids=["plain", "bool", "float", "causal"])
def test_attention(mask, causal, scale):
    inputs = operands(keys=3) if causal else operands()
    check_op(lambda q, k, v: ops.scaled_dot_product_attention(q, k, v, mask, is_causal=causal,
                                                              scale=scale),
             inputs, lambda q, k, v: numpy_attention(q, k, v, mask, causal, scale))


def test_unbatched_and_three_dimensional_inputs():
    q, k, v = operands(batch=(2,))
    check_op(ops.scaled_dot_product_attention, [q, k, v], numpy_attention)
    q, k, v = operands(batch=())
    check_op(ops.scaled_dot_product_attention, [q, k, v], numpy_attention)


def test_masked_keys_do_not_change_the_output():
    q, k, v = operands()
    mask = numpy.array([True, True, False, False])
    out = ops.scaled_dot_product_attention(q, k, v, attn_mask=mask).numpy()
    v2 = v.numpy().copy()
    v2[..., 2:, :] += 100
    k2 = k.numpy().copy()
    k2[..., 2:, :] -= 50
    numpy.testing.assert_allclose(numpy_attention(q.numpy(), k2, v2, mask), out, rtol=1e-12)


def test_bad_masks_are_refused():
    q, k, v = operands()
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 3\) does not broadcast to "
                                         r"the attention scores' shape \(2, 2, 3, 4\)"):
        ops.scaled_dot_product_attention(q, k, v, numpy.ones((4, 3), dtype=bool))
    with pytest.raises(TypeError, match="attn_mask must be boolean or of the query's dtype "
                                        "float64, got int64"):
        ops.scaled_dot_product_attention(q, k, v, numpy.ones((3, 4), dtype=numpy.int64))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        ops.scaled_dot_product_attention(q, k, v, BOOL_MASK, is_causal=True)


def test_mismatched_operands_are_refused():
    q, k, v = operands()
    with pytest.raises(ValueError, match=r"must share E.*\(2, 2, 3, 3\), \(2, 2, 4, 2\)"):
        ops.scaled_dot_product_attention(q, v, v)
