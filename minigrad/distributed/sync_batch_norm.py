"""Batch norm with statistics of the global batch: ``SyncBatchNorm`` and its conversion.

By default (as PyTorch's ``DistributedDataParallel``) each rank's ``BatchNorm1d`` /
``BatchNorm2d`` normalises its shard with the shard's statistics, and the running
statistics of rank 0 are given to every rank after each closure call
(``DistributedClosure``). The result then depends on K: a shard of B/K samples has
noisier statistics than the batch of B.

``SyncBatchNorm`` (PyTorch's ``nn.SyncBatchNorm``) normalises with the statistics of the
global batch. For channel c, with ``m`` entries per channel on each of the K ranks
(equal shards),

    μ_c  = (1/K) Σ_r mean_r(x_c)                      σ²_c = (1/K) Σ_r mean_r((x_c − μ_c)²)
    y    = γ_c (x − μ_c) / √(σ²_c + eps) + β_c

(two differentiable all-reduces, ``collective_ops.py``), so the outputs, gradients and
Hessian-vector products equal those of one process on the global batch. The running
statistics move with ``μ`` and the unbiased ``σ² · Km / (Km − 1)``, identically on every
rank. In eval mode it is plain batch norm with the running statistics.
``convert_sync_batchnorm(model, comm)`` replaces every ``BatchNorm1d``/``BatchNorm2d`` in
place, keeping parameters and buffers. Products by double backward (gradients, Hessian
and Gauss-Newton products) are exact through it; the layerwise quantities (Kronecker
factors, exact diagonals) of a model with ``SyncBatchNorm`` are not covered by the tests.
"""
from ..nn import functional as F
from ..nn.module import Module
from ..nn.normalization import BatchNorm1d, BatchNorm2d
from ..ops.elementwise import sqrt
from ..ops.reduction import mean
from ..ops.shape import reshape
from .collective_ops import all_reduce_mean


class SyncBatchNorm(Module):
    """Batch norm over the global batch of all ranks of ``comm``; takes over ``batch_norm``."""

    def __init__(self, batch_norm, comm):
        super().__init__()
        self.num_features, self.affine = batch_norm.num_features, batch_norm.affine
        self.eps, self.momentum, self.comm = batch_norm.eps, batch_norm.momentum, comm
        self.input_layouts = batch_norm.input_layouts
        self.weight, self.bias = batch_norm.weight, batch_norm.bias
        self.register_buffer("running_mean", batch_norm.running_mean)
        self.register_buffer("running_var", batch_norm.running_var)

    def forward(self, x):
        if x.ndim not in self.input_layouts or x.shape[1] != self.num_features:
            layouts = " or ".join(self.input_layouts.values())
            raise ValueError(f"{self!r} expects input of shape {layouts} with C = "
                             f"{self.num_features}, got {x.shape}")
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, self.momentum, self.eps)
        axes = (0,) + tuple(range(2, x.ndim))
        count = self.comm.size * (x.numel() // self.num_features)
        if count < 2:
            raise ValueError(f"{self!r} needs more than one value per channel over all ranks "
                             f"in training, got {count}")
        batch_mean = all_reduce_mean(mean(x, axes, keepdim=True), self.comm)
        centred = x - batch_mean
        batch_var = all_reduce_mean(mean(centred * centred, axes, keepdim=True), self.comm)
        self._update_running_stats(batch_mean.data.reshape(-1),
                                   batch_var.data.reshape(-1) * count / (count - 1))
        normalized = centred / sqrt(batch_var + self.eps)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.weight is not None:
            normalized = normalized * reshape(self.weight, shape)
        if self.bias is not None:
            normalized = normalized + reshape(self.bias, shape)
        return normalized

    def _update_running_stats(self, batch_mean, unbiased_var):
        momentum = self.momentum
        self.running_mean[...] = (1 - momentum) * self.running_mean + momentum * batch_mean
        self.running_var[...] = (1 - momentum) * self.running_var + momentum * unbiased_var

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, ranks={self.comm.size}")


def convert_sync_batchnorm(model, comm):
    """Replace every ``BatchNorm1d``/``BatchNorm2d`` of ``model`` by a ``SyncBatchNorm``."""
    if isinstance(model, (BatchNorm1d, BatchNorm2d)):
        return SyncBatchNorm(model, comm)
    stack = [model]
    while stack:
        parent = stack.pop()
        for name, child in list(parent._modules.items()):
            if isinstance(child, (BatchNorm1d, BatchNorm2d)):
                _replace_child(parent, name, SyncBatchNorm(child, comm))
            else:
                stack.append(child)
    return model


def _replace_child(parent, name, module):
    """Put ``module`` in ``parent`` under ``name`` at the same place in the forward order."""
    parent._modules[name] = module
    if name in parent.__dict__:
        object.__setattr__(parent, name, module)
