"""``CubicRegularization`` (ARC): adaptive cubic regularisation with spherical or ellipsoidal norms.

Cartis, Gould & Toint (2011), in the ellipsoidal form of
Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized
Newton methods" (2019) (§4: "matrix induced norms transfer directly
to the cubic regularization framework"). At θ with ``g = ∇L(θ)`` and ``B`` the
Hessian or Gauss-Newton matrix, one step approximately minimises

    m(s) = L(θ) + gᵀs + ½ sᵀBs + σ/3 ‖s‖_M³

in the change of variables ``s = M^{−1/2} ŝ`` of ``norms.py``. The subproblem
is solved in nested Krylov subspaces (``solve_cubic_subproblem``): Lanczos
builds an orthonormal basis Q_k of span{ĝ, B̂ĝ, …} with ``Q_kᵀ B̂ Q_k = T_k``
tridiagonal; the small model ``‖ĝ‖ y₁ + ½ yᵀT_k y + σ/3 ‖y‖³`` is minimised
exactly — its minimiser is ``y = −(T_k + λ I)⁻¹ ‖ĝ‖ e₁`` with
``λ = σ‖y‖ ≥ max(0, −λ_min(T_k))``, a scalar equation solved by Brent's method
on the eigen-decomposition of T_k (with the "hard case" of a vanishing
eigen-component) — and Lanczos stops when the model gradient
``‖∇m(Q_k y)‖ = β_k |y_k|`` falls below ``krylov_tol·‖ĝ‖`` or after
``max_krylov_iter`` iterations. ``ŝ = Q_k y``.

The step is judged by ``ρ = (L(θ) − L(θ + s)) / (m(0) − m(s))``:

    ρ ≥ η1:  accept θ ← θ + s      (otherwise θ stays)
    ρ > η2:  σ ← max(σ / γ, σ_min)
    ρ < η1:  σ ← γ σ

``lr`` ∈ (0, 1] shortens the step to ``lr·s`` (the ratio then uses
``m(0) − m(lr·s)``); ``lr = 1``, the default, is ARC as published. The norm,
the change of variables and the ratio test are shared with the trust-region
method (``regularized_newton.py``).

A non-finite trial loss counts as ρ = −∞ (rejected, σ grows); ``max_failures``
rejections in a row raise ``FloatingPointError``.
"""
import collections
import math

import numpy
import scipy.optimize

from minigrad import backend
from minigrad.lanczos import Lanczos
from minigrad.linear_operator import LinearOperator
from .optimizer import require
from .regularized_newton import RegularizedNewton

CubicResult = collections.namedtuple(
    "CubicResult", "step model_decrease iterations gradient_step curvature_step step_norm")


def minimize_small_cubic(tridiagonal, gradient_norm, sigma):
    """Exact minimiser of ``‖g‖ y₁ + ½ yᵀTy + σ/3 ‖y‖³`` for a small symmetric T (host NumPy)."""
    eigenvalues, eigenvectors = numpy.linalg.eigh(tridiagonal)
    c = gradient_norm * eigenvectors[0]
    lower = max(0.0, -eigenvalues[0])

    def length(lam, components=c):
        shifted = eigenvalues + lam
        safe = numpy.where(shifted == 0, 1, shifted)
        ratios = numpy.where(components == 0, 0.0, components / safe)
        return math.sqrt(float(numpy.sum(ratios ** 2)))

    def secular(lam):
        return length(lam) - lam / sigma

    scale = max(1.0, abs(lower))
    start = lower + 1e-12 * scale
    hard = lower > 0 and abs(c[0]) <= 1e-10 * gradient_norm
    if hard:
        rest = c.copy()
        rest[0] = 0.0
        if length(lower, rest) < lower / sigma:
            y_eigen = -rest / numpy.where(rest == 0, 1.0, eigenvalues + lower)
            tau = math.sqrt(max((lower / sigma) ** 2 - float(numpy.sum(y_eigen ** 2)), 0.0))
            y_eigen[0] = tau
            return eigenvectors @ y_eigen
    high = start + max(1.0, math.sqrt(sigma * gradient_norm))
    while secular(high) > 0:
        high = start + 2 * (high - start)
    lam = start if secular(start) <= 0 else scipy.optimize.brentq(secular, start, high,
                                                                   xtol=1e-14, rtol=1e-12)
    return -eigenvectors @ (c / (eigenvalues + lam))


def solve_cubic_subproblem(matvec, g, sigma, max_iter=10, tol=0.1):
    """Minimise ``gᵀs + ½ sᵀBs + σ/3 ‖s‖³`` over Lanczos subspaces; see the module docstring.

    ``matvec`` is ``v ↦ B v`` on vectors shaped like ``g``; the Krylov basis and
    ``T_k`` come from ``minigrad.lanczos.Lanczos`` (full reorthogonalisation).
    """
    if sigma <= 0:
        raise ValueError(f"solve_cubic_subproblem: sigma must be positive, got {sigma}")
    xp = backend.get_array_module(g)
    gradient_norm = math.sqrt(float(g.dot(g)))
    if gradient_norm == 0:
        return CubicResult(g * 0, 0.0, 0, 0.0, 0.0, 0.0)
    lanczos = Lanczos(LinearOperator(matvec, (g.size, g.size), g.dtype, xp), g, max_iter)
    while lanczos.step():
        tridiagonal = lanczos.tridiagonal()
        y = minimize_small_cubic(tridiagonal, gradient_norm, sigma)
        beta = lanczos.last_beta
        if lanczos.done or beta * abs(y[-1]) <= tol * gradient_norm \
                or beta <= 1e-12 * gradient_norm:
            break
    step = lanczos.ritz_vectors(y[:, None])[:, 0]
    gradient_step, curvature_step = gradient_norm * float(y[0]), float(y @ tridiagonal @ y)
    y_norm = float(numpy.linalg.norm(y))
    model = gradient_step + 0.5 * curvature_step + sigma / 3 * y_norm ** 3
    return CubicResult(step, -model, len(y), gradient_step, curvature_step, y_norm)


class CubicRegularization(RegularizedNewton):
    """Adaptive cubic regularisation (ARC) with a Lanczos subproblem solver.

    CubicRegularization(params, lr=1.0, sigma=1.0, min_sigma=1e-8, eta1=0.1, eta2=0.9,
    gamma=2.0, norm="spherical", beta=0.95, eps=1e-8, max_krylov_iter=10, krylov_tol=0.1,
    curvature="hessian", max_failures=50).

    Cartis, Gould & Toint 2011 in the norms of Adolphs et al. (2019) §4:
    ``s ≈ argmin gᵀs + ½ sᵀBs + σ/3 ‖s‖_M³``, ``θ ← θ + s`` when ``ρ ≥ η1``; σ grows by γ on
    rejection, shrinks by γ on ρ > η2.
    """

    subproblem_arguments = ("max_krylov_iter", "krylov_tol")

    def __init__(self, params, lr=1.0, sigma=1.0, min_sigma=1e-8, eta1=0.1, eta2=0.9, gamma=2.0,
                 norm="spherical", beta=0.95, eps=1e-8, max_krylov_iter=10, krylov_tol=0.1,
                 curvature="hessian", max_failures=50):
        name = type(self).__name__
        require(sigma > 0, name, "sigma", sigma, "> 0")
        require(0 < min_sigma <= sigma, name, "min_sigma", min_sigma, f"in (0, sigma={sigma}]")
        require(gamma > 1, name, "gamma", gamma, "> 1")
        super().__init__(params, dict(lr=lr, sigma=sigma, min_sigma=min_sigma, eta1=eta1,
                                      eta2=eta2, gamma=gamma, norm=norm, beta=beta, eps=eps,
                                      max_krylov_iter=max_krylov_iter, krylov_tol=krylov_tol,
                                      curvature=curvature, max_failures=max_failures))

    def step(self, closure=None, curvature_closure=None):
        """One ARC trial; returns the loss at the parameters before the step."""
        group = self.param_groups[0]
        state = self.global_state
        sigma = state.setdefault("sigma", float(group["sigma"]))
        loss, value, g, curvature = self._evaluate(closure, curvature_closure)
        scale, curvature, scaled_gradient = self._scaled_model(g, curvature)
        result = solve_cubic_subproblem(curvature, scaled_gradient, sigma,
                                        group["max_krylov_iter"], group["krylov_tol"])
        lr = group["lr"]
        predicted = -(lr * result.gradient_step + 0.5 * lr ** 2 * result.curvature_step
                      + sigma / 3 * (lr * result.step_norm) ** 3)
        if predicted <= 0:
            return loss
        accepted, trial, ratio = self._ratio_test(closure, value, lr * scale * result.step,
                                                  predicted)
        if not accepted:
            state["sigma"] = sigma * group["gamma"]
        elif ratio > group["eta2"]:
            state["sigma"] = max(sigma / group["gamma"], group["min_sigma"])
        state["krylov_iterations"] = result.iterations
        self._finish_trial(accepted, value, trial, ratio, f"sigma {sigma:.3g}")
        return loss
