"""Class gradients of the global batch from the shards.

The class gradient of Fort & Ganguli ("Emergent properties of the local geometry of neural
loss landscapes", 2019), as in ``minigrad.curvature.autodiff.analysis``,

    c_k = (1/|D_k|) Σ_{μ ∈ D_k} ∇_θ z_k^μ ,

is a mean over the samples of class k, and the shards hold different numbers of them. So
the counts ``|D_k| = Σ_r |D_k,r|`` are all-reduced first, each rank back-propagates the
cotangent ``[y_μ = k] / |D_k|`` (global weights) through its logits, and the ``(C, P)``
rows are summed over the ranks. Summing (not re-weighting afterwards) stays exact when
the network mixes samples across ranks (``SyncBatchNorm``): there the backward of the
all-reduce has already spread each cotangent over the ranks. A class with no sample in
the global batch gets a zero row.
"""
import numpy

from ..autograd.engine import grad
from ..autograd.grad_mode import enable_grad
from ..backend import to_host
from ..curvature.evaluation import as_input, preserved_buffers
from ..curvature.flat import arrays_to_vector
from ..tensor import Tensor


def global_class_gradients(model, params, x, y, comm):
    """``(C, P)`` class gradients of the global batch; ``(x, y)`` is this rank's shard."""
    labels = numpy.asarray(to_host(y.data if isinstance(y, Tensor) else y))
    with enable_grad(), preserved_buffers(model):
        logits = model(as_input(x))
        n, classes = logits.shape if logits.ndim == 2 else (None, None)
        if n is None or labels.shape != (n,) or labels.dtype.kind not in "iu":
            raise ValueError(f"class_gradients: need logits (N, C) and integer labels (N,), got "
                             f"logits {logits.shape} and labels {labels.dtype} {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"class_gradients: labels must lie in [0, {classes}), got range "
                             f"[{labels.min()}, {labels.max()}]")
        counts = comm.all_reduce(numpy.bincount(labels, minlength=classes).astype(numpy.float64))
        weights = numpy.eye(classes)[labels] / numpy.maximum(counts, 1)
        xp = logits.xp
        rows = []
        for k in range(classes):
            cotangent = xp.zeros(logits.shape, dtype=logits.dtype)
            cotangent[:, k] = xp.asarray(weights[:, k], dtype=logits.dtype)
            grads = grad(logits, params, grad_outputs=Tensor(cotangent),
                         retain_graph=k < classes - 1, allow_unused=True)
            rows.append(arrays_to_vector([p.xp.zeros_like(p.data) if g is None else g.data
                                 for p, g in zip(params, grads)]))
    return comm.all_reduce(xp.stack(rows))
