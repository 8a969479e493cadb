"""The backward recursion of per-sample curvature through recorded steps (CURVATURE.md).

The per-sample pre-activation curvature at a point of the network is kept factored as

    Hpre_n = Σ_groups S_n diag(w_n) S_nᵀ + diag(d_n)

with column groups ``S`` (V, N, *shape) and signs/weights ``w`` (V, N) (``None`` means all 1),
and a diagonal ``d`` (N, *shape). At the output ``S`` is the loss Hessian's square root
(exact: K columns; or Monte-Carlo columns), so ``S Sᵀ`` is the Gauss-Newton part. Going down
through a step with per-sample Jacobian ``J_n`` the recursion

    Hpre_in = J_nᵀ Hpre_out J_n + diag(f''(x_n) ⊙ ∂ℓ/∂y_n)          (the D term; Hessian only)

becomes: columns ``S ← J_nᵀ S`` (one Jacobian-transpose product per column), the diagonal
stays diagonal through elementwise steps (``d ← f'² ⊙ d``) and gains the D term there; at a
step that mixes entries the diagonal is turned into columns ``√|d_k| e_k`` with weights
``sign(d_k)``. For the ``Linear`` steps in ``diagonal_only_at`` the caller promises that
only diag(Hpre) is read below them, and ``diag(J_nᵀ diag(d_n) J_n)`` is passed instead (a GEMM for ``Linear``).

At a ``Residual`` step the incoming groups run through both paths and are added at the
block input (``J = J_branch + J_shortcut``, so ``Jᵀ S`` adds); groups created inside a path
stay with that path. ``visit(step, state)`` is called at every parameterised leaf with the
curvature at the leaf's output; the walk stops below the lowest parameterised top-level step.
"""
from ..backend import get_array_module
from .derivatives.elementwise import ElementwiseDerivatives
from .derivatives.linear import LinearDerivatives
from .losses import batch_scale, loss_derivatives_for
from .recording import ResidualStep, lowest_parameterised_index, record_forward


class CurvatureState:
    """Factored per-sample curvature at one point: column groups, a diagonal, the gradient."""

    def __init__(self, groups, diagonal=None, gradient=None, diagonal_is_exact=True):
        self.groups = groups
        self.diagonal = diagonal
        self.gradient = gradient
        self.diagonal_is_exact = diagonal_is_exact

    def with_diagonal_as_columns(self):
        """The same curvature with ``diag(d)`` moved into a column group (exact)."""
        if self.diagonal is None:
            return self
        if not self.diagonal_is_exact:
            raise RuntimeError("only the diagonal of this curvature is known; it cannot be "
                               "turned into columns")
        d = self.diagonal
        xp = get_array_module(d)
        n, size = d.shape[0], d[0].size
        flat = d.reshape(n, size)
        columns = xp.eye(size, dtype=d.dtype)[:, None, :] * xp.sqrt(xp.abs(flat)).T[:, :, None]
        weights = xp.sign(flat).T
        group = (columns.reshape((size,) + d.shape), weights)
        return CurvatureState(self.groups + [group], None, self.gradient)


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _through_leaf(step, state, hessian, diagonal_only_at):
    module, rules, x, out = step.module, step.rules, step.x, step.out
    elementwise = isinstance(rules, ElementwiseDerivatives)
    if state.diagonal is not None and not elementwise:
        if id(step) in diagonal_only_at and isinstance(rules, LinearDerivatives):
            pseudo = rules.diagonal_sandwich(module, x, out, state.diagonal)
            state = CurvatureState(state.groups, None, state.gradient)
            passed = _through_leaf(step, state, hessian, diagonal_only_at)
            passed.diagonal = _add(passed.diagonal, pseudo)
            passed.diagonal_is_exact = False
            return passed
        state = state.with_diagonal_as_columns()
    groups = [(rules.jac_t_mat_prod(module, x, out, S), w) for S, w in state.groups]
    diagonal = state.diagonal
    if diagonal is not None:
        slope = rules.slope(module, x, out)
        diagonal = diagonal * slope * slope
    gradient = None
    if hessian:
        gradient = rules.jac_t_mat_prod(module, x, out, state.gradient[None])[0]
        if not rules.hessian_is_zero(module):
            diagonal = _add(diagonal, rules.second_derivative_term(module, x, state.gradient))
    return CurvatureState(groups, diagonal, gradient, state.diagonal_is_exact)


def _through_residual(step, state, hessian, visit):
    state = state.with_diagonal_as_columns()
    incoming = len(state.groups)
    main = backpropagate(step.branch, state, visit, hessian, stop_early=False)
    skip = backpropagate(step.shortcut, state, visit, hessian, stop_early=False)
    main, skip = main.with_diagonal_as_columns(), skip.with_diagonal_as_columns()
    groups = [(Sb + Ss, w) for (Sb, w), (Ss, _) in zip(main.groups[:incoming], skip.groups)]
    groups += main.groups[incoming:] + skip.groups[incoming:]
    gradient = main.gradient + skip.gradient if hessian else None
    return CurvatureState(groups, None, gradient)


def backpropagate(steps, state, visit, hessian=False, diagonal_only_at=frozenset(),
                  stop_early=True):
    """Run the recursion down ``steps`` from ``state`` at their output; returns the input state.

    ``hessian``: include the D terms (the Hessian; needs ``state.gradient``); without
    them the result is the Gauss-Newton curvature. ``diagonal_only_at``: ids of ``Linear``
    steps below which only diag(Hpre) is read (see above). ``stop_early``: stop below the lowest
    parameterised step (the returned state is then the one at that step's output).
    """
    lowest = lowest_parameterised_index(steps) if stop_early else 0
    for index in range(len(steps) - 1, lowest - 1, -1):
        step = steps[index]
        if isinstance(step, ResidualStep):
            state = _through_residual(step, state, hessian, visit)
            continue
        if step.params:
            visit(step, state)
            if stop_early and index == lowest:
                return state
        state = _through_leaf(step, state, hessian, diagonal_only_at)
    return state


class RecordedBatch:
    """A recorded forward pass with its loss: steps, output, loss rules and ``c_N``."""

    def __init__(self, model, loss, x, y):
        self.loss, self.y = loss, y
        self.loss_rules = loss_derivatives_for(loss)
        self.steps, self.output = record_forward(model, x)
        self.batch_size = self.output.shape[0]
        self.scale = batch_scale(loss, self.batch_size)
        self.logits = self.output.reshape(self.batch_size, -1)

    def _columns(self, flat):
        return flat.reshape(flat.shape[:2] + self.output.shape[1:])

    def initial_state(self, mc_samples=None, seed=None, with_gradient=False):
        """The curvature at the output: the exact square root of the per-sample loss Hessian,
        or ``mc_samples`` Monte-Carlo columns; with the per-sample gradient for the D terms."""
        rules, z = self.loss_rules, self.logits
        if mc_samples is None:
            root = rules.sqrt_hessian(self.loss, z, self.y)
        else:
            if int(mc_samples) != mc_samples or mc_samples < 1:
                raise ValueError(f"mc_samples must be a positive integer, got {mc_samples!r}")
            root = rules.sqrt_hessian_sampled(self.loss, z, self.y, int(mc_samples), seed)
        gradient = None
        if with_gradient:
            gradient = rules.gradient(self.loss, z, self.y).reshape(self.output.shape)
        return CurvatureState([(self._columns(root), None)], None, gradient)

    def backpropagate(self, visit, hessian=False, mc_samples=None, seed=None,
                      diagonal_only_at=frozenset()):
        state = self.initial_state(mc_samples, seed, with_gradient=hessian)
        return backpropagate(self.steps, state, visit, hessian, diagonal_only_at)
