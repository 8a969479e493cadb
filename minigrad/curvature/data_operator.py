"""Curvature of the mean loss over a data set, as an operator: one pass over the data per product.

A data set is a ``DataLoader`` or any re-iterable of ``(x, y)`` batches (a list; a one-shot
iterator is refused, since every product passes over it again). The mean loss over all
``N = Σ_b N_b`` samples is ``L = Σ_b (N_b / N) L_b`` with ``L_b`` the mean loss of batch ``b``,
so every curvature matrix ``M`` of it that is linear in the loss (Hessian, Gauss-Newton
matrix, empirical Fisher) is

    M v = Σ_b (N_b / N) M_b v

with ``M_b`` that of batch ``b`` alone; per batch only what one batch's product needs is held,
and freed before the next. Both halves of the curvature package build their data-set operators
here (``autodiff/operators.py``, ``layerwise/empirical_fisher.py``).
"""
from ..linear_operator import LinearOperator
from .flat import num_parameters


def _re_iterable(data, who):
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


def data_operator(batch_product, params, data, who):
    """The ``(P, P)`` operator ``v ↦ Σ_b (N_b / N) batch_product(x_b, y_b, v)`` over the batches
    of ``data``, for flat vectors over ``params`` (their dtype and array module)."""
    data = _re_iterable(data, who)
    size, dtype, xp = num_parameters(params), params[0].dtype, params[0].xp

    def matvec(v):
        total, count = xp.zeros(size, dtype=dtype), 0
        for x, y in data:
            n = _batch_size(x, who)
            total += n * batch_product(x, y, v)
            count += n
        if count == 0:
            raise ValueError(f"{who}: data holds no batches")
        return total / count

    return LinearOperator(matvec, (size, size), dtype, xp)
