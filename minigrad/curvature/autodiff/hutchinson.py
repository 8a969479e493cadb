"""Hutchinson's and Hutch++'s stochastic estimates of the diagonal and the trace of a matrix.

For Rademacher probes ``z`` (entries ±1 with probability ½ each), ``E[z zᵀ] = I``, so

    diag(A) = E[z ⊙ A z]        (Bekas, Kokiopoulou & Saad 2007)
    tr(A)   = E[zᵀ A z]         (Hutchinson 1990)

Each estimate averages ``n`` probes, and its standard error is the sample
standard deviation over the probes divided by ``√n``. Both are exact for a
diagonal matrix (``z ⊙ D z = diag(D)`` because ``z² = 1``). ``A`` is anything
``aslinearoperator`` accepts, e.g. ``hessian_operator(...)`` (one
Hessian-vector product per probe). Probes come from a host NumPy generator
seeded by ``seed``, so results are reproducible across backends.

Hutch++ (Meyer, Musco, Musco & Woodruff, "Hutch++: Optimal Stochastic Trace Estimation",
2021) spends ``n`` products in three equal parts. With ``k = n // 3`` probes ``S (P, k)``,
``Q = orth(A S)`` captures the top of the spectrum, whose trace ``tr(Qᵀ A Q)`` is computed
exactly (``k`` more products), and Hutchinson with the remaining ``m = n − 2k`` probes
estimates the rest, ``tr((I − QQᵀ) A (I − QQᵀ))``:

    tr(A) ≈ tr(Qᵀ A Q) + (1/m) Σ_j g_jᵀ (I − QQᵀ) A (I − QQᵀ) g_j

Its error falls as ``1/n`` instead of ``1/√n`` when the spectrum decays. The standard error
reported is that of the Hutchinson part given ``Q`` (the exact part has none).

With ``batches=`` (operators of the same shape, one per mini-batch), ``hutchinson_trace`` and
``hutchpp_trace`` also run on each batch's operator with the same probes and return a third
field, ``across_batches``, the mean and standard error across the batches
(``batch_statistics.py``).
"""
import collections
import math

import numpy

from ...random import rademacher
from .batch_statistics import across_batches
from .operators import aslinearoperator

HutchinsonEstimate = collections.namedtuple("HutchinsonEstimate", ["estimate", "standard_error"])
BatchedEstimate = collections.namedtuple("BatchedEstimate",
                                         ["estimate", "standard_error", "across_batches"])


def _check_count(n, least, who):
    if not isinstance(n, int) or n < least:
        raise ValueError(f"{who}: the number of probes n must be a positive int (at least "
                         f"{least}), got {n!r}")


def _probe_samples(op, n, seed, sample):
    _check_count(n, 1, "hutchinson")
    op = aslinearoperator(op)
    rng = numpy.random.default_rng(seed)
    samples = []
    for _ in range(n):
        z = rademacher(rng, op.shape[0], op.xp, op.dtype)
        samples.append(sample(z, op.matvec(z)))
    return op.xp, op.xp.stack(samples)


def _mean_and_standard_error(xp, samples):
    n = samples.shape[0]
    mean = samples.mean(axis=0)
    if n == 1:
        return HutchinsonEstimate(mean, xp.full_like(mean, xp.inf))
    return HutchinsonEstimate(mean, samples.std(axis=0, ddof=1) / math.sqrt(n))


def hutchinson_diag(op, n, seed=None):
    """``(estimate, standard_error)`` of ``diag(A)``, each ``(P,)``, from ``n`` probes."""
    xp, samples = _probe_samples(op, n, seed, lambda z, az: z * az)
    return _mean_and_standard_error(xp, samples)


def _with_batches(trace_estimate, op, n, seed, batches, who):
    """``trace_estimate(op, n, seed)``, and with ``batches`` its statistics across them."""
    op = aslinearoperator(op)
    result = trace_estimate(op, n, seed)
    if batches is None:
        return result
    spread = across_batches(lambda batch: trace_estimate(batch, n, seed).estimate, batches,
                            op.shape, who)
    return BatchedEstimate(*result, spread)


def _hutchinson_trace(op, n, seed):
    xp, samples = _probe_samples(op, n, seed, lambda z, az: z @ az)
    estimate, error = _mean_and_standard_error(xp, samples)
    return HutchinsonEstimate(float(estimate), float(error))


def hutchinson_trace(op, n, seed=None, batches=None):
    """``(estimate, standard_error)`` of ``tr(A)`` as floats, from ``n`` Rademacher probes.

    With ``batches`` (per-batch operators), ``(estimate, standard_error, across_batches)``.
    """
    return _with_batches(_hutchinson_trace, op, n, seed, batches, "hutchinson_trace")


def _hutchpp_trace(op, n, seed):
    _check_count(n, 3, "hutchpp_trace")
    op = aslinearoperator(op)
    xp, size, rng = op.xp, op.shape[0], numpy.random.default_rng(seed)
    k = n // 3
    sketch = op @ rademacher(rng, (size, k), xp, op.dtype)
    basis, _ = xp.linalg.qr(sketch)
    exact = float(xp.trace(basis.T @ (op @ basis)))
    rest = []
    for _ in range(n - 2 * k):
        z = rademacher(rng, size, xp, op.dtype)
        z = z - basis @ (basis.T @ z)
        rest.append(z @ op.matvec(z))
    rest = xp.stack(rest)
    estimate, error = _mean_and_standard_error(xp, rest)
    return HutchinsonEstimate(exact + float(estimate), float(error))


def hutchpp_trace(op, n, seed=None, batches=None):
    """``(estimate, standard_error)`` of ``tr(A)`` by Hutch++ with ``n ≥ 3`` products in all.

    With ``batches`` (per-batch operators), ``(estimate, standard_error, across_batches)``.
    """
    return _with_batches(_hutchpp_trace, op, n, seed, batches, "hutchpp_trace")
