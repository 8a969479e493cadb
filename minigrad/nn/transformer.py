"""``TransformerEncoderLayer`` and ``TransformerEncoder`` (PyTorch's, same arguments, submodule
names and parameter layouts, so a PyTorch ``state_dict`` loads as it is).

One layer, with self-attention ``SA`` (``self_attn``), the feed-forward block
``FF(x) = linear2(dropout(f(linear1(x))))`` and ``f`` the ``activation`` ("relu", "gelu" or a
module), on inputs (N, L, d_model) (``batch_first=True``; (L, N, d_model) otherwise):

    norm_first=True  (pre-norm):   x ← x + dropout1(SA(norm1(x)));   x ← x + dropout2(FF(norm2(x)))
    norm_first=False (post-norm):  x ← norm1(x + dropout1(SA(x)));   x ← norm2(x + dropout2(FF(x)))

``src_mask`` and ``src_key_padding_mask`` are the attention's ``attn_mask`` and
``key_padding_mask`` (``MultiheadAttention``'s conventions). ``TransformerEncoder`` stacks
``num_layers`` independent copies of one layer (``layers.0``, ``layers.1``, …) and applies
``norm`` (when given) at the end.
"""
import copy

from .activation import ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .gelu import GELU
from .layer_norm import LayerNorm
from .linear import Linear
from .module import Module

ACTIVATIONS = {"relu": ReLU, "gelu": GELU}


def _activation_module(activation):
    if isinstance(activation, Module):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"TransformerEncoderLayer: activation must be one of "
                         f"{sorted(ACTIVATIONS)} or a Module, got {activation!r}")
    return ACTIVATIONS[activation]()


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation_module(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask,
                                          is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False,
                                attn_mask=attn_mask, is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def extra_repr(self):
        return f"norm_first={self.norm_first}"


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"TransformerEncoder: num_layers must be positive, got {num_layers}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
