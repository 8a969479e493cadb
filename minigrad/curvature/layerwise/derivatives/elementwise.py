"""Rules for elementwise activations ``y = f(x)`` (ReLU, LeakyReLU, Sigmoid, Tanh, Softplus).

The Jacobian is ``B_n = diag(f'(x_n))`` and the second-derivative term is the diagonal
``D_n = f''(x_n) ⊙ ∂ℓ/∂y_n`` (``minigrad/curvature/README.md``, the recursion). ``f'`` and ``f''`` are the
static ``derivative`` / ``second_derivative`` of the op classes in ``minigrad/ops/activation.py``;
the module's hyper-parameters (negative slope, β, threshold) are passed on. Where the op
computes ``f'`` from its output (sigmoid, tanh: ``derivative_from_output``), the recorded
output is used instead of evaluating ``f`` again.

    jac = jac_t:  f'(x) ⊙ M                   second_derivative_term: f''(x) ⊙ grad_out
    KFRA step:    G ⊙ (1/N) Σ_n f'(x_n) f'(x_n)ᵀ
"""
from ....ops import activation
from ..layer_columns import gram
from .base import Derivatives


class ElementwiseDerivatives(Derivatives):
    """``function``: the op class; ``hyper_parameters``: module attribute → keyword name."""

    def __init__(self, function, hyper_parameters=(), piecewise_linear=False,
                 slope_from_output=False):
        self.function = function
        self.hyper_parameters = hyper_parameters
        self.piecewise_linear = piecewise_linear
        self.slope_from_output = slope_from_output

    def _keywords(self, module):
        return {name: getattr(module, name) for name in self.hyper_parameters}

    def slope(self, module, x, out):
        """f'(x), shape of x (``out = f(x)`` is the recorded output)."""
        if self.slope_from_output:
            return self.function.derivative_from_output(out)
        return self.function.derivative(x, **self._keywords(module))

    def diagonal_jacobian(self, module, x, out):
        return self.slope(module, x, out)

    def jac_mat_prod(self, module, x, out, M):
        return self.slope(module, x, out) * M

    def jac_t_mat_prod(self, module, x, out, M):
        return self.slope(module, x, out) * M

    def hessian_is_zero(self, module):
        return self.piecewise_linear

    def second_derivative_term(self, module, x, grad_out):
        return self.function.second_derivative(x, **self._keywords(module)) * grad_out

    def average_sandwich(self, module, x, out, G):
        slopes = self.slope(module, x, out).reshape(x.shape[0], -1)
        average = gram(slopes, 1.0 / x.shape[0])
        average *= G
        return average


RELU = ElementwiseDerivatives(activation.ReLU, piecewise_linear=True)
LEAKY_RELU = ElementwiseDerivatives(activation.LeakyReLU, ("negative_slope",), piecewise_linear=True)
SIGMOID = ElementwiseDerivatives(activation.Sigmoid, slope_from_output=True)
TANH = ElementwiseDerivatives(activation.Tanh, slope_from_output=True)
SOFTPLUS = ElementwiseDerivatives(activation.Softplus, ("beta", "threshold"))
