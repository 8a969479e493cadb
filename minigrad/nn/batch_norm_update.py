"""``update_bn(loader, model)``: recompute batch-norm running statistics with one pass over data.

PyTorch's ``torch.optim.swa_utils.update_bn``: after weights change without a forward pass in
training mode (weight averaging, SWAG samples), the running mean and variance are stale. They
are reset and become the cumulative average over the batches of ``loader``: the batch of size
b after n samples uses momentum b / (n + b) (PyTorch's ``momentum=None`` semantics, weighted
by batch size). The model's train/eval mode and the layers' momenta are restored.
"""
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .normalization import _BatchNorm


def update_bn(loader, model):
    """One pass over ``loader`` (batches ``x`` or ``(x, y, …)``) to refresh batch-norm statistics."""
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not layers:
        return
    was_training = model.training
    momenta = {id(m): m.momentum for m in layers}
    for m in layers:
        m.running_mean[...] = 0
        m.running_var[...] = 1
    model.train()
    seen = 0
    try:
        with no_grad():
            for batch in loader:
                x = batch[0] if isinstance(batch, (list, tuple)) else batch
                x = x if isinstance(x, Tensor) else Tensor(x)
                size = x.shape[0]
                for m in layers:
                    m.momentum = size / (seen + size)
                model(x)
                seen += size
    finally:
        for m in layers:
            m.momentum = momenta[id(m)]
        model.train(was_training)
