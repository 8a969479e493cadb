"""``RegularizedNewton``: what the trust-region method and cubic regularisation (ARC) share.

Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized
Newton methods" (2019) (§4, eq. 7 and App. F) call trust-region and
ARC methods the regularised Newton methods: at θ with ``g = ∇L(θ)`` and the
curvature ``B`` both approximately minimise a local model ``m(s)`` of
``L(θ + s)`` whose step length is measured in the norm ``‖s‖_M`` of
``norms.py`` (spherical, or the RMSProp/Adagrad/Adam diagonal built from the
gradients seen, this step's included), and both judge the step by the ratio of
actual to predicted decrease

    ρ = (L(θ) − L(θ + s)) / (m(0) − m(s)),

keeping θ + s when ρ ≥ η1 and θ otherwise (a non-finite trial loss gives
ρ = −∞). The ellipsoid is handled by the change of variables ``s = D ŝ`` with
``D = M^{−1/2}``: the subproblem solvers see ``ĝ = D g`` and ``B̂ = D B D``.
``lr`` ∈ (0, 1] shortens the step to ``lr·s`` (the ratio then uses
``m(0) − m(lr·s)``); ``lr = 1`` is the published method. Subclasses adapt
their own quantity (radius Δ, regularisation σ) from ρ.
"""
import math

from .curvature_optimizer import CurvatureOptimizer
from .norms import NORMS, inverse_sqrt_diagonal, update_second_moment
from .optimizer import require
from .parameter_vectors import finite, arrays_to_vector, vector_to_arrays


class RegularizedNewton(CurvatureOptimizer):
    """Base of ``TrustRegion`` and ``CubicRegularization``: norm, scaled model, ratio test."""

    def __init__(self, params, defaults):
        name = type(self).__name__
        require(0 < defaults["lr"] <= 1, name, "lr", defaults["lr"], "in (0, 1]")
        eta1, eta2 = defaults["eta1"], defaults["eta2"]
        require(0 <= eta1 <= eta2 < 1, name, "eta1, eta2", (eta1, eta2), "0 ≤ eta1 ≤ eta2 < 1")
        require(defaults["norm"] in NORMS, name, "norm", defaults["norm"], f"one of {NORMS}")
        require(0 < defaults["beta"] < 1, name, "beta", defaults["beta"], "in (0, 1)")
        require(defaults["eps"] > 0, name, "eps", defaults["eps"], "> 0")
        super().__init__(params, defaults)

    def _norm_scaling(self, g):
        """Update the per-parameter second moments with ``g``; return ``D = M^{−1/2}`` (flat).

        The accumulators live in ``state[p]["second_moment"]`` (parameter-shaped)
        and the count of gradients seen in the global state, so ``state_dict``
        saves them.
        """
        group = self.param_groups[0]
        params = group["params"]
        state = self.global_state
        state["norm_step"] = state.get("norm_step", 0) + 1
        if group["norm"] == "spherical":
            return inverse_sqrt_diagonal("spherical", g, 1, group["beta"], group["eps"])
        previous = arrays_to_vector([self.state.setdefault(p, {}).get("second_moment", p.data * 0)
                            for p in params])
        second_moment = update_second_moment(group["norm"], previous, g, group["beta"])
        for p, piece in zip(params, vector_to_arrays(second_moment, [p.shape for p in params])):
            self.state[p]["second_moment"] = piece
        return inverse_sqrt_diagonal(group["norm"], second_moment, state["norm_step"],
                                     group["beta"], group["eps"])

    def _scaled_model(self, g, curvature):
        """``(D, ŝ ↦ D B D ŝ, D g)``: the model in the variables ``ŝ = D⁻¹ s`` where ``‖s‖_M = ‖ŝ‖``."""
        scale = self._norm_scaling(g)
        return scale, (lambda v: scale * curvature(scale * v)), scale * g

    def _ratio_test(self, closure, value, step, predicted):
        """Try ``θ + step`` with predicted decrease ``m(0) − m(step) > 0``; keep it when ρ ≥ η1.

        Records ρ as ``state["ratio"]``; returns ``(accepted, trial loss, ρ)``.
        """
        eta1 = self.param_groups[0]["eta1"]
        accepted, trial = self._try_step(closure, step,
                                         lambda trial_loss: (value - trial_loss) / predicted >= eta1)
        ratio = (value - trial) / predicted if finite(trial) else -math.inf
        self.global_state["ratio"] = ratio
        return accepted, trial, ratio

    def _finish_trial(self, accepted, value, trial, ratio, adapted):
        """Count the trial (a rejection is a failure); ``adapted`` names Δ or σ for the error."""
        self._finish_step(not accepted, f"loss {value:.6g} → {trial} at the trial point, ratio "
                                        f"{ratio:.3g}, {adapted}")
