"""Flat parameter vectors: the ``(P,)`` layout of every matrix-free curvature quantity.

CURVATURE.md, "Loss, parameters, ordering": a flat vector lists the model's
parameters in ``model.parameters()`` order, each raveled row-major, concatenated,
so ``P = Σ_p p.size``. ``flatten`` and ``unflatten`` convert between that layout
and lists of parameter-shaped arrays; ``flat_gradient`` is ``∇L`` of the mean
batch loss in it.
"""
import math

from ..autograd.engine import grad
from ..autograd.grad_mode import enable_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .evaluation import batch_loss, preserved_buffers


def parameter_list(model):
    """The model's Parameters in ``parameters()`` order; raises if it has none."""
    params = list(model.parameters())
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters to take curvature of")
    return params


def num_parameters(params):
    """``P``, the length of a flat vector over ``params``."""
    return sum(p.size for p in params)


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def flatten(arrays):
    """The row-major ravels of ``arrays`` (arrays or Tensors), concatenated: one ``(P,)`` array."""
    arrays = [_array(a) for a in arrays]
    if not arrays:
        raise ValueError("flatten: got an empty list of arrays")
    xp = get_array_module(*arrays)
    flat = xp.empty(sum(int(a.size) for a in arrays), dtype=xp.result_type(*arrays))
    start = 0
    for a in arrays:
        flat[start:start + a.size].reshape(a.shape)[...] = a
        start += a.size
    return flat


def unflatten(vector, like):
    """Split a ``(P,)`` vector into arrays shaped like ``like`` (Parameters or arrays).

    The pieces are views of ``vector`` (no copy), on its array module and dtype.
    """
    vector = _array(vector)
    shapes = [tuple(_array(p).shape) for p in like]
    total = sum(math.prod(shape) for shape in shapes)
    if vector.ndim != 1 or vector.shape[0] != total:
        raise ValueError(f"unflatten: expected a flat vector of shape ({total},) for parameter "
                         f"shapes {shapes}, got shape {tuple(vector.shape)}")
    pieces, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(vector[start:start + size].reshape(shape))
        start += size
    return pieces


def flat_gradient(model, loss_fn, x, y):
    """``∇L`` of the mean loss ``loss_fn(model(x), y)`` as a ``(P,)`` array.

    Running statistics (batch-norm buffers) are left as they were.
    """
    params = parameter_list(model)
    with enable_grad(), preserved_buffers(model):
        loss = batch_loss(model, loss_fn, x, y)
        grads = grad(loss, params, allow_unused=True)
    return flatten([p.xp.zeros_like(p.data) if g is None else g.data
                    for p, g in zip(params, grads)])
