"""Numerical checks of first and second derivatives (float64).

``gradcheck(fn, inputs)`` compares the vector-Jacobian product computed by
backward, ``∇_x <u, fn(x)>`` for a random output weighting ``u``, with central
differences ``(<u, fn(x + εv)> − <u, fn(x − εv)>) / 2ε``:

* along every coordinate ``v = e_i`` of inputs with at most ``full_size``
  entries (the full Jacobian contracted with ``u``), and
* along ``directions`` random unit directions for every input.

``gradgradcheck`` applies the same check to the function
``(x, u) ↦ ∇_x <u, fn(x)>`` built with ``create_graph=True``, i.e. to the
backward pass itself, which verifies exact second derivatives.

The error is normwise relative: ``max |analytic − numeric| / max |numeric|``
over each compared set (for a directional derivative ``<∇, v>`` with unit
``v`` the scale is ``‖∇‖``, so a direction nearly orthogonal to the gradient
does not inflate it); the worst one is reported with where it occurred. A
non-finite analytic or numeric derivative counts as an infinite error.
"""
import dataclasses

import numpy

from .autograd.engine import grad
from .autograd.grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences beyond the tolerance."""


@dataclasses.dataclass
class GradcheckResult:
    max_rel_error: float
    where: str

    def __bool__(self):
        return True


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _checked_inputs(inputs, who):
    """Indices of the inputs that require grad; at least one must."""
    checked = [i for i, t in enumerate(inputs) if t.requires_grad]
    if not checked:
        raise ValueError(f"{who}: none of the {len(inputs)} inputs requires grad "
                         f"(shapes {[t.shape for t in inputs]}); nothing to check")
    return checked


def _weighted_output(fn, inputs, weights):
    outs = _as_tuple(fn(*inputs))
    total = 0.0
    for out, w in zip(outs, weights):
        total = total + (out * Tensor(w)).sum()
    return total


def _compare(analytic, numeric, where, worst, scale=0.0):
    diff = abs(analytic - numeric)
    if not (numpy.isfinite(analytic).all() and numpy.isfinite(numeric).all()):
        k = int(numpy.argmin(numpy.isfinite(analytic) & numpy.isfinite(numeric)))
        err = numpy.inf
    else:
        scale = max(abs(numeric).max(initial=0.0), abs(analytic).max(initial=0.0), scale, 1e-300)
        k = int(diff.argmax()) if diff.size else 0
        err = float(diff.max(initial=0.0) / scale)
    if diff.size and err > worst.max_rel_error:
        worst.max_rel_error = err
        index = tuple(int(j) for j in numpy.unravel_index(k, numeric.shape))
        worst.where = (f"{where}, entry {index}"
                       f": analytic {analytic.ravel()[k]:.10g} vs numeric {numeric.ravel()[k]:.10g}")


def gradcheck(fn, inputs, eps=1e-6, rtol=1e-6, full_size=64, directions=3, seed=0,
              raise_exception=True):
    """Check ``fn``'s backward against central differences; see the module docstring.

    ``inputs`` is a sequence of float64 Tensors; those with ``requires_grad``
    are checked. Returns a ``GradcheckResult`` with the worst normwise relative
    error; raises ``GradcheckError`` when it exceeds ``rtol`` (unless
    ``raise_exception=False``).
    """
    inputs = tuple(inputs)
    checked = _checked_inputs(inputs, "gradcheck")
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            raise ValueError(f"gradcheck needs float64 inputs; input {i} is {inputs[i].dtype}")
    rng = numpy.random.default_rng(seed)
    xp = inputs[checked[0]].xp
    with no_grad():
        outs = _as_tuple(fn(*inputs))
    weights = [xp.asarray(rng.standard_normal(o.shape)) for o in outs]
    total = _weighted_output(fn, inputs, weights)
    analytic = grad(total, [inputs[i] for i in checked], allow_unused=True)
    analytic = [numpy.zeros(inputs[i].shape) if g is None else g.numpy()
                for i, g in zip(checked, analytic)]

    def value_at(i, direction):
        shifted = []
        for sign in (1.0, -1.0):
            args = list(inputs)
            args[i] = Tensor(inputs[i].data + sign * eps * xp.asarray(direction),
                             requires_grad=True)
            with no_grad():
                shifted.append(float(_weighted_output(fn, args, weights).item()))
        return (shifted[0] - shifted[1]) / (2 * eps)

    worst = GradcheckResult(0.0, "nowhere")
    for i, a in zip(checked, analytic):
        shape = inputs[i].shape
        if inputs[i].numel() <= full_size:
            numeric = numpy.zeros(inputs[i].numel())
            for k in range(inputs[i].numel()):
                e = numpy.zeros(inputs[i].numel())
                e[k] = 1.0
                numeric[k] = value_at(i, e.reshape(shape))
            _compare(a.ravel(), numeric, f"input {i} full Jacobian", worst)
        for d in range(directions):
            v = rng.standard_normal(shape)
            v /= max(numpy.linalg.norm(v), 1e-300)
            _compare(numpy.array([numpy.sum(a * v)]), numpy.array([value_at(i, v)]),
                     f"input {i} random direction {d}", worst, scale=numpy.linalg.norm(a))
    if raise_exception and worst.max_rel_error > rtol:
        raise GradcheckError(f"gradcheck failed: relative error {worst.max_rel_error:.3g} > "
                             f"{rtol:g} at {worst.where}")
    return worst


def gradgradcheck(fn, inputs, eps=1e-6, rtol=1e-6, full_size=64, directions=3, seed=0,
                  raise_exception=True):
    """Check the backward of ``fn``'s backward (exact second derivatives).

    Runs ``gradcheck`` on ``(x..., u) ↦ ∇_x <u, fn(x)>`` with a random output
    weighting ``u``, which is itself differentiated.
    """
    inputs = tuple(inputs)
    checked = _checked_inputs(inputs, "gradgradcheck")
    rng = numpy.random.default_rng(seed + 1)
    with no_grad():
        outs = _as_tuple(fn(*inputs))
    xp = inputs[checked[0]].xp
    weights = [Tensor(xp.asarray(rng.standard_normal(o.shape)), requires_grad=True)
               for o in outs]

    def first_derivative(*args):
        xs, us = args[:len(inputs)], args[len(inputs):]
        with enable_grad():
            total = 0.0
            for out, u in zip(_as_tuple(fn(*xs)), us):
                total = total + (out * u).sum()
            grads = grad(total, [xs[i] for i in checked], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0 for i, g in zip(checked, grads))

    return gradcheck(first_derivative, inputs + tuple(weights), eps, rtol, full_size,
                     directions, seed, raise_exception)
