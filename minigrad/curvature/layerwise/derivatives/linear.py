"""Rules for ``nn.Linear``: ``y_n = W x_n + b`` with ``W`` (out, in), ``b`` (out,), ``x`` (N, in).

    J_n = W                          jac: M Wᵀ        jac_t: M W
                                     jac_t of unit columns root[n, v] e_v: root[n, v] W[v, :]
    ∂y_n/∂W[o, i] = x_n[i] e_o       param_jac_t (weight): M[v, n] ⊗ x_n  (V, N, out, in)
    ∂y_n/∂b = I                      param_jac_t (bias):   M              (V, N, out)
    KFRA step:  Wᵀ G W                (the batch-independent Jacobian)
    shared axis (the leading axes after N; one position for (N, in) inputs): inputs (N, S, in),
                                 columns (V, N, S, out),
                                 KFRA output factor G itself
    diagonal_sandwich(d) = diag(Wᵀ diag(d_n) W) = d (W ⊙ W)   (a GEMM over the batch)
"""
from ....backend import get_array_module
from .shared_axis import SharedAxisDerivatives


def _check_input(module, x):
    if x.ndim != 2:
        raise ValueError(f"curvature of {module!r} needs inputs of shape (N, {module.in_features}), "
                         f"got {x.shape}")


def _rows_times(M, matrix):
    """``M @ matrix`` for M (V, N, k) as one (V·N, k) GEMM (a stacked matmul loops over V)."""
    product = M.reshape(-1, M.shape[-1]) @ matrix
    return product.reshape(M.shape[:-1] + (matrix.shape[1],))


class LinearDerivatives(SharedAxisDerivatives):

    def recorded_module(self, module, x, out):
        _check_input(module, x)
        return module

    def shared_axis_inputs(self, module, x):
        return x.reshape(x.shape[0], -1, x.shape[-1])

    def shared_axis_columns(self, module, M):
        return M.reshape(M.shape[:2] + (-1, M.shape[-1]))

    def kfra_output_factor(self, module, G):
        return G

    def jac_mat_prod(self, module, x, out, M):
        return _rows_times(M, module.weight.data.T)

    def jac_t_mat_prod(self, module, x, out, M):
        return _rows_times(M, module.weight.data)

    def jac_t_unit_columns(self, module, x, out, root):
        """Wᵀ (root[n, v] e_v) = root[n, v] W[v, :]: (V = out, N, in), V·N·in products
        instead of ``jac_t_mat_prod``'s V·N·out·in (inputs (N, in) only)."""
        if x.ndim != 2:
            return None
        W = module.weight.data
        return root.T[:, :, None] * W[:, None, :]

    def average_sandwich(self, module, x, out, G):
        W = module.weight.data
        return W.T @ G @ W

    def diagonal_sandwich(self, module, x, out, d):
        W = module.weight.data
        return d @ (W * W)

    def param_jac_mat_prod(self, module, x, out, V_p, name):
        if name == "weight":
            return x[None] @ V_p.transpose(0, 2, 1)
        xp = get_array_module(V_p)
        return xp.broadcast_to(V_p[:, None, :], (V_p.shape[0], x.shape[0], V_p.shape[1]))

    def param_jac_t_mat_prod(self, module, x, out, M, name, sum_samples=False):
        if name == "weight":
            if sum_samples:
                return M.transpose(0, 2, 1) @ x
            return M[..., :, None] * x[None, :, None, :]
        return M.sum(axis=1) if sum_samples else M

    def param_jac_t_diag(self, module, x, out, M, weights, name):
        squared = M * M if weights is None else weights[..., None] * M * M
        squared = squared.sum(axis=0)
        return squared.T @ (x * x) if name == "weight" else squared.sum(axis=0)

    def param_diagonal_of_diagonal(self, module, x, out, d, name):
        return d.T @ (x * x) if name == "weight" else d.sum(axis=0)
