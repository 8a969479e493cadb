"""Rules for elementwise activations ``y = f(x)`` (ReLU, LeakyReLU, Sigmoid, Tanh, Softplus).

The Jacobian is ``B_n = diag(f'(x_n))`` and the second-derivative term is the diagonal
``D_n = f''(x_n) ⊙ ∂ℓ/∂y_n`` (CURVATURE.md, the recursion). ``f'`` and ``f''`` are the
static ``derivative`` / ``second_derivative`` of the op classes in ``minigrad/ops/activation.py``;
the module's hyper-parameters (negative slope, β, threshold) are passed on.

    jac = jac_t:  f'(x) ⊙ M                   residual: f''(x) ⊙ grad_out
    KFRA step:    G ⊙ (1/N) Σ_n f'(x_n) f'(x_n)ᵀ
"""
from ...ops import activation
from .base import Derivatives


class ElementwiseDerivatives(Derivatives):
    """``function``: the op class; ``hyper_parameters``: module attribute → keyword name."""

    def __init__(self, function, hyper_parameters=(), piecewise_linear=False):
        self.function = function
        self.hyper_parameters = hyper_parameters
        self.piecewise_linear = piecewise_linear

    def _keywords(self, module):
        return {name: getattr(module, name) for name in self.hyper_parameters}

    def slope(self, module, x):
        """f'(x), shape of x."""
        return self.function.derivative(x, **self._keywords(module))

    def jac_mat_prod(self, module, x, out, M):
        return self.slope(module, x) * M

    def jac_t_mat_prod(self, module, x, out, M):
        return self.slope(module, x) * M

    def hessian_is_zero(self, module):
        return self.piecewise_linear

    def residual(self, module, x, grad_out):
        return self.function.second_derivative(x, **self._keywords(module)) * grad_out

    def average_sandwich(self, module, x, out, G):
        slopes = self.slope(module, x).reshape(x.shape[0], -1)
        return G * (slopes.T @ slopes) / x.shape[0]


RELU = ElementwiseDerivatives(activation.ReLU, piecewise_linear=True)
LEAKY_RELU = ElementwiseDerivatives(activation.LeakyReLU, ("negative_slope",), piecewise_linear=True)
SIGMOID = ElementwiseDerivatives(activation.Sigmoid)
TANH = ElementwiseDerivatives(activation.Tanh)
SOFTPLUS = ElementwiseDerivatives(activation.Softplus, ("beta", "threshold"))
