"""Linear operators: square matrices known only through their products ``v ↦ A v``.

A ``LinearOperator`` (SciPy's name) has a ``shape`` ``(P, P)``, a ``dtype``, the
array module ``xp`` its vectors live on, ``matvec(v)`` for ``v`` of shape ``(P,)``,
and ``A @ v`` for ``v`` of shape ``(P,)`` or ``(P, k)`` (one product per column).
``aslinearoperator`` wraps a dense array or any object with ``@``, ``shape`` and
``dtype``. Operators add and subtract (``H − G``) and scale. The curvature estimators
(Hutchinson, Lanczos, stochastic Lanczos quadrature) and the optimizers' Krylov solvers
take one; it belongs to neither, so both import it from here.
"""
from .backend import array_module, get_array_module


class LinearOperator:
    """A square matrix given by ``matvec``; ``A @ v`` applies it to a vector or to columns."""

    def __init__(self, matvec, shape, dtype, xp=None):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"LinearOperator: shape must be square (P, P), got {tuple(shape)}")
        self._matvec = matvec
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self.xp = array_module() if xp is None else xp

    def matvec(self, v):
        """``A v`` for ``v`` of shape ``(P,)``."""
        if v.ndim != 1 or v.shape[0] != self.shape[1]:
            raise ValueError(f"LinearOperator of shape {self.shape}: matvec needs a vector of "
                             f"shape ({self.shape[1]},), got {tuple(v.shape)}")
        return self._matvec(self.xp.asarray(v, dtype=self.dtype))

    def __matmul__(self, v):
        if v.ndim == 1:
            return self.matvec(v)
        if v.ndim == 2:
            return self.xp.stack([self.matvec(v[:, j]) for j in range(v.shape[1])], axis=1)
        raise ValueError(f"LinearOperator of shape {self.shape} @ an array of shape "
                         f"{tuple(v.shape)}: expected (P,) or (P, k)")

    def to_dense(self):
        """The ``(P, P)`` matrix, from ``P`` products with unit vectors."""
        return self @ self.xp.eye(self.shape[0], dtype=self.dtype)

    def _check_same_shape(self, other):
        if not isinstance(other, LinearOperator) or other.shape != self.shape:
            raise ValueError(f"cannot combine a LinearOperator of shape {self.shape} with "
                             f"{getattr(other, 'shape', type(other).__name__)}")

    def __add__(self, other):
        self._check_same_shape(other)
        return LinearOperator(lambda v: self._matvec(v) + other.matvec(v), self.shape,
                              self.dtype, self.xp)

    def __sub__(self, other):
        self._check_same_shape(other)
        return LinearOperator(lambda v: self._matvec(v) - other.matvec(v), self.shape,
                              self.dtype, self.xp)

    def __mul__(self, scalar):
        return LinearOperator(lambda v: scalar * self._matvec(v), self.shape, self.dtype, self.xp)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __repr__(self):
        return f"LinearOperator(shape={self.shape}, dtype={self.dtype})"


def aslinearoperator(matrix, shape=None):
    """``matrix`` as a ``LinearOperator``: a LinearOperator, a dense array, or an object with ``@``.

    ``shape`` is needed only when the object has no ``shape`` attribute.
    """
    if isinstance(matrix, LinearOperator):
        return matrix
    shape = getattr(matrix, "shape", None) if shape is None else shape
    if shape is None:
        raise ValueError(f"aslinearoperator: {type(matrix).__name__} has no shape; "
                         "pass shape=(P, P)")
    if hasattr(matrix, "ndim") and hasattr(matrix, "dtype"):
        xp = get_array_module(matrix)
        return LinearOperator(lambda v: matrix @ v, shape, matrix.dtype, xp)
    dtype = getattr(matrix, "dtype", None)
    xp = getattr(matrix, "xp", None)
    if dtype is None:
        raise ValueError(f"aslinearoperator: {type(matrix).__name__} has no dtype")
    return LinearOperator(lambda v: matrix @ v, shape, dtype, xp)
