"""Parameters as one flat vector, for the optimizers that solve linear systems.

The second-order optimizers and the line searches work with the flattened parameter
vector θ (``model.parameters()`` order, each array raveled row-major, concatenated;
``arrays_to_vector`` / ``vector_to_arrays`` of ``minigrad/flat_vectors.py``). A curvature
closure multiplies lists of parameter-shaped arrays; ``curvature_operator`` wraps it as a
map on flat vectors ``v ↦ B v`` with ``B`` the Hessian or the Gauss-Newton matrix.
All arrays stay in the parameters' array module (NumPy or CuPy).
"""
import math

from minigrad.flat_vectors import arrays_to_vector, vector_to_arrays

CURVATURES = ("hessian", "ggn")


def parameter_vector(params):
    """The parameters' data as one flat vector."""
    return arrays_to_vector([p.data for p in params])


def gradient_vector(params, owner=None):
    """The flattened ``.grad`` of ``params``. With ``owner``, a parameter without a gradient is
    an error naming it; without, it counts as zeros."""
    missing = [i for i, p in enumerate(params) if p.grad is None]
    if missing and owner is not None:
        raise RuntimeError(f"{owner}: parameters {missing} have no .grad after the closure ran; "
                           f"the closure must run backward on the loss")
    return arrays_to_vector([p.xp.zeros_like(p.data) if p.grad is None else p.grad.data
                             for p in params])


def set_parameters(params, vector):
    """Write a flat vector into the parameters' data (copies, in each parameter's dtype)."""
    for p, piece in zip(params, vector_to_arrays(vector, params)):
        p.data = piece.astype(p.dtype, copy=True)


def add_to_parameters(params, vector, scale=1.0):
    """``θ ← θ + scale · vector`` in place on every parameter's data."""
    for p, piece in zip(params, vector_to_arrays(vector, params)):
        p.data += scale * piece.astype(p.dtype, copy=False)


def snapshot(params):
    """Copies of the parameters' data, to undo a rejected trial step exactly."""
    return [p.data.copy() for p in params]


def restore(params, saved):
    """Put back the data saved by ``snapshot``."""
    for p, data in zip(params, saved):
        p.data = data


def check_closure_parameters(closure, params, owner):
    """The closure's parameters must be the optimizer's, in the same order."""
    closure_params = list(closure.params)
    same = len(closure_params) == len(params) and all(
        a is b for a, b in zip(closure_params, params))
    if not same:
        raise ValueError(f"{owner}: the closure differentiates {len(closure_params)} parameters "
                         f"{[p.shape for p in closure_params]} but the optimizer holds "
                         f"{len(params)} {[p.shape for p in params]}; build both from the "
                         f"same model.parameters()")


def curvature_operator(closure, curvature, params):
    """``v ↦ B v`` on flat vectors; ``curvature`` is ``"hessian"`` (closure.hvp) or ``"ggn"``."""
    product = {"hessian": closure.hvp, "ggn": closure.ggnvp}[curvature]
    shapes = [p.shape for p in params]

    def matvec(vector):
        return arrays_to_vector(product(vector_to_arrays(vector, shapes)))
    return matvec


def finite(value):
    """True when a float loss is neither NaN nor infinite."""
    return math.isfinite(float(value))
