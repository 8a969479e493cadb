"""Elementwise functions of one tensor: exp, log, sqrt, abs.

Each backward multiplies the incoming gradient by the derivative, written with
differentiable ops: ``exp' = exp``, ``log' = 1/x``, ``sqrt' = 1/(2 sqrt x)``,
``abs' = sign(x)`` (0 at 0).
"""
from ..autograd.function import Function


class Exp(Function):
    saves_output = True

    def forward(self, a):
        return self.xp(a).exp(a)

    def backward(self, g):
        return (g * self.output,)


class Log(Function):
    def forward(self, a):
        return self.xp(a).log(a)

    def backward(self, g):
        (a,) = self.inputs
        return (g / a,)


class Sqrt(Function):
    saves_output = True

    def forward(self, a):
        return self.xp(a).sqrt(a)

    def backward(self, g):
        return (g / (2 * self.output),)


class Abs(Function):
    def forward(self, a):
        self.sign = self.xp(a).sign(a)
        return self.xp(a).abs(a)

    def backward(self, g):
        return (g * self.sign,)


def exp(a):
    """``e ** a`` elementwise."""
    return Exp.apply(a)


def log(a):
    """Natural logarithm elementwise."""
    return Log.apply(a)


def sqrt(a):
    """Square root elementwise."""
    return Sqrt.apply(a)


def abs(a):
    """Absolute value elementwise; its derivative at 0 is taken as 0."""
    return Abs.apply(a)
