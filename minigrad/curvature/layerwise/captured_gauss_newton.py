"""The exact Gauss-Newton diagonal and per-layer blocks of any ``nn.Module``, by the engine's backward.

With the loss Hessian's square root ``H_loss,n = S_n S_nᵀ`` (or Monte-Carlo columns) and the
per-sample parameter columns ``g_v,n = J_nᵀ S[v, n]`` (``capture.py``: one backward pass per
column v and sample n, exact also when batch norm in training couples the samples),

    GN = c_N Σ_{v,n} g_v,n g_v,nᵀ,     diag(GN) = c_N Σ_{v,n} g_v,n ⊙ g_v,n

and the block of a layer is the rows and columns of its own parameters. A "layer" is a module
that owns parameters directly (``Linear``, ``Conv2d``, a batch norm's scale and shift, any
custom module's own parameters), in ``model.modules()`` order, each over its parameters in
registration order, raveled row-major (the ``[W.ravel(), b]`` layout). Cost: V·N backward
passes (V = K exact columns, or ``mc_samples``).
"""
from .capture import CapturedBatch
from ..flat import arrays_to_vector, parameter_list


def _parameter_columns(model, loss, x, y, mc_samples, seed):
    batch = CapturedBatch(model, loss, x, y)
    params = parameter_list(model)
    S = batch.output_columns(mc_samples, seed)
    return batch, params, batch.per_sample_parameter_columns(S, params)


def captured_diag_ggn(model, loss, x, y, mc_samples=None, seed=None):
    """(P,) the diagonal of the Gauss-Newton matrix in ``parameters()`` order."""
    batch, params, columns = _parameter_columns(model, loss, x, y, mc_samples, seed)
    total = None
    for column in columns:
        flat = arrays_to_vector(column)
        total = flat * flat if total is None else total + flat * flat
    return total * batch.scale


def parameter_layers(model):
    """The Parameters of each module that owns some, in ``model.modules()`` order."""
    layers = []
    for module in model.modules():
        own = [p for p in module._parameters.values() if p is not None]
        if own:
            layers.append(own)
    return layers


def captured_block_ggn(model, loss, x, y):
    """One (P_λ, P_λ) Gauss-Newton block per module that owns parameters."""
    layers = parameter_layers(model)
    position = {id(p): i for i, p in enumerate(parameter_list(model))}
    batch, params, columns = _parameter_columns(model, loss, x, y, None, None)
    blocks = [0.0] * len(layers)
    for column in columns:
        for index, layer in enumerate(layers):
            flat = arrays_to_vector([column[position[id(p)]] for p in layer])
            blocks[index] = blocks[index] + flat[:, None] * flat[None, :]
    return [block * batch.scale for block in blocks]
