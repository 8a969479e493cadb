"""Exact diagonals of the Hessian and the Gauss-Newton matrix, shape (P,) in ``parameters()`` order.

From the factored per-sample curvature of ``recursion.py`` at a layer's output,
``Hpre_n = Σ S_n diag(w_n) S_nᵀ + diag(d_n)``, the diagonal over a parameter p is

    c_N Σ_n [ Σ_v w_v,n (J_p,nᵀ S_v,n)² + diag(J_p,nᵀ diag(d_n) J_p,n) ]

which for a ``Linear`` weight is ``c_N [(Σ_v w S²)ᵀ (a ⊙ a) + dᵀ (a ⊙ a)]``: GEMMs over the
batch, no loop over samples. Only diag(Hpre) enters a ``Linear`` weight diagonal, so for the
lowest layer of a feed-forward chain the D terms from the layer above are passed as the
diagonal ``diag(Wᵀ diag(d) W) = d (W ⊙ W)`` instead of being expanded into columns
(the ``LinearDiagonalShortcut`` strategy given to ``recursion.py``); everywhere else they become columns (exact).

``diag_ggn(..., mc_samples=M)`` replaces the exact square root by M Monte-Carlo columns
(an unbiased estimate of the GN diagonal, the diagonal of the KFAC-style Fisher).
"""
from ...backend import get_array_module
from .derivatives.elementwise import ElementwiseDerivatives
from .derivatives.linear import LinearDerivatives
from .captured_gauss_newton import captured_diag_ggn
from ..evaluation import check_batch
from ..flat import arrays_to_vector, parameter_list
from .recording import ResidualStep, is_chain, lowest_parameterised_index
from .recursion import RecordedBatch


class LinearDiagonalShortcut:
    """The strategy for the ``Linear`` step just above the lowest ``Linear`` layer of a plain
    chain: only diag(Hpre) is read below it, so the diagonal goes through as
    ``diag(Wᵀ diag(d) W) = d (W ⊙ W)`` (a GEMM) instead of as columns."""

    def __init__(self, step):
        self.step = step

    def applies(self, step):
        return step is self.step

    def diagonal_through(self, step, d):
        return step.rules.diagonal_sandwich(step.module, step.x, step.out, d)


def diagonal_shortcut(steps):
    """A ``LinearDiagonalShortcut`` where the chain allows one, else ``None``."""
    if any(isinstance(step, ResidualStep) for step in steps):
        return None
    lowest = lowest_parameterised_index(steps)
    if not isinstance(steps[lowest].rules, LinearDerivatives):
        return None
    for step in steps[lowest + 1:]:
        if isinstance(step.rules, ElementwiseDerivatives):
            continue
        return LinearDiagonalShortcut(step) if isinstance(step.rules, LinearDerivatives) else None
    return None


def _diagonal(model, loss, x, y, hessian, mc_samples=None, seed=None):
    batch = RecordedBatch(model, loss, x, y)
    diagonals = {}

    def visit(step, state):
        module, rules = step.module, step.rules
        for name, p in zip(step.param_names, step.params):
            terms = [rules.param_jac_t_diag(module, step.x, step.out, group.columns,
                                            group.weights, name)
                     for group in state.groups]
            if state.diagonal is not None:
                terms.append(rules.param_diagonal_of_diagonal(module, step.x, step.out,
                                                              state.diagonal, name))
            for term in terms:
                diagonals[id(p)] = diagonals[id(p)] + term if id(p) in diagonals else term

    batch.backpropagate(visit, hessian=hessian, mc_samples=mc_samples, seed=seed,
                        shortcut=diagonal_shortcut(batch.steps))
    xp, dtype = get_array_module(batch.output), batch.output.dtype
    result = arrays_to_vector([diagonals[id(p)] if id(p) in diagonals
                               else xp.zeros(p.shape, dtype=dtype)
                      for p in parameter_list(model)])
    result *= batch.scale
    return result


def diag_hessian(model, loss, x, y):
    """The exact diagonal of the Hessian of ``loss(model(x), y)``, shape (P,); for chains
    (``nn.Sequential`` with ``nn.Residual`` blocks) of supported layers."""
    check_batch(x, "diag_hessian")
    return _diagonal(model, loss, x, y, hessian=True)


def diag_ggn(model, loss, x, y, mc_samples=None, seed=None):
    """The exact diagonal of the Gauss-Newton matrix (P,); a Monte-Carlo estimate with
    ``mc_samples`` sampled square-root columns (``seed`` for the draws). Any model: chains
    take the recursion, others the engine's backward (``captured_gauss_newton.py``)."""
    check_batch(x, "diag_ggn")
    if not is_chain(model):
        return captured_diag_ggn(model, loss, x, y, mc_samples, seed)
    return _diagonal(model, loss, x, y, hessian=False, mc_samples=mc_samples, seed=seed)
