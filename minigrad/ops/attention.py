"""Scaled dot-product attention (Vaswani et al., "Attention Is All You Need", 2017) with the
arguments of PyTorch's ``F.scaled_dot_product_attention``.

For queries ``q`` (..., L, E), keys ``k`` (..., S, E) and values ``v`` (..., S, Ev):

    scores  = scale · q kᵀ + M              (..., L, S),   scale = 1/√E unless given
    weights = softmax(scores, dim=−1)       each query's distribution over the S keys
    output  = dropout(weights) v            (..., L, Ev)

The mask ``M`` comes from ``attn_mask``, broadcast to (..., L, S): a boolean mask says which
keys each query may attend to (``True`` = take part, PyTorch's convention for this function;
``M = −∞`` elsewhere), a floating mask is added as it is. ``is_causal=True`` lets query ``i``
attend to keys ``j ≤ i`` only (the lower triangle, aligned at the top left). A query with no
key to attend to has NaN weights, as in PyTorch's reference implementation.

Attention is composed from ``matmul`` (batched, with the transposed key read in place),
``masked_fill``, ``softmax`` and ``dropout``, each with an exact differentiable backward, so
gradients and second derivatives (Hessian-vector products) through it are exact.
"""
import math

import numpy

from ..tensor import Tensor, data_of
from .activation import softmax
from .dropout import dropout
from .linalg import MatMul
from .masking import masked_fill


def _check_mask(caller, attn_mask, scores_shape, dtype):
    """``attn_mask`` must be boolean or of the scores' dtype and broadcast to their shape."""
    if attn_mask.dtype.kind != "b" and attn_mask.dtype != dtype:
        raise TypeError(f"{caller}: attn_mask must be boolean or of the query's dtype {dtype}, "
                        f"got {attn_mask.dtype} (shape {attn_mask.shape})")
    try:
        broadcast = numpy.broadcast_shapes(tuple(attn_mask.shape), scores_shape)
    except ValueError:
        broadcast = None
    if broadcast != scores_shape:
        raise ValueError(f"{caller}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                         f"broadcast to the attention scores' shape {scores_shape} "
                         f"(batch..., L queries, S keys)")


def _check_operands(caller, query, key, value):
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"{caller}: query, key and value must be at least 2-D (..., L, E), got "
                         f"shapes {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{caller}: query (..., L, E) and key (..., S, E) must share E, and "
                         f"key and value (..., S, Ev) must share S; got shapes {query.shape}, "
                         f"{key.shape}, {value.shape}")
    if not (query.dtype == key.dtype == value.dtype) or query.dtype.kind != "f":
        raise TypeError(f"{caller}: query, key and value must share one floating dtype, got "
                        f"{query.dtype}, {key.dtype}, {value.dtype}")


def attention_weights(query, key, attn_mask=None, is_causal=False, scale=None, *,
                      caller="scaled_dot_product_attention"):
    """``softmax(scale · q kᵀ + M)`` (..., L, S): each query's weights over the keys."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = MatMul.apply(query, key, transpose_b=True) * scale
    shape = tuple(scores.shape)
    xp = query.xp
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{caller}: give either attn_mask or is_causal=True, not both")
        causal = xp.tril(xp.ones(shape[-2:], dtype=bool))
        scores = masked_fill(scores, xp.logical_not(causal), -math.inf)
    elif attn_mask is not None:
        mask = xp.asarray(data_of(attn_mask))
        _check_mask(caller, mask, shape, query.dtype)
        if mask.dtype.kind == "b":
            scores = masked_fill(scores, xp.logical_not(mask), -math.inf)
        else:
            scores = scores + (attn_mask if isinstance(attn_mask, Tensor) else Tensor(mask))
    return softmax(scores, dim=-1)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """``softmax(scale · q kᵀ + M) v`` for q (..., L, E), k (..., S, E), v (..., S, Ev); see
    the module docstring for ``attn_mask``, ``is_causal`` and ``scale``. ``dropout_p`` drops
    attention weights (always applied when positive, as PyTorch's function does)."""
    caller = "scaled_dot_product_attention"
    _check_operands(caller, query, key, value)
    weights = attention_weights(query, key, attn_mask, is_causal, scale, caller=caller)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return MatMul.apply(weights, value)
