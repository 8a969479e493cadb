"""Rules for ``BatchNorm1d`` / ``BatchNorm2d`` in evaluation mode: a per-channel affine map

    y = γ_c x̂ + β_c,   x̂ = (x − μ_c) / √(σ²_c + eps)   (running statistics μ, σ²)

so ``J = diag(s)`` with ``s_c = γ_c / √(σ²_c + eps)``, the same for every sample, and
``∂y/∂γ_c = x̂`` and ``∂y/∂β_c = 1`` on channel c's entries.

In training mode the batch statistics make every output depend on every sample in the
batch, so the per-sample recursion does not apply: ``record_forward`` refuses and names the
alternatives (evaluation mode, or the matrix-free ``hvp`` / ``ggnvp``, which differentiate
through the batch statistics exactly; so do ``kfac``, ``kflr``, ``diag_ggn`` and ``block_ggn``,
which take the engine's backward for such models, see ``capture.py``).
"""
from ....backend import get_array_module
from .base import Derivatives, sample_dims


def _channel_shape(x):
    """Broadcast shape of a per-channel array against M (V, N, C, *spatial)."""
    return (1, 1, x.shape[1]) + (1,) * (x.ndim - 2)


class BatchNormDerivatives(Derivatives):

    def hessian_is_zero(self, module):
        return True

    def couples_samples(self, module):
        return module.training

    def record_forward(self, module, x):
        if module.training:
            raise ValueError(
                f"{module!r} is in training mode: batch normalisation couples the samples of a "
                f"batch through its statistics, so the per-sample layerwise recursion (the exact "
                f"Hessian blocks and diagonals, KFRA) does not apply. Call model.eval() to use "
                f"the running statistics; kfac, kflr, diag_ggn and block_ggn, and the "
                f"matrix-free minigrad.curvature.hvp / ggnvp, handle training-mode batch norm.")
        return super().record_forward(module, x)

    def param_names(self, module):
        return ("weight", "bias") if module.affine else ()

    def _inverse_std(self, module):
        return 1.0 / (module.running_var + module.eps) ** 0.5

    def _scale(self, module, x):
        scale = self._inverse_std(module)
        if module.affine:
            scale = scale * module.weight.data
        return scale.reshape(_channel_shape(x))

    def normalized(self, module, x):
        shape = _channel_shape(x)[1:]
        return (x - module.running_mean.reshape(shape)) * self._inverse_std(module).reshape(shape)

    def jac_mat_prod(self, module, x, out, M):
        return self._scale(module, x) * M

    def jac_t_mat_prod(self, module, x, out, M):
        return self._scale(module, x) * M

    def average_sandwich(self, module, x, out, G):
        xp = get_array_module(x)
        scale = xp.broadcast_to(self._scale(module, x)[0, 0], x.shape[1:]).reshape(-1)
        return G * scale[:, None] * scale[None, :]

    def param_jac_mat_prod(self, module, x, out, V_p, name):
        shaped = V_p.reshape((V_p.shape[0], 1) + _channel_shape(x)[2:])
        if name == "weight":
            return shaped * self.normalized(module, x)[None]
        xp = get_array_module(x)
        return xp.broadcast_to(shaped, (V_p.shape[0],) + x.shape)

    def param_jac_t_mat_prod(self, module, x, out, M, name, sum_samples=False):
        weighted = M * self.normalized(module, x)[None] if name == "weight" else M
        per_sample = weighted.sum(axis=sample_dims(M)[1:]) if M.ndim > 3 else weighted
        return per_sample.sum(axis=1) if sum_samples else per_sample

    def param_diagonal_of_diagonal(self, module, x, out, d, name):
        weighted = d * self.normalized(module, x) ** 2 if name == "weight" else d
        return weighted.sum(axis=(0,) + tuple(range(2, d.ndim)))
