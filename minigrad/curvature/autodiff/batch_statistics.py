"""Error bars across mini-batches: an estimate computed on each batch, its mean and standard error.

A curvature estimate from one mini-batch (a top eigenvalue, a trace, a spectral density) varies
from batch to batch. With the same estimate ``e_b`` computed on the operators of ``B`` batches,

    mean = (1/B) Σ_b e_b,     standard error = s / √B,     s² = Σ_b (e_b − mean)² / (B − 1)

(infinite for ``B = 1``). The estimators that take ``batches=`` report these beside their value
on the full-data operator (``hessian_operator(model, loss_fn, loader)``). For a quantity linear in
the operator (a trace), the batch mean of equal-sized batches estimates the full-data value; for a
nonlinear one (a top eigenvalue) it does not: a batch's top eigenvalue is biased upwards by the
batch's own noise, and the gap between the two is part of what the error bars show.
"""
import collections
import math

import numpy

from ...backend import to_host
from ...linear_operator import aslinearoperator

BatchStatistics = collections.namedtuple("BatchStatistics", ["mean", "standard_error", "values"])
BatchStatistics.__doc__ = ("Per-batch ``values`` ``(B, ...)`` on the host, their ``mean`` and "
                           "``standard_error`` (module docstring).")


def across_batches(estimate, batches, shape, who):
    """``BatchStatistics`` of ``estimate(op)`` over the operators in ``batches`` (an iterable,
    consumed once, so a generator builds each batch's operator only when it is needed), each
    of which must have ``shape``, the shape of the full-data operator."""
    values = []
    for index, batch in enumerate(batches):
        batch = aslinearoperator(batch)
        if batch.shape != tuple(shape):
            raise ValueError(f"{who}: batches[{index}] has shape {batch.shape} but the operator "
                             f"has shape {tuple(shape)}")
        values.append(numpy.asarray(to_host(estimate(batch)), dtype=numpy.float64))
    if not values:
        raise ValueError(f"{who}: batches= holds no operators")
    values = numpy.stack(values)
    count = values.shape[0]
    mean = values.mean(axis=0)
    error = (values.std(axis=0, ddof=1) / math.sqrt(count) if count > 1
             else numpy.full_like(mean, numpy.inf))
    return BatchStatistics(mean, error, values)
