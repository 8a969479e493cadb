"""Kronecker-factored curvature per layer: KFAC, KFLR and KFRA.

Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning" (2017);
conventions in ``minigrad/curvature/README.md``.

Each ``Linear`` / ``Conv2d`` layer's block is approximated by ``G ⊗ A`` over ``[W.ravel(), 1]``
(the bias as a last input coordinate), output-side factor first:

    A = (1/(N·L)) Σ_n Σ_t ā_n,t ā_n,tᵀ       ā = [a; 1] (with a bias), (in + 1) square
    G = c_N Σ_n Σ_t C_n,t C_n,tᵀ              (out, out)

For ``Linear`` L = 1 and ``a_n`` is the layer input. For ``Conv2d`` (Grosse & Martens, KFC)
``a_n,t`` is the im2col patch at output position t (K = C·kh·kw entries, L = out_h·out_w
positions): A **averages over samples and positions** and G **averages over samples and sums
over positions**, so ``G ⊗ A`` has the scale of the exact block and equals it when L = 1.
``c_N = 1/N`` for the mean loss. The back-propagated columns ``C`` (V, N, out, *positions) are

    KFLR   the exact square root of the loss Hessian (K columns), so G = c_N Σ_n Gpre_n;
           below a layer of D ≤ K/4 outputs, D columns with the same Σ_v C_v,n C_v,nᵀ
           (``recursion.fewer_columns``: chains only); for a diagonal loss Hessian h, unit
           columns √h_n,v e_v, so the output layer's G = c_N diag(Σ_n h_n) (``output_factor``)
    KFAC   M Monte-Carlo columns (``mc_samples``; the gradient of −log p(ŷ|x), ŷ from the model)

and KFRA replaces per-sample back-propagation by the recursion on batch averages,

    Ḡ_L = c_N Σ_n H_loss,n,    Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n   (Wᵀ Ḡ W for Linear,
                                                              Ḡ ⊙ (1/N) Σ_n f' f'ᵀ for activations)

with the layer's G = Ḡ at its output (for ``Conv2d`` summed over the position-diagonal blocks,
matching KFLR). KFRA is defined for feed-forward chains; a ``Residual`` step is refused.
At batch size 1, KFLR and KFRA equal the exact GN block of a fully connected layer.

KFAC and KFLR work on any ``nn.Module``: a chain (``recording.py``) goes through the
per-sample recursion, any other model (a custom ``forward``, batch norm in training mode)
through the engine's backward (``engine_columns.py``), with the same Monte-Carlo draws. On
such graphs two more layers get factors from the same columns: an ``Embedding`` table, the
block ``A ⊗ G`` over ``W.ravel()`` with a diagonal ``A`` of index counts
(``embedding_factors.py``; expand only), and the packed in-projection of a self-attention,
``G`` (3E, 3E) ⊗ ``A`` (E + 1, E + 1) as a token ``Linear`` (``attention_projection.py``;
cross-attention is refused). Batch-norm and LayerNorm scale and shift, class tokens and
position embeddings get no factors; the ``optim`` Kronecker optimizers give them gradient
steps. Factors are listed in ``model.modules()`` order (forward order for a chain).
"""

from ...backend import get_array_module
from ...nn.attention import MultiheadAttention
from ...nn.embedding import Embedding
from ...random import generator_for
from .attention_projection import in_projection_records
from .derivatives import DERIVATIVES
from .derivatives.shared_axis import SharedAxisDerivatives
from .embedding_factors import (EmbeddingFactors, EmbeddingStep, embedding_output_rows,
                                index_counts)
from .engine_columns import per_sample_columns
from ..evaluation import check_batch
from ..memory import require_memory
from .kronecker_factors import KroneckerFactors
from .layer_columns import gram
from .losses import batch_scale
from .recording import layer_records, lowest_parameterised_index
from .recursion import ColumnGroup, CurvatureState, RecordedBatch, backpropagate
from .walk import walk_backward
from .weight_sharing import check_approx, reduced


def kronecker_layers(model):
    """The modules with Kronecker factors in ``model.modules()`` order: the shared-axis layers
    (``Linear``, ``Conv2d``), the ``Embedding`` tables (``embedding_factors.py``) and the
    ``MultiheadAttention`` in-projections (``attention_projection.py``)."""
    return [module for module in model.modules()
            if isinstance(module, (Embedding, MultiheadAttention))
            or isinstance(DERIVATIVES.get(type(module)), SharedAxisDerivatives)]


def is_kronecker_layer(step):
    """Whether ``step`` is a layer of the shared-axis form (``Linear``, ``Conv2d``)."""
    return isinstance(step.rules, SharedAxisDerivatives)


def kronecker_records(calls, method):
    """``[(step, output Tensor)]`` per call of a module with Kronecker factors: ``LeafStep``
    of the shared-axis layers (``layer_records``), ``EmbeddingStep`` of the ``Embedding``
    tables, ``InProjectionStep`` of the self-attention in-projections (a cross-attention
    call is refused, naming ``method``)."""
    records = []
    for call in calls:
        if isinstance(call.module, Embedding):
            records.append((EmbeddingStep(call), call.own_output))
        elif isinstance(call.module, MultiheadAttention):
            records.extend(in_projection_records(call, method))
        else:
            records.extend(layer_records([call]))
    return records


def input_rows(step, approx="expand"):
    """Rows ā of the layer inputs in the shared-axis form (1 appended for a bias): (N·S, in [+ 1])
    for ``approx="expand"``, (N, in [+ 1]) means over the positions for ``"reduce"``."""
    rows = reduced(step.rules.shared_axis_inputs(step.module, step.x), approx, mean=True)
    if len(step.params) == 2:
        xp = get_array_module(rows)
        rows = xp.concatenate([rows, xp.ones((rows.shape[0], 1), dtype=rows.dtype)], axis=1)
    return rows


def output_rows(step, C, approx="expand"):
    """(V·N·S, out): the columns ``C`` (V, N, *out) at the layer output, one row per position
    (expand), or (V·N, out) their sums over the positions (reduce)."""
    return reduced(step.rules.shared_axis_columns(step.module, C), approx, mean=False)


def input_factor(step):
    rows = input_rows(step)
    return gram(rows, 1.0 / rows.shape[0])


FISHER_TYPES = ("type-2", "mc", "empirical")


def output_group_of(batch, fisher_type, mc_samples, draws):
    """The ``ColumnGroup`` of (V, N, *out) columns at the network output for ``fisher_type``
    (curvlinops' names): "type-2" the exact square root of the loss Hessian (K columns; unit
    columns for a diagonal Hessian, ``RecordedBatch.output_group``), "mc" ``mc_samples``
    Monte-Carlo columns, "empirical" the per-sample loss gradients ``∇_z ℓ_n`` (one column)."""
    if fisher_type == "empirical":
        gradient = batch.loss_rules.gradient(batch.loss, batch.logits, batch.y)
        return ColumnGroup(gradient.reshape((1,) + batch.output.shape))
    return batch.output_group(None if fisher_type == "type-2" else mc_samples, draws)


def check_fisher_type(fisher_type, method):
    if fisher_type not in FISHER_TYPES:
        raise ValueError(f"{method}: fisher_type must be one of {FISHER_TYPES} (curvlinops' "
                         f"names: type-2 = KFLR, mc = KFAC), got {fisher_type!r}")


def layer_groups(model, loss, x, y, fisher_type, mc_samples, draws, method):
    """``([(step, group)], c_N)`` per call of a Kronecker layer: the ``ColumnGroup`` of its
    back-propagated columns C (V, N, *out) of ``fisher_type`` (unit columns at the output of a
    loss with a diagonal Hessian, ``RecordedBatch.output_group``).

    A chain goes through the per-sample recursion, any other model through the engine's
    backward (``engine_columns.py``), as does a ``Linear`` on token inputs (N, S, d), which
    shares the axis S (``recording.py``); both start from the same columns at the output.
    A chain's columns are compressed below narrow layers (``recursion.fewer_columns``),
    which only the factors' per-sample sums Σ_v C_v,n C_v,nᵀ read. The columns of every layer
    call, at most V·n·out numbers each, are estimated before they exist."""
    batch = RecordedBatch(model, loss, x, y, method)
    group = output_group_of(batch, fisher_type, mc_samples, draws)
    S = group.columns
    records = kronecker_records(batch.recording.calls, method)
    require_memory(method, [(S.shape[0],) + step.out.shape for step, _ in records],
                   batch.output.dtype, f"chunk_size= smaller than {batch.batch_size} "
                   f"back-propagates fewer samples at once (the factors are the same)")
    if not batch.is_chain:
        return [(step, ColumnGroup(C)) for step, C in per_sample_columns(batch, S, records)], \
            batch.scale
    found = []

    def visit(step, state):
        if is_kronecker_layer(step):
            (reached,) = state.groups
            found.append((step, reached))

    backpropagate(batch.steps, CurvatureState([group]), visit, compress=True)
    return found, batch.scale


def layer_columns(model, loss, x, y, fisher_type, mc_samples, draws, method):
    """``([(step, C)], c_N)``: ``layer_groups`` with each group's columns C (V, N, *out)."""
    found, scale = layer_groups(model, loss, x, y, fisher_type, mc_samples, draws, method)
    return [(step, group.columns) for step, group in found], scale


def output_factor(step, group, approx, scale):
    """A layer's G, ``scale`` · Σ rows rowsᵀ over its ``output_rows``; for unit columns at the
    (N, out) output of a ``Linear`` (``ColumnGroup.unit_root`` (N, out)), whose rows are
    scaled unit vectors, ``scale · diag(Σ_n unit_root_n²)`` without the Gram's V·N·out²."""
    if group.unit_root is not None and group.columns.ndim == 3:
        xp = get_array_module(group.unit_root)
        return xp.diag(scale * (group.unit_root * group.unit_root).sum(axis=0))
    return gram(output_rows(step, group.columns, approx), scale)


def chunks(x, chunk_size, method):
    """Slices of at most ``chunk_size`` samples covering the batch ``x``."""
    n = check_batch(x, method)
    size = n if chunk_size is None else chunk_size
    if int(size) != size or size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    size = int(size)
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def kronecker_layers_of(model, method):
    """``kronecker_layers(model)``; an error naming ``method`` if there is none."""
    layers = kronecker_layers(model)
    if not layers:
        raise ValueError(f"{method}: {type(model).__name__} has no Linear, Conv2d or Embedding "
                         f"layer, so there are no Kronecker factors to compute")
    return layers


def _sampled_factors(model, loss, x, y, fisher_type, mc_samples, seed, chunk_size, method,
                     approx="expand"):
    """Factors from back-propagated columns, accumulated over chunks of ``chunk_size`` samples;
    a shared axis read as ``approx`` (``weight_sharing.py``)."""
    check_fisher_type(fisher_type, method)
    check_approx(method, approx)
    layers = kronecker_layers_of(model, method)
    draws = generator_for(seed)
    scale = batch_scale(loss, check_batch(x, method))
    factors, rows = {}, {}
    for chunk in chunks(x, chunk_size, method):
        found, _ = layer_groups(model, loss, x[chunk], y[chunk], fisher_type, mc_samples,
                                draws, method)
        for step, group in found:
            if isinstance(step, EmbeddingStep):
                if approx == "reduce":
                    continue
                (A, count), G = index_counts(step), gram(embedding_output_rows(group.columns),
                                                         scale)
                block = EmbeddingFactors
            else:
                inputs = input_rows(step, approx)
                A, G = gram(inputs), output_factor(step, group, approx, scale)
                count, block = inputs.shape[0], KroneckerFactors
            key = id(step.module)
            if key in factors:
                factors[key].A += A
                factors[key].G += G
                rows[key] += count
            else:
                factors[key], rows[key] = block(step.params, A, G), count
    for key, factor in factors.items():
        factor.A /= rows[key]
    return [factors[id(module)] for module in layers if id(module) in factors]


def kflr(model, loss, x, y, chunk_size=None, approx="expand"):
    """KFLR factors, one ``KroneckerFactors`` per ``Linear`` / ``Conv2d`` layer and self-attention
    in-projection and one ``EmbeddingFactors`` per ``Embedding`` (expand only) of any model, in
    ``model.modules()`` order; ``chunk_size`` bounds the samples back-propagated at once (K columns each).
    ``approx`` reads a shared axis (a ``Linear`` on (N, S, in) tokens, a ``Conv2d``'s output
    positions) as ``"expand"`` or ``"reduce"`` (Eschenhagen et al. 2023, ``weight_sharing.py``).

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> rng = numpy.random.default_rng(0)
    >>> x = minigrad.tensor(rng.standard_normal((4, 3)), dtype=numpy.float32)
    >>> y = minigrad.tensor([0, 1, 1, 0])
    >>> first, second = curvature.kflr(model, nn.CrossEntropyLoss(), x, y)
    >>> first.G.shape, first.A.shape, first.to_dense().shape   # G (out, out), A (in + 1, in + 1)
    ((2, 2), (4, 4), (8, 8))
    """
    return _sampled_factors(model, loss, x, y, "type-2", None, None, chunk_size, "kflr", approx)


def kfac(model, loss, x, y, mc_samples=1, seed=None, chunk_size=None, fisher_type="mc",
         approx="expand"):
    """KFAC factors from ``mc_samples`` Monte-Carlo columns (``seed`` for the draws); any model,
    as ``kflr``. ``fisher_type`` as curvlinops names it: "mc" (the default), "type-2" (the
    exact loss-Hessian square root: ``kflr``) or "empirical" (the per-sample loss gradients,
    G = c_N Σ_n Σ_t δ_n,t δ_n,tᵀ with δ back-propagated from ``∇_z ℓ_n``). ``approx`` as in
    ``kflr``."""
    return _sampled_factors(model, loss, x, y, fisher_type, mc_samples, seed, chunk_size,
                            "kfac", approx)


def _refuse_block(step, G, walk):
    raise TypeError(f"KFRA's batch-averaged recursion is defined for feed-forward chains; "
                    f"{type(step.block).__name__} blocks are not supported (use kflr or kfac)")


def kfra(model, loss, x, y, average=None):
    """KFRA factors (the batch-averaged recursion), one per ``Linear`` / ``Conv2d`` layer;
    for feed-forward chains (``nn.Sequential``) of supported layers only.

    ``average``, if given, maps every batch-averaged output factor ``Ḡ`` (at the loss and
    after each step of the recursion) to the array used from there on; data-parallel
    training passes the mean over processes, since ``Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n``
    multiplies one batch average by the next and cannot be averaged afterwards."""
    check_batch(x, "kfra")
    reduce = average if average is not None else (lambda G: G)
    batch = RecordedBatch(model, loss, x, y, "kfra")
    steps = batch.steps
    G = batch.loss_rules.average_hessian(batch.loss, batch.logits, batch.y)
    lowest = steps[lowest_parameterised_index(steps)]
    factors = []

    def through_leaf(step, G):
        if is_kronecker_layer(step):
            factors.append(KroneckerFactors(step.params, input_factor(step),
                                            step.rules.kfra_output_factor(step.module, G)))
        if step is lowest:
            return G
        return reduce(step.rules.average_sandwich(step.module, step.x, step.out, G))

    walk_backward(steps[steps.index(lowest):], reduce(G * (batch.scale * batch.batch_size)),
                  through_leaf, _refuse_block)
    return factors[::-1]
