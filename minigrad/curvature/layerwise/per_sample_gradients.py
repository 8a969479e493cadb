"""Per-sample gradients of the batch loss and their moments (BackPACK's first-order extensions).

With the batch loss ``L = c_N Σ_n ℓ_n`` (``c_N = 1/N`` for a mean loss, 1 for a sum;
``minigrad/curvature/README.md``) the per-sample gradient of a parameter ``p`` is, in BackPACK's
``BatchGrad`` scaling,

    g_n = c_N ∇_p ℓ_n              (N, *p.shape),      Σ_n g_n = ∇_p L

and from it, one array per parameter in ``model.parameters()`` order:

    batch_grad          g_n                                   (N, *p.shape)
    batch_l2_grad       ‖g_n‖²                                (N,)
    sum_grad_squared    Σ_n g_n ⊙ g_n                          p.shape
    variance            (1/N) Σ_n g_n ⊙ g_n − (∇_p L / N)²     p.shape   (BackPACK's ``Variance``:
                        ``sgs / N − (grad / N)²``, N the batch size, in either reduction)

One forward pass is recorded (``recording.py``, hooks included) and one backward pass gives the
gradient ``δ = ∂L/∂z`` at the own output ``z`` of every call of a module with rules
(``derivatives.DERIVATIVES``); row n of ``δ`` is ``c_N ∂ℓ_n/∂z_n``, since no module couples the
samples. The layer's parameter Jacobian turns it into ``g_n`` of that call: for ``Linear``
``δ_n a_nᵀ`` (weight) and ``δ_n`` (bias), for ``Conv2d`` ``Σ_t δ_n,t a_n,tᵀ`` over the im2col
patches ``a_n,t``, for batch norm in evaluation mode ``Σ δ_n ⊙ x̂_n`` and ``Σ δ_n``. A Parameter
used by several calls (tied weights) gets the sum of its uses. Any other Parameter (used
directly in a custom ``forward``, or owned by a module without rules) gets one backward pass
per sample through the recorded graph (``engine_columns.per_sample_parameter_columns``).

Without the N × P array: for a ``Linear`` layer used once, ``‖g_n‖² = ‖δ_n‖² ‖a_n‖²`` (weight)
and ``Σ_n g_n²`` is the one product ``(δ⊙δ)ᵀ (a⊙a)`` (``param_jac_t_diag`` of the rules), so
``batch_l2_grad``, ``sum_grad_squared`` and ``variance`` never form ``g_n`` there.

Batch normalisation in training mode makes ``z_n`` depend on every sample, so ``g_n`` of a
single sample is not defined by the layer rules; these functions refuse such a model, naming
the layer (BackPACK computes rows of ``δ`` anyway and warns that the result "may not be
meaningful"; put the model in ``eval()`` for per-sample quantities).
"""
import operator
from functools import reduce

from ...backend import get_array_module
from ..flat import parameter_list
from ..memory import require_memory
from .derivatives import DERIVATIVES
from .derivatives.linear import LinearDerivatives
from .engine_columns import per_sample_columns, per_sample_parameter_columns
from .recording import layer_records
from .recursion import RecordedBatch


def _has_parameters(rules, module):
    return bool(rules.param_names(module))


def loss_gradient_columns(batch):
    """(1, N, *out): ``c_N ∇_z ℓ_n``, the rows of the batch loss's gradient at the output."""
    gradient = batch.loss_rules.gradient(batch.loss, batch.logits, batch.y)
    return (batch.scale * gradient).reshape((1,) + batch.output.shape)


class PerSampleGradients:
    """One recorded batch of ``model`` and columns ``S`` (V, N, *out) at its output
    (``columns(batch)``; by default ``c_N ∇ℓ_n``, V = 1): per parameter its uses
    ``[(step, name, C (V, N, *layer out))]`` by layer calls with rules, or its columns
    ``J_nᵀ S[v, n]`` (V, N, *p.shape) from the engine. ``quantity`` names the caller in errors."""

    def __init__(self, model, loss, x, y, quantity, columns=None):
        self.params = parameter_list(model)
        batch = RecordedBatch(model, loss, x, y, quantity)
        for call in batch.recording.calls:
            rules = DERIVATIVES.get(type(call.module))
            if rules and rules.couples_samples(call.module):
                raise ValueError(
                    f"{quantity}: {call.label()} couples the samples of a batch through its "
                    f"statistics (batch normalisation in training mode), so a per-sample "
                    f"quantity is not defined by its rules; call model.eval() first")
        self.batch_size, self.scale = batch.batch_size, batch.scale
        S = (columns or loss_gradient_columns)(batch)
        self.uses = {id(p): [] for p in self.params}
        for step, C in per_sample_columns(
                batch, S, layer_records(batch.recording.calls, keep=_has_parameters)):
            for name, p in zip(step.param_names, step.params):
                self.uses[id(p)].append((step, name, C))
        others = [p for p in self.params if not self.uses[id(p)]]
        self.engine = {}
        if others:
            xp = get_array_module(S)
            rows = [[] for _ in others]
            for found in per_sample_parameter_columns(batch, S, others):
                for row, column in zip(rows, found):
                    row.append(column)
            self.engine = {id(p): xp.stack(row).reshape(S.shape[:2] + p.shape)
                           for p, row in zip(others, rows)}

    def columns(self, p):
        """``J_nᵀ S[v, n]`` (V, N, *p.shape), the sum over the Parameter's uses."""
        if id(p) in self.engine:
            return self.engine[id(p)]
        return reduce(operator.add, (step.rules.param_jac_t_mat_prod(step.module, step.x,
                                                                    step.out, C, name)
                                     for step, name, C in self.uses[id(p)]))

    def batch_grad(self, p):
        """``g_n`` (N, *p.shape) for the default columns."""
        return self.columns(p)[0]

    def _single_use(self, p):
        uses = self.uses[id(p)]
        return uses[0] if len(uses) == 1 else None

    def gradient(self, p):
        """``Σ_n g_n`` (p.shape), the mini-batch gradient."""
        if id(p) in self.engine:
            return self.engine[id(p)][0].sum(axis=0)
        return sum(step.rules.param_jac_t_mat_prod(step.module, step.x, step.out, C, name,
                                                   sum_samples=True)[0]
                   for step, name, C in self.uses[id(p)])

    def batch_l2_grad(self, p):
        """``‖g_n‖²`` (N,); ``‖δ_n‖² ‖a_n‖²`` for a Linear layer used once."""
        use = self._single_use(p)
        if use is not None and isinstance(use[0].rules, LinearDerivatives):
            step, name, C = use
            squared = (C[0] * C[0]).sum(axis=1)
            return squared * (step.x * step.x).sum(axis=1) if name == "weight" else squared
        g = self.batch_grad(p)
        return (g * g).reshape(g.shape[0], -1).sum(axis=1)

    def sum_grad_squared(self, p):
        """``Σ_n g_n ⊙ g_n`` (p.shape); the layer's product of squares for a single use."""
        use = self._single_use(p)
        if use is not None:
            step, name, C = use
            return step.rules.param_jac_t_diag(step.module, step.x, step.out, C, None, name)
        g = self.batch_grad(p)
        return (g * g).sum(axis=0)


def batch_grad(model, loss_fn, x, y):
    """Per-sample gradients ``c_N ∇ℓ_n``, one array (N, *p.shape) per parameter in
    ``model.parameters()`` order, summing over N to the mini-batch gradient (BackPACK's
    ``BatchGrad``). Refused above the curvature memory limit (N × P numbers).

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> x = minigrad.tensor(numpy.ones((4, 3)), dtype=numpy.float32)
    >>> [g.shape for g in curvature.batch_grad(model, nn.CrossEntropyLoss(), x, [0, 1, 1, 0])]
    [(4, 2, 3), (4, 2), (4, 2, 2), (4, 2)]
    """
    params = parameter_list(model)
    require_memory("batch_grad", [(x.shape[0],) + tuple(p.shape) for p in params],
                   params[0].dtype, "batch_l2_grad, sum_grad_squared and variance need no "
                   "per-sample array; or pass fewer samples at once")
    found = PerSampleGradients(model, loss_fn, x, y, "batch_grad")
    return [found.batch_grad(p) for p in found.params]


def batch_l2_grad(model, loss_fn, x, y):
    """``‖g_n‖²`` of the per-sample gradients of ``batch_grad``, one (N,) array per parameter
    (BackPACK's ``BatchL2Grad``)."""
    found = PerSampleGradients(model, loss_fn, x, y, "batch_l2_grad")
    return [found.batch_l2_grad(p) for p in found.params]


def sum_grad_squared(model, loss_fn, x, y):
    """``Σ_n g_n ⊙ g_n`` of the per-sample gradients of ``batch_grad``, one array shaped like
    each parameter (BackPACK's ``SumGradSquared``)."""
    found = PerSampleGradients(model, loss_fn, x, y, "sum_grad_squared")
    return [found.sum_grad_squared(p) for p in found.params]


def variance(model, loss_fn, x, y):
    """BackPACK's ``Variance``: ``sum_grad_squared / N − (∇L / N)²`` with N the batch size and
    ``∇L = Σ_n g_n`` the mini-batch gradient, one array shaped like each parameter."""
    found = PerSampleGradients(model, loss_fn, x, y, "variance")
    n = found.batch_size
    return [found.sum_grad_squared(p) / n - (found.gradient(p) / n) ** 2 for p in found.params]
