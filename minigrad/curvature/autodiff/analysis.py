"""Structure of curvature: class gradients, subspace overlaps, diagonal dominance, H = GN + R.

``class_gradients(model, x, y)`` → ``(C, P)``: row ``k`` is the class gradient of
Fort & Ganguli as defined by Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in
the class gradient defined high-curvature subspace" (2020), eq. (1),

    c_k = (1/|D_k|) Σ_{μ ∈ D_k} ∇_θ z_k^μ,

the mean over the samples of class ``k`` of the gradient of the ``k``-th logit
(flat, ``parameters()`` order). A class with no sample in the batch gets a
zero row. With ``y=None`` the mean runs over the whole batch,
``c_k = (1/N) Σ_μ ∇_θ z_k^μ``. Cost: one forward and ``C`` backward passes.

``subspace_overlap(U, V)`` of the column spaces of ``U (P, a)`` and ``V (P, b)``
is the mean squared cosine of their ``min(a, b)`` principal angles,

    overlap = ‖Q_Uᵀ Q_V‖_F² / min(a, b)  ∈ [0, 1],

with ``Q`` orthonormal bases (from an SVD, so rank-deficient inputs are
handled; the dimensions are the numerical ranks). It is 1 when the smaller
space lies in the larger one and 0 for orthogonal spaces.

``diagonal_dominance(M, n_samples=None)`` → ``(ratio, wigner, ols)``, after
Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized Newton
methods" (2019), §3.2 and Appendix D: the share of the
diagonal in the absolute mass, ``δ(M) = Σ_i |M_ii| / Σ_ij |M_ij|``, and the two
baselines for a ``d × d`` matrix, with ``d = P``:

    wigner = 1/d                               δ(E|W|) of a Gaussian Wigner matrix with
                                               equal diagonal and off-diagonal variance (Prop. 1)
    ols    = 1 / (1 + (d − 1) √(2 / (π n)))    δ(E|Xᵀ X|) for n i.i.d. zero-mean samples x ∈ R^d,
                                               the OLS Hessian, in the large-n limit (Prop. 2)

``ols`` needs the number of samples ``n`` (the batch size); it is ``None`` when
``n_samples`` is not given.

``residual_split(model, loss, x, y, k)`` splits the Hessian as in
Salkey, Benton & Maddox, "Hess-Trucks: Leveraging Eigenspaces for Optimizing Deep
Networks" (2019), §2: ``H = GN + R`` with ``GN = Jᵀ H_z J`` and
the residual ``R = H − GN = Σ_z (∂L/∂z) ∇²_θ z`` (it vanishes with the
residuals ∂L/∂z between model and targets). For each of ``H``, ``GN`` and ``R``
it reports the ``k`` largest eigenvalues (Lanczos) and the trace: exact from
``P`` unit-vector products when ``trace_probes`` is ``None``, otherwise
Hutchinson with the same probes for all three (so the three estimates add up).
"""
import collections
import math

import numpy

from ...autograd.engine import grad
from ...autograd.grad_mode import enable_grad
from ...backend import get_array_module, to_host
from ...tensor import Tensor
from ..evaluation import as_input, preserved_buffers
from ..flat import arrays_to_vector, parameter_list
from ...random import rademacher
from .operators import ggn_operator, hessian_operator
from .spectrum import top_eigen

DiagonalDominance = collections.namedtuple("DiagonalDominance", ["ratio", "wigner", "ols"])
CurvatureSummary = collections.namedtuple("CurvatureSummary",
                                          ["top_eigenvalues", "trace", "trace_standard_error"])
ResidualSplit = collections.namedtuple("ResidualSplit", ["hessian", "gauss_newton", "residual"])


def _class_weights(xp, logits, y):
    """``(N, C)`` weights: ``[y_μ = k] / |D_k|`` (zero column for an absent class), or ``1/N``."""
    n, classes = logits.shape
    if y is None:
        return xp.full((n, classes), 1.0 / n, dtype=logits.dtype)
    labels = to_host(y.data if isinstance(y, Tensor) else y)
    labels = numpy.asarray(labels)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"class_gradients: y must hold integer class labels of shape ({n},) for "
                         f"logits of shape {logits.shape}, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"class_gradients: labels must lie in [0, {classes}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    one_hot = numpy.eye(classes)[labels]
    counts = one_hot.sum(axis=0)
    weights = one_hot / numpy.maximum(counts, 1)
    return xp.asarray(weights, dtype=logits.dtype)


def class_gradients(model, x, y=None):
    """``(C, P)`` class gradients ``c_k`` of eq. (1); see the module docstring."""
    params = parameter_list(model)
    with enable_grad(), preserved_buffers(model):
        logits = model(as_input(x))
        if logits.ndim != 2:
            raise ValueError(f"class_gradients: the model must return logits (N, C), got shape "
                             f"{logits.shape}")
        xp = logits.xp
        weights = _class_weights(xp, logits, y)
        rows = []
        for k in range(logits.shape[1]):
            cotangent = xp.zeros(logits.shape, dtype=logits.dtype)
            cotangent[:, k] = weights[:, k]
            grads = grad(logits, params, grad_outputs=Tensor(cotangent),
                         retain_graph=k < logits.shape[1] - 1, allow_unused=True)
            rows.append(arrays_to_vector([p.xp.zeros_like(p.data) if g is None else g.data
                                 for p, g in zip(params, grads)]))
    return xp.stack(rows)


def _orthonormal_basis(matrix, name):
    xp = get_array_module(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"subspace_overlap: {name} must be (P, k) with the basis in its columns, "
                         f"got shape {tuple(matrix.shape)}")
    u, s, _ = xp.linalg.svd(matrix, full_matrices=False)
    tol = max(matrix.shape) * numpy.finfo(matrix.dtype).eps * (float(s[0]) if s.size else 0.0)
    rank = int((s > tol).sum())
    if rank == 0:
        raise ValueError(f"subspace_overlap: {name} (shape {tuple(matrix.shape)}) spans no "
                         "subspace")
    return u[:, :rank]


def subspace_overlap(U, V):
    """Mean squared cosine of the principal angles between the column spaces of U and V."""
    if U.shape[0] != V.shape[0]:
        raise ValueError(f"subspace_overlap: U {tuple(U.shape)} and V {tuple(V.shape)} must have "
                         "the same number of rows")
    qu, qv = _orthonormal_basis(U, "U"), _orthonormal_basis(V, "V")
    return float(((qu.T @ qv) ** 2).sum()) / min(qu.shape[1], qv.shape[1])


def diagonal_dominance(M, n_samples=None):
    """``(ratio, wigner, ols)``: diagonal share of ``|M|`` and its baselines (module docstring)."""
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"diagonal_dominance: M must be square, got shape {tuple(M.shape)}")
    xp = get_array_module(M)
    magnitude = abs(M)
    total = float(magnitude.sum())
    if not total > 0:
        raise ValueError(f"diagonal_dominance: M (shape {tuple(M.shape)}) is zero or not finite")
    d = M.shape[0]
    ratio = float(xp.trace(magnitude)) / total
    ols = None
    if n_samples is not None:
        if n_samples < 1:
            raise ValueError(f"diagonal_dominance: n_samples must be positive, got {n_samples}")
        ols = 1.0 / (1.0 + (d - 1) * math.sqrt(2.0 / (math.pi * n_samples)))
    return DiagonalDominance(ratio, 1.0 / d, ols)


def _traces(operators, trace_probes, seed):
    """Per operator ``(trace, standard_error)``; shared probes so the traces stay additive."""
    xp, size, dtype = operators[0].xp, operators[0].shape[0], operators[0].dtype
    if trace_probes is None:
        totals = [0.0] * len(operators)
        for i in range(size):
            unit = xp.zeros(size, dtype=dtype)
            unit[i] = 1
            for j, op in enumerate(operators):
                totals[j] += float(op.matvec(unit)[i])
        return [(total, 0.0) for total in totals]
    rng = numpy.random.default_rng(seed)
    samples = numpy.zeros((trace_probes, len(operators)))
    for i in range(trace_probes):
        z = rademacher(rng, size, xp, dtype)
        for j, op in enumerate(operators):
            samples[i, j] = float(z @ op.matvec(z))
    errors = (samples.std(axis=0, ddof=1) / math.sqrt(trace_probes) if trace_probes > 1
              else numpy.full(len(operators), numpy.inf))
    return list(zip(samples.mean(axis=0).tolist(), errors.tolist()))


def residual_split(model, loss_fn, x, y, k=5, trace_probes=None, iters=None, seed=None):
    """``ResidualSplit(hessian, gauss_newton, residual)`` of ``CurvatureSummary`` tuples.

    Each holds the ``k`` largest eigenvalues (host array, descending), the
    trace and its standard error (0 when exact); see the module docstring.
    """
    hessian = hessian_operator(model, loss_fn, x, y)
    gauss_newton = ggn_operator(model, loss_fn, x, y)
    operators = [hessian, gauss_newton, hessian - gauss_newton]
    traces = _traces(operators, trace_probes, seed)
    summaries = []
    for op, (trace, error) in zip(operators, traces):
        values, _ = top_eigen(op, k, method="lanczos", iters=iters, seed=seed)
        summaries.append(CurvatureSummary(to_host(values), trace, error))
    return ResidualSplit(*summaries)
