"""The contract of a per-module derivatives object (BackPACK-style), and shared defaults.

Shape convention, used by every rules object and every driver in ``minigrad.curvature``:

    x     the module's recorded input,  array (N, *in_shape)
    out   the module's recorded output, array (N, *out_shape)
    M     a block of V vectors per sample, array (V, N, *shape): M[v, n] is vector v of sample n

For ``y = f(x)`` with per-sample Jacobian ``J_n = ∂y_n/∂x_n`` (modules act on each sample alone):

    recorded_module(module, x, out)      the module as the products need it, from one call's
                                         input array and output Tensor: a rules object may swap
                                         in a frozen stand-in (a dropout mask) or refuse an input
    record_forward(module, x)            (out array, recorded module) of one call on x (tests)
    jac_mat_prod(module, x, out, M)      M (V, N, *in_shape)  → J_n M[v, n]   (V, N, *out_shape)
    jac_t_mat_prod(module, x, out, M)    M (V, N, *out_shape) → J_nᵀ M[v, n]  (V, N, *in_shape)
    hessian_is_zero(module)              every ∂²y/∂x² vanishes (linear maps, ReLU, max-pooling);
                                         REQUIRED: a subclass that does not declare it (itself
                                         or through a base) is refused when it is defined
    second_derivative_term(module, x, grad_out)
                                         the diagonal f''(x) ⊙ ∂ℓ/∂y, (N, *in_shape): the term
                                         D of the recursion (``minigrad/curvature/README.md``),
                                         for elementwise modules with f'' ≠ 0
    average_sandwich(module, x, out, G)  (1/N) Σ_n J_nᵀ G J_n for G (D_out, D_out) (the KFRA step)
    diagonal_jacobian(module, x, out)    f'(x) (N, *in_shape) for elementwise modules, else None:
                                         a diagonal curvature stays diagonal through them
    couples_samples(module)              an output sample depends on other samples (batch norm
                                         in training): the per-sample recursion does not apply

Modules with parameters add, for ``name`` in ``param_names(module)`` ("weight", "bias"):

    param_jac_mat_prod(module, x, out, V_p, name)   V_p (V, *p_shape) → J_p,n V_p[v] (V, N, *out)
    param_jac_t_mat_prod(module, x, out, M, name, sum_samples=False)
                                         J_p,nᵀ M[v, n]  (V, N, *p_shape), or Σ_n of it (V, *p_shape)
    param_jac_t_diag(module, x, out, M, weights, name)
                                         Σ_{v,n} weights[v, n] (J_p,nᵀ M[v, n])²   (*p_shape)
                                         (weights None means all 1)
    param_diagonal_of_diagonal(module, x, out, d, name)
                                         diag(Σ_n J_p,nᵀ diag(d_n) J_p,n)           (*p_shape)
"""
import math

from ....autograd.engine import grad
from ....autograd.grad_mode import enable_grad, no_grad
from ....backend import get_array_module as _xp
from ....tensor import Tensor


def merge_columns(M):
    """(V, N, *shape) → (V·N, *shape)."""
    return M.reshape((M.shape[0] * M.shape[1],) + M.shape[2:])


def split_columns(M, columns):
    """(V·N, *shape) → (V, N, *shape)."""
    return M.reshape((columns, M.shape[0] // columns) + M.shape[1:])


def sample_dims(array):
    """The axes after (V, N)."""
    return tuple(range(2, array.ndim))


class Derivatives:
    """Defaults shared by all modules; subclasses override what their module needs.

    ``hessian_is_zero`` has no default: a rules class that forgot it would have the
    Gauss-Newton curvature reported as the Hessian, so defining one is an error.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "hessian_is_zero", None)):
            raise TypeError(f"{cls.__name__} must declare hessian_is_zero(self, module): whether "
                            f"every second derivative of its module's output in its input "
                            f"vanishes (the Hessian recursion adds second_derivative_term "
                            f"where it does not)")

    def recorded_module(self, module, x, out):
        return module

    def record_forward(self, module, x):
        with enable_grad():
            out = module(Tensor(x, requires_grad=True))
        return out.data, self.recorded_module(module, x, out)

    def jac_mat_prod(self, module, x, out, M):
        raise NotImplementedError(f"{type(self).__name__}.jac_mat_prod")

    def jac_t_mat_prod(self, module, x, out, M):
        raise NotImplementedError(f"{type(self).__name__}.jac_t_mat_prod")

    def second_derivative_term(self, module, x, grad_out):
        raise ValueError(f"{type(module).__name__} has a zero second derivative; no second-"
                         f"derivative term")

    def param_names(self, module):
        return ()

    def diagonal_jacobian(self, module, x, out):
        """``J_n``'s diagonal (shape of x) where ``J_n`` is diagonal and elementwise; else None."""
        return None

    def jac_t_unit_columns(self, module, x, out, root):
        """``J_nᵀ S`` for the scaled unit columns S[v, n] = root[n, v] e_v (``root`` (N, V),
        V the output entries) where a module has a form cheaper than ``jac_t_mat_prod`` of
        the V columns; else None."""
        return None

    def couples_samples(self, module):
        """Whether an output sample depends on other input samples (batch statistics)."""
        return False

    def average_sandwich(self, module, x, out, G):
        """(1/N) Σ_n J_nᵀ G J_n by two Jacobian-transpose passes, one per side of G."""
        n = x.shape[0]
        in_size, out_size = math.prod(x.shape[1:]), math.prod(out.shape[1:])
        xp = _xp(G)
        columns = xp.broadcast_to(G[:, None, :], (out_size, n, out_size))
        left = self.jac_t_mat_prod(module, x, out, columns.reshape((out_size, n) + out.shape[1:]))
        left = left.reshape(out_size, n, in_size).transpose(2, 1, 0)
        both = self.jac_t_mat_prod(module, x, out, left.reshape((in_size, n) + out.shape[1:]))
        return both.reshape(in_size, n, in_size).mean(axis=1).T

    def param_jac_t_diag(self, module, x, out, M, weights, name):
        J = self.param_jac_t_mat_prod(module, x, out, M, name)
        if weights is None:
            return (J * J).sum(axis=(0, 1))
        return _xp(J).tensordot(weights, J * J, axes=([0, 1], [0, 1]))


class ConstantJacobianDerivatives(Derivatives):
    """Modules that are one fixed linear map of the input: the Jacobian is a constant.

    ``J M`` is the module applied to M; ``Jᵀ M`` is its vector-Jacobian product taken by
    autograd at zero (exact for a linear map). The KFRA step needs one sample only.
    """

    def hessian_is_zero(self, module):
        return True

    def jac_mat_prod(self, module, x, out, M):
        with no_grad():
            mapped = module(Tensor(merge_columns(M))).data
        return split_columns(mapped, M.shape[0])

    def jac_t_mat_prod(self, module, x, out, M):
        flat = merge_columns(M)
        xp = _xp(flat)
        probe = Tensor(xp.zeros((flat.shape[0],) + x.shape[1:], dtype=flat.dtype),
                       requires_grad=True)
        with enable_grad():
            (vjp,) = grad(module(probe), probe, grad_outputs=Tensor(flat))
        return split_columns(vjp.data, M.shape[0])

    def average_sandwich(self, module, x, out, G):
        return super().average_sandwich(module, x[:1], out[:1], G)
