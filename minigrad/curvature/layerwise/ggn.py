"""The full Gauss-Newton matrix over all parameters, in Khatri-Rao form
(``minigrad/curvature/README.md``).

With the exact square root ``H_loss,n = S_n S_nᵀ`` (K columns) back-propagated to every layer,
``C_λ,n = J_λ,nᵀ S_n``, the block of layers λ, β is

    G_λβ = c_N Σ_n (C_λ,n C_β,nᵀ) ⊗ (a_{λ-1,n} a_{β-1,n}ᵀ)

i.e. ``G = c_N Σ_{k,n} g_k,n g_k,nᵀ`` where ``g_k,n`` stacks, over all parameters in
``parameters()`` order, the parameter Jacobian transposes of column k (for ``Linear``:
``C_λ,n[:, k] ⊗ a_{λ-1,n}`` and ``C_λ,n[:, k]`` for the bias). Memory: K·N·P entries.
"""
from ...backend import get_array_module
from ..evaluation import check_batch
from .layer_columns import layer_jacobian_columns, weighted_gram
from .recursion import RecordedBatch


def parameter_offsets(model):
    """``{id(p): (start, p)}`` in the flat ``parameters()`` layout, and the total size P."""
    offsets, start = {}, 0
    for p in model.parameters():
        offsets[id(p)] = (start, p)
        start += p.size
    return offsets, start


def ggn(model, loss, x, y):
    """The dense (P, P) Gauss-Newton matrix of ``loss(model(x), y)`` over all parameters; for
    chains (``nn.Sequential`` with ``nn.Residual`` blocks) of supported layers.

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> rng = numpy.random.default_rng(0)
    >>> x = minigrad.tensor(rng.standard_normal((4, 3)), dtype=numpy.float32)
    >>> y = minigrad.tensor([0, 1, 1, 0])
    >>> G = curvature.ggn(model, nn.CrossEntropyLoss(), x, y)
    >>> G.shape                                                # P = 3·2 + 2 + 2·2 + 2
    (14, 14)
    >>> float(abs(G - G.T).max()) < 1e-6
    True
    """
    check_batch(x, "ggn")
    batch = RecordedBatch(model, loss, x, y)
    offsets, total = parameter_offsets(model)
    root = batch.initial_state().columns
    xp = get_array_module(root)
    columns = xp.zeros(root.shape[:2] + (total,), dtype=root.dtype)

    def visit(step, state):
        local = layer_jacobian_columns(step, state.columns)
        position = 0
        for p in step.params:
            start = offsets[id(p)][0]
            columns[:, :, start:start + p.size] += local[:, :, position:position + p.size]
            position += p.size

    batch.backpropagate(visit)
    return weighted_gram(columns, None) * batch.scale
