"""Matrix products: ``matmul`` with NumPy semantics (batched, broadcasting), ``linear``.

For ``C = A B``: ``dA = dC Bᵀ`` and ``dB = Aᵀ dC`` (transposes of the last two
axes), each summed back over broadcast batch axes.
"""
from ..autograd.function import Function
from .reduction import sum_to
from .shape import reshape, transpose


class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g @ transpose(b, -1, -2), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(transpose(a, -1, -2) @ g, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


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


def linear(x, weight, bias=None):
    """``x @ weightᵀ + bias`` for ``x`` of shape ``(..., in)``, ``weight`` ``(out, in)``."""
    out = matmul(x, transpose(weight, 0, 1))
    return out if bias is None else out + bias
