"""Differentiable ops, one module per family; ``minigrad.nn.functional`` re-exports them.

Every name in ``__all__`` is a public op function.
"""
from .arithmetic import add, astype, div, mul, neg, pow, sub
from .elementwise import abs, exp, log, sqrt
from .linalg import linear, matmul
from .reduction import broadcast_to, max, mean, sum, sum_to, var
from .shape import cat, concatenate, flatten, getitem, index_add, permute, reshape, transpose

__all__ = [
    "abs", "add", "astype", "broadcast_to", "cat", "concatenate", "div", "exp", "flatten",
    "getitem", "index_add", "linear", "log", "matmul", "max", "mean", "mul", "neg", "permute",
    "pow", "reshape", "sqrt", "sub", "sum", "sum_to", "transpose", "var",
]
