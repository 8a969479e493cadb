"""Curvature as linear operators: the exact Hessian and Gauss-Newton products at fixed parameters.

``hessian_operator`` and ``ggn_operator`` wrap the exact products of ``products.py`` at the
current parameters as a ``LinearOperator`` (``minigrad/linear_operator.py``; a snapshot: do
not change the parameters while using one), which every estimator in ``minigrad.curvature``
(Hutchinson, Hutch++, Lanczos, power iteration, stochastic Lanczos quadrature) takes.

Each takes one batch ``(x, y)``, or a whole data set: ``hessian_operator(model, loss_fn, data)``
with ``data`` a ``DataLoader`` or any re-iterable of ``(x, y)`` batches. The mean loss over all
``N = Σ_b N_b`` samples is ``L = Σ_b (N_b / N) L_b`` with ``L_b`` the mean loss of batch ``b``,
so its curvature is

    H v = Σ_b (N_b / N) H_b v        (likewise G v)

and each product makes one pass over the data: per batch one forward pass, its graph, the
product, and the graph freed before the next batch. Batch norm in training mode normalises
each batch with its own statistics, so there the result is the mean of the per-batch
curvatures, not the curvature of one concatenated batch.

``params`` restricts an operator to a subset of the parameters (one layer's, say): the
operator is then the ``(P_S, P_S)`` diagonal block of the curvature over that subset, in the
subset's flat layout, so ``top_eigen`` and ``spectral_density`` give per-layer spectra.
"""
from ...linear_operator import LinearOperator, aslinearoperator
from ..flat import num_parameters
from .products import GaussNewtonProduct, HessianProduct, chosen_parameters


def _product_operator(product):
    return LinearOperator(product, (product.size, product.size), product.dtype, product.xp)


def _batches(data, who):
    """``data`` as a re-iterable of ``(x, y)`` batches; a one-shot iterator is refused."""
    if iter(data) is data:
        raise TypeError(f"{who}: data must be re-iterable (a DataLoader or a list of (x, y) "
                        f"batches): each product makes one pass over it, and a "
                        f"{type(data).__name__} can be iterated only once")
    return data


def _batch_size(x, who):
    """``N_b``, the leading dimension of a batch's input."""
    shape = getattr(x, "shape", ())
    if not shape:
        raise TypeError(f"{who}: each batch must be an (x, y) pair with x an array or Tensor "
                        f"of shape (N, ...), got x of type {type(x).__name__} and shape "
                        f"{tuple(shape)}")
    return int(shape[0])


def _data_operator(product_type, model, loss_fn, data, params, who):
    """The operator of ``Σ_b (N_b / N) · product_b`` over the batches of ``data`` (docstring)."""
    data = _batches(data, who)
    chosen = chosen_parameters(model, params)
    size, dtype, xp = num_parameters(chosen), chosen[0].dtype, chosen[0].xp

    def matvec(v):
        total, count = xp.zeros(size, dtype=dtype), 0
        for x, y in data:
            n = _batch_size(x, who)
            total += n * product_type(model, loss_fn, x, y, params=chosen)(v, retain_graph=False)
            count += n
        if count == 0:
            raise ValueError(f"{who}: data holds no batches")
        return total / count

    return LinearOperator(matvec, (size, size), dtype, xp)


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
