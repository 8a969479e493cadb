"""Square roots of the Gauss-Newton matrix per sample (BackPACK's ``SqrtGGNExact`` and
``SqrtGGNMC``).

With the batch loss ``L = c_N Σ_n ℓ_n`` and ``S_n`` (K, V) a square root of the loss Hessian in
the network output, ``H_n = S_n S_nᵀ`` (``losses.py``: the exact root, V = K columns, or M
Monte-Carlo columns with ``E[S_n S_nᵀ] = H_n``), the Gauss-Newton matrix factors as

    G = c_N Σ_n J_nᵀ H_n J_n = Σ_{v,n} s_v,n s_v,nᵀ,      s_v,n = √c_N J_nᵀ S_n[:, v]

``sqrt_ggn`` returns ``s`` over each parameter: one array (V, N, *p.shape) per parameter in
``model.parameters()`` order; V = K (the number of outputs) when ``mc_samples`` is None, else
V = M. Per layer ``J_nᵀ`` is the layer's parameter Jacobian applied to the columns
back-propagated to its output (``per_sample_gradients.PerSampleGradients``, which also serves
Parameters without a layer rule and tied weights). Stacked over parameters into ``Σ (V·N, P)``,
``ΣᵀΣ`` is the dense Gauss-Newton matrix (or its Monte-Carlo estimate), with V·N·P numbers
instead of P². Batch norm in training mode is refused as for the per-sample gradients.
"""
import math

from ..memory import require_memory
from .per_sample_gradients import PerSampleGradients


def sqrt_ggn(model, loss_fn, x, y, mc_samples=None, seed=None):
    """``s_v,n = √c_N J_nᵀ S_n[:, v]``, one array (V, N, *p.shape) per parameter, with
    ``Σ_{v,n} s sᵀ`` the Gauss-Newton matrix (exact, V = K) or its Monte-Carlo estimate with
    ``mc_samples`` columns (V = M, ``seed`` for the draws, the same draws as
    ``diag_ggn_mc(..., seed=seed)``). Refused above the curvature memory limit (V·N·P numbers).

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 4))
    >>> x = minigrad.tensor(numpy.ones((5, 3)), dtype=numpy.float32)
    >>> [s.shape for s in curvature.sqrt_ggn(model, nn.CrossEntropyLoss(), x, [0, 1, 2, 3, 0])]
    [(4, 5, 2, 3), (4, 5, 2), (4, 5, 4, 2), (4, 5, 4)]
    """
    def columns(batch):
        V = batch.logits.shape[1] if mc_samples is None else mc_samples
        require_memory("sqrt_ggn", [(V, batch.batch_size) + tuple(p.shape)
                                    for p in model.parameters()], batch.output.dtype,
                       "diag_ggn or ggn_operator need no per-sample columns; or pass fewer "
                       "samples (or mc_samples=) at once")
        return math.sqrt(batch.scale) * batch.output_columns(mc_samples, seed)

    found = PerSampleGradients(model, loss_fn, x, y, "sqrt_ggn", columns)
    return [found.columns(p) for p in found.params]
