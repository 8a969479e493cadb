"""The Lanczos process with full reorthogonalisation, for symmetric operators.

From a unit start vector ``q_1``, step ``j`` computes

    w = A q_j − Σ_{i ≤ j} (q_iᵀ A q_j) q_i        (Gram-Schmidt against all of Q, done twice)
    α_j = q_jᵀ A q_j,   β_j = ‖w‖,   q_{j+1} = w / β_j

so that ``Qᵀ A Q = T`` is tridiagonal with diagonal ``α`` and off-diagonal
``β``. Orthogonalising against every previous vector (not only the last two)
keeps ``Q`` orthonormal in floating point, so no spurious copies of converged
eigenvalues appear. The eigenpairs ``(θ, s)`` of ``T`` are the Ritz pairs
``(θ, Q s)``; ``β_m |s_m|`` (the last component of ``s``) is the norm of the
residual ``A Q s − θ Q s`` (Golub & Van Loan, §10.1).

When ``β_j`` vanishes the Krylov space is invariant (its Ritz pairs are exact).
With ``restart=True`` the process continues with a random vector orthogonal to
``Q`` and a zero coupling ``β_j = 0``, so ``T`` becomes block diagonal and more
eigenpairs can be found; otherwise it stops.
"""
import numpy

from .linear_operator import aslinearoperator


class Lanczos:
    """Run ``step()`` up to ``max_steps`` times; ``ritz_pairs()`` gives the current Ritz pairs."""

    def __init__(self, op, start, max_steps, rng=None, restart=False):
        self.op = aslinearoperator(op)
        xp, size = self.op.xp, self.op.shape[0]
        self.max_steps = min(int(max_steps), size)
        if self.max_steps < 1:
            raise ValueError(f"Lanczos: max_steps must be at least 1, got {max_steps}")
        self.rng, self.restart = rng, restart
        self.basis = xp.zeros((self.max_steps, size), dtype=self.op.dtype)
        self.alphas, self.betas = [], []
        self.scale = 0.0
        norm = float(xp.linalg.norm(start))
        if not numpy.isfinite(norm) or norm == 0:
            raise ValueError(f"Lanczos: the start vector must be finite and non-zero, norm {norm}")
        self.basis[0] = start / norm
        self.next_vector_ready = True
        self.last_beta = 0.0

    @property
    def steps(self):
        return len(self.alphas)

    @property
    def done(self):
        return self.steps == self.max_steps or not self.next_vector_ready

    def _orthogonalise(self, w, count):
        q = self.basis[:count]
        for _ in range(2):
            w = w - q.T @ (q @ w)
        return w

    def step(self):
        """One Lanczos step; returns False once no further step is possible."""
        if self.done:
            return False
        xp, j = self.op.xp, self.steps
        q = self.basis[j]
        w = self.op.matvec(q)
        alpha = float(q @ w)
        if not numpy.isfinite(alpha):
            raise FloatingPointError(f"Lanczos: the operator returned a non-finite product at "
                                     f"step {j}")
        self.alphas.append(alpha)
        w = self._orthogonalise(w, j + 1)
        beta = float(xp.linalg.norm(w))
        self.scale = max(self.scale, abs(alpha), beta)
        self.last_beta = beta
        if j + 1 == self.max_steps:
            return True
        tiny = 100 * numpy.finfo(self.op.dtype).eps * max(self.scale, 1e-300)
        if beta > tiny:
            self.betas.append(beta)
            self.basis[j + 1] = w / beta
            return True
        self.last_beta = 0.0
        if not self.restart or self.rng is None:
            self.next_vector_ready = False
            return True
        fresh = self._orthogonalise(
            xp.asarray(self.rng.standard_normal(self.op.shape[0]), dtype=self.op.dtype), j + 1)
        norm = float(xp.linalg.norm(fresh))
        if norm <= 1e-8:
            self.next_vector_ready = False
            return True
        self.betas.append(0.0)
        self.basis[j + 1] = fresh / norm
        return True

    def tridiagonal(self):
        """``T`` as a host ``(m, m)`` array."""
        m = self.steps
        t = numpy.diag(numpy.asarray(self.alphas, dtype=numpy.float64))
        off = numpy.asarray(self.betas[:m - 1], dtype=numpy.float64)
        return t + numpy.diag(off, 1) + numpy.diag(off, -1)

    def ritz_pairs(self):
        """``(θ, S, residual_norms)`` on the host: eigenvalues ascending, eigenvectors of ``T``
        as columns, and ``‖A Q s − θ Q s‖`` for each pair."""
        theta, s = numpy.linalg.eigh(self.tridiagonal())
        return theta, s, abs(self.last_beta * s[-1, :])

    def ritz_vectors(self, s):
        """``Q S`` for host columns ``S`` ``(m, k)``: ``(P, k)`` on the operator's array module."""
        return self.basis[:self.steps].T @ self.op.xp.asarray(s, dtype=self.op.dtype)
