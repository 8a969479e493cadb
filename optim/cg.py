"""Conjugate gradients (truncated Newton) and Steihaug-Toint CG (trust region).

Both work on flat vectors with a matrix-free ``matvec(v) = B v`` and never form
``B``.

``conjugate_gradient(matvec, b)`` solves ``B x = b`` for symmetric ``B``
(Hestenes-Stiefel; Nocedal & Wright, *Numerical Optimization*, Alg. 5.2),
stopping when ``‖r‖ ≤ tol·‖b‖`` or after ``max_iter`` iterations. On a
direction of non-positive curvature ``pᵀBp ≤ 0`` it stops (truncated Newton,
N&W Alg. 7.1): it returns the current iterate, or ``b`` itself when that
happens at the first iteration (the steepest-descent direction when
``b = −g``). It also returns the residual ``r = b − B x``, from which a caller
gets ``B x = b − r`` without another product.

``steihaug_cg(matvec, g, radius)`` approximately minimises the quadratic model
``m(s) = gᵀs + ½ sᵀBs`` subject to ``‖s‖ ≤ radius`` (Steihaug 1983; N&W
Alg. 7.2): CG from ``s = 0``; on negative curvature, or when an iterate would
leave the ball, it moves along the current direction ``d`` to the boundary
``‖s + τd‖ = radius`` (τ ≥ 0) and stops. Ellipsoidal norms are handled by the
caller through a change of variables (see ``norms.py``). ``B s`` is updated
along the way, so the model decrease ``m(0) − m(s)`` comes for free (with
``gᵀs`` and ``sᵀBs``, from which a caller gets the decrease of a scaled step).
"""
import collections
import math

from minigrad import backend

ConjugateGradientResult = collections.namedtuple(
    "ConjugateGradientResult", "solution residual iterations negative_curvature")
SteihaugResult = collections.namedtuple(
    "SteihaugResult", "step model_decrease iterations stop_reason gradient_step curvature_step")


def _dot(u, v):
    return float(backend.get_array_module(u).dot(u, v))


def conjugate_gradient(matvec, b, max_iter=50, tol=1e-5):
    """Solve ``B x = b`` by CG from ``x = 0``.

    Stops at ``‖r‖ ≤ tol·‖b‖``, after ``max_iter`` iterations or at ``pᵀBp ≤ 0``.
    """
    if max_iter < 1:
        raise ValueError(f"conjugate_gradient: max_iter must be at least 1, got {max_iter}")
    x = b * 0
    r = b.copy()
    p = r.copy()
    rr = _dot(r, r)
    threshold = tol * math.sqrt(rr)
    iterations = 0
    while iterations < max_iter and math.sqrt(rr) > threshold:
        bp = matvec(p)
        curvature = _dot(p, bp)
        if not math.isfinite(curvature):
            raise FloatingPointError(f"conjugate_gradient: curvature pᵀBp is {curvature} at "
                                     f"iteration {iterations}")
        if curvature <= 0:
            if iterations == 0:
                return ConjugateGradientResult(b.copy(), b - bp, 0, True)
            return ConjugateGradientResult(x, r, iterations, True)
        alpha = rr / curvature
        x = x + alpha * p
        r = r - alpha * bp
        rr_next = _dot(r, r)
        p = r + (rr_next / rr) * p
        rr = rr_next
        iterations += 1
    return ConjugateGradientResult(x, r, iterations, False)


def _step_to_boundary(s, d, radius):
    """The τ ≥ 0 with ``‖s + τ d‖ = radius`` (``‖s‖ ≤ radius``)."""
    dd, sd, ss = _dot(d, d), _dot(s, d), _dot(s, s)
    discriminant = max(sd * sd + dd * (radius * radius - ss), 0.0)
    return (-sd + math.sqrt(discriminant)) / dd


def steihaug_cg(matvec, g, radius, max_iter=10, tol=0.1):
    """Minimise ``gᵀs + ½ sᵀBs`` over ``‖s‖ ≤ radius`` by Steihaug-Toint CG.

    Stops when ``‖∇m(s)‖ ≤ tol·‖g‖`` (``"converged"``), on the boundary
    (``"boundary"``), on negative curvature (``"negative_curvature"``, also on
    the boundary) or after ``max_iter`` iterations (``"max_iter"``).
    """
    if radius <= 0:
        raise ValueError(f"steihaug_cg: radius must be positive, got {radius}")
    if max_iter < 1:
        raise ValueError(f"steihaug_cg: max_iter must be at least 1, got {max_iter}")
    s = g * 0
    bs = g * 0
    r = g.copy()
    d = -r
    rr = _dot(r, r)
    threshold = tol * math.sqrt(rr)
    reason = "converged"
    iterations = 0
    while math.sqrt(rr) > threshold:
        if iterations == max_iter:
            reason = "max_iter"
            break
        bd = matvec(d)
        curvature = _dot(d, bd)
        if not math.isfinite(curvature):
            raise FloatingPointError(f"steihaug_cg: curvature dᵀBd is {curvature} at "
                                     f"iteration {iterations}")
        iterations += 1
        alpha = rr / curvature if curvature > 0 else math.inf
        if curvature <= 0 or math.sqrt(_dot(s + alpha * d, s + alpha * d)) >= radius:
            tau = _step_to_boundary(s, d, radius)
            s, bs = s + tau * d, bs + tau * bd
            reason = "negative_curvature" if curvature <= 0 else "boundary"
            break
        s, bs = s + alpha * d, bs + alpha * bd
        r = r + alpha * bd
        rr_next = _dot(r, r)
        d = -r + (rr_next / rr) * d
        rr = rr_next
    gradient_step, curvature_step = _dot(g, s), _dot(s, bs)
    return SteihaugResult(s, -(gradient_step + 0.5 * curvature_step), iterations, reason,
                          gradient_step, curvature_step)
