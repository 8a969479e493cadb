"""``TrustRegion``: second-order trust region with spherical or ellipsoidal norms.

adaptive-norms-trust-region.txt, eq. 7 and App. F: at θ with ``g = ∇L(θ)``
and ``B`` the Hessian (``curvature="hessian"``, from ``closure.hvp``) or the
Gauss-Newton matrix (``"ggn"``), one step approximately solves

    min_s  m(s) = L(θ) + gᵀs + ½ sᵀBs    subject to  ‖s‖_M ≤ Δ

by Steihaug-Toint CG (``cg.steihaug_cg``, at most ``max_cg_iter`` iterations,
tolerance ``‖∇m‖ ≤ cg_tol·‖g‖``), with ``M`` the norm of ``norms.py``
(spherical, or the RMSProp/Adagrad/Adam diagonal built from the gradients seen,
this step's included). The ellipsoid is handled by the change of variables
``s = M^{−1/2} ŝ`` (equivalent to CG preconditioned with M, as in the paper).

The step is judged by the ratio of actual to predicted decrease, with the loss
at the trial point from ``closure.loss_value()``:

    ρ = (L(θ) − L(θ + s)) / (m(0) − m(s))

    ρ ≥ η1:                 accept, θ ← θ + s          (otherwise θ stays)
    ρ < η1:                 Δ ← γ1 Δ
    ρ > η2 and ‖s‖_M = Δ:   Δ ← min(γ2 Δ, Δ_max)

``lr`` ∈ (0, 1] shortens the step to ``lr·s`` (the ratio then uses
``m(0) − m(lr·s)``); ``lr = 1``, the default, is the method of the paper.

A non-finite trial loss gives ρ = −∞: the step is rejected and Δ shrinks.
``max_failures`` rejected steps in a row raise ``FloatingPointError`` with the
last loss, ratio and radius. One ``step`` is one trial.

Sub-sampled curvature: ``step(closure, curvature_closure=c)`` takes the
gradient and losses from ``closure`` and the curvature products from ``c``
(a closure on another batch, at the same parameters).
"""
import math

from .cg import steihaug_cg
from .curvature_optimizer import CurvatureOptimizer
from .newton_cg import CURVATURES
from .norms import NORMS, inverse_sqrt_diagonal, update_second_moment
from .optimizer import require
from .parameter_vectors import (add_to_parameters, check_closure_parameters, curvature_operator,
                                finite, flatten, restore, snapshot, unflatten)


class TrustRegion(CurvatureOptimizer):
    """Trust-region Newton with Steihaug-Toint CG in a spherical or ellipsoidal norm."""

    def __init__(self, params, lr=1.0, radius=1.0, max_radius=100.0, eta1=0.1, eta2=0.75,
                 gamma1=0.5, gamma2=2.0, norm="spherical", beta=0.95, eps=1e-8, max_cg_iter=10, cg_tol=0.1,
                 curvature="hessian", max_failures=50):
        name = type(self).__name__
        require(0 < lr <= 1, name, "lr", lr, "in (0, 1]")
        require(radius > 0, name, "radius", radius, "> 0")
        require(max_radius >= radius, name, "max_radius", max_radius, f"≥ radius={radius}")
        require(0 <= eta1 <= eta2 < 1, name, "eta1, eta2", (eta1, eta2), "0 ≤ eta1 ≤ eta2 < 1")
        require(0 < gamma1 < 1, name, "gamma1", gamma1, "in (0, 1)")
        require(gamma2 >= 1, name, "gamma2", gamma2, "≥ 1")
        check_norm_arguments(name, norm, beta, eps)
        require(isinstance(max_cg_iter, int) and max_cg_iter >= 1, name, "max_cg_iter",
                max_cg_iter, "an integer ≥ 1")
        require(0 < cg_tol < 1, name, "cg_tol", cg_tol, "in (0, 1)")
        require(curvature in CURVATURES, name, "curvature", curvature, f"one of {CURVATURES}")
        super().__init__(params, dict(lr=lr, radius=radius, max_radius=max_radius, eta1=eta1,
                                      eta2=eta2, gamma1=gamma1, gamma2=gamma2, norm=norm, beta=beta, eps=eps,
                                      max_cg_iter=max_cg_iter, cg_tol=cg_tol, curvature=curvature,
                                      max_failures=max_failures))

    def step(self, closure=None, curvature_closure=None):
        """One trust-region trial; returns the loss at the parameters before the step."""
        group = self.param_groups[0]
        params = group["params"]
        state = self.global_state
        radius = state.setdefault("radius", float(group["radius"]))
        loss, value, g = self._evaluate(closure)
        scale = norm_scaling(self, g)
        curvature = curvature_operator(curvature_closure or closure, group["curvature"], params)
        if curvature_closure is not None:
            check_closure_parameters(curvature_closure, params, type(self).__name__)

        result = steihaug_cg(lambda v: scale * curvature(scale * v), scale * g, radius,
                             group["max_cg_iter"], group["cg_tol"])
        lr = group["lr"]
        predicted = -(lr * result.gradient_step + 0.5 * lr * lr * result.curvature_step)
        if predicted <= 0:
            return loss
        s = lr * scale * result.step
        saved = snapshot(params)
        add_to_parameters(params, s)
        trial = closure.loss_value()
        ratio = (value - trial) / predicted if finite(trial) else -math.inf
        accepted = ratio >= group["eta1"]
        if not accepted:
            restore(params, saved)
            state["radius"] = radius * group["gamma1"]
        elif ratio > group["eta2"] and result.stop_reason in ("boundary", "negative_curvature"):
            state["radius"] = min(radius * group["gamma2"], group["max_radius"])
        state["step"] = state.get("step", 0) + 1
        state["ratio"] = ratio
        state["cg_iterations"] = result.iterations
        self._count_failure(not accepted, f"loss {value:.6g} → {trial} at the trial point, ratio "
                                          f"{ratio:.3g}, radius {radius:.3g}")
        return loss


def check_norm_arguments(name, norm, beta, eps):
    require(norm in NORMS, name, "norm", norm, f"one of {NORMS}")
    require(0 < beta < 1, name, "beta", beta, "in (0, 1)")
    require(eps > 0, name, "eps", eps, "> 0")


def norm_scaling(optimizer, g):
    """Update the per-parameter second moments with ``g``; return ``D = M^{−1/2}`` (flat).

    The accumulators live in ``state[p]["second_moment"]`` (parameter-shaped)
    and the count of gradients seen in the global state, so ``state_dict``
    saves them.
    """
    group = optimizer.param_groups[0]
    params = group["params"]
    state = optimizer.global_state
    state["norm_step"] = state.get("norm_step", 0) + 1
    if group["norm"] == "spherical":
        return inverse_sqrt_diagonal("spherical", g, 1, group["beta"], group["eps"])
    previous = flatten([optimizer.state.setdefault(p, {}).get("second_moment", p.data * 0)
                        for p in params])
    second_moment = update_second_moment(group["norm"], previous, g, group["beta"])
    for p, piece in zip(params, unflatten(second_moment, [p.shape for p in params])):
        optimizer.state[p]["second_moment"] = piece
    return inverse_sqrt_diagonal(group["norm"], second_moment, state["norm_step"], group["beta"],
                                 group["eps"])
