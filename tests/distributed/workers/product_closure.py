"""A shard closure with the product operators of the closure contract, for the tests.

``hessian_product(backward)`` / ``gauss_newton_product(backward)`` return the operator of
``minigrad.curvature.autodiff.products`` at the current parameters with ``.loss`` the batch loss
Tensor; with ``backward`` the closure has also run (``p.grad`` set, buffers moved once).
"""
import minigrad
from minigrad.curvature import Closure, GaussNewtonProduct, HessianProduct


class ProductClosure(Closure):
    def _product(self, operator, backward):
        loss = self() if backward else minigrad.tensor(self.loss_value())
        product = operator(self.model, self.loss_fn, self.x, self.y)
        product.loss = loss
        return product

    def hessian_product(self, backward=True):
        return self._product(HessianProduct, backward)

    def gauss_newton_product(self, backward=True):
        return self._product(GaussNewtonProduct, backward)
