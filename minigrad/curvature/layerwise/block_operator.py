"""``BlockOperator``: the exact Hessian (or GN) block of one layer, applied without forming it.

For the block of layer λ and a vector ``v = [V_W.ravel(), v_b]`` over its parameters,

    H_λλ v = c_N Σ_n J_p,nᵀ Hpre_λ,n (J_p,n v),     J_p,n v = V_W a_{λ-1,n} + v_b  (Linear)

and ``Hpre_λ,n z`` follows the recursion of ``minigrad/curvature/README.md`` applied to a vector instead of
being formed: with ``u_λ = z``, forward ``u ← J u`` through the steps above λ (keeping ``u``
at the input of every step with a D term), ``r_L = H_loss u_L``, then backward
``r ← Jᵀ r + D ⊙ u`` down to λ's output, so ``r = Hpre_λ,n z`` exactly (``Residual`` steps
split ``u`` into both paths and add ``r``). For the GN block the D terms are left out. All
samples of a chunk are processed together (GEMMs); memory is bounded by ``chunk_size``
samples, each chunk is recorded by its own forward pass, and the per-chunk results are
summed. A block of k vectors (P_λ, k) is applied at once. With its ``shape``, ``dtype``
and ``xp`` it is accepted by ``aslinearoperator`` (Hutchinson, Lanczos, ``top_eigen``).
"""
from ...backend import get_array_module
from ...tensor import Tensor
from .losses import batch_scale
from .recursion import RecordedBatch
from .walk import parameterised_leaves, walk_backward, walk_forward


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _add_paths(step, value, walk):
    return _add(walk(step.branch, value), walk(step.shortcut, value))


def _second_derivative_terms(steps, gradient):
    """``{id(step): f'' ⊙ ∂ℓ/∂y}`` for every step with a second-derivative term, from the
    per-sample gradient back-propagated from the output."""
    terms = {}

    def through_leaf(step, g):
        if not step.rules.hessian_is_zero(step.module):
            terms[id(step)] = step.rules.second_derivative_term(step.module, step.x, g)
        return step.rules.jac_t_mat_prod(step.module, step.x, step.out, g[None])[0]

    walk_backward(steps, gradient, through_leaf, _add_paths)
    return terms


def _forward_tangents(steps, target, start, saved):
    """The tangent ``J u`` at the output, starting from ``start`` at ``target``'s output;
    the tangent at the input of every step with a second-derivative term goes into ``saved``."""
    def through_leaf(step, tangent):
        if step is target:
            return start
        if tangent is None:
            return None
        if not step.rules.hessian_is_zero(step.module):
            saved[id(step)] = tangent
        return step.rules.jac_mat_prod(step.module, step.x, step.out, tangent)

    return walk_forward(steps, None, through_leaf, _add_paths)


def _backward_products(steps, target, r, saved, terms):
    """``r ← Jᵀ r + D ⊙ u`` from the output down to ``target``; returns r at its output."""
    captured = []

    def through_leaf(step, r):
        if r is None:
            return None
        if step is target:
            captured.append(r)
            return None
        r = step.rules.jac_t_mat_prod(step.module, step.x, step.out, r)
        if id(step) in saved and id(step) in terms:
            r = r + terms[id(step)][None] * saved[id(step)]
        return r

    def through_block(step, r, walk):
        main, skip = walk(step.branch, r), walk(step.shortcut, r)
        return None if main is None or skip is None else main + skip

    walk_backward(steps, r, through_leaf, through_block)
    return captured[0]


class BlockOperator:
    """The exact (P_λ, P_λ) block of layer ``layer_index`` as a linear operator (``op @ v``)."""

    def __init__(self, model, loss, x, y, layer_index, params, hessian, chunk_size):
        if int(chunk_size) != chunk_size or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.model, self.loss, self.layer_index = model, loss, layer_index
        self.x = x.data if isinstance(x, Tensor) else x
        self.y = y.data if isinstance(y, Tensor) else y
        self.params, self.hessian, self.chunk_size = params, hessian, int(chunk_size)
        size = sum(p.size for p in params)
        self.shape = (size, size)
        self.dtype, self.xp = params[0].dtype, params[0].xp

    def __matmul__(self, vectors):
        return self.matvec(vectors)

    def matvec(self, vectors):
        """``block @ vectors`` for vectors (P_λ,) or (P_λ, k)."""
        single = vectors.ndim == 1
        block = vectors[:, None] if single else vectors
        if block.ndim != 2 or block.shape[0] != self.shape[0]:
            raise ValueError(f"BlockOperator of layer {self.layer_index} has shape {self.shape}; "
                             f"got vectors of shape {tuple(vectors.shape)}")
        n = self.x.shape[0]
        result = 0
        for start in range(0, n, self.chunk_size):
            chunk = slice(start, min(start + self.chunk_size, n))
            result = result + self._chunk_product(self.x[chunk], self.y[chunk], block.T, n)
        result = result.T
        return result[:, 0] if single else result

    def _split(self, rows, step):
        pieces, start = [], 0
        for p in step.params:
            pieces.append(rows[:, start:start + p.size].reshape((rows.shape[0],) + p.shape))
            start += p.size
        return pieces

    def _chunk_product(self, x, y, rows, total):
        batch = RecordedBatch(self.model, self.loss, x, y)
        target = parameterised_leaves(batch.steps)[self.layer_index]
        start = None
        for name, piece in zip(target.param_names, self._split(rows, target)):
            start = _add(start, target.rules.param_jac_mat_prod(target.module, target.x,
                                                                target.out, piece, name))
        terms = {}
        if self.hessian:
            gradient = batch.loss_rules.gradient(batch.loss, batch.logits, batch.y)
            terms = _second_derivative_terms(batch.steps, gradient.reshape(batch.output.shape))
        saved = {}
        top = _forward_tangents(batch.steps, target, start, saved)
        flat = top.reshape(top.shape[:2] + (-1,))
        r = batch.loss_rules.hessian_mat_prod(batch.loss, batch.logits, batch.y, flat)
        captured = _backward_products(batch.steps, target, r.reshape(top.shape), saved, terms)
        xp = get_array_module(rows)
        parts = [target.rules.param_jac_t_mat_prod(target.module, target.x, target.out, captured,
                                                   name, sum_samples=True).reshape(rows.shape[0], -1)
                 for name in target.param_names]
        return xp.concatenate(parts, axis=1) * batch_scale(self.loss, total)
