"""Per-sample curvature with respect to each layer's output: the pre-activation Hessians and
Gauss-Newton matrices the recursion computes (Botev, Ritter & Barber, "Practical Gauss-Newton
Optimisation for Deep Learning", 2017).

For a chain (``recording.py``) the recursion (``recursion.py``) carries, at the output ``z`` of
every parameterised layer, the factored per-sample curvature
``Hpre_n = Σ_groups S_n diag(w_n) S_nᵀ + diag(d_n)`` of ``ℓ_n``. With ``L = c_N Σ_n ℓ_n`` and no
coupling between samples, the Hessian of the batch loss in ``z`` is block diagonal over samples
with blocks

    ∂²L/∂z_n∂z_n = c_N Hpre_n        (D, D),  D = the size of one sample's layer output

(the Gauss-Newton version drops the second-derivative terms ``f''(x) ⊙ ∂ℓ/∂y``). Returned per
parameterised layer (``Linear``, ``Conv2d``, batch norm in evaluation mode) in
``model.modules()`` order, as one array (N, D, D) each: N·D² numbers, estimated first. Models
that are not chains are refused with the reason (the recursion is what defines these).
"""
from ...backend import get_array_module
from ..evaluation import check_batch
from ..memory import require_memory
from .recursion import RecordedBatch


def _matrices(state, scale):
    """(N, D, D): ``c_N Σ_groups S_n diag(w_n) S_nᵀ`` with the diagonal as a column group."""
    state = state.with_diagonal_as_columns()
    total = None
    for group in state.groups:
        V, N = group.columns.shape[:2]
        S = group.columns.reshape(V, N, -1)
        xp = get_array_module(S)
        weighted = S if group.weights is None else S * group.weights[..., None]
        part = xp.einsum("vnd,vne->nde", weighted, S)
        total = part if total is None else total + part
    return scale * total


def _preactivation(model, loss, x, y, hessian, quantity):
    check_batch(x, quantity)
    batch = RecordedBatch(model, loss, x, y, quantity)
    found = {}

    def visit(step, state):
        size = step.out[0].size
        require_memory(quantity, [(batch.batch_size, size, size)], step.out.dtype,
                       "block_hessian(dense=False) or diag_ggn read the recursion without "
                       "these matrices; or pass fewer samples")
        found[id(step.module)] = _matrices(state, batch.scale)

    batch.backpropagate(visit, hessian=hessian)
    return [found[id(module)] for module in model.modules() if id(module) in found]


def preactivation_hessians(model, loss, x, y):
    """Per parameterised layer of a chain, ``∂²L/∂z_n∂z_n`` (N, D, D) at its output ``z``.

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> x = minigrad.tensor(numpy.ones((5, 3)), dtype=numpy.float32)
    >>> [H.shape for H in curvature.preactivation_hessians(model, nn.CrossEntropyLoss(), x,
    ...                                                     [0, 1, 1, 0, 1])]
    [(5, 4, 4), (5, 2, 2)]
    """
    return _preactivation(model, loss, x, y, True, "preactivation_hessians")


def preactivation_ggns(model, loss, x, y):
    """Per parameterised layer of a chain, the Gauss-Newton ``c_N J_nᵀ H_ℓ,n J_n`` (N, D, D) in
    its output (the pre-activation Hessian without second-derivative terms)."""
    return _preactivation(model, loss, x, y, False, "preactivation_ggns")
