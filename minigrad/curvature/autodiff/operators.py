"""Curvature as linear operators: the exact Hessian and Gauss-Newton products at fixed parameters.

``hessian_operator`` and ``ggn_operator`` wrap the exact products of ``products.py`` at the
current parameters as a ``LinearOperator`` (``minigrad/linear_operator.py``; a snapshot: do
not change the parameters while using one), which every estimator in ``minigrad.curvature``
(Hutchinson, Hutch++, Lanczos, power iteration, stochastic Lanczos quadrature) takes.

Each takes one batch ``(x, y)``, or a whole data set: ``hessian_operator(model, loss_fn, data)``
with ``data`` a ``DataLoader`` or any re-iterable of ``(x, y)`` batches. The mean loss over all
``N = Σ_b N_b`` samples is ``L = Σ_b (N_b / N) L_b`` with ``L_b`` the mean loss of batch ``b``,
so its curvature is

    H v = Σ_b (N_b / N) H_b v        (likewise G v; ``curvature/data_operator.py``)

and each product makes one pass over the data: per batch one forward pass, its graph, the
product, and the graph freed before the next batch. Batch norm in training mode normalises
each batch with its own statistics, so there the result is the mean of the per-batch
curvatures, not the curvature of one concatenated batch.

``params`` restricts an operator to a subset of the parameters (one layer's, say): the
operator is then the ``(P_S, P_S)`` diagonal block of the curvature over that subset, in the
subset's flat layout, so ``top_eigen`` and ``spectral_density`` give per-layer spectra.
"""
from ...linear_operator import LinearOperator, aslinearoperator
from ..data_operator import data_operator
from ..flat import chosen_parameters
from .products import GaussNewtonProduct, HessianProduct


def _product_operator(product):
    return LinearOperator(product, (product.size, product.size), product.dtype, product.xp)


def _data_operator(product_type, model, loss_fn, data, params, who):
    """The operator of ``Σ_b (N_b / N) · product_b`` over the batches of ``data``."""
    chosen = chosen_parameters(model, params)
    return data_operator(lambda x, y, v: product_type(model, loss_fn, x, y, params=chosen)(
        v, retain_graph=False), chosen, data, who)


def _operator(product_type, model, loss_fn, x, y, params, who):
    if y is None:
        return _data_operator(product_type, model, loss_fn, x, params, who)
    return _product_operator(product_type(model, loss_fn, x, y, params=params))


def hessian_operator(model, loss_fn, x, y=None, params=None):
    """The exact Hessian of the mean loss at the current parameters, as a ``(P, P)`` operator.

    ``x, y`` is one batch; with ``y`` omitted, ``x`` is a data set of ``(x, y)`` batches and the
    operator is the Hessian of the mean loss over all its samples (module docstring).
    ``params`` restricts it to the diagonal block of a subset of the parameters.
    """
    return _operator(HessianProduct, model, loss_fn, x, y, params, "hessian_operator")


def ggn_operator(model, loss_fn, x, y=None, params=None):
    """The exact Gauss-Newton matrix ``Jᵀ H_z J`` at the current parameters, as an operator.

    ``x, y``, a data set in ``x`` with ``y`` omitted, and ``params`` as in ``hessian_operator``.
    """
    return _operator(GaussNewtonProduct, model, loss_fn, x, y, params, "ggn_operator")
