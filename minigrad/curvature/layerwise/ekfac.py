"""Eigenvalue-corrected Kronecker factors (EKFAC).

George, Laurent, Bouthillier, Ballas & Vincent, "Fast Approximate Natural Gradient Descent in a
Kronecker-factored Eigenbasis" (2018). Per ``Linear`` / ``Conv2d`` layer (and self-attention
in-projection, ``attention_projection.py``), with ``G ⊗ A`` the
KFAC factors of a ``fisher_type`` (``kronecker.py``; "type-2" = KFLR, "mc" = KFAC, "empirical")
and their eigendecompositions ``A = Q_A Λ_A Q_Aᵀ``, ``G = Q_G Λ_G Q_Gᵀ``, the block acting on the
row-major ``vec(W̃)`` (``W̃ = [W | b]`` (out, width), ``kronecker_factors.py``) is

    E = (Q_G ⊗ Q_A) diag(vec(s)) (Q_G ⊗ Q_A)ᵀ,      s = c_N Σ_{v,n} (Q_Gᵀ M_v,n Q_A)²   (out, width)

with ``M_v,n = Σ_t C_v,n,t ā_n,tᵀ`` (out, width) the layer's gradient for column v of sample n
(the same back-propagated columns ``C`` as the factors, ``ā`` the inputs with a 1 for the
bias; t the positions of a ``Conv2d``). ``s`` is the diagonal of the same curvature's exact
block ``F = c_N Σ_{v,n} vec(M) vec(M)ᵀ`` in the Kronecker eigenbasis, so
``E = Q diag(diag(Qᵀ F Q)) Qᵀ``: it commutes with ``G ⊗ A`` and is the Frobenius-closest
matrix to ``F`` that is diagonal in that basis, hence never farther from ``F`` than ``G ⊗ A``.
Holding ``M`` takes V·N·P_layer numbers (estimated first, as for ``sqrt_ggn``).

George et al. amortise the eigendecompositions: the factors and their eigenbasis are
recomputed only every T_eigen steps, and ``s`` at every step from the current batch. Given
``basis``, the blocks of an earlier call on the same model, no factor and no eigendecomposition
is computed: each block keeps the earlier ``G ⊗ A``, ``Q_G``, ``Q_A``, and ``s`` is that of the
current batch's ``M`` in that basis,

    E₂ = Q diag(diag(Qᵀ F₂ Q)) Qᵀ,      Q = Q_G ⊗ Q_A of the earlier batch

with ``F₂`` the current batch's exact block. ``E₂`` commutes with the earlier block ``G ⊗ A``
(the one ``Q`` diagonalises) and is the Frobenius-closest matrix to ``F₂`` among those diagonal
in ``Q``; its cost is that of ``s`` alone (for a ``Linear`` used once, the rotations ``C Q_G`` and
``ā Q_A`` and one product of their squares).

An ``Embedding`` table (``embedding_factors.py``) has the block ``A ⊗ G`` over ``W.ravel()``
with a diagonal ``A``, whose eigenbasis is the identity (``Q_A = None``, no eigendecomposition):
``E = (I ⊗ Q_G) diag(vec(sᵀ)) (I ⊗ Q_G)ᵀ``, ``s = c_N Σ_{v,n} (Q_Gᵀ M_v,n)²`` (D, V) with
``M_v,n = Σ_s c_v,n,s e_sᵀ`` the table's gradient (transposed) for column v of sample n.
"""
from ...backend import get_array_module
from ...random import generator_for
from ..evaluation import check_batch
from ..memory import require_memory
from .kronecker import (check_fisher_type, input_rows, kronecker_layers_of, layer_columns,
                        output_rows)
from .embedding_factors import (EmbeddingFactors, EmbeddingStep, embedding_output_rows,
                                index_counts, one_hot_inputs)
from .kronecker_factors import KroneckerFactors
from .layer_columns import gram


class EKFACFactors:
    """One layer's EKFAC block: ``kronecker`` (its ``KroneckerFactors`` ``G ⊗ A``, or an
    Embedding's ``EmbeddingFactors``), the eigenbases ``QG`` (out, out) and ``QA`` (width,
    width; ``None`` for the identity, the eigenbasis of an Embedding's diagonal ``A``), and
    ``scaling`` (out, width), the corrected eigenvalues; products and ``to_dense`` over the
    layer's parameters (``[W.ravel(), b]``, an Embedding's ``W.ravel()``)."""

    def __init__(self, kronecker, QG, QA, scaling):
        self.kronecker, self.QG, self.QA, self.scaling = kronecker, QG, QA, scaling

    @property
    def params(self):
        return self.kronecker.params

    @property
    def shape(self):
        return self.kronecker.shape

    @property
    def dtype(self):
        return self.kronecker.dtype

    def _apply(self, v, eigenvalues):
        columns = v.reshape(v.shape[0], -1)
        matrix = self.kronecker.vector_to_matrix(columns)
        xp = get_array_module(columns)
        if self.QA is None:
            rotated = xp.einsum("go,gwk->owk", self.QG, matrix)
            back = xp.einsum("og,gwk->owk", self.QG, rotated * eigenvalues[..., None])
        else:
            rotated = xp.einsum("go,gwk,wa->oak", self.QG, matrix, self.QA, optimize=True)
            back = xp.einsum("og,gak,wa->owk", self.QG, rotated * eigenvalues[..., None],
                             self.QA, optimize=True)
        return self.kronecker.matrix_to_vector(back).reshape(v.shape)

    def __matmul__(self, v):
        """``E v`` for ``v`` (P,) or (P, k) without forming the block."""
        return self._apply(v, self.scaling)

    def solve(self, v, damping):
        """``(E + damping·I)⁻¹ v``: the corrected eigenvalues plus ``damping``, inverted."""
        if damping < 0 or (damping == 0 and not (self.scaling > 0).all()):
            raise ValueError(f"{self!r}: solve needs damping > 0 for eigenvalues that are "
                             f"not all positive, got damping={damping!r}")
        return self._apply(v, 1.0 / (self.scaling + damping))

    def to_dense(self):
        """The (P, P) block ``E`` over ``[W.ravel(), b]``."""
        return self @ get_array_module(self.scaling).eye(self.shape[0], dtype=self.dtype)

    def __repr__(self):
        return f"EKFACFactors(G={tuple(self.QG.shape)}, A={tuple(self.kronecker.A.shape)})"


def _layer_gradients(step, C):
    """(V, N, out, width): ``M_v,n = Σ_t C_v,n,t ā_n,tᵀ`` of one layer call."""
    V, N = C.shape[:2]
    outputs = output_rows(step, C)
    inputs = input_rows(step)
    rows = outputs.reshape(V, N, -1, outputs.shape[-1])
    return rows.swapaxes(-1, -2) @ inputs.reshape(N, -1, inputs.shape[-1])


def _rotated_squares(steps, inputs, outputs, QG, QA):
    """``Σ_{v,n} (Q_Gᵀ M_v,n Q_A)²`` (out, width). One call at one position per sample (a
    ``Linear`` layer used once) has ``M_v,n = C_v,n ā_nᵀ``, so the sum is the one product
    ``((C Q_G)²)ᵀ`` summed over v times ``(ā Q_A)²``; otherwise ``M`` is formed per sample."""
    step, C = steps[0]
    if len(steps) == 1 and inputs[0].shape[0] == C.shape[1]:
        V, N = C.shape[:2]
        columns = ((outputs[0] @ QG) ** 2).reshape(V, N, -1).sum(axis=0)
        return columns.T @ (inputs[0] @ QA) ** 2
    M = sum(_layer_gradients(step, C) for step, C in steps)
    return (((QG.T @ M) @ QA) ** 2).sum(axis=(0, 1))


def _embedding_rotated_squares(steps, QG):
    """``Σ_{v,n} (Q_Gᵀ M_v,n)²`` (D, V) of an Embedding, ``M_v,n = Σ_s c_v,n,s e_sᵀ`` (D, V)
    its gradient for column v of sample n (``e_s`` the one-hot index, zero at ``padding_idx``;
    summed over the table's calls), from the rotated columns ``c Q_G`` scattered to the rows."""
    M = 0
    for step, C in steps:
        V, N = C.shape[:2]
        rotated = (embedding_output_rows(C) @ QG).reshape(V, N, -1, QG.shape[0])
        M = M + one_hot_inputs(step).swapaxes(-1, -2) @ rotated
    return (M ** 2).sum(axis=(0, 1)).T


def _embedding_eigenbasis(steps, scale):
    """``(A ⊗ G, Q_G, None)`` of an Embedding's calls: the eigenbasis of the diagonal ``A`` is
    the identity (no eigendecomposition)."""
    counts = [index_counts(step) for step, _ in steps]
    A = sum(count for count, _ in counts) / sum(positions for _, positions in counts)
    G = sum(gram(embedding_output_rows(C), scale) for _, C in steps)
    return EmbeddingFactors(steps[0][0].params, A, G), get_array_module(G).linalg.eigh(G)[1], None


def _eigenbasis(params, inputs, outputs, scale):
    """``(G ⊗ A, Q_G, Q_A)`` of one layer from its input rows and output columns."""
    A = sum(gram(rows) for rows in inputs) / sum(rows.shape[0] for rows in inputs)
    kronecker = KroneckerFactors(params, A, sum(gram(rows, scale) for rows in outputs))
    xp = get_array_module(A)
    return kronecker, xp.linalg.eigh(kronecker.G)[1], xp.linalg.eigh(kronecker.A)[1]


def _shapes(params_lists):
    return [" & ".join(str(tuple(p.shape)) for p in params) for params in params_lists]


def _check_basis(basis, layer_params):
    """``basis`` as a list, refused unless it holds the blocks of the layers ``layer_params``
    (the same Parameters, in the same order): an earlier call's on the same model."""
    basis = list(basis)
    strangers = [type(block).__name__ for block in basis if not isinstance(block, EKFACFactors)]
    if strangers:
        raise TypeError(f"ekfac: basis= must be the list of EKFACFactors an earlier ekfac call "
                        f"returned, got items of type {strangers}")
    if ([[id(p) for p in block.params] for block in basis]
            != [[id(p) for p in params] for params in layer_params]):
        raise ValueError(f"ekfac: basis= must hold the blocks of an earlier ekfac call on this "
                         f"model; it holds layers with parameter shapes "
                         f"{_shapes(block.params for block in basis)}, this model's layers are "
                         f"{_shapes(layer_params)} (equal shapes mean another model's Parameters)")
    return basis


def ekfac(model, loss, x, y, fisher_type="mc", mc_samples=1, seed=None, basis=None):
    """EKFAC blocks, one ``EKFACFactors`` per ``Linear`` / ``Conv2d`` layer, self-attention
    in-projection and ``Embedding`` of any model in
    ``model.modules()`` order (as ``kfac``), from one set of back-propagated columns of
    ``fisher_type`` ("mc" with ``mc_samples`` draws from ``seed``, "type-2", "empirical").
    ``basis``, the blocks of an earlier call on the same model, keeps their factors and
    eigenbases and gives this batch's corrected eigenvalues in them (module docstring).

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 2))
    >>> x = minigrad.tensor(numpy.ones((4, 3)), dtype=numpy.float32)
    >>> first, second = curvature.ekfac(model, nn.CrossEntropyLoss(), x, [0, 1, 1, 0])
    >>> first.scaling.shape, first.to_dense().shape    # (out, in + 1), P_layer = 2·3 + 2
    ((2, 4), (8, 8))
    """
    check_fisher_type(fisher_type, "ekfac")
    layers = kronecker_layers_of(model, "ekfac")
    check_batch(x, "ekfac")
    found, scale = layer_columns(model, loss, x, y, fisher_type, mc_samples,
                                 generator_for(seed), "ekfac")
    require_memory("ekfac", [C.shape[:2] + (sum(p.numel() for p in step.params),)
                             for step, C in found], found[0][1].dtype,
                   "kfac needs no per-sample gradients; or pass fewer samples")
    calls = {}
    for step, C in found:
        calls.setdefault(id(step.module), []).append((step, C))
    called = [calls[id(module)] for module in layers if id(module) in calls]
    kept = ([None] * len(called) if basis is None
            else _check_basis(basis, [steps[0][0].params for steps in called]))
    blocks = []
    for steps, earlier in zip(called, kept):
        if isinstance(steps[0][0], EmbeddingStep):
            kronecker, QG, QA = (_embedding_eigenbasis(steps, scale) if earlier is None
                                 else (earlier.kronecker, earlier.QG, earlier.QA))
            blocks.append(EKFACFactors(kronecker, QG, QA,
                                       scale * _embedding_rotated_squares(steps, QG)))
            continue
        inputs = [input_rows(step) for step, _ in steps]
        outputs = [output_rows(step, C) for step, C in steps]
        kronecker, QG, QA = (_eigenbasis(steps[0][0].params, inputs, outputs, scale)
                             if earlier is None else (earlier.kronecker, earlier.QG, earlier.QA))
        blocks.append(EKFACFactors(kronecker, QG, QA, scale * _rotated_squares(
            steps, inputs, outputs, QG, QA)))
    return blocks
