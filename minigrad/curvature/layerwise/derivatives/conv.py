"""Rules for ``nn.Conv2d`` through im2col (see ``minigrad/ops/conv.py``).

With the patches ``cols_n`` (K = C·kh·kw, L = out_h·out_w) and ``W_mat = W.reshape(out, K)``,
``y_n = W_mat cols_n + b`` (out, L):

    jac:   conv2d(M, W) without bias               jac_t: col2im(W_matᵀ M)
    param_jac_t (weight): M[v, n] cols_nᵀ  (V, N, out, C, kh, kw)    (bias): Σ_l M[v, n, :, l]
    param_diagonal_of_diagonal (weight): Σ_{n,l} d[n, o, l] cols[n, k, l]²
    KFRA step: the Jacobian is the same for every sample, so one sample is propagated.
    shared axis (L positions): inputs cols_nᵀ (N, L, K), columns M (V, N, L, out),
                               KFRA output factor Σ_l G[(o, l), (o', l)] (out, out)
"""
from ....autograd.grad_mode import no_grad
from ....backend import get_array_module
from ....ops.conv import Col2Im, conv2d, unfold_array, window_geometry
from ....tensor import Tensor
from .base import merge_columns, split_columns
from .shared_axis import SharedAxisDerivatives


def geometry(module, x):
    return window_geometry(x.shape, module.kernel_size, module.stride, module.padding,
                           module.dilation, repr(module))


def patches(module, x):
    """The im2col patches ``(N, C·kh·kw, L)`` of the input ``x``."""
    return unfold_array(x, geometry(module, x))


class Conv2dDerivatives(SharedAxisDerivatives):

    def shared_axis_inputs(self, module, x):
        return patches(module, x).transpose(0, 2, 1)

    def shared_axis_columns(self, module, M):
        return M.reshape(M.shape[:3] + (-1,)).transpose(0, 1, 3, 2)

    def kfra_output_factor(self, module, G):
        channels = module.out_channels
        positions = G.shape[0] // channels
        return get_array_module(G).einsum("atbt->ab", G.reshape(channels, positions, channels,
                                                                positions))

    def _flat_weight(self, module):
        return module.weight.data.reshape(module.out_channels, -1)

    def jac_mat_prod(self, module, x, out, M):
        with no_grad():
            mapped = conv2d(Tensor(merge_columns(M)), Tensor(module.weight.data), None,
                            module.stride, module.padding, module.dilation).data
        return split_columns(mapped, M.shape[0])

    def jac_t_mat_prod(self, module, x, out, M):
        flat = merge_columns(M).reshape(M.shape[0] * M.shape[1], module.out_channels, -1)
        cols = self._flat_weight(module).T @ flat
        input_shape = (flat.shape[0],) + x.shape[1:]
        folded = Col2Im().forward(cols, input_shape=input_shape, geometry=geometry(module, x))
        return split_columns(folded, M.shape[0])

    def average_sandwich(self, module, x, out, G):
        return super().average_sandwich(module, x[:1], out[:1], G)

    def param_jac_mat_prod(self, module, x, out, V_p, name):
        xp = get_array_module(V_p)
        if name == "weight":
            mapped = xp.einsum("vok,nkl->vnol", V_p.reshape(V_p.shape[:2] + (-1,)),
                               patches(module, x))
            return mapped.reshape((V_p.shape[0],) + out.shape)
        return xp.broadcast_to(V_p[:, None, :, None, None], (V_p.shape[0],) + out.shape)

    def param_jac_t_mat_prod(self, module, x, out, M, name, sum_samples=False):
        xp = get_array_module(M)
        flat = M.reshape(M.shape[:3] + (-1,))
        if name == "bias":
            per_sample = flat.sum(axis=3)
            return per_sample.sum(axis=1) if sum_samples else per_sample
        cols = patches(module, x)
        shape = module.weight.shape
        if sum_samples:
            return xp.einsum("vnol,nkl->vok", flat, cols).reshape((M.shape[0],) + shape)
        return xp.einsum("vnol,nkl->vnok", flat, cols).reshape(M.shape[:2] + shape)

    def param_diagonal_of_diagonal(self, module, x, out, d, name):
        flat = d.reshape(d.shape[:2] + (-1,))
        if name == "bias":
            return flat.sum(axis=(0, 2))
        cols = patches(module, x)
        xp = get_array_module(d)
        return xp.einsum("nol,nkl->ok", flat, cols * cols).reshape(module.weight.shape)
