"""Loss Hessians and their square roots with respect to the network output
(``minigrad/curvature/README.md``).

The batch loss is ``L = c_N Σ_n ℓ_n`` with ``c_N = 1/N`` for ``reduction="mean"`` (the mean
loss) or ``"batchmean"`` and ``1`` for ``"sum"``; everything below is per sample ``ℓ_n`` of the output
``z_n`` flattened to K entries (``z`` is (N, K)). Column blocks follow ``derivatives/base.py``:
(V, N, K).

    CrossEntropyLoss   ℓ_n = −log softmax(z_n)[y_n],  p = softmax(z_n)
                       ∇ = p − e_y,  H = diag(p) − p pᵀ,  S = diag(√p) − p √pᵀ  (K columns)
    MSELoss            PyTorch's mean over *all* elements: ℓ_n = e ‖z_n − t_n‖² with e = 1/K
                       ("mean") or e = 1 ("sum", "batchmean");  ∇ = 2e (z − t),  H = 2e I,  S = √(2e) I
    BCEWithLogitsLoss  ℓ_n = e Σ_k [log(1 + e^z_k) − z_k t_k], e as for MSELoss, s = σ(z_n)
                       ∇ = e (s − t),  H = e diag(s(1 − s)),  S = √e diag(√(s(1 − s)))

Monte-Carlo square roots (KFAC): with ŷ drawn from the model's predictive distribution the
gradient ``g = ∇_z(−log p(ŷ | z))`` has ``E[g gᵀ] = H``; M draws scaled by 1/√M give a
(M, N, K) block with ``E[S Sᵀ] = H``. The distributions are Categorical(p), Normal(z, I/(2e))
and Bernoulli(s) (each scaled by √e).
"""
import math

import numpy

from ...backend import get_array_module
from ...nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ...ops.activation import Sigmoid, Softmax
from ...random import generator_for
from ...tensor import Tensor
from .registry import rules_for


def _array(value, like):
    data = value.data if isinstance(value, Tensor) else value
    return get_array_module(like).asarray(data)


def _host_rng(seed):
    return generator_for(seed)


def batch_scale(loss, batch_size):
    """``c_N``: 1/N for a mean or batch-mean reduction, 1 for a sum; "none" is refused."""
    if loss.reduction in ("mean", "batchmean"):
        return 1.0 / batch_size
    if loss.reduction == "sum":
        return 1.0
    raise ValueError(f"curvature needs a scalar loss: {loss!r} has reduction={loss.reduction!r}; "
                     f"use 'mean', 'batchmean' or 'sum'")


class CrossEntropyDerivatives:

    def targets(self, loss, z, y):
        labels = _array(y, z)
        if z.ndim != 2 or labels.shape != (z.shape[0],):
            raise ValueError(f"{loss!r} needs outputs (N, C) and labels (N,), got {z.shape} "
                             f"and {labels.shape}")
        return labels

    def _probabilities(self, z):
        return Softmax().forward(z, 1)

    def gradient(self, loss, z, y):
        p = self._probabilities(z)
        labels = self.targets(loss, z, y)
        p[get_array_module(z).arange(z.shape[0]), labels] -= 1
        return p

    def hessian(self, loss, z, y):
        p = self._probabilities(z)
        xp = get_array_module(z)
        return xp.einsum("nk,kj->nkj", p, xp.eye(z.shape[1], dtype=z.dtype)) - p[:, :, None] * p[:, None, :]

    def hessian_mat_prod(self, loss, z, y, M):
        p = self._probabilities(z)
        return p * M - p * (M * p).sum(axis=2, keepdims=True)

    def sqrt_hessian(self, loss, z, y):
        p = self._probabilities(z)
        xp = get_array_module(z)
        root = xp.sqrt(p).T[:, :, None]
        eye = xp.eye(z.shape[1], dtype=z.dtype)[:, None, :]
        return root * (eye - p[None])

    def sqrt_hessian_sampled(self, loss, z, y, mc_samples, seed):
        xp = get_array_module(z)
        p = self._probabilities(z)
        cumulative = xp.cumsum(p.astype(numpy.float64), axis=1)
        draws = xp.asarray(_host_rng(seed).random((mc_samples, z.shape[0], 1)))
        classes = xp.minimum((draws > cumulative[None]).sum(axis=2), z.shape[1] - 1)
        onehot = xp.eye(z.shape[1], dtype=z.dtype)[classes]
        return (p[None] - onehot) / math.sqrt(mc_samples)

    def average_hessian(self, loss, z, y):
        p = self._probabilities(z)
        xp = get_array_module(z)
        return xp.diag(p.mean(axis=0)) - p.T @ p / z.shape[0]


def unit_columns(root, shape):
    """(V, N, *shape) columns S[v, n] = root[n, v] e_v for ``root`` (N, V), V = prod(shape):
    the square root of diag(root_n²) per sample as V scaled unit vectors."""
    xp = get_array_module(root)
    n, size = root.shape
    columns = xp.eye(size, dtype=root.dtype)[:, None, :] * root.T[:, :, None]
    return columns.reshape((size, n) + tuple(shape))


class _ElementwiseLossDerivatives:
    """Losses that add a term per output element, scaled by e = 1/K ("mean") or 1 ("sum", "batchmean")."""

    def targets(self, loss, z, y):
        targets = _array(y, z).reshape(z.shape[0], -1)
        if targets.shape != z.shape:
            raise ValueError(f"{loss!r}: targets of {targets.shape[1]} entries per sample do not "
                             f"match outputs of {z.shape[1]}")
        return targets

    def element_scale(self, loss, z):
        return 1.0 / z.shape[1] if loss.reduction == "mean" else 1.0

    def hessian(self, loss, z, y):
        xp = get_array_module(z)
        curvature = self.curvature(loss, z, y)
        return curvature[:, :, None] * xp.eye(z.shape[1], dtype=z.dtype)[None]

    def hessian_mat_prod(self, loss, z, y, M):
        return self.curvature(loss, z, y) * M

    def sqrt_hessian(self, loss, z, y):
        xp = get_array_module(z)
        return unit_columns(xp.sqrt(self.curvature(loss, z, y)), (z.shape[1],))

    def average_hessian(self, loss, z, y):
        return get_array_module(z).diag(self.curvature(loss, z, y).mean(axis=0))


class MSEDerivatives(_ElementwiseLossDerivatives):

    def gradient(self, loss, z, y):
        return 2 * self.element_scale(loss, z) * (z - self.targets(loss, z, y))

    def curvature(self, loss, z, y):
        xp = get_array_module(z)
        return xp.full(z.shape, 2 * self.element_scale(loss, z), dtype=z.dtype)

    def sqrt_hessian_sampled(self, loss, z, y, mc_samples, seed):
        xp = get_array_module(z)
        noise = _host_rng(seed).standard_normal((mc_samples,) + z.shape)
        scale = math.sqrt(2 * self.element_scale(loss, z) / mc_samples)
        return xp.asarray(noise, dtype=z.dtype) * scale


class BCEWithLogitsDerivatives(_ElementwiseLossDerivatives):

    def _sigmoid(self, z):
        return Sigmoid().forward(z)

    def gradient(self, loss, z, y):
        return self.element_scale(loss, z) * (self._sigmoid(z) - self.targets(loss, z, y))

    def curvature(self, loss, z, y):
        s = self._sigmoid(z)
        return self.element_scale(loss, z) * s * (1 - s)

    def sqrt_hessian_sampled(self, loss, z, y, mc_samples, seed):
        xp = get_array_module(z)
        s = self._sigmoid(z)
        uniform = xp.asarray(_host_rng(seed).random((mc_samples,) + z.shape))
        draws = uniform < s.astype(numpy.float64)[None]
        scale = math.sqrt(self.element_scale(loss, z) / mc_samples)
        return (s[None] - draws.astype(z.dtype)) * scale


LOSS_DERIVATIVES = {
    CrossEntropyLoss: CrossEntropyDerivatives(),
    MSELoss: MSEDerivatives(),
    BCEWithLogitsLoss: BCEWithLogitsDerivatives(),
}


def output_columns(rules, loss, z, y, mc_samples=None, seed=None):
    """(V, N, K) columns at the output: the exact square root of each sample's loss Hessian
    (V = K), or ``mc_samples`` Monte-Carlo columns drawn with ``seed`` (V = mc_samples)."""
    if mc_samples is None:
        return rules.sqrt_hessian(loss, z, y)
    if int(mc_samples) != mc_samples or mc_samples < 1:
        raise ValueError(f"mc_samples must be a positive integer, got {mc_samples!r}")
    return rules.sqrt_hessian_sampled(loss, z, y, int(mc_samples), seed)


def loss_derivatives_for(loss):
    """The rules of ``loss``'s class; a clear error for unsupported losses."""
    rules = rules_for(LOSS_DERIVATIVES, loss, "the loss")
    batch_scale(loss, 1)
    return rules
