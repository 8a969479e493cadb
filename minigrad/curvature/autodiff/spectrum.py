"""Eigenvalues of curvature operators: extreme eigenpairs and the spectral density.

``top_eigen(op, k)`` finds ``k`` eigenpairs of a symmetric ``(P, P)`` operator:

* ``which="largest"`` (default) the ``k`` largest eigenvalues by value,
  ``"smallest"`` the ``k`` smallest, ``"magnitude"`` the ``k`` largest in ``|λ|``;
  returned as ``(eigenvalues (k,), eigenvectors (P, k))`` sorted descending by
  value (ascending for ``"smallest"``), unit eigenvectors in the columns.
* ``method="lanczos"``: Lanczos with full reorthogonalisation (``lanczos.py``)
  until the ``k`` wanted Ritz pairs have residuals ``‖A u − θ u‖ ≤ tol · max|θ|``,
  or ``iters`` steps.
* ``method="power"``: power iteration with Hotelling deflation, one pair at a
  time on ``A − Σ_found λ_i u_i u_iᵀ``, each until ``‖A u − λ u‖ ≤ tol · |λ|`` or
  ``iters`` products. Power iteration converges to the eigenvalue largest in
  magnitude, so for ``"largest"`` (``"smallest"``) it runs on ``A + ρ I``
  (``ρ I − A``), with ``ρ = |λ|_max`` from a first power iteration, and shifts back.

``lanczos_quadrature(op, n_probes, n_iters)`` is stochastic Lanczos quadrature
(Ghorbani, Krishnan & Xiao 2019; Lin, Saad & Yang 2016). For each probe ``v``
(Gaussian, normalised), ``m = n_iters`` Lanczos steps give nodes ``θ_j`` (the
eigenvalues of ``T``) and weights ``τ_j = s_{1j}²`` (first components of its
eigenvectors), a Gauss quadrature for ``vᵀ g(A) v``, exact for polynomials
``g`` of degree below ``2m``. It returns all probes' nodes and their weights
divided by ``n_probes`` (they sum to 1), so ``Σ τ_j g(θ_j)`` estimates
``tr g(A) / P``: ``Σ τ_j [θ_j < 0]`` the fraction of negative eigenvalues,
``Σ τ_j θ_jᵏ`` the ``k``-th spectral moment.

``spectral_density(op, n_probes, n_iters)`` broadens that quadrature
(``quadrature_density(nodes, weights)``). With ``E[v vᵀ] = I / P``,

    φ(t) = (1/n_probes) Σ_probes Σ_j τ_j  N(t; θ_j, σ²)

estimates the eigenvalue density ``(1/P) Σ_i δ(t − λ_i)`` smoothed by a Gaussian
of width ``σ``; its mean ``Σ τ_j θ_j = vᵀ A v`` is an unbiased estimate of
``tr(A) / P``. The density is normalised to integrate to 1 on the grid
(trapezoid rule). The default grid spans the nodes with ``5σ`` margins.
"""
import numpy

from ...lanczos import Lanczos
from .operators import aslinearoperator

WHICH = ("largest", "smallest", "magnitude")
_trapezoid = getattr(numpy, "trapezoid", None) or numpy.trapz


def _select(theta, which, k):
    """Indices of the ``k`` wanted values of ``theta``, in the output order."""
    if which == "largest":
        return numpy.argsort(-theta, kind="stable")[:k]
    if which == "smallest":
        return numpy.argsort(theta, kind="stable")[:k]
    chosen = numpy.argsort(-abs(theta), kind="stable")[:k]
    return chosen[numpy.argsort(-theta[chosen], kind="stable")]


def _random_vector(rng, op):
    return op.xp.asarray(rng.standard_normal(op.shape[0]), dtype=op.dtype)


def _lanczos_eigen(op, k, which, iters, tol, rng):
    process = Lanczos(op, _random_vector(rng, op), iters, rng=rng, restart=True)
    while process.step():
        if process.steps < k and not process.done:
            continue
        theta, s, residuals = process.ritz_pairs()
        chosen = _select(theta, which, k)
        scale = max(float(abs(theta).max()), 1e-300)
        if process.done or (len(chosen) == k and (residuals[chosen] <= tol * scale).all()):
            break
    if len(chosen) < k:
        raise ValueError(f"top_eigen: found only {len(chosen)} eigenpairs of a {op.shape} "
                         f"operator, {k} asked for")
    return theta[chosen], process.ritz_vectors(s[:, chosen])


def _power_iteration(matvec, op, iters, tol, rng):
    """The dominant eigenpair of ``matvec`` (largest ``|λ|``)."""
    xp = op.xp
    u = _random_vector(rng, op)
    u = u / xp.linalg.norm(u)
    value = 0.0
    for _ in range(iters):
        w = matvec(u)
        value = float(u @ w)
        if not numpy.isfinite(value):
            raise FloatingPointError("top_eigen: the operator returned a non-finite product")
        residual = float(xp.linalg.norm(w - value * u))
        norm = float(xp.linalg.norm(w))
        if norm == 0 or residual <= tol * abs(value):
            break
        u = w / norm
    return value, u


def _power_eigen(op, k, which, iters, tol, rng):
    shift, sign = 0.0, 1.0
    if which != "magnitude":
        radius = abs(_power_iteration(op.matvec, op, iters, tol, rng)[0])
        shift, sign = radius, (1.0 if which == "largest" else -1.0)
    values, vectors = [], []

    def deflated(v):
        w = sign * op.matvec(v) + shift * v
        for value, u in zip(values, vectors):
            w = w - value * (u @ v) * u
        return w

    for _ in range(k):
        value, u = _power_iteration(deflated, op, iters, tol, rng)
        values.append(value)
        vectors.append(u)
    eigenvalues = sign * (numpy.asarray(values) - shift)
    order = _select(eigenvalues, which, k)
    return eigenvalues[order], op.xp.stack([vectors[i] for i in order], axis=1)


def top_eigen(op, k=1, method="lanczos", which="largest", iters=None, tol=1e-8, seed=None):
    """``(eigenvalues (k,), eigenvectors (P, k))`` of a symmetric operator (module docstring).

    ``iters`` bounds the Lanczos steps (default ``min(P, max(4k, k + 40))``) or
    the products per power iteration (default 1000). Results are on the
    operator's array module.
    """
    op = aslinearoperator(op)
    size = op.shape[0]
    if not isinstance(k, int) or not 1 <= k <= size:
        raise ValueError(f"top_eigen: k must be an int in [1, {size}] for an operator of shape "
                         f"{op.shape}, got {k!r}")
    if which not in WHICH:
        raise ValueError(f"top_eigen: which must be one of {WHICH}, got {which!r}")
    rng = numpy.random.default_rng(seed)
    if method == "lanczos":
        iters = min(size, max(4 * k, k + 40)) if iters is None else iters
        values, vectors = _lanczos_eigen(op, k, which, iters, tol, rng)
    elif method == "power":
        values, vectors = _power_eigen(op, k, which, 1000 if iters is None else iters, tol, rng)
    else:
        raise ValueError(f"top_eigen: method must be 'lanczos' or 'power', got {method!r}")
    return op.xp.asarray(values, dtype=op.dtype), vectors


def lanczos_quadrature(op, n_probes=1, n_iters=80, seed=None):
    """``(nodes, weights)`` on the host: the Gauss quadrature of every probe, weights summing
    to 1; see the module docstring."""
    op = aslinearoperator(op)
    if not isinstance(n_probes, int) or n_probes < 1:
        raise ValueError(f"lanczos_quadrature: n_probes must be a positive int, got {n_probes!r}")
    rng = numpy.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(n_probes):
        process = Lanczos(op, _random_vector(rng, op), n_iters)
        while process.step():
            pass
        theta, s, _ = process.ritz_pairs()
        nodes.append(theta)
        weights.append(s[0, :] ** 2)
    return numpy.concatenate(nodes), numpy.concatenate(weights) / n_probes


def quadrature_density(nodes, weights, grid=None, sigma=None):
    """``(grid, density)``: the quadrature ``(nodes, weights)`` broadened by Gaussians of width
    ``sigma`` (default: 1% of the span of the nodes) on ``grid`` (default: 1000 points over the
    nodes ± 5σ), normalised to integrate to 1 on the grid."""
    nodes, weights = numpy.asarray(nodes, dtype=numpy.float64), numpy.asarray(weights)
    if nodes.ndim != 1 or nodes.shape != weights.shape or nodes.size == 0:
        raise ValueError(f"quadrature_density: nodes and weights must be 1-D of one non-zero "
                         f"length, got shapes {nodes.shape} and {weights.shape}")
    low, high = float(nodes.min()), float(nodes.max())
    if sigma is None:
        sigma = 0.01 * max(high - low, abs(high), 1e-12)
    if sigma <= 0:
        raise ValueError(f"quadrature_density: sigma must be positive, got {sigma}")
    grid = (numpy.linspace(low - 5 * sigma, high + 5 * sigma, 1000) if grid is None
            else numpy.asarray(grid, dtype=numpy.float64))
    if grid.ndim != 1 or grid.size < 2 or (numpy.diff(grid) <= 0).any():
        raise ValueError(f"quadrature_density: grid must be increasing and 1-D with at least 2 "
                         f"points, got shape {grid.shape}")
    gaussians = numpy.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)
    density = gaussians @ weights / (sigma * numpy.sqrt(2 * numpy.pi))
    mass = _trapezoid(density, grid)
    if not mass > 0:
        raise ValueError(f"quadrature_density: the grid [{grid[0]:.4g}, {grid[-1]:.4g}] holds no "
                         f"mass of the spectrum (nodes in [{low:.4g}, {high:.4g}])")
    return grid, density / mass


def spectral_density(op, n_probes=1, n_iters=80, grid=None, sigma=None, seed=None):
    """``(grid, density)`` on the host by stochastic Lanczos quadrature; see the module docstring.

    ``lanczos_quadrature(op, n_probes, n_iters, seed)`` broadened by
    ``quadrature_density(nodes, weights, grid, sigma)``.
    """
    return quadrature_density(*lanczos_quadrature(op, n_probes, n_iters, seed), grid, sigma)
