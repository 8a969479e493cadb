"""``Closure``: the contract between ``minigrad.curvature`` and the optimizers in ``optim``.

A closure binds a model, a loss module and one batch ``(x, y)``, and answers
every question an optimizer may ask about the mean batch loss ``L(θ)`` at the
current parameters ``θ`` (the ``p.data`` of ``params``, read at call time).
``CurvatureClosure`` writes the contract down as a ``typing.Protocol``; the
optimizers use nothing else:

    closure()                  zero the grads, forward, backward; returns the loss Tensor
                               (what a PyTorch closure does, for first-order optimizers)
    closure.loss_value()       L(θ) as a float, forward only (line searches, ratio tests)
    closure.hessian_product()  what closure() does, keeping the gradient's graph: returns
                               the operator v ↦ H v (products.HessianProduct, with .loss)
    closure.gauss_newton_product()   the same for v ↦ Jᵀ H_z J v (GaussNewtonProduct)
    closure.kronecker_factors(kind)   one Kronecker-factored block G ⊗ A per Linear/Conv2d
                               layer and self-attention in-projection (A ⊗ G, A diagonal,
                               per Embedding), kind "kfac" | "kflr" | "kfra"
                               (curvature/README.md)
    closure.class_gradients()  (C, P) class gradients c_k (class_gradients.py)
    closure.latest_output      the network outputs of the latest evaluation
    closure.output             the network outputs of the first evaluation (the one
                               before an optimizer step moved the parameters)

A product operator comes from one forward pass and one gradient graph, and
every later product with it costs backward passes only: a Newton-CG,
trust-region or ARC step does one forward for the gradient and all its
CG/Lanczos products, plus the loss-only evaluations of its ratio test.
With ``backward=False`` a product leaves the grads and the buffers alone (a
curvature batch other than the gradient's). ``closure.hvp(vectors)`` and
``closure.ggnvp(vectors)`` are one-off products for interactive use (each
runs its own forward).

Optimizers work on lists of parameter arrays and never reach into layers.
``loss_value``, the one-off products and the class gradients leave batch-norm
running statistics as they were; ``closure()`` and the product operators with
``backward=True`` update them once, like a training step.

"""
from typing import Protocol

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .class_gradients import class_gradients
from .evaluation import as_input, batch_loss, preserved_buffers, scalar_loss
from .flat import parameter_list
from .autodiff.products import GaussNewtonProduct, HessianProduct

KRONECKER_KINDS = ("kfac", "kflr", "kfra")


class CurvatureClosure(Protocol):
    """What an optimizer may ask of a closure (``Closure`` is the implementation).

    ``params`` are the differentiated parameters in model order and ``y`` the
    batch targets; a product operator has ``apply(vectors)`` (lists of arrays
    shaped like ``params``) and ``loss`` (the batch loss Tensor).
    """

    params: list
    y: object
    latest_output: object

    def __call__(self) -> Tensor: ...

    def loss_value(self) -> float: ...

    def hessian_product(self, backward: bool = True) -> HessianProduct: ...

    def gauss_newton_product(self, backward: bool = True) -> GaussNewtonProduct: ...

    def kronecker_factors(self, kind: str, mc_samples: int = 1, seed=None,
                          chunk_size=None, approx: str = "expand") -> list: ...

    def ekfac_factors(self, fisher_type: str = "mc", mc_samples: int = 1, seed=None,
                      basis=None) -> list: ...

    def class_gradients(self): ...


class Closure:
    """The mean loss of ``loss_fn(model(x), y)`` and its curvature at the current parameters.

    >>> import numpy, minigrad
    >>> from minigrad import nn
    >>> from minigrad.curvature import Closure
    >>> model = nn.Linear(2, 1)
    >>> x = minigrad.tensor(numpy.ones((4, 2), dtype="float32"))
    >>> y = minigrad.tensor(numpy.zeros((4, 1), dtype="float32"))
    >>> closure = Closure(model, nn.MSELoss(), x, y)
    >>> hessian = closure.hessian_product()
    >>> [p.grad is not None for p in closure.params]
    [True, True]
    >>> [h.tolist() for h in hessian.apply([numpy.zeros((1, 2)), numpy.ones(1)])]  # H = 2·11ᵀ
    [[[2.0, 2.0]], [2.0]]
    """

    def __init__(self, model, loss_fn, x, y):
        self.model, self.loss_fn, self.x, self.y = model, loss_fn, x, y
        self.params = parameter_list(model)
        self.output = None
        self.latest_output = None

    def __call__(self):
        """Zero every ``p.grad``, run forward and backward; returns the scalar loss Tensor."""
        for p in self.params:
            p.grad = None
        with enable_grad():
            output = self.model(as_input(self.x))
            loss = scalar_loss(self.loss_fn, output, self.y)
            loss.backward()
        self._record(output)
        return loss

    def _record(self, output):
        self.latest_output = output.detach()
        if self.output is None:
            self.output = self.latest_output

    def _evaluation(self, product, backward):
        """With ``backward``: the product's gradient into ``p.grad`` and its outputs recorded."""
        if backward:
            for p, g in zip(self.params, product.gradient):
                p.grad = Tensor(g)
            self._record(product.output)
        return product

    def hessian_product(self, backward=True):
        """``v ↦ H v`` at the current θ from one forward pass (``HessianProduct``, with ``.loss``).

        With ``backward`` (the default) this is also the closure's evaluation:
        ``p.grad`` holds the gradient and batch-norm statistics move once, as
        after ``closure()``. Do not change the parameters while using it.
        """
        return self._evaluation(HessianProduct(self.model, self.loss_fn, self.x, self.y,
                                               updates_buffers=backward), backward)

    def gauss_newton_product(self, backward=True):
        """``v ↦ Jᵀ H_z J v`` at the current θ from one forward pass; see ``hessian_product``."""
        return self._evaluation(GaussNewtonProduct(self.model, self.loss_fn, self.x, self.y,
                                                   updates_buffers=backward), backward)

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

    def kronecker_factors(self, kind, mc_samples=1, seed=None, chunk_size=None, approx="expand"):
        """Per Linear/Conv2d layer, self-attention in-projection and Embedding a block with
        ``.params``, ``.A``, ``.G`` (an Embedding's ``A`` the vector of its diagonal) and
        ``.to_dense()``;
        ``chunk_size`` (KFAC, KFLR) bounds the samples back-propagated at once; ``approx`` reads
        a shared axis as ``"expand"`` or ``"reduce"`` (KFAC and KFLR)."""
        if kind not in KRONECKER_KINDS:
            raise ValueError(f"Closure.kronecker_factors: kind must be one of {KRONECKER_KINDS}, "
                             f"got {kind!r}")
        from .layerwise import kronecker
        if kind == "kfac":
            return kronecker.kfac(self.model, self.loss_fn, self.x, self.y,
                                  mc_samples=mc_samples, seed=seed, chunk_size=chunk_size,
                                  approx=approx)
        if kind == "kflr":
            return kronecker.kflr(self.model, self.loss_fn, self.x, self.y, chunk_size=chunk_size,
                                  approx=approx)
        if chunk_size is not None:
            raise ValueError(f"Closure.kronecker_factors: chunk_size applies to 'kfac' and 'kflr' "
                             f"(back-propagated columns), not to {kind!r}, whose recursion is "
                             f"batch-averaged; got chunk_size={chunk_size!r}")
        if approx != "expand":
            raise ValueError(f"Closure.kronecker_factors: KFRA reads a shared axis as "
                             f"approx='expand' only, got {approx!r}")
        return kronecker.kfra(self.model, self.loss_fn, self.x, self.y)

    def ekfac_factors(self, fisher_type="mc", mc_samples=1, seed=None, basis=None):
        """Per Linear/Conv2d layer, self-attention in-projection and Embedding an
        ``EKFACFactors`` block (``layerwise/ekfac.py``) with
        ``.params``, ``.solve(v, damping)`` and ``.to_dense()``; ``basis``, the blocks of an
        earlier call, keeps their eigenbases and rescales them on this batch."""
        from .layerwise import ekfac
        return ekfac(self.model, self.loss_fn, self.x, self.y, fisher_type=fisher_type,
                     mc_samples=mc_samples, seed=seed, basis=basis)

    def class_gradients(self):
        """``(C, P)``: per class ``k`` the mean of ``∇_θ z_k`` over the samples of class ``k``."""
        return class_gradients(self.model, self.x, self.y)
