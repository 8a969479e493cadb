"""Kronecker factors of an ``nn.Embedding`` table: ``A ⊗ G`` with a diagonal ``A``.

An Embedding with table ``W`` (V, D) (``num_embeddings`` V, ``embedding_dim`` D) maps the index
``i_n,s`` at position s of sample n (indices (N, *S), S positions) to ``W[i_n,s] = Wᵀ e_i``: a
``Linear`` with weight ``Wᵀ`` (D, V), no bias and the one-hot input ``e_i`` (V,), shared over
the positions. Its per-sample gradient is ``Σ_s e_i c_sᵀ`` (V, D) for the output gradient
``c_s`` (D,), without the positions whose index is ``padding_idx`` (their row gets no
gradient: their input is read as 0 instead of ``e_padding_idx``). The shared-axis factors of
that ``Linear`` in the expand reading (``weight_sharing.py``, Eschenhagen et al. 2023) are

    A = (1/(N·S)) Σ_n Σ_s e e ᵀ = diag(count) / (N·S)     count_j = #{(n, s): i_n,s = j ≠ padding_idx}
    G = c_N Σ_v Σ_n Σ_s c_v,n,s c_v,n,sᵀ                  (D, D), as a ``Linear``'s G

(positions holding ``padding_idx`` count in N·S and in G, as a zero input of a ``Linear``
does), and over ``W.ravel()`` (row-major (V, D), the layout of ``model.parameters()``) the
block is ``A ⊗ G``: the order is swapped against a ``Linear``'s ``G ⊗ A``, since the matrix
``G ⊗ A`` acts on is ``W̃ = Wᵀ`` (D, V). ``A`` is kept as the vector ``count / (N·S)`` (V,),
never as a V × V matrix; its eigenbasis is the identity (EKFAC needs no eigendecomposition).
Like a ``Linear`` on tokens in the expand setting, with exact loss-Hessian columns (KFLR) the
block is exact for an Embedding followed by linear layers with one loss term per sample and
position under mean squared error (any N, S), or for one sample at one position (any loss).

The reduce reading averages the inputs over the positions first, ``â_n = count_n / S``, which
is no one-hot vector: its ``A = (1/N) Σ_n â_n â_nᵀ`` is a dense V × V matrix, so an Embedding
gets factors with ``approx="expand"`` only (none with ``"reduce"``: a plain gradient step in
``optim.KFAC``).

    EmbeddingStep(call)       one recorded call: ``module``, ``params`` [weight], ``indices``
                              (N, *S), ``out`` (N, *S, D)
    index_counts(step)        (V,) count of the indices (padding excluded), and N·S
    EmbeddingFactors          the block ``A ⊗ G``, with the layout of ``KroneckerFactors``
"""
from ...backend import get_array_module
from ...tensor import data_of
from .kronecker_factors import factor_product


class EmbeddingStep:
    """One recorded call of an ``nn.Embedding``: ``out = weight[indices]``."""

    def __init__(self, call):
        self.module = call.module
        self.params = [call.module.weight]
        self.indices = call.module.weight.xp.asarray(data_of(call.input))
        self.out = call.own_output.data


def index_counts(step):
    """``(count, positions)``: count (V,) of each index over the N·S positions of ``step``
    (the positions holding ``padding_idx`` not counted), in the output's dtype."""
    xp, dtype = get_array_module(step.out), step.out.dtype
    indices = step.indices.ravel()
    count = xp.bincount(indices, minlength=step.module.num_embeddings).astype(dtype)
    if step.module.padding_idx is not None:
        count[step.module.padding_idx] = 0
    return count, indices.shape[0]


def one_hot_inputs(step):
    """(N, S, V): the one-hot input of every position (zero at ``padding_idx``)."""
    xp = get_array_module(step.out)
    n, V = step.indices.shape[0], step.module.num_embeddings
    indices = step.indices.reshape(n, -1)
    rows = (indices[..., None] == xp.arange(V)).astype(step.out.dtype)
    if step.module.padding_idx is not None:
        rows[..., step.module.padding_idx] = 0
    return rows


def embedding_output_rows(C):
    """(V·N·S, D): the columns ``C`` (V, N, *S, D) at the table's output, one row per position."""
    return C.reshape(-1, C.shape[-1])


class EmbeddingFactors:
    """``A ⊗ G`` over ``W.ravel()`` for an Embedding table ``W`` (V, D): ``A`` (V,) the
    diagonal of the input-side factor, ``G`` (D, D). The layout methods read ``W̃ = Wᵀ``
    (D, V) as ``KroneckerFactors`` reads ``[W | b]`` (out, width): out = D, width = V, so
    ``(A ⊗ G) W.ravel() = (G W̃ diag(A))ᵀ.ravel()``.

    >>> import numpy
    >>> from minigrad import nn
    >>> table = nn.Embedding(3, 2)
    >>> block = EmbeddingFactors([table.weight], numpy.array([0.5, 0.0, 0.25]),
    ...                          numpy.array([[2.0, 1.0], [1.0, 3.0]]))
    >>> dense = numpy.kron(numpy.diag(block.A), block.G)           # A ⊗ G over W.ravel()
    >>> bool((block.to_dense() == dense).all())
    True
    >>> v = numpy.random.default_rng(0).standard_normal(6)
    >>> float(abs(block @ v - dense @ v).max()) < 1e-12
    True
    """

    has_bias = False

    def __init__(self, params, A, G):
        self.params, self.A, self.G = params, A, G

    @property
    def shape(self):
        size = self.G.shape[0] * self.A.shape[0]
        return (size, size)

    @property
    def dtype(self):
        return self.A.dtype

    def vector_to_matrix(self, v):
        """``W.ravel()`` (P,) or (P, k) → ``W̃ = Wᵀ`` (D, V) or (D, V, k)."""
        if v.shape[0] != self.shape[0]:
            raise ValueError(f"{self!r}: expected vectors of length {self.shape[0]}, got shape "
                             f"{tuple(v.shape)}")
        return v.reshape((self.A.shape[0], self.G.shape[0]) + v.shape[1:]).swapaxes(0, 1)

    def matrix_to_vector(self, matrix):
        """``W̃`` (D, V[, k]) → ``W.ravel()`` (P[, k])."""
        return matrix.swapaxes(0, 1).reshape((self.shape[0],) + matrix.shape[2:])

    def to_matrix(self, arrays):
        """``W̃ = Wᵀ`` (D, V) from ``[W]`` shaped like the table (e.g. its gradient)."""
        (table,) = arrays
        if table.shape != (self.A.shape[0], self.G.shape[0]):
            raise ValueError(f"{self!r}: a table of shape {tuple(table.shape)} does not match "
                             f"the factors A {tuple(self.A.shape)} (diagonal) and G "
                             f"{tuple(self.G.shape)}")
        return table.T

    def from_matrix(self, matrix):
        """``W̃`` (D, V) → ``[array shaped like W]``."""
        return [matrix.T]

    def to_dense(self):
        """The (P, P) block ``A ⊗ G`` over ``W.ravel()``."""
        xp = get_array_module(self.A)
        return xp.kron(xp.diag(self.A), self.G)

    def __matmul__(self, v):
        """``(A ⊗ G) v`` for ``v`` (P,) or (P, k) without forming the block: ``G W̃ diag(A)``."""
        return factor_product(self, v, "oj,jwk,w->owk")

    def __repr__(self):
        return f"EmbeddingFactors(A={tuple(self.A.shape)} diagonal, G={tuple(self.G.shape)})"
