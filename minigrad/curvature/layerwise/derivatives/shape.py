"""Rules for modules that move or scale entries without mixing samples:
``Identity``, ``Flatten`` (a reshape) and ``Dropout``.

``Dropout`` in evaluation is the identity. In training its forward draws a mask
``m`` and the module is the fixed linear map ``y = x ⊙ m / (1 − p)`` for that draw:
``record_forward`` keeps the drawn scale in a ``FrozenDropout`` that the later
products use (J = diag(scale), different per sample).
"""
from ....autograd.grad_mode import enable_grad
from ....tensor import Tensor
from .base import Derivatives, ConstantJacobianDerivatives


class IdentityDerivatives(ConstantJacobianDerivatives):

    def jac_mat_prod(self, module, x, out, M):
        return M

    def jac_t_mat_prod(self, module, x, out, M):
        return M


class FlattenDerivatives(ConstantJacobianDerivatives):

    def jac_mat_prod(self, module, x, out, M):
        return M.reshape(M.shape[:2] + out.shape[1:])

    def jac_t_mat_prod(self, module, x, out, M):
        return M.reshape(M.shape[:2] + x.shape[1:])


class FrozenDropout:
    """A dropout draw held fixed: ``y = x ⊙ scale`` with ``scale`` of the input's shape."""

    def __init__(self, scale):
        self.scale = scale

    def __repr__(self):
        return f"FrozenDropout(shape={tuple(self.scale.shape)})"


class DropoutDerivatives(Derivatives):

    def hessian_is_zero(self, module):
        return True

    def record_forward(self, module, x):
        if not module.training:
            return x, None
        with enable_grad():
            out = module(Tensor(x, requires_grad=True))
        return out.data, FrozenDropout(out.grad_fn.scale)

    def jac_mat_prod(self, module, x, out, M):
        return M if module is None else module.scale * M

    def jac_t_mat_prod(self, module, x, out, M):
        return M if module is None else module.scale * M

    def average_sandwich(self, module, x, out, G):
        if module is None:
            return G
        scale = module.scale.reshape(x.shape[0], -1)
        return G * (scale.T @ scale) / x.shape[0]
