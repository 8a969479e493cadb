"""Rules for pooling: ``AvgPool2d`` and ``AdaptiveAvgPool2d`` (linear maps) and ``MaxPool2d``.

Average pooling is linear and the same for every sample (``ConstantJacobianDerivatives``).
Max pooling is piecewise linear: ``J_n`` picks, for each window, its first maximal entry
of ``x_n``, so ``∂²y/∂x² = 0``. Its products are taken by autograd at the recorded input,
with the V vectors of a sample stacked along the batch axis:

    jac_t: vjp of the pooling at x (repeated V times) with M as the output gradient
    jac:   the vjp is linear in its output gradient u, so J M = ∂⟨vjp(u), M⟩/∂u
"""
from ....autograd.engine import grad
from ....autograd.grad_mode import enable_grad
from ....backend import get_array_module
from ....tensor import Tensor
from .base import Derivatives, ConstantJacobianDerivatives, merge_columns, split_columns


class AveragePoolDerivatives(ConstantJacobianDerivatives):
    pass


class MaxPoolDerivatives(Derivatives):

    def hessian_is_zero(self, module):
        return True

    def _pooled(self, module, x, columns):
        xp = get_array_module(x)
        stacked = Tensor(xp.broadcast_to(x, (columns,) + x.shape).reshape((-1,) + x.shape[1:]),
                         requires_grad=True)
        return stacked, module(stacked)

    def jac_t_mat_prod(self, module, x, out, M):
        with enable_grad():
            stacked, pooled = self._pooled(module, x, M.shape[0])
            (vjp,) = grad(pooled, stacked, grad_outputs=Tensor(merge_columns(M)))
        return split_columns(vjp.data, M.shape[0])

    def jac_mat_prod(self, module, x, out, M):
        xp = get_array_module(x)
        with enable_grad():
            stacked, pooled = self._pooled(module, x, M.shape[0])
            probe = Tensor(xp.zeros(pooled.shape, dtype=pooled.dtype), requires_grad=True)
            (vjp,) = grad(pooled, stacked, grad_outputs=probe, create_graph=True)
            (jvp,) = grad(vjp, probe, grad_outputs=Tensor(merge_columns(M)))
        return split_columns(jvp.data, M.shape[0])
