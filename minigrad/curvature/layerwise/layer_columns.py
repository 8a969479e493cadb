"""Per-layer parameter Jacobians of column blocks, and their weighted Gram matrices.

For a parameterised leaf with parameters ``p_1, p_2`` (weight, bias) and a column block
``S`` (V, N, *out) at its output, ``layer_jacobian_columns`` stacks ``J_p,nᵀ S[v, n]`` of the
parameters, raveled row-major and concatenated, as (V, N, P_layer). For ``Linear`` the weight
part is ``S[v, n] ⊗ a_n``, so the Gram ``Σ_{v,n} w J Jᵀ`` of the columns of ``Hpre = S diag(w) Sᵀ``
is the layer's block ``Σ_n Hpre_n ⊗ (a_n a_nᵀ)`` over ``[W.ravel(), b]``
(``minigrad/curvature/README.md``).
"""
from ...backend import get_array_module


def layer_jacobian_columns(step, S):
    """(V, N, P_layer): the parameter Jacobian transposes of the columns ``S`` at ``step``."""
    V, N = S.shape[:2]
    parts = [step.rules.param_jac_t_mat_prod(step.module, step.x, step.out, S, name)
             .reshape(V, N, -1) for name in step.param_names]
    return get_array_module(S).concatenate(parts, axis=2)


def gram(rows, scale=1.0):
    """``scale · rowsᵀ rows`` for ``rows`` (R, D), as a general matrix product of two separate
    arrays: NumPy routes ``rows.T @ rows`` (one buffer) to BLAS SYRK, which OpenBLAS runs slower
    than GEMM at these shapes. The scaled copy costs R·D entries against R·D² multiply-adds."""
    return (rows.T * scale) @ rows


def weighted_gram(columns, weights):
    """``Σ_{v,n} w[v, n] c[v, n] c[v, n]ᵀ`` for columns (V, N, P); ``weights`` None means 1."""
    flat = columns.reshape(-1, columns.shape[-1])
    if weights is None:
        return gram(flat)
    return (flat * weights.reshape(-1, 1)).T @ flat
