"""Exact per-layer blocks of the Hessian and the Gauss-Newton matrix
(``minigrad/curvature/README.md``).

For each parameterised layer λ (``Linear``, ``Conv2d``, affine batch norm in eval mode) the
block over its parameters ``[W.ravel(), b]`` (``parameters()`` order) is

    H_λλ = c_N Σ_n  (Jacobian of layer λ's output w.r.t. its parameters)ᵀ Hpre_λ,n (same)
         = c_N Σ_n  Hpre_λ,n ⊗ (a_{λ-1,n} a_{λ-1,n}ᵀ)                       (Linear, weights)

with ``c_N = 1/N`` for the mean loss and ``Hpre_λ,n`` the per-sample pre-activation Hessian
of the recursion in ``recursion.py`` (with the D terms: ``block_hessian``; without:
``block_ggn``). ``dense=True`` returns the (P_λ, P_λ) arrays; ``dense=False`` returns one
``BlockOperator`` per layer (see ``block_operator.py``) that applies the exact block to
vectors without forming it.
"""
from .block_operator import BlockOperator
from .layer_columns import layer_jacobian_columns, weighted_gram
from .walk import parameterised_leaves
from .captured_gauss_newton import captured_block_ggn
from ..evaluation import check_batch
from ..memory import require_memory
from .recursion import RecordedBatch


def require_block_memory(quantity, sizes, columns, dtype):
    """Refuse dense blocks of ``sizes`` (P_λ each) whose arrays exceed the memory limit; with
    ``columns`` (V·N) the largest layer's back-propagated columns are counted too."""
    working = [(columns, max(sizes))] if columns else []
    require_memory(quantity, [(size, size) for size in sizes] + working, dtype,
                   "dense=False gives one BlockOperator per layer that applies the exact block "
                   "to vectors, chunk_size samples at a time")


def _dense_blocks(batch, hessian, quantity):
    sizes = [sum(p.numel() for p in step.params) for step in parameterised_leaves(batch.steps)]
    require_block_memory(quantity, sizes, batch.logits.shape[1] * batch.batch_size,
                         batch.output.dtype)
    blocks = {}

    def visit(step, state):
        state = state.with_diagonal_as_columns()
        block = 0
        for group in state.groups:
            block = block + weighted_gram(layer_jacobian_columns(step, group.columns),
                                          group.weights)
        blocks[id(step)] = block * batch.scale

    batch.backpropagate(visit, hessian=hessian)
    return [blocks[id(step)] for step in parameterised_leaves(batch.steps)]


def _operators(model, loss, x, y, hessian, chunk_size, quantity):
    layers = parameterised_leaves(RecordedBatch(model, loss, x[:1], y[:1], quantity).steps)
    return [BlockOperator(model, loss, x, y, index, layer.params, hessian, chunk_size)
            for index, layer in enumerate(layers)]


def block_hessian(model, loss, x, y, dense=True, chunk_size=256):
    """The exact diagonal blocks of the Hessian of ``loss(model(x), y)``, one per layer; for
    chains (``nn.Sequential`` with ``nn.Residual`` blocks) of supported layers.

    ``dense=True``: a list of (P_λ, P_λ) arrays over each layer's ``[W.ravel(), b]``.
    ``dense=False``: a list of ``BlockOperator`` (``op @ v``), each processing ``chunk_size``
    samples at a time.

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> rng = numpy.random.default_rng(0)
    >>> x = minigrad.tensor(rng.standard_normal((4, 3)), dtype=numpy.float32)
    >>> y = minigrad.tensor([0, 1, 1, 0])
    >>> blocks = curvature.block_hessian(model, nn.CrossEntropyLoss(), x, y)
    >>> [block.shape for block in blocks]                      # over [W.ravel(), b] per layer
    [(8, 8), (6, 6)]
    """
    check_batch(x, "block_hessian")
    if dense:
        return _dense_blocks(RecordedBatch(model, loss, x, y, "block_hessian"), True,
                             "block_hessian")
    return _operators(model, loss, x, y, True, chunk_size, "block_hessian(dense=False)")


def block_ggn(model, loss, x, y, dense=True, chunk_size=256):
    """The exact diagonal blocks of the Gauss-Newton matrix ``Jᵀ H_loss J``; as ``block_hessian``,
    and for any model with ``dense=True`` (a model that is not a chain takes the engine's
    backward, one block per module owning parameters: ``captured_gauss_newton.py``)."""
    check_batch(x, "block_ggn")
    if not dense:
        return _operators(model, loss, x, y, False, chunk_size, "block_ggn(dense=False)")
    batch = RecordedBatch(model, loss, x, y, "block_ggn")
    if not batch.is_chain:
        return captured_block_ggn(batch, model)
    return _dense_blocks(batch, False, "block_ggn")
