"""Differentiable ops, one module per family; ``minigrad.nn.functional`` re-exports them.

Every name in ``__all__`` is a public op function.
"""
from .activation import leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arithmetic import add, astype, div, mul, neg, pow, sub
from .attention import scaled_dot_product_attention
from .clamping import clamp
from .conv import col2im, conv2d, conv_transpose2d, fold, im2col, unfold
from .dropout import dropout
from .elementwise import abs, exp, log, sqrt
from .embedding import embedding
from .gelu import erf, gelu
from .indexing import gather, index_put, sort, topk, where
from .joining import expand, repeat, stack
from .layer_norm import layer_norm
from .linalg import linear, matmul
from .loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .masking import masked_fill
from .normalization import batch_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .reduction import (argmax, argmin, broadcast_to, max, max_with_indices, mean, min,
                        min_with_indices, sum, sum_to, var)
from .shape import (cat, clone, concatenate, flatten, getitem, index_add, permute, reshape,
                    squeeze, transpose, unsqueeze)
from .splitting import chunk, split

__all__ = [
    "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "cat", "clone", "concatenate",
    "div", "exp", "flatten", "getitem", "index_add", "linear", "log", "matmul", "max",
    "max_with_indices", "mean", "min", "min_with_indices", "mul", "neg", "permute", "pow",
    "reshape", "sqrt", "squeeze", "sub", "sum", "sum_to", "transpose", "unsqueeze", "var",
    "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "leaky_relu", "log_softmax",
    "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "softplus", "tanh",
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "col2im", "conv2d", "conv_transpose2d",
    "fold", "im2col", "max_pool2d", "unfold",
    "clamp", "expand", "gather", "index_put", "repeat", "sort", "stack", "topk", "where",
    "chunk", "embedding", "erf", "gelu", "layer_norm", "masked_fill",
    "scaled_dot_product_attention", "split",
]
