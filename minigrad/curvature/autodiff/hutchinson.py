"""Hutchinson's stochastic estimates of the diagonal and the trace of a matrix.

For Rademacher probes ``z`` (entries ±1 with probability ½ each), ``E[z zᵀ] = I``, so

    diag(A) = E[z ⊙ A z]        (Bekas, Kokiopoulou & Saad 2007)
    tr(A)   = E[zᵀ A z]         (Hutchinson 1990)

Each estimate averages ``n`` probes, and its standard error is the sample
standard deviation over the probes divided by ``√n``. Both are exact for a
diagonal matrix (``z ⊙ D z = diag(D)`` because ``z² = 1``). ``A`` is anything
``aslinearoperator`` accepts, e.g. ``hessian_operator(...)`` (one
Hessian-vector product per probe). Probes come from a host NumPy generator
seeded by ``seed``, so results are reproducible across backends.
"""
import collections
import math

import numpy

from ...random import rademacher
from .operators import aslinearoperator

HutchinsonEstimate = collections.namedtuple("HutchinsonEstimate", ["estimate", "standard_error"])


def _probe_samples(op, n, seed, sample):
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"hutchinson: the number of probes n must be a positive int, got {n!r}")
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


def hutchinson_trace(op, n, seed=None):
    """``(estimate, standard_error)`` of ``tr(A)`` as floats, from ``n`` Rademacher probes."""
    xp, samples = _probe_samples(op, n, seed, lambda z, az: z @ az)
    estimate, error = _mean_and_standard_error(xp, samples)
    return HutchinsonEstimate(float(estimate), float(error))
