"""The exact Gauss-Newton matrix, its diagonal and per-layer blocks of any ``nn.Module``, by the
engine's backward.

With the loss Hessian's square root ``H_loss,n = S_n S_nᵀ`` (or Monte-Carlo columns) and the
per-sample parameter columns ``g_v,n = J_nᵀ S[v, n]`` (``engine_columns.py``: one backward pass
per column v and sample n, exact also when batch norm in training couples the samples, when
hooks change layer inputs or outputs, and for tied weights, where ``g`` sums over the uses),

    GN = c_N Σ_{v,n} g_v,n g_v,nᵀ,     diag(GN) = c_N Σ_{v,n} g_v,n ⊙ g_v,n

and the block of a layer is the rows and columns of its own parameters. A "layer" is a module
that owns parameters directly (``Linear``, ``Conv2d``, a batch norm's scale and shift, any
custom module's own parameters), in ``model.modules()`` order, each over its parameters in
registration order, raveled row-major (the ``[W.ravel(), b]`` layout); a Parameter registered
in two modules belongs to the first. Cost: V·N backward passes (V = K exact columns, or
``mc_samples``).
"""
from ..flat import arrays_to_vector, parameter_list
from ..memory import require_memory
from .engine_columns import per_sample_parameter_columns


def _flat_columns(batch, params, mc_samples=None, seed=None):
    S = batch.output_columns(mc_samples, seed)
    for column in per_sample_parameter_columns(batch, S, params):
        yield arrays_to_vector(column)


def captured_diag_ggn(batch, params, mc_samples=None, seed=None):
    """(P,) the diagonal of the Gauss-Newton matrix over ``params``."""
    total = None
    for flat in _flat_columns(batch, params, mc_samples, seed):
        total = flat * flat if total is None else total + flat * flat
    return total * batch.scale


def captured_ggn(batch, params):
    """(P, P) the Gauss-Newton matrix over ``params``."""
    total = None
    for flat in _flat_columns(batch, params):
        outer = flat[:, None] * flat[None, :]
        total = outer if total is None else total + outer
    return total * batch.scale


def parameter_layers(model):
    """The Parameters of each module that owns some, in ``model.modules()`` order; a Parameter
    registered in two modules is listed with the first."""
    layers, seen = [], set()
    for module in model.modules():
        own = [p for p in module._parameters.values() if p is not None and id(p) not in seen]
        seen.update(id(p) for p in own)
        if own:
            layers.append(own)
    return layers


def captured_block_ggn(batch, model):
    """One (P_λ, P_λ) Gauss-Newton block per module that owns parameters."""
    layers = parameter_layers(model)
    require_memory("block_ggn", [(size, size) for size in
                                 (sum(p.numel() for p in layer) for layer in layers)],
                   batch.output.dtype, "dense=False is for chains only here; "
                   "ggn_operator(model, loss, x, y) applies the whole Gauss-Newton matrix")
    params = parameter_list(model)
    position = {id(p): i for i, p in enumerate(params)}
    blocks = [0.0] * len(layers)
    S = batch.output_columns()
    for column in per_sample_parameter_columns(batch, S, params):
        for index, layer in enumerate(layers):
            flat = arrays_to_vector([column[position[id(p)]] for p in layer])
            blocks[index] = blocks[index] + flat[:, None] * flat[None, :]
    return [block * batch.scale for block in blocks]
