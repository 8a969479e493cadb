"""Class gradients of the global batch from the shards.

The class gradient of Fort & Ganguli ("Emergent properties of the local geometry of neural
loss landscapes", 2019), as in ``minigrad.curvature.class_gradients``,

    c_k = (1/|D_k|) Σ_{μ ∈ D_k} ∇_θ z_k^μ ,

is a mean over the samples of class k, and the shards hold different numbers of them. So
the counts ``|D_k| = Σ_r |D_k,r|`` are all-reduced first, each rank back-propagates the
cotangent ``[y_μ = k] / |D_k|`` (global weights) through its logits, and the ``(C, P)``
rows are summed over the ranks. Summing (not re-weighting afterwards) stays exact when
the network mixes samples across ranks (``SyncBatchNorm``): there the backward of the
all-reduce has already spread each cotangent over the ranks. A class with no sample in
the global batch gets a zero row. Where no module couples the samples
(``uncoupled_chain``), each class back-propagates only its own samples of the shard
(``curvature.class_gradients.class_gradient_rows``).
"""
import numpy

from ..autograd.grad_mode import enable_grad
from ..backend import to_host
from ..curvature.class_gradients import class_gradient_rows, class_weights
from ..curvature.evaluation import as_input, preserved_buffers
from ..curvature.layerwise.recording import uncoupled_chain
from ..tensor import Tensor


def global_class_gradients(model, params, x, y, comm):
    """``(C, P)`` class gradients of the global batch; ``(x, y)`` is this rank's shard."""
    labels = numpy.asarray(to_host(y.data if isinstance(y, Tensor) else y))
    x = as_input(x)
    with enable_grad(), preserved_buffers(model):
        logits = model(x)
        n, classes = logits.shape if logits.ndim == 2 else (None, None)
        if n is None or labels.shape != (n,) or labels.dtype.kind not in "iu":
            raise ValueError(f"class_gradients: need logits (N, C) and integer labels (N,), got "
                             f"logits {logits.shape} and labels {labels.dtype} {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"class_gradients: labels must lie in [0, {classes}), got range "
                             f"[{labels.min()}, {labels.max()}]")
        counts = comm.all_reduce(numpy.bincount(labels, minlength=classes).astype(numpy.float64))
        weights = class_weights(labels, counts)
        if uncoupled_chain(model):
            rows = class_gradient_rows(model, params, x, labels, weights)
        else:
            rows = class_gradient_rows(model, params, x, None, weights, logits)
    return comm.all_reduce(rows)
