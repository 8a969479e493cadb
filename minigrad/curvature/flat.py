"""Flat parameter vectors: the ``(P,)`` layout of every matrix-free curvature quantity.

``minigrad/curvature/README.md``, "Parameters and their order": a flat vector lists the
model's parameters in ``model.parameters()`` order, each raveled row-major, concatenated,
so ``P = Σ_p p.numel()``. ``arrays_to_vector`` and ``vector_to_arrays``
(``minigrad/flat_vectors.py``) convert
between that layout and lists of parameter-shaped arrays; ``flat_gradient`` is ``∇L`` of
the batch loss in it.
"""
from ..autograd.engine import grad
from ..autograd.grad_mode import enable_grad
from ..flat_vectors import arrays_to_vector, vector_to_arrays
from .evaluation import batch_loss, preserved_buffers


def parameter_list(model):
    """The model's Parameters in ``parameters()`` order; raises if it has none."""
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(f"the model must be a minigrad.nn.Module (something with parameters()), "
                        f"got {type(model).__name__}")
    params = list(model.parameters())
    if not params:
        raise ValueError(f"{type(model).__name__} has no parameters to take curvature of")
    return params


def chosen_parameters(model, params):
    """``params`` (default: all of the model's) checked to be distinct Parameters of ``model``."""
    every = parameter_list(model)
    if params is None:
        return every
    params = list(params)
    owned = {id(p) for p in every}
    if not params:
        raise ValueError(f"params: an empty list; pass None for all parameters of "
                         f"{type(model).__name__}")
    for i, p in enumerate(params):
        if id(p) not in owned:
            raise ValueError(f"params[{i}] (shape {tuple(getattr(p, 'shape', ()))}) is not a "
                             f"parameter of {type(model).__name__}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("params: a parameter is listed twice")
    return params


def num_parameters(params):
    """``P``, the length of a flat vector over ``params``."""
    return sum(p.numel() for p in params)


def flat_gradient(model, loss_fn, x, y):
    """``∇L`` of the mean loss ``loss_fn(model(x), y)`` as a ``(P,)`` array.

    Running statistics (batch-norm buffers) are left as they were.
    """
    params = parameter_list(model)
    with enable_grad(), preserved_buffers(model):
        loss = batch_loss(model, loss_fn, x, y)
        grads = grad(loss, params, allow_unused=True)
    return arrays_to_vector([p.xp.zeros_like(p.data) if g is None else g.data
                    for p, g in zip(params, grads)])


__all__ = ["arrays_to_vector", "flat_gradient", "num_parameters", "parameter_list",
           "vector_to_arrays"]
