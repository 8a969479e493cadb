"""``TrustRegion``: second-order trust region with spherical or ellipsoidal norms.

Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized
Newton methods" (2019), eq. 7 and App. F: at θ with ``g = ∇L(θ)``
and ``B`` the Hessian (``curvature="hessian"``, the operator of
``closure.hessian_product()``) or the Gauss-Newton matrix (``"ggn"``), both
from the one forward pass that gives ``g``, one step approximately solves

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
The norm, the change of variables and the ratio test are shared with ARC
(``regularized_newton.py``).

A non-finite trial loss gives ρ = −∞: the step is rejected and Δ shrinks.
``max_failures`` rejected steps in a row raise ``FloatingPointError`` with the
last loss, ratio and radius. One ``step`` is one trial.

Sub-sampled curvature: ``step(closure, curvature_closure=c)`` takes the
gradient and losses from ``closure`` and the curvature products from ``c``
(a closure on another batch, at the same parameters; one forward pass of each).

"""
from .cg import steihaug_cg
from .optimizer import require
from .regularized_newton import RegularizedNewton


class TrustRegion(RegularizedNewton):
    """Trust-region Newton with Steihaug-Toint CG in a spherical or ellipsoidal norm.

    TrustRegion(params, lr=1.0, radius=1.0, max_radius=100.0, eta1=0.1, eta2=0.75,
    gamma1=0.5, gamma2=2.0, norm="spherical", beta=0.95, eps=1e-8, max_cg_iter=10,
    cg_tol=0.1, curvature="hessian", max_failures=50).

    Adolphs et al. (2019) eq. 7: ``s ≈ argmin gᵀs + ½ sᵀBs`` over ``‖s‖_M ≤ Δ``,
    ``θ ← θ + s`` when ``ρ ≥ η1``; Δ shrinks by γ1 on rejection, grows by γ2 on ρ > η2
    at the boundary.

    >>> import numpy, minigrad, optim
    >>> from minigrad import nn
    >>> from minigrad.curvature import Closure
    >>> nn.init.manual_seed(0)
    >>> model = nn.Linear(3, 1)
    >>> x = numpy.random.default_rng(0).standard_normal((16, 3)).astype("float32")
    >>> x = minigrad.tensor(x)
    >>> closure = Closure(model, nn.MSELoss(), x, x.sum(1, keepdim=True))
    >>> optimizer = optim.TrustRegion(model.parameters(), radius=10.0)
    >>> start = closure.loss_value()
    >>> for _ in range(3):
    ...     loss = optimizer.step(closure)
    >>> closure.loss_value() < 1e-6 * start
    True
    """

    def __init__(self, params, lr=1.0, radius=1.0, max_radius=100.0, eta1=0.1, eta2=0.75,
                 gamma1=0.5, gamma2=2.0, norm="spherical", beta=0.95, eps=1e-8, max_cg_iter=10,
                 cg_tol=0.1, curvature="hessian", max_failures=50):
        name = type(self).__name__
        require(radius > 0, name, "radius", radius, "> 0")
        require(max_radius >= radius, name, "max_radius", max_radius, f"≥ radius={radius}")
        require(0 < gamma1 < 1, name, "gamma1", gamma1, "in (0, 1)")
        require(gamma2 >= 1, name, "gamma2", gamma2, "≥ 1")
        super().__init__(params, dict(lr=lr, radius=radius, max_radius=max_radius, eta1=eta1,
                                      eta2=eta2, gamma1=gamma1, gamma2=gamma2, norm=norm,
                                      beta=beta, eps=eps, max_cg_iter=max_cg_iter, cg_tol=cg_tol,
                                      curvature=curvature, max_failures=max_failures))

    def step(self, closure=None, curvature_closure=None):
        """One trust-region trial; returns the loss at the parameters before the step."""
        group = self.param_groups[0]
        state = self.global_state
        radius = state.setdefault("radius", float(group["radius"]))
        loss, value, g, curvature = self._evaluate(closure, curvature_closure)
        scale, curvature, scaled_gradient = self._scaled_model(g, curvature)
        result = steihaug_cg(curvature, scaled_gradient, radius, group["max_cg_iter"],
                             group["cg_tol"])
        lr = group["lr"]
        predicted = -(lr * result.gradient_step + 0.5 * lr * lr * result.curvature_step)
        if predicted <= 0:
            return loss
        accepted, trial, ratio = self._ratio_test(closure, value, lr * scale * result.step,
                                                  predicted)
        if not accepted:
            state["radius"] = radius * group["gamma1"]
        elif ratio > group["eta2"] and result.stop_reason in ("boundary", "negative_curvature"):
            state["radius"] = min(radius * group["gamma2"], group["max_radius"])
        state["cg_iterations"] = result.iterations
        self._finish_trial(accepted, value, trial, ratio, f"radius {radius:.3g}")
        return loss
