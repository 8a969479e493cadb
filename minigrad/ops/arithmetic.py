"""Broadcasting arithmetic: add, sub, mul, div, neg, pow, and dtype casts.

Inputs broadcast as in NumPy; each backward reduces the gradient back to the
input's shape with ``sum_to`` (a sum over the broadcast axes).
"""
import numpy

from ..autograd.function import Function
from .reduction import sum_to


class Add(Function):
    backward_reads_inputs = False

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        a, b = self.inputs
        return sum_to(g, a.shape), sum_to(g, b.shape)


class Sub(Function):
    backward_reads_inputs = False

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        a, b = self.inputs
        return sum_to(g, a.shape), sum_to(-g, b.shape)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-g * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    backward_reads_inputs = False

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class PowScalar(Function):
    def forward(self, a, exponent):
        self.exponent = exponent
        return a ** exponent

    def backward(self, g):
        (a,) = self.inputs
        p = self.exponent
        if p == 0:
            return (g * 0,)
        return (g * p * a ** (p - 1),)


class Pow(Function):
    saves_output = True

    def forward(self, a, b):
        return a ** b

    def backward(self, g):
        from .elementwise import log
        a, b = self.inputs
        ga = sum_to(g * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * self.output * log(a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class AsType(Function):
    backward_reads_inputs = False

    def forward(self, a, dtype):
        self.source_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return (astype(g, self.source_dtype),)


def add(a, b):
    """``a + b`` with broadcasting."""
    return Add.apply(a, b)


def sub(a, b):
    """``a - b`` with broadcasting."""
    return Sub.apply(a, b)


def mul(a, b):
    """``a * b`` elementwise, with broadcasting."""
    return Mul.apply(a, b)


def div(a, b):
    """``a / b`` elementwise, with broadcasting."""
    return Div.apply(a, b)


def neg(a):
    """``-a``."""
    return Neg.apply(a)


def pow(a, exponent):
    """``a ** exponent``; a Python-number exponent is a constant, a Tensor one is differentiated."""
    from ..tensor import Tensor
    if isinstance(exponent, Tensor):
        return Pow.apply(a, exponent)
    return PowScalar.apply(a, exponent=exponent)


def astype(a, dtype):
    """``a`` cast to ``dtype``; the gradient is cast back.

    A cast to a non-floating dtype leaves the graph (integer and boolean tensors
    cannot require grad, as in PyTorch).
    """
    from ..tensor import Tensor, data_of
    if numpy.dtype(dtype).kind not in "fc":
        return Tensor(data_of(a).astype(dtype))
    return AsType.apply(a, dtype=dtype)
