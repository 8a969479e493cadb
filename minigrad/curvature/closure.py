"""``Closure``: the contract between ``minigrad.curvature`` and the optimizers in ``optim``.

A closure binds a model, a loss module and one batch ``(x, y)``, and answers
every question an optimizer may ask about the mean batch loss ``L(θ)`` at the
current parameters ``θ`` (the ``p.data`` of ``params``, read at call time):

    closure()                  zero the grads, forward, backward; returns the loss Tensor
                               (what a PyTorch closure does, for first-order optimizers);
                               ``closure.output`` keeps the network outputs of the first
                               call (the evaluation before the step)
    closure.loss_value()       L(θ) as a float, forward only (line searches, ratio tests)
    closure.hvp(vectors)       H v,        v and result: lists of arrays shaped like params
    closure.ggnvp(vectors)     Jᵀ H_z J v  (products.py)
    closure.kronecker_factors(kind)   one Kronecker-factored block G ⊗ A per Linear/Conv2d
                               layer, kind "kfac" | "kflr" | "kfra" (CURVATURE.md)
    closure.class_gradients()  (C, P) class gradients c_k (analysis.py)

Optimizers work on lists of parameter arrays and never reach into layers.
``loss_value``, the products and the class gradients leave batch-norm running
statistics as they were; ``closure()`` updates them, like a training step.
"""
from ..autograd.grad_mode import enable_grad, no_grad
from .analysis import class_gradients
from .evaluation import as_input, batch_loss, preserved_buffers, scalar_loss
from .flat import parameter_list
from .products import GaussNewtonProduct, HessianProduct

KRONECKER_KINDS = ("kfac", "kflr", "kfra")


class Closure:
    """The mean loss of ``loss_fn(model(x), y)`` and its curvature at the current parameters."""

    def __init__(self, model, loss_fn, x, y):
        self.model, self.loss_fn, self.x, self.y = model, loss_fn, x, y
        self.params = parameter_list(model)
        self.output = None

    def __call__(self):
        """Zero every ``p.grad``, run forward and backward; returns the scalar loss Tensor."""
        for p in self.params:
            p.grad = None
        with enable_grad():
            output = self.model(as_input(self.x))
            loss = scalar_loss(self.loss_fn, output, self.y)
            loss.backward()
        if self.output is None:
            self.output = output.detach()
        return loss

    def loss_value(self):
        """``L(θ)`` as a float at the current ``p.data`` (no graph, buffers untouched)."""
        with no_grad(), preserved_buffers(self.model):
            return float(batch_loss(self.model, self.loss_fn, self.x, self.y).item())

    def hvp(self, vectors):
        """Exact ``H v`` for ``vectors`` shaped like ``params``, as a list of arrays so shaped."""
        return HessianProduct(self.model, self.loss_fn, self.x, self.y).apply(
            vectors, retain_graph=False)

    def ggnvp(self, vectors):
        """Exact Gauss-Newton product ``Jᵀ H_z J v``; a list of arrays shaped like ``params``."""
        return GaussNewtonProduct(self.model, self.loss_fn, self.x, self.y).apply(
            vectors, retain_graph=False)

    def kronecker_factors(self, kind, mc_samples=1, seed=None):
        """Per Linear/Conv2d layer a block with ``.params``, ``.A``, ``.G`` and ``.to_dense()``."""
        if kind not in KRONECKER_KINDS:
            raise ValueError(f"Closure.kronecker_factors: kind must be one of {KRONECKER_KINDS}, "
                             f"got {kind!r}")
        from . import kronecker
        if kind == "kfac":
            return kronecker.kfac(self.model, self.loss_fn, self.x, self.y,
                                  mc_samples=mc_samples, seed=seed)
        return getattr(kronecker, kind)(self.model, self.loss_fn, self.x, self.y)

    def class_gradients(self):
        """``(C, P)``: per class ``k`` the mean of ``∇_θ z_k`` over the samples of class ``k``."""
        return class_gradients(self.model, self.x, self.y)
