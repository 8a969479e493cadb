"""The backward recursion of per-sample curvature through recorded steps.

The per-sample pre-activation curvature at a point of the network is kept factored as

    Hpre_n = Σ_groups S_n diag(w_n) S_nᵀ + diag(d_n)

with column groups (``ColumnGroup``: columns ``S`` (V, N, *shape) and signs/weights ``w``
(V, N), ``None`` meaning all 1) and a diagonal ``d`` (N, *shape). At the output ``S`` is the
loss Hessian's square root (exact: K columns; or Monte-Carlo columns), so ``S Sᵀ`` is the
Gauss-Newton part. Going down through a step with per-sample Jacobian ``J_n`` the recursion
(Botev, Ritter & Barber 2017; ``minigrad/curvature/README.md``)

    Hpre_in = J_nᵀ Hpre_out J_n + diag(f''(x_n) ⊙ ∂ℓ/∂y_n)   (second-derivative term; Hessian only)

becomes: columns ``S ← J_nᵀ S`` (one Jacobian-transpose product per column), the diagonal
stays diagonal through elementwise steps (``d ← f'² ⊙ d``) and gains the second-derivative
term there; at a step that mixes entries the diagonal is turned into columns ``√|d_k| e_k``
with weights ``sign(d_k)``. A caller that reads only diag(Hpre) below a step may pass a
``shortcut`` strategy (``diagonal.py``) that carries the diagonal through that step as a
diagonal instead.

At a ``Residual`` block the incoming groups run through both paths and are added at the
block input (``J = J_branch + J_shortcut``, so ``Jᵀ S`` adds); groups created inside a path
stay with that path. ``visit(step, state)`` is called at every parameterised leaf with the
curvature at the leaf's output; the walk stops below the lowest parameterised top-level step.
"""
from ...backend import get_array_module
from .losses import batch_scale, loss_derivatives_for, output_columns
from .recording import lowest_parameterised_index, record_forward
from .walk import walk_backward


class ColumnGroup:
    """Columns ``S`` (V, N, *shape) with weights ``w`` (V, N) (None: all 1): ``S diag(w) Sᵀ``."""

    def __init__(self, columns, weights=None):
        self.columns, self.weights = columns, weights


class CurvatureState:
    """Factored per-sample curvature at one point: column groups, a diagonal, the gradient."""

    def __init__(self, groups, diagonal=None, gradient=None, diagonal_is_exact=True):
        self.groups = groups
        self.diagonal = diagonal
        self.gradient = gradient
        self.diagonal_is_exact = diagonal_is_exact

    @property
    def columns(self):
        """The columns of the only group (the Gauss-Newton recursion has one, unweighted)."""
        (group,) = self.groups
        return group.columns

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
        group = ColumnGroup(columns.reshape((size,) + d.shape), xp.sign(flat).T)
        return CurvatureState(self.groups + [group], None, self.gradient)


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _through_leaf(step, state, hessian, shortcut):
    module, rules, x, out = step.module, step.rules, step.x, step.out
    slope = rules.diagonal_jacobian(module, x, out) if state.diagonal is not None else None
    if state.diagonal is not None and slope is None:
        if shortcut is not None and shortcut.applies(step):
            passed = _through_leaf(step, CurvatureState(state.groups, None, state.gradient),
                                   hessian, shortcut)
            passed.diagonal = _add(passed.diagonal, shortcut.diagonal_through(step, state.diagonal))
            passed.diagonal_is_exact = False
            return passed
        state = state.with_diagonal_as_columns()
    groups = [ColumnGroup(rules.jac_t_mat_prod(module, x, out, group.columns), group.weights)
              for group in state.groups]
    diagonal = state.diagonal
    if diagonal is not None:
        diagonal = diagonal * slope * slope
    gradient = None
    if hessian:
        gradient = rules.jac_t_mat_prod(module, x, out, state.gradient[None])[0]
        if not rules.hessian_is_zero(module):
            diagonal = _add(diagonal, rules.second_derivative_term(module, x, state.gradient))
    return CurvatureState(groups, diagonal, gradient, state.diagonal_is_exact)


def _through_block(step, state, hessian, walk):
    state = state.with_diagonal_as_columns()
    incoming = len(state.groups)
    main = walk(step.branch, state).with_diagonal_as_columns()
    skip = walk(step.shortcut, state).with_diagonal_as_columns()
    groups = [ColumnGroup(b.columns + s.columns, b.weights)
              for b, s in zip(main.groups[:incoming], skip.groups)]
    groups += main.groups[incoming:] + skip.groups[incoming:]
    gradient = main.gradient + skip.gradient if hessian else None
    return CurvatureState(groups, None, gradient)


def backpropagate(steps, state, visit, hessian=False, shortcut=None):
    """Run the recursion down ``steps`` from ``state`` at their output, calling ``visit``.

    ``hessian``: include the second-derivative terms (needs ``state.gradient``); without
    them the curvature is the Gauss-Newton one. ``shortcut``: a strategy with
    ``applies(step)`` and ``diagonal_through(step, d)`` for steps below which only diag(Hpre)
    is read (see ``diagonal.py``). The walk stops at the lowest parameterised top-level step:
    it is visited, and nothing below it is computed.
    """
    lowest = steps[lowest_parameterised_index(steps)]

    def through_leaf(step, current):
        if step.params:
            visit(step, current)
        if step is lowest:
            return current
        return _through_leaf(step, current, hessian, shortcut)

    def through_block(step, current, walk):
        return _through_block(step, current, hessian, walk)

    return walk_backward(steps[steps.index(lowest):], state, through_leaf, through_block)


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
        or ``mc_samples`` Monte-Carlo columns; with the per-sample gradient for the
        second-derivative terms."""
        rules, z = self.loss_rules, self.logits
        root = output_columns(rules, self.loss, z, self.y, mc_samples, seed)
        gradient = None
        if with_gradient:
            gradient = rules.gradient(self.loss, z, self.y).reshape(self.output.shape)
        return CurvatureState([ColumnGroup(self._columns(root))], None, gradient)

    def backpropagate(self, visit, hessian=False, mc_samples=None, seed=None, shortcut=None):
        state = self.initial_state(mc_samples, seed, with_gradient=hessian)
        return backpropagate(self.steps, state, visit, hessian, shortcut)
