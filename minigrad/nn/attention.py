"""``MultiheadAttention`` (PyTorch's ``nn.MultiheadAttention``, same parameter names and layouts,
so a PyTorch ``state_dict`` loads as it is).

For queries (N, L, E), keys (N, S, E) and values (N, S, E) (``batch_first=True``; (L, N, E)
otherwise; unbatched (L, E) too), with ``H = num_heads`` heads of width ``d = E / H``:

    [W_q; W_k; W_v] = in_proj_weight (3E, E),   [b_q; b_k; b_v] = in_proj_bias (3E,)
    Q = query W_qᵀ + b_q,  K = key W_kᵀ + b_k,  V = value W_vᵀ + b_v,  each in H heads (N, H, ·, d)
    A_h = softmax(Q_h K_hᵀ / √d + M)                           (N, H, L, S)
    output = concat_h(dropout(A_h) V_h) out_projᵀ + out_proj.bias            (N, L, E)

For self-attention (``query is key is value``, as ``TransformerEncoderLayer`` calls it) the
three projections are one ``Linear`` with 3E outputs, ``[Q | K | V] = query in_proj_weightᵀ +
in_proj_bias`` (N, L, 3E), computed by the parameterless child ``in_proj``
(``InProjection``), whose call the module hooks see (the Kronecker factors of curvature read
its input and the gradient at its packed output); otherwise the three row blocks are applied
to their three inputs one by one.

``M`` merges ``attn_mask`` ((L, S) or (N·H, L, S)) and ``key_padding_mask`` ((N, S)). PyTorch's
convention for this layer: a boolean ``True`` marks a position that may NOT be attended to
(``M = −∞`` there), a floating mask is added. ``forward`` returns ``(output, weights)`` where
``weights`` are the attention weights averaged over the heads, (N, L, S), or per head
(N, H, L, S) with ``average_attn_weights=False``, or ``None`` when ``need_weights=False``.
Initialisation as PyTorch: Xavier-uniform ``in_proj_weight``, zero biases, ``out_proj`` a
``Linear`` with its default weight.
"""
import math

from .. import backend
from ..ops.attention import attention_weights
from ..ops.dropout import dropout
from ..ops.linalg import MatMul, linear
from ..ops.shape import permute, reshape, transpose
from ..tensor import Tensor, data_of
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class InProjection(Module):
    """``x W_inᵀ + b_in`` with the attention's packed ``in_proj_weight`` (3E, E) and
    ``in_proj_bias`` (3E,) passed in: it owns no Parameter (the state dict keeps PyTorch's
    names), it only makes the packed projection (N, L, 3E) a module call. ``caller`` names the
    attention in errors."""

    def __init__(self, caller):
        super().__init__()
        self.caller = caller

    def forward(self, x, weight, bias):
        return linear(x, weight, bias, caller=self.caller)


class MultiheadAttention(Module):
    """Attention of ``num_heads`` heads over ``embed_dim`` features; see the module docstring."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        super().__init__()
        if num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                             f"num_heads={num_heads}")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        xp, dtype = backend.array_module(), backend.get_default_dtype()
        self.in_proj_weight = Parameter(init.uniform((3 * embed_dim, embed_dim),
                                                     math.sqrt(6 / (4 * embed_dim))))
        self.in_proj_bias = Parameter(xp.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.in_proj = InProjection(self._name())
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias = Parameter(xp.zeros(embed_dim, dtype=dtype))

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        packed = query is key and key is value
        query, key, value = (self._batch_major(t, name) for t, name in
                             ((query, "query"), (key, "key"), (value, "value")))
        n, length, _ = query.shape
        source = key.shape[1]
        if key.shape[0] != n or value.shape[:2] != key.shape[:2]:
            raise ValueError(f"{self._name()}: query, key and value must share the batch size "
                             f"and key and value the source length, got shapes {query.shape}, "
                             f"{key.shape}, {value.shape}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{self._name()}: is_causal=True is a hint that attn_mask is the "
                             "causal mask; give the mask as attn_mask as well")
        mask = self._merged_mask(attn_mask, key_padding_mask, n, length, source, query)
        if packed:
            projected = self.in_proj(query, self.in_proj_weight, self.in_proj_bias)
            E = self.embed_dim
            heads = [self._heads(projected[:, :, i * E:(i + 1) * E]) for i in range(3)]
        else:
            heads = [self._heads(linear(t, *self._projection(i), caller=self._name()))
                     for i, t in enumerate((query, key, value))]
        weights = attention_weights(heads[0], heads[1], mask, caller=self._name())
        used = dropout(weights, self.dropout, self.training) if self.dropout > 0 else weights
        merged = reshape(transpose(MatMul.apply(used, heads[2]), 1, 2),
                         (n, length, self.embed_dim))
        output = self.out_proj(merged)
        if not self.batch_first and not unbatched:
            output = transpose(output, 0, 1)
        if unbatched:
            output = reshape(output, output.shape[1:])
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(1)
        return output, reshape(weights, weights.shape[1:]) if unbatched else weights

    def _batch_major(self, x, name):
        if x.ndim not in (2, 3) or x.shape[-1] != self.embed_dim:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(f"{self._name()}: {name} must have shape {layout} or (L, E) with "
                             f"E = {self.embed_dim}, got {x.shape}")
        if x.ndim == 2:
            return reshape(x, (1,) + x.shape)
        return x if self.batch_first else transpose(x, 0, 1)

    def _projection(self, i):
        rows = slice(i * self.embed_dim, (i + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return self.in_proj_weight[rows], bias

    def _heads(self, x):
        n, length, _ = x.shape
        return permute(reshape(x, (n, length, self.num_heads, self.head_dim)), 0, 2, 1, 3)

    def _merged_mask(self, attn_mask, key_padding_mask, n, length, source, query):
        """One additive mask broadcasting to (N, H, L, S), or ``None``."""
        mask = None
        if attn_mask is not None:
            shapes = ((length, source), (n * self.num_heads, length, source))
            additive = self._additive("attn_mask", attn_mask, shapes, query)
            mask = additive if additive.ndim == 2 else reshape(
                additive, (n, self.num_heads, length, source))
        if key_padding_mask is not None:
            additive = self._additive("key_padding_mask", key_padding_mask, ((n, source),),
                                      query)
            padding = reshape(additive, (n, 1, 1, source))
            mask = padding if mask is None else mask + padding
        return mask

    def _additive(self, name, mask, shapes, query):
        """``mask`` as a Tensor to add to the scores: boolean ``True`` → −∞, floating as given."""
        values, dtype = query.xp.asarray(data_of(mask)), query.dtype
        if tuple(values.shape) not in shapes:
            expected = " or ".join(str(s) for s in shapes)
            raise ValueError(f"{self._name()}: {name} must have shape {expected}, got "
                             f"{tuple(values.shape)}")
        if values.dtype.kind == "b":
            return Tensor(query.xp.where(values, -math.inf, 0).astype(dtype))
        if values.dtype != dtype:
            raise TypeError(f"{self._name()}: {name} must be boolean or of the query's dtype "
                            f"{dtype}, got {values.dtype} (shape {tuple(values.shape)})")
        return mask if isinstance(mask, Tensor) else Tensor(values)

    def _name(self):
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
