"""Activation functions: relu, leaky_relu, sigmoid, tanh, softplus, softmax, log_softmax.

The elementwise activations ``a = f(h)`` also expose their first and second
derivatives on arrays, ``derivative(h) = f'(h)`` and ``second_derivative(h) =
f''(h)``, which the layerwise Hessian recursion needs
(``minigrad/curvature/README.md``, "The recursion": ``B = diag(f'(h))``, ``D = diag(f''(h) ⊙ ∂ℓ/∂a)``):

    relu         f = max(h, 0)               f' = [h > 0]         f'' = 0
    leaky_relu   f = h if h > 0 else α h     f' = 1 or α          f'' = 0
    sigmoid      σ = 1 / (1 + e^(−h))        f' = σ(1 − σ)        f'' = σ(1 − σ)(1 − 2σ)
    tanh         t = tanh h                  f' = 1 − t²          f'' = −2t(1 − t²)
    softplus     f = log(1 + e^(βh)) / β     f' = σ(βh)           f'' = β σ(βh)(1 − σ(βh))
                 (f = h, f' = 1, f'' = 0 where βh > threshold, as in PyTorch)

Sigmoid and tanh also give ``f'`` from their output, ``derivative_from_output(a)``
(``a(1 − a)`` and ``1 − a²``), equal to ``derivative(h)`` without recomputing ``f(h)``.
The kinks of relu and leaky_relu take the derivative from the left (0 or α).
Backward passes are written with differentiable ops (a constant slope mask for
the piecewise-linear ones, the saved output for sigmoid and tanh), so they can
be differentiated again.

``softmax`` and ``log_softmax`` normalise over ``dim`` after subtracting the
maximum ``m = max_j x_j`` (stable for any finite input):

    softmax(x)_i = e^(x_i − m) / Σ_j e^(x_j − m),   log_softmax(x) = x − m − log Σ_j e^(x_j − m)

with vector-Jacobian products ``s ⊙ (g − Σ g ⊙ s)`` and ``g − softmax(x) Σ g``.
"""
from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import exp
from .reduction import sum


def _stable_sigmoid(xp, x):
    """``σ(x) = 1 / (1 + e^(−x))`` for x ≥ 0 and ``e^x / (e^x + 1)`` for x < 0: with
    ``e = e^(−|x|) ≤ 1`` that is ``max(e, 1[x ≥ 0]) / (1 + e)``, one exponential, no
    positive exponent (no overflow) and no branch (``where``) per entry; in place but
    for two arrays."""
    e = xp.abs(x)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    numerator = xp.maximum(e, x >= 0)
    e += 1
    numerator /= e
    return numerator


class ReLU(Function):
    """``max(x, 0)``; the backward reads the slope ``1[x > 0] = 1[out > 0]`` off the output,
    which the next layer keeps anyway, so the node stores no array of its own."""

    saves_output = True

    def forward(self, x):
        return self.xp(x).maximum(x, 0)

    def backward(self, g):
        return (g * Tensor(self.derivative(self.output.data)),)

    @staticmethod
    def derivative(x):
        return (x > 0).astype(x.dtype)

    @staticmethod
    def second_derivative(x):
        return Function.xp(x).zeros_like(x)


class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        self.slope = self.derivative(x, negative_slope)
        return x * self.slope

    def backward(self, g):
        return (g * Tensor(self.slope),)

    @staticmethod
    def derivative(x, negative_slope=0.01):
        return Function.xp(x).where(x > 0, 1.0, negative_slope).astype(x.dtype)

    @staticmethod
    def second_derivative(x, negative_slope=0.01):
        return Function.xp(x).zeros_like(x)


class Sigmoid(Function):
    saves_output = True

    def forward(self, x):
        return _stable_sigmoid(self.xp(x), x)

    def backward(self, g):
        s = self.output
        return (g * s * (1 - s),)

    @staticmethod
    def derivative(x):
        return Sigmoid.derivative_from_output(_stable_sigmoid(Function.xp(x), x))

    @staticmethod
    def derivative_from_output(s):
        return s * (1 - s)

    @staticmethod
    def second_derivative(x):
        s = _stable_sigmoid(Function.xp(x), x)
        return s * (1 - s) * (1 - 2 * s)


class Tanh(Function):
    saves_output = True

    def forward(self, x):
        return self.xp(x).tanh(x)

    def backward(self, g):
        t = self.output
        return (g * (1 - t * t),)

    @staticmethod
    def derivative(x):
        return Tanh.derivative_from_output(Function.xp(x).tanh(x))

    @staticmethod
    def derivative_from_output(t):
        return 1 - t * t

    @staticmethod
    def second_derivative(x):
        t = Function.xp(x).tanh(x)
        return -2 * t * (1 - t * t)


class Softplus(Function):
    """``log(1 + e^(β x)) / β``, ``x`` where ``β x > threshold``. With ``β = 1`` and no
    threshold (the binary cross-entropy's case) it is ``logaddexp(0, x)`` alone, with
    backward ``g σ(x)``: the same numbers without the passes that scale by β and pick
    the linear entries."""

    def forward(self, x, beta, threshold):
        xp = self.xp(x)
        self.beta = beta
        scaled = x if beta == 1 else x * beta
        smooth = xp.logaddexp(0, scaled)
        if beta != 1:
            smooth = smooth / beta
        if threshold == float("inf"):
            self.linear = None
            return smooth.astype(x.dtype, copy=False)
        self.linear = (scaled > threshold).astype(x.dtype)
        return xp.where(self.linear > 0, x, smooth).astype(x.dtype)

    def backward(self, g):
        (x,) = self.inputs
        slope = sigmoid(x if self.beta == 1 else x * self.beta)
        if self.linear is None:
            return (g * slope,)
        linear = Tensor(self.linear)
        return (g * (slope * (1 - linear) + linear),)

    @staticmethod
    def derivative(x, beta=1.0, threshold=20.0):
        xp = Function.xp(x)
        return xp.where(x * beta > threshold, 1.0, _stable_sigmoid(xp, x * beta)).astype(x.dtype)

    @staticmethod
    def second_derivative(x, beta=1.0, threshold=20.0):
        xp = Function.xp(x)
        s = _stable_sigmoid(xp, x * beta)
        return xp.where(x * beta > threshold, 0.0, beta * s * (1 - s)).astype(x.dtype)


class Softmax(Function):
    saves_output = True

    def forward(self, x, dim):
        xp = self.xp(x)
        self.dim = dim
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        return e / e.sum(axis=dim, keepdims=True)

    def backward(self, g):
        s = self.output
        return (s * (g - sum(g * s, self.dim, keepdim=True)),)


class LogSoftmax(Function):
    saves_output = True

    def forward(self, x, dim):
        xp = self.xp(x)
        self.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(self, g):
        return (g - exp(self.output) * sum(g, self.dim, keepdim=True),)


def relu(x):
    """``max(x, 0)`` elementwise; the derivative at 0 is taken as 0."""
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """``x`` where ``x > 0``, else ``negative_slope · x``."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def sigmoid(x):
    """``σ(x) = 1 / (1 + e^(−x))`` elementwise, finite for any finite ``x``."""
    return Sigmoid.apply(x)


def tanh(x):
    """Hyperbolic tangent elementwise; ``tanh' = 1 − tanh²``."""
    return Tanh.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + e^(β x)) / β``, and ``x`` itself where ``β x > threshold`` (PyTorch's rule)."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def _check_dim(name, x, dim):
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{name}: dim={dim} is out of range for an input of shape {x.shape}")
    return dim % x.ndim


def softmax(x, dim=-1):
    """``e^(x_i) / Σ_j e^(x_j)`` over ``dim`` (computed after subtracting the maximum)."""
    return Softmax.apply(x, dim=_check_dim("softmax", x, dim))


def log_softmax(x, dim=-1):
    """``x_i − log Σ_j e^(x_j)`` over ``dim`` (computed after subtracting the maximum)."""
    return LogSoftmax.apply(x, dim=_check_dim("log_softmax", x, dim))
