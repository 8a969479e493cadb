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

A caller that reads the columns only through ``Σ_v S_v,n S_v,nᵀ`` per sample (the Kronecker
factors ``G``) may pass ``compress=True``: below a step whose input has D entries per sample
and V ≥ 4·D columns, the columns are replaced by D columns with the same sum
(``fewer_columns``), so the layers below back-propagate D columns instead of V. Through the
784-1000-500-250-30-… autoencoder, KFLR's 784 columns become 30 at the code layer.
"""
from ...backend import get_array_module
from .losses import batch_scale, loss_derivatives_for, output_columns, unit_columns
from .recording import Recording, lowest_parameterised_index
from .walk import walk_backward


class ColumnGroup:
    """Columns ``S`` (V, N, *shape) with weights ``w`` (V, N) (None: all 1): ``S diag(w) Sᵀ``.

    ``unit_root`` (N, V), when given, says the columns are scaled unit vectors, S[v, n] =
    unit_root[n, v] e_v over the flattened entries (a diagonal's square root: a loss with a
    diagonal Hessian, ``with_diagonal_as_columns``); a step whose rules have a cheaper
    ``jac_t_unit_columns`` (a ``Linear``: unit_root[n, v] W[v, :]) uses it."""

    def __init__(self, columns, weights=None, unit_root=None):
        self.columns, self.weights, self.unit_root = columns, weights, unit_root


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
        root = xp.sqrt(xp.abs(flat))
        group = ColumnGroup(unit_columns(root, d.shape[1:]), xp.sign(flat).T, root)
        return CurvatureState(self.groups + [group], None, self.gradient)


def _jac_t_columns(rules, module, x, out, group):
    """``J_nᵀ S`` for a group's columns: ``rules.jac_t_unit_columns`` when the columns are
    scaled unit vectors and the rules have a cheaper form, else ``jac_t_mat_prod``."""
    if group.unit_root is not None:
        product = rules.jac_t_unit_columns(module, x, out, group.unit_root)
        if product is not None:
            return product
    return rules.jac_t_mat_prod(module, x, out, group.columns)


def fewer_columns(state):
    """``state`` with every unweighted group of V columns of D ≤ V/4 entries per sample
    replaced by D columns with the same per-sample sum of outer products: per sample the
    columns form S_n (V, D) = Q_n R_n (QR), and S_nᵀ S_n = R_nᵀ R_n, so the D rows of R_n
    (D, D) are the new columns, (D, N, *shape). The QR costs 2·V·D² multiply-adds per sample;
    below V/4 (rather than V) it is repaid by the first layer below of width ≥ D, which
    back-propagates D columns instead of V. Weighted groups (signs of a Hessian's diagonal)
    and a diagonal are kept as they are."""
    groups = []
    for group in state.groups:
        S = group.columns
        V, n, shape = S.shape[0], S.shape[1], S.shape[2:]
        size = S[0, 0].size
        if group.weights is not None or 4 * size > V:
            groups.append(group)
            continue
        xp = get_array_module(S)
        R = xp.linalg.qr(S.reshape(V, n, size).transpose(1, 0, 2), mode="r")
        groups.append(ColumnGroup(R.transpose(1, 0, 2).reshape((size, n) + shape)))
    return CurvatureState(groups, state.diagonal, state.gradient, state.diagonal_is_exact)


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
    groups = [ColumnGroup(_jac_t_columns(rules, module, x, out, group), group.weights)
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


def backpropagate(steps, state, visit, hessian=False, shortcut=None, compress=False):
    """Run the recursion down ``steps`` from ``state`` at their output, calling ``visit``.

    ``hessian``: include the second-derivative terms (needs ``state.gradient``); without
    them the curvature is the Gauss-Newton one. ``shortcut``: a strategy with
    ``applies(step)`` and ``diagonal_through(step, d)`` for steps below which only diag(Hpre)
    is read (see ``diagonal.py``). ``compress``: ``fewer_columns`` below every leaf (for a
    caller that reads only ``Σ_v S_v,n S_v,nᵀ`` per sample). The walk stops at the lowest
    parameterised top-level step: it is visited, and nothing below it is computed.
    """
    lowest = steps[lowest_parameterised_index(steps)]

    def through_leaf(step, current):
        if step.params:
            visit(step, current)
        if step is lowest:
            return current
        below = _through_leaf(step, current, hessian, shortcut)
        return fewer_columns(below) if compress else below

    def through_block(step, current, walk):
        return _through_block(step, current, hessian, walk)

    return walk_backward(steps[steps.index(lowest):], state, through_leaf, through_block)


class RecordedBatch:
    """One recorded forward pass (``recording.Recording``) with its loss: the output array, the
    loss rules and ``c_N``; ``steps`` for a chain, the graph for ``engine_columns.py``.
    ``quantity`` names the caller in the errors of a model that is not a chain."""

    def __init__(self, model, loss, x, y, quantity):
        self.loss, self.y, self.quantity = loss, y, quantity
        self.loss_rules = loss_derivatives_for(loss)
        self.recording = Recording(model, x)
        self.output = self.recording.output.data
        self.batch_size = self.output.shape[0]
        self.scale = batch_scale(loss, self.batch_size)
        self.logits = self.output.reshape(self.batch_size, -1)

    @property
    def is_chain(self):
        return self.recording.is_chain

    @property
    def steps(self):
        return self.recording.chain_steps(self.quantity)

    def output_columns(self, mc_samples=None, seed=None):
        """(V, N, *out): the loss Hessian's square root, or ``mc_samples`` Monte-Carlo columns."""
        root = output_columns(self.loss_rules, self.loss, self.logits, self.y, mc_samples, seed)
        return root.reshape(root.shape[:2] + self.output.shape[1:])

    def output_group(self, mc_samples=None, seed=None):
        """``output_columns`` as a ``ColumnGroup``; the exact square root of a loss with a
        diagonal Hessian h (``curvature``: MSE, BCE with logits) as unit columns of root √h."""
        columns = self.output_columns(mc_samples, seed)
        if mc_samples is not None or not hasattr(self.loss_rules, "curvature"):
            return ColumnGroup(columns)
        xp = get_array_module(columns)
        root = xp.sqrt(self.loss_rules.curvature(self.loss, self.logits, self.y))
        return ColumnGroup(columns, unit_root=root)

    def initial_state(self, mc_samples=None, seed=None, with_gradient=False):
        """The curvature at the output: the exact square root of the per-sample loss Hessian,
        or ``mc_samples`` Monte-Carlo columns; with the per-sample gradient for the
        second-derivative terms."""
        gradient = None
        if with_gradient:
            gradient = self.loss_rules.gradient(self.loss, self.logits,
                                                self.y).reshape(self.output.shape)
        return CurvatureState([self.output_group(mc_samples, seed)], None, gradient)

    def backpropagate(self, visit, hessian=False, mc_samples=None, seed=None, shortcut=None):
        state = self.initial_state(mc_samples, seed, with_gradient=hessian)
        return backpropagate(self.steps, state, visit, hessian, shortcut)
