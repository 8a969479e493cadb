"""Matrix products: ``matmul`` with NumPy semantics (batched, broadcasting), ``linear``.

``MatMul`` computes ``C = op(A) op(B)`` where ``op`` optionally transposes the last two axes
(``transpose_a`` / ``transpose_b``), so products with a transposed operand need no separate
transpose node. For ``C = A B``: ``dA = dC Bᵀ`` and ``dB = Aᵀ dC``; with ``op(A) = Aᵀ`` the
gradient is transposed back, ``dA = B dCᵀ`` (likewise for B). Each is again a ``MatMul`` with
flags, summed back over broadcast batch axes.

``linear`` checks its input against the weight (last dimension, floating dtype
equal to the weight's) and names ``caller`` (the op, or the ``Linear`` layer).
"""
from ..autograd.function import Function
from .reduction import sum_to
from .shape import reshape
from .validation import require_dtype_of


def _last_two_swapped(array, swap):
    return array.swapaxes(-1, -2) if swap else array


class MatMul(Function):
    def forward(self, a, b, transpose_a=False, transpose_b=False):
        self.transpose_a, self.transpose_b = transpose_a, transpose_b
        return _last_two_swapped(a, transpose_a) @ _last_two_swapped(b, transpose_b)

    def backward(self, g):
        a, b = self.inputs
        ta, tb = self.transpose_a, self.transpose_b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = (MatMul.apply(b, g, transpose_a=tb, transpose_b=True) if ta
                  else MatMul.apply(g, b, transpose_b=not tb))
            ga = sum_to(ga, a.shape)
        if self.needs_input_grad[1]:
            gb = (MatMul.apply(g, a, transpose_a=True, transpose_b=ta) if tb
                  else MatMul.apply(a, g, transpose_a=not ta))
            gb = sum_to(gb, b.shape)
        return ga, gb


class Affine(Function):
    """``x Wᵀ + b`` for rows ``x`` (M, in), ``W`` (out, in), ``b`` (out,): one GEMM with the
    bias added in place. ``dx = g W``, ``dW = gᵀ x``, ``db = Σ_rows g``, each built from
    differentiable ops (``MatMul``, ``sum_to``), so it can be differentiated again."""

    def forward(self, x, weight, bias):
        out = x @ weight.T
        out += bias
        return out

    def backward(self, g):
        x, weight, bias = self.inputs
        wants_x, wants_weight, wants_bias = self.needs_input_grad
        return (MatMul.apply(g, weight) if wants_x else None,
                MatMul.apply(g, x, transpose_a=True) if wants_weight else None,
                sum_to(g, bias.shape) if wants_bias else None)


def matmul(a, b):
    """``a @ b``; 1-D operands are treated as a row (left) or column (right) vector."""
    if a.ndim == 1 and b.ndim == 1:
        return reshape(MatMul.apply(reshape(a, 1, -1), reshape(b, -1, 1)), ())
    if a.ndim == 1:
        out = MatMul.apply(reshape(a, 1, -1), b)
        return reshape(out, out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        out = MatMul.apply(a, reshape(b, -1, 1))
        return reshape(out, out.shape[:-1])
    return MatMul.apply(a, b)


def linear(x, weight, bias=None, *, caller="linear"):
    """``x @ weightᵀ + bias`` for ``x`` of shape ``(..., in)``, ``weight`` ``(out, in)``.

    Inputs other than 2-D are read as the rows ``(M, in)``, ``M`` the product of the leading
    axes (a token input ``(N, S, in)`` gives ``M = N·S``): one GEMM forward and one per
    gradient, where a batched product would make ``N`` small ones and sum ``N`` weight
    gradients afterwards."""
    if x.ndim < 1 or x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"{caller} got input of shape {x.shape}: its last dimension must be "
                         f"{weight.shape[-1]} (weight shape {weight.shape})")
    require_dtype_of(caller, x, weight)
    if bias is not None and bias.dtype != weight.dtype:
        raise TypeError(f"{caller}: bias dtype {bias.dtype} differs from weight dtype "
                        f"{weight.dtype} (bias shape {tuple(bias.shape)})")
    rows = x if x.ndim == 2 else reshape(x, -1, weight.shape[-1])
    out = MatMul.apply(rows, weight, transpose_b=True) if bias is None \
        else Affine.apply(rows, weight, bias)
    return out if x.ndim == 2 else reshape(out, x.shape[:-1] + (weight.shape[0],))
