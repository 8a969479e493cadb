"""Curvature as linear operators: the exact Hessian and Gauss-Newton products at fixed parameters.

``hessian_operator`` and ``ggn_operator`` wrap the exact products of ``products.py`` at the
current parameters as a ``LinearOperator`` (``minigrad/linear_operator.py``; a snapshot: do
not change the parameters while using one), which every estimator in ``minigrad.curvature``
(Hutchinson, Lanczos, power iteration, stochastic Lanczos quadrature) takes.
"""
from ...linear_operator import LinearOperator, aslinearoperator
from .products import GaussNewtonProduct, HessianProduct


def _product_operator(product):
    return LinearOperator(product, (product.size, product.size), product.dtype, product.xp)


def hessian_operator(model, loss_fn, x, y):
    """The exact Hessian of the mean loss at the current parameters, as a ``(P, P)`` operator."""
    return _product_operator(HessianProduct(model, loss_fn, x, y))


def ggn_operator(model, loss_fn, x, y):
    """The exact Gauss-Newton matrix ``Jᵀ H_z J`` at the current parameters, as an operator."""
    return _product_operator(GaussNewtonProduct(model, loss_fn, x, y))
