"""``NewtonCG``: damped Newton / Gauss-Newton by truncated conjugate gradients (Hessian-free).

With ``g = ∇L(θ)`` and ``B`` the Hessian (``curvature="hessian"``, the operator
of ``closure.hessian_product()``) or the Gauss-Newton matrix (``"ggn"``,
``closure.gauss_newton_product()``), both from the one forward pass that gives
``g``, one step solves the damped system (Adolphs, Kohler & Lucchi 2019, App. G,
eq. 53)

    (B + λ I) d = −g

by conjugate gradients from ``d = 0``, truncated after ``max_cg_iter``
iterations or at ``‖r‖ ≤ cg_tol·‖g‖``; on a direction of non-positive
curvature CG stops with its current iterate (``−g`` if that happens first).
Then ``θ ← θ + lr·d``.

Levenberg-Marquardt damping (Martens 2010, §4.1): the reduction ratio of the
step ``s = lr·d`` against the undamped quadratic model
``q(s) = gᵀs + ½ sᵀBs`` (``Bd`` comes from the CG residual, no extra product)

    ρ = (L(θ + s) − L(θ)) / q(s)

updates ``λ ← 3/2 λ`` if ρ < 1/4 and ``λ ← 2/3 λ`` if ρ > 3/4 (one extra
forward pass, ``closure.loss_value()``). A step whose trial loss is non-finite
or above ``L(θ)`` (ρ < 0, Martens' backtracking reduced to its last resort) is
undone, multiplies λ by 3/2 and counts as a failure; ``max_failures`` failures
in a row raise ``FloatingPointError``.
"""
import math

from .cg import conjugate_gradient
from .curvature_optimizer import CurvatureOptimizer
from .optimizer import require


class NewtonCG(CurvatureOptimizer):
    """Hessian-free damped Newton with Levenberg-Marquardt damping; ``step(closure)``.

    NewtonCG(params, lr=1.0, damping=1.0, max_cg_iter=50, cg_tol=1e-2, curvature="ggn",
    adapt_damping=True, max_failures=20).

    Adolphs et al. (2019) eq. 53: ``(B + λI) d = −g`` by truncated CG,
    ``θ ← θ + lr·d``; λ by Martens 2010 §4.1 (×3/2 if ρ < 1/4, ×2/3 if ρ > 3/4).
    """

    def __init__(self, params, lr=1.0, damping=1.0, max_cg_iter=50, cg_tol=1e-2,
                 curvature="ggn", adapt_damping=True, max_failures=20):
        name = type(self).__name__
        require(lr > 0, name, "lr", lr, "> 0")
        require(damping >= 0, name, "damping", damping, "≥ 0")
        super().__init__(params, dict(lr=lr, damping=damping, max_cg_iter=max_cg_iter,
                                      cg_tol=cg_tol, curvature=curvature,
                                      adapt_damping=adapt_damping, max_failures=max_failures))

    def step(self, closure=None):
        """One damped Newton step; returns the loss at the parameters before the step."""
        group = self.param_groups[0]
        state = self.global_state
        damping = state.setdefault("damping", float(group["damping"]))
        loss, value, g, curvature = self._evaluate(closure)

        def damped(v):
            return curvature(v) + damping * v

        result = conjugate_gradient(damped, -g, group["max_cg_iter"], group["cg_tol"])
        lr = group["lr"]
        d = result.solution
        undamped_bd = (-g - result.residual) - damping * d
        predicted = lr * float(g.dot(d)) + 0.5 * lr * lr * float(d.dot(undamped_bd))
        accepted, trial = self._try_step(closure, lr * d, lambda trial_loss: trial_loss <= value)
        if not accepted:
            state["damping"] = damping * 1.5
        elif group["adapt_damping"] and predicted < 0:
            ratio = (trial - value) / predicted
            if ratio < 0.25:
                state["damping"] = damping * 1.5
            elif ratio > 0.75:
                state["damping"] = damping * 2 / 3
        state["cg_iterations"] = result.iterations
        step_norm = math.sqrt(float(d.dot(d))) * lr
        self._finish_step(not accepted, f"loss {value:.6g} → {trial} at the trial point (damping "
                                        f"{damping:.3g}, step norm {step_norm:.3g})")
        return loss
