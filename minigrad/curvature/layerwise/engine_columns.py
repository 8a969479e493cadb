"""Back-propagated columns of any model, by the engine's backward through the recorded graph.

The Kronecker factors and the Gauss-Newton quantities of a model that is not a chain
(``recording.py``) need, per layer call (``Linear``, ``Conv2d``, ``Embedding``), its input and the
back-propagated columns ``C = Jᵀ S`` at its own output (``S`` (V, N, *out) the columns at the
network output: the loss Hessian's square root, or Monte-Carlo columns), or the per-sample
columns over the parameters. The recording keeps the graph the model's ``forward`` built,
hooks included, so

    per_sample_columns             for each column v, ``grad(z, [layer outputs], S[v])`` gives
                                   ``C[v]`` at every recorded layer output
    per_sample_parameter_columns   one sample at a time, ``J_nᵀ S[v, n]`` over the parameters
                                   (the sum over a tied Parameter's uses)

Without coupling between samples ``C[v, n] = J_nᵀ S[v, n]`` exactly. Batch norm in training
mode couples them through the batch statistics: ``C[v]`` is then the gradient of
``Σ_m S[v, m]·z_m`` at the layer output, the per-sample output gradient Kronecker-factored
methods use (kfac-pytorch, curvlinops), while the per-sample parameter columns stay exact (one
backward pass per column and sample).
"""
from ...autograd.engine import grad
from ...tensor import Tensor


def per_sample_columns(batch, S, records):
    """``[(step, C)]`` with C (V, N, *out) at the output Tensor of each of ``records``
    (``[(step, output Tensor)]`` of the recorded calls, e.g. ``layer_records``)."""
    outputs = [out for _, out in records]
    output = batch.recording.output
    xp = output.xp
    columns = [[] for _ in outputs]
    for v in range(S.shape[0]):
        grads = grad(output, outputs, grad_outputs=Tensor(S[v]), retain_graph=True,
                     allow_unused=True)
        for found, g, out in zip(columns, grads, outputs):
            found.append(xp.zeros(out.shape, dtype=out.dtype) if g is None else g.data)
    return [(step, xp.stack(found)) for (step, _), found in zip(records, columns)]


def per_sample_parameter_columns(batch, S, params):
    """Yield ``[J_nᵀ S[v, n] for each of params]`` (arrays shaped like them) per (v, n)."""
    output = batch.recording.output
    xp = output.xp
    for v in range(S.shape[0]):
        for n in range(S.shape[1]):
            cotangent = xp.zeros(S.shape[1:], dtype=S.dtype)
            cotangent[n] = S[v, n]
            grads = grad(output, params, grad_outputs=Tensor(cotangent), retain_graph=True,
                         allow_unused=True)
            yield [xp.zeros(p.shape, dtype=p.dtype) if g is None else g.data
                   for g, p in zip(grads, params)]
