"""The empirical Fisher: outer products of the per-sample loss gradients.

With the batch loss ``L = c_N Σ_n ℓ_n`` (``c_N = 1/N`` for a mean loss, 1 for a sum) the
empirical Fisher over the flat parameters (P in ``parameters()`` order) is

    F_emp = c_N Σ_n ∇ℓ_n ∇ℓ_nᵀ           (P, P);   (1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ for the mean loss

the scaling of curvlinops' ``EFLinearOperator`` and of the Gauss-Newton matrix here. In terms of
``batch_grad``'s per-sample gradients ``g_n = c_N ∇ℓ_n`` (BackPACK's ``BatchGrad`` scaling),
with ``Γ`` (N, P) their rows,

    F_emp = (1/c_N) Γᵀ Γ,    F_emp v = (1/c_N) Γᵀ (Γ v),    diag F_emp = (1/c_N) Σ_n g_n ⊙ g_n

so ``diag_empirical_fisher = sum_grad_squared / c_N`` (N × BackPACK's ``SumGradSquared`` for
the mean loss). The dense matrix holds P² numbers and the operator N·P (``Γ``); the diagonal
needs neither for ``Linear`` layers (``per_sample_gradients.py``).

Over a data set of batches with ``N = Σ_b N_b`` samples (``empirical_fisher_operator(model,
loss_fn, data)``), the mean loss ``Σ_b (N_b / N) L_b`` has the empirical Fisher

    (1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ = Σ_b (N_b / N) F_emp,b          (all N samples; mean losses)

with ``F_emp,b`` that of batch ``b``: each product makes one pass, holding one batch's ``Γ_b``
at a time (``curvature/data_operator.py``).
"""
from ...backend import get_array_module
from ...linear_operator import LinearOperator
from ..data_operator import data_operator
from ..flat import arrays_to_vector, chosen_parameters, num_parameters
from ..memory import require_memory
from .per_sample_gradients import PerSampleGradients


def _gradient_rows(model, loss_fn, x, y, quantity, square, params=None):
    """``(Γ (N, P_S), c_N)`` over ``params`` (default: all) after estimating Γ (and a (P, P)
    matrix if ``square``)."""
    chosen = chosen_parameters(model, params)
    n, size = x.shape[0], num_parameters(chosen)
    require_memory(quantity, [(n, size)] + ([(size, size)] if square else []), chosen[0].dtype,
                   "empirical_fisher_operator needs N·P numbers and diag_empirical_fisher "
                   "none; or pass fewer samples")
    found = PerSampleGradients(model, loss_fn, x, y, quantity)
    xp = get_array_module(chosen[0].data)
    rows = xp.concatenate([found.batch_grad(p).reshape(n, -1) for p in chosen], axis=1)
    return rows, found.scale


def empirical_fisher(model, loss_fn, x, y):
    """The dense empirical Fisher ``c_N Σ_n ∇ℓ_n ∇ℓ_nᵀ`` (P, P); refused above the memory limit.

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> x = minigrad.tensor(numpy.ones((4, 3)), dtype=numpy.float32)
    >>> curvature.empirical_fisher(model, nn.CrossEntropyLoss(), x, [0, 1, 1, 0]).shape
    (14, 14)
    """
    rows, scale = _gradient_rows(model, loss_fn, x, y, "empirical_fisher", True)
    return (rows.T / scale) @ rows


def _batch_operator(model, loss_fn, x, y, params):
    """``v ↦ (1/c_N) Γᵀ (Γ v)`` on one batch, Γ (N, P_S) over ``params`` kept."""
    rows, scale = _gradient_rows(model, loss_fn, x, y, "empirical_fisher_operator", False,
                                 params)
    size = rows.shape[1]
    return LinearOperator(lambda v: rows.T @ (rows @ v) / scale, (size, size), rows.dtype,
                          get_array_module(rows))


def empirical_fisher_operator(model, loss_fn, x, y=None, params=None):
    """The empirical Fisher as a ``LinearOperator``: ``v ↦ (1/c_N) Γᵀ (Γ v)``, Γ (N, P) kept.

    With ``y`` omitted, ``x`` is a data set (a ``DataLoader`` or any re-iterable of ``(x, y)``
    batches) and the operator is ``(1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ`` over all its samples, one pass per
    product (module docstring), as ``hessian_operator``. ``params`` restricts it to the
    diagonal block of a subset of the parameters (one layer's, say), in the subset's layout.
    """
    chosen = chosen_parameters(model, params)
    if y is None:
        return data_operator(
            lambda xb, yb, v: _batch_operator(model, loss_fn, xb, yb, chosen) @ v, chosen, x,
            "empirical_fisher_operator")
    return _batch_operator(model, loss_fn, x, y, chosen)


def diag_empirical_fisher(model, loss_fn, x, y):
    """The diagonal (P,) of the empirical Fisher, ``sum_grad_squared / c_N`` flattened."""
    found = PerSampleGradients(model, loss_fn, x, y, "diag_empirical_fisher")
    return arrays_to_vector([found.sum_grad_squared(p) / found.scale for p in found.params])
