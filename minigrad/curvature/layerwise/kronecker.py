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

    KFLR   the exact square root of the loss Hessian (K columns), so G = c_N Σ_n Gpre_n
    KFAC   M Monte-Carlo columns (``mc_samples``; the gradient of −log p(ŷ|x), ŷ from the model)

and KFRA replaces per-sample back-propagation by the recursion on batch averages,

    Ḡ_L = c_N Σ_n H_loss,n,    Ḡ_in = (1/N) Σ_n J_nᵀ Ḡ_out J_n   (Wᵀ Ḡ W for Linear,
                                                              Ḡ ⊙ (1/N) Σ_n f' f'ᵀ for activations)

with the layer's G = Ḡ at its output (for ``Conv2d`` summed over the position-diagonal blocks,
matching KFLR). KFRA is defined for feed-forward chains; a ``Residual`` step is refused.
At batch size 1, KFLR and KFRA equal the exact GN block of a fully connected layer.

KFAC and KFLR work on any ``nn.Module``: a chain (``recording.is_chain``) goes through the
per-sample recursion, any other model (a custom ``forward``, batch norm in training mode)
through the engine's backward (``capture.py``), with the same Monte-Carlo draws. Batch-norm
scale and shift get no factors; the ``optim`` Kronecker optimizers give them gradient steps.
Factors are listed in ``model.modules()`` order (forward order for a chain).
"""
import numpy

from ...backend import get_array_module
from .capture import CapturedBatch, kronecker_layers
from .derivatives.shared_axis import SharedAxisDerivatives
from ..evaluation import check_batch
from .kronecker_factors import KroneckerFactors
from .layer_columns import gram
from .losses import batch_scale
from .recording import is_chain, lowest_parameterised_index
from .recursion import RecordedBatch
from .walk import walk_backward
from .weight_sharing import check_approx, reduced


def is_kronecker_layer(step):
    """Whether ``step`` is a layer of the shared-axis form (``Linear``, ``Conv2d``)."""
    return isinstance(step.rules, SharedAxisDerivatives)


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


def _layer_columns(model, loss, x, y, mc_samples, draws):
    """``[(step, C)]`` per call of a Kronecker layer: C (V, N, *out) back-propagated columns.

    A chain goes through the per-sample recursion, any other model through the engine's
    backward (``capture.py``), as does a chain on token inputs (N, S, d), whose ``Linear`` layers
    share the axis S; both draw the Monte-Carlo columns from ``draws`` alike."""
    if not is_chain(model) or x.ndim == 3:  # token inputs (N, S, d): a Linear shares S
        batch = CapturedBatch(model, loss, x, y)
        return batch.per_sample_columns(batch.output_columns(mc_samples, draws))
    found = []

    def visit(step, state):
        if is_kronecker_layer(step):
            found.append((step, state.columns))

    RecordedBatch(model, loss, x, y).backpropagate(visit, mc_samples=mc_samples, seed=draws)
    return found


def _sampled_factors(model, loss, x, y, mc_samples, seed, chunk_size, method, approx):
    """Factors from back-propagated columns, accumulated over chunks of ``chunk_size`` samples;
    a shared axis read as ``approx`` (``weight_sharing.py``)."""
    check_approx(method, approx)
    n = check_batch(x, method)
    chunk_size = n if chunk_size is None else chunk_size
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    layers = kronecker_layers(model)
    if not layers:
        raise ValueError(f"{method}: {type(model).__name__} has no Linear or Conv2d layer, so "
                         f"there are no Kronecker factors to compute")
    draws = numpy.random.default_rng(seed)
    scale = batch_scale(loss, n)
    factors, rows = {}, {}
    for start in range(0, n, int(chunk_size)):
        chunk = slice(start, min(start + int(chunk_size), n))
        for step, C in _layer_columns(model, loss, x[chunk], y[chunk], mc_samples, draws):
            inputs = input_rows(step, approx)
            A, G = gram(inputs), gram(output_rows(step, C, approx), scale)
            key = id(step.module)
            if key in factors:
                factors[key].A += A
                factors[key].G += G
                rows[key] += inputs.shape[0]
            else:
                factors[key], rows[key] = KroneckerFactors(step.params, A, G), inputs.shape[0]
    for key, factor in factors.items():
        factor.A /= rows[key]
    return [factors[id(module)] for module, _ in layers if id(module) in factors]


def kflr(model, loss, x, y, chunk_size=None, approx="expand"):
    """KFLR factors, one ``KroneckerFactors`` per ``Linear`` / ``Conv2d`` layer of any model, in
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
    return _sampled_factors(model, loss, x, y, None, None, chunk_size, "kflr", approx)


def kfac(model, loss, x, y, mc_samples=1, seed=None, chunk_size=None, approx="expand"):
    """KFAC factors from ``mc_samples`` Monte-Carlo columns (``seed`` for the draws); any model
    and either ``approx``, as ``kflr``."""
    return _sampled_factors(model, loss, x, y, mc_samples, seed, chunk_size, "kfac", approx)


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
    batch = RecordedBatch(model, loss, x, y)
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
