"""The error function and the Gaussian error linear unit (Hendrycks & Gimpel, "Gaussian Error
Linear Units (GELUs)", 2016), with PyTorch's two forms.

    erf(x)  = (2/√π) ∫₀ˣ e^(−t²) dt                  erf'(x) = (2/√π) e^(−x²)

    approximate="none":  f = x Φ(x),   Φ(x) = (1 + erf(x/√2)) / 2,   φ(x) = e^(−x²/2) / √(2π)
                         f' = Φ + x φ                 f'' = φ (2 − x²)
    approximate="tanh":  f = x (1 + t) / 2,  t = tanh u,  u = c (x + k x³),  c = √(2/π), k = 0.044715
                         f' = (1 + t)/2 + x (1 − t²) u' / 2,          u' = c (1 + 3k x²)
                         f'' = (1 − t²) (u' − x t u'² + x u''/2),     u'' = 6 c k x

``GELU.derivative`` and ``GELU.second_derivative`` give ``f'`` and ``f''`` on arrays (what the
layerwise Hessian recursion reads). Every backward multiplies by ``f'`` computed from what the
forward kept (Φ, or t), without a second ``erf``: a plain backward on arrays, a recorded one
(``create_graph``) through the op ``GELUSlope``, whose own backward multiplies by ``f''`` and,
when recorded in turn, builds it from differentiable ops, so derivatives of any order are
exact.
"""
import math

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .activation import tanh
from .elementwise import exp

APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_CUBIC = 0.044715


class Erf(Function):
    def forward(self, x):
        return backend.erf(x)

    def backward(self, g):
        (x,) = self.inputs
        return (g * (2 / math.sqrt(math.pi)) * exp(-(x * x)),)


def _tanh_argument_slopes(x):
    """``u'`` and ``u''`` of the tanh form's argument (arrays or Tensors)."""
    return _SQRT_2_OVER_PI * (1 + 3 * _CUBIC * x * x), 6 * _SQRT_2_OVER_PI * _CUBIC * x


class GELU(Function):
    def forward(self, x, approximate):
        self.approximate = approximate
        self.kept = self._kept(x, approximate)
        return x * (0.5 * (1 + self.kept) if approximate == "tanh" else self.kept)

    def backward(self, g):
        (x,) = self.inputs
        if not is_grad_enabled():
            return (g * Tensor(self._slope(x.data, self.kept, self.approximate)),)
        return (g * GELUSlope.apply(x, kept=self.kept, approximate=self.approximate),)

    @staticmethod
    def _kept(x, approximate):
        """What ``f`` and ``f'`` share: ``t = tanh u`` (tanh form) or ``Φ(x)``."""
        if approximate == "tanh":
            return Function.xp(x).tanh(_SQRT_2_OVER_PI * (x + _CUBIC * x * x * x))
        cdf = backend.erf(x * (1 / math.sqrt(2)))
        cdf += 1
        cdf *= 0.5
        return cdf

    @staticmethod
    def _slope(x, kept, approximate):
        """``f'`` on arrays from ``kept`` (t or Φ)."""
        if approximate == "tanh":
            return 0.5 * (1 + kept) + 0.5 * x * (1 - kept * kept) * _tanh_argument_slopes(x)[0]
        slope = x * x
        slope *= -0.5
        Function.xp(x).exp(slope, out=slope)
        slope *= x
        slope *= 1 / math.sqrt(2 * math.pi)
        slope += kept
        return slope

    @staticmethod
    def derivative(x, approximate="none"):
        return GELU._slope(x, GELU._kept(x, approximate), approximate)

    @staticmethod
    def second_derivative(x, approximate="none"):
        xp = Function.xp(x)
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _CUBIC * x * x * x))
            slope, curvature = _tanh_argument_slopes(x)
            return (1 - t * t) * (slope - x * t * slope * slope + 0.5 * x * curvature)
        return xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) * (2 - x * x)


class GELUSlope(Function):
    """``f'(x)`` as an op of ``x``, from the ``kept`` array of the forward (Φ or t), so a
    recorded backward needs no second ``erf``. Its own backward multiplies by ``f''``: on
    arrays, or, when recorded again, built from differentiable ops (``exp``, ``tanh``), so
    derivatives of any order stay exact."""

    def forward(self, x, kept, approximate):
        self.approximate = approximate
        return GELU._slope(x, kept, approximate)

    def backward(self, g):
        (x,) = self.inputs
        if not is_grad_enabled():
            return (g * Tensor(GELU.second_derivative(x.data, self.approximate)),)
        if self.approximate == "tanh":
            t = tanh(_SQRT_2_OVER_PI * (x + _CUBIC * x * x * x))
            slope, curvature = _tanh_argument_slopes(x)
            return (g * ((1 - t * t) * (slope - x * t * slope * slope + 0.5 * x * curvature)),)
        return (g * (exp(-0.5 * (x * x)) / math.sqrt(2 * math.pi) * (2 - x * x)),)


def check_approximate(caller, approximate):
    """Raise unless ``approximate`` is ``"none"`` or ``"tanh"``."""
    if approximate not in APPROXIMATIONS:
        raise ValueError(f"{caller}: approximate must be one of {APPROXIMATIONS}, got "
                         f"{approximate!r}")


def erf(x):
    """The error function ``(2/√π) ∫₀ˣ e^(−t²) dt`` elementwise."""
    return Erf.apply(x)


def gelu(x, approximate="none"):
    """``x Φ(x)`` (``approximate="none"``) or its tanh approximation, elementwise."""
    check_approximate("gelu", approximate)
    return GELU.apply(x, approximate=approximate)
