"""KFAC's two readings of a shared axis: ``approx="expand"`` and ``approx="reduce"``.

Eschenhagen, Immer, Turner, Schneider & Hennig, "Kronecker-Factored Approximate Curvature for
Modern Neural Network Architectures" (NeurIPS 2023). A layer of the shared-axis form
(``derivatives/shared_axis.py``) applies one ``W`` at S positions of every sample,
``s_n,s = W a_n,s`` (the tokens of a transformer, the output pixels of a convolution), and
receives back-propagated columns ``c_v,n,s`` there. With ``c_N`` the loss's batch scale:

    expand   A = (1/(N·S)) Σ_n Σ_s a_n,s a_n,sᵀ          G = c_N Σ_v Σ_n Σ_s c_v,n,s c_v,n,sᵀ
    reduce   A = (1/N) Σ_n â_n â_nᵀ,  â_n = (1/S) Σ_s a_n,s
             G = c_N Σ_v Σ_n ĉ_v,n ĉ_v,nᵀ,  ĉ_v,n = Σ_s c_v,n,s

(a bias appends 1 to every ``a``, so also to ``â``). Both equal the usual KFAC for S = 1.
When each is exact (deep linear network, exact loss-Hessian columns as in KFLR):

* expand setting (the loss has one term per sample *and* position, e.g. per-token outputs
  (N, S, C)): the GGN block is ``c_N Σ_n,s a aᵀ ⊗ Bᵀ H_n,s B`` with ``B`` the Jacobian of the
  layers after it, the same for every (n, s); expand equals it when every ``H_n,s`` is the
  same (mean squared error: any N and S) or when N·S = 1 (any loss).
* reduce setting (the positions are averaged before the loss, one term per sample): the
  output is ``z_n = B ŝ_n = B W â_n``, the block is ``c_N Σ_n â â ᵀ ⊗ Bᵀ H_n B``, and reduce
  equals it when every ``H_n`` is the same (mean squared error: any N) or when N = 1.

Otherwise each is an approximation; reduce costs less (N rows instead of N·S).
"""
APPROXIMATIONS = ("expand", "reduce")


def check_approx(method, approx):
    """Raise unless ``approx`` is ``"expand"`` or ``"reduce"``."""
    if approx not in APPROXIMATIONS:
        raise ValueError(f"{method}: approx must be one of {APPROXIMATIONS}, got {approx!r}")


def reduced(values, approx, mean):
    """``values`` (..., N, S, k) as factor rows: all positions (expand), or their mean
    (``mean``, the inputs) or sum (the columns) over S (reduce)."""
    if approx == "reduce":
        values = values.mean(axis=-2) if mean else values.sum(axis=-2)
    return values.reshape(-1, values.shape[-1])
