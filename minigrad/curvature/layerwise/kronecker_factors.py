"""``KroneckerFactors``: one layer's block ``G ⊗ A`` and the layout it acts on.

A layer with weight ``W`` (out, *in_shape) and optional bias ``b`` (out,) is read as the
matrix ``W̃ = [W.reshape(out, -1) | b]`` of shape (out, width), width = in + 1 with a bias
(the bias as a last input coordinate) and ``in`` without. The flat layout of its parameters is
``[W.ravel(), b]`` (``model.parameters()`` order, row-major). ``G`` (out, out) is the
output-side factor, ``A`` (width, width) the input-side one, and ``G ⊗ A`` acts on the
row-major ``vec(W̃)``: ``(G ⊗ A) vec(W̃) = vec(G W̃ Aᵀ)`` (see ``minigrad/curvature/README.md``).

    vector_to_matrix(v)    [W.ravel(), b] (P,) or (P, k)  →  W̃ (out, width) or (out, width, k)
    matrix_to_vector(m)    the inverse
    to_matrix(arrays)      arrays shaped like (W, b)      →  W̃ (out, width), shapes checked
    from_matrix(m)         W̃                              →  [array shaped like W, like b]
"""
from ...backend import get_array_module


class KroneckerFactors:
    """``G ⊗ A`` for one layer; ``params`` are its Parameters (weight, then bias if any).

    >>> import numpy
    >>> from minigrad import nn
    >>> layer = nn.Linear(3, 2)
    >>> rng = numpy.random.default_rng(0)
    >>> block = KroneckerFactors([layer.weight, layer.bias], numpy.eye(4) + 0.5,
    ...                          numpy.array([[2.0, 1.0], [1.0, 3.0]]))
    >>> v = rng.standard_normal(8)                             # [W.ravel(), b], P = 2·3 + 2
    >>> float(abs(block @ v - block.to_dense() @ v).max()) < 1e-12
    True
    >>> block.vector_to_matrix(numpy.arange(8.0))              # [W | b], bias last
    array([[0., 1., 2., 6.],
           [3., 4., 5., 7.]])
    """

    def __init__(self, params, A, G):
        self.params, self.A, self.G = params, A, G

    @property
    def has_bias(self):
        return len(self.params) == 2

    @property
    def shape(self):
        size = self.G.shape[0] * self.A.shape[0]
        return (size, size)

    @property
    def dtype(self):
        return self.A.dtype

    def _weight_columns(self):
        return self.A.shape[0] - 1 if self.has_bias else self.A.shape[0]

    def vector_to_matrix(self, v):
        """``[W.ravel(), b]`` (P,) or (P, k) → ``W̃`` (out, width) or (out, width, k)."""
        out, columns = self.G.shape[0], self._weight_columns()
        if v.shape[0] != self.shape[0]:
            raise ValueError(f"{self!r}: expected vectors of length {self.shape[0]}, got shape "
                             f"{tuple(v.shape)}")
        weight = v[:out * columns].reshape((out, columns) + v.shape[1:])
        if not self.has_bias:
            return weight
        bias = v[out * columns:].reshape((out, 1) + v.shape[1:])
        return get_array_module(v).concatenate([weight, bias], axis=1)

    def matrix_to_vector(self, matrix):
        """``W̃`` (out, width[, k]) → ``[W.ravel(), b]`` (P[, k])."""
        out, columns = self.G.shape[0], self._weight_columns()
        trailing = matrix.shape[2:]
        weight = matrix[:, :columns].reshape((out * columns,) + trailing)
        if not self.has_bias:
            return weight
        return get_array_module(matrix).concatenate([weight, matrix[:, columns]], axis=0)

    def to_matrix(self, arrays):
        """``[W.reshape(out, -1) | b]`` from arrays shaped like ``params`` (e.g. gradients)."""
        xp = get_array_module(*arrays)
        pieces = [arrays[0].reshape(arrays[0].shape[0], -1)]
        if len(arrays) == 2:
            pieces.append(arrays[1].reshape(-1, 1))
        matrix = xp.concatenate(pieces, axis=1) if len(pieces) == 2 else pieces[0]
        if matrix.shape != (self.G.shape[0], self.A.shape[0]):
            raise ValueError(f"{self!r}: parameters of shapes {[tuple(a.shape) for a in arrays]} "
                             f"give a matrix {tuple(matrix.shape)} but the factors are A "
                             f"{tuple(self.A.shape)} and G {tuple(self.G.shape)}")
        return matrix

    def from_matrix(self, matrix):
        """``W̃`` (out, width) → ``[weight, bias]`` arrays shaped like ``params``."""
        columns = self._weight_columns()
        pieces = [matrix[:, :columns].reshape(self.params[0].shape)]
        if self.has_bias:
            pieces.append(matrix[:, columns])
        return pieces

    def to_dense(self):
        """The (P, P) block ``G ⊗ A`` over ``[W.ravel(), b]``."""
        xp = get_array_module(self.A)
        positions = xp.arange(self.shape[0]).reshape(self.G.shape[0], self.A.shape[0])
        order = self.matrix_to_vector(positions)
        return xp.kron(self.G, self.A)[order][:, order]

    def __matmul__(self, v):
        """``(G ⊗ A) v`` for ``v`` (P,) or (P, k) without forming the block: ``G W̃ A``."""
        return factor_product(self, v, "oj,jwk,wv->ovk")

    def __repr__(self):
        return f"KroneckerFactors(G={tuple(self.G.shape)}, A={tuple(self.A.shape)})"


def factor_product(factors, v, spec):
    """``G W̃ A`` for the columns ``v`` (P,) or (P, k) of ``factors`` (a ``KroneckerFactors``
    layout: ``vector_to_matrix``, ``matrix_to_vector``, ``G``, ``A``), contracted by the
    einsum ``spec`` over ``(G, W̃ (out, width, k), A)``: ``"wv"`` for a matrix ``A``, ``"w"``
    for a diagonal one kept as a vector."""
    columns = v.reshape(v.shape[0], -1)
    matrix = factors.vector_to_matrix(columns)
    product = get_array_module(columns).einsum(spec, factors.G, matrix, factors.A)
    return factors.matrix_to_vector(product).reshape(v.shape)
