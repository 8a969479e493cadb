"""Trust-region norms: spherical, and ellipsoidal from adaptive-gradient diagonals.

Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized
Newton methods" (2019) (§3, eqs. 2–3) read Adagrad, RMSProp and Adam
as first-order trust-region methods whose region is the ellipsoid
``‖s‖_M = sqrt(sᵀ M s) ≤ Δ`` with the diagonal preconditioner

    adagrad:   v_t = v_{t−1} + g_t²                      M = diag(√v_t + ε)
    rmsprop:   v_t = β v_{t−1} + (1 − β) g_t²            M = diag(√v_t + ε)
    adam:      v_t as rmsprop,  v̂_t = v_t / (1 − β^t)    M = diag(√v̂_t + ε)
    spherical: M = I

(g_t² elementwise, t counts the gradients seen, starting at 1), and uses the
same M in second-order trust-region and cubic-regularisation methods.

A subproblem in the M-norm is solved in the Euclidean norm after the change of
variables ``s = D ŝ`` with ``D = M^{−1/2}``: then ``‖s‖_M = ‖ŝ‖``, the model
``gᵀs + ½ sᵀBs`` becomes ``ĝᵀŝ + ½ ŝᵀB̂ŝ`` with ``ĝ = D g`` and
``B̂ = D B D``, and the cubic term ``‖s‖_M³`` becomes ``‖ŝ‖³``.
"""
from minigrad import backend

NORMS = ("spherical", "rmsprop", "adagrad", "adam")


def update_second_moment(norm, second_moment, grad, beta):
    """The new accumulator ``v_t`` from ``v_{t−1}`` and the gradient ``g_t`` (flat arrays)."""
    if norm == "adagrad":
        return second_moment + grad * grad
    return beta * second_moment + (1 - beta) * grad * grad


def inverse_sqrt_diagonal(norm, second_moment, step, beta, eps):
    """``D = M^{−1/2}`` as a flat array (ones for the spherical norm); ``step`` is t ≥ 1."""
    xp = backend.get_array_module(second_moment)
    if norm == "spherical":
        return xp.ones_like(second_moment)
    if norm == "adam":
        second_moment = second_moment / (1 - beta ** step)
    return 1 / xp.sqrt(xp.sqrt(second_moment) + eps)
