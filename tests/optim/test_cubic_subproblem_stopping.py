"""The cubic subproblem solver stops at the first Lanczos step whose model gradient is small.

``solve_cubic_subproblem`` (Cartis, Gould & Toint's ARC subproblem over Krylov subspaces)
stops when ``‖∇m(s)‖ = ‖g + B s + σ‖s‖ s‖ ≤ tol·‖g‖``, which its Lanczos recursion reads
as ``β_k |y_k|`` (the last coordinate of the small solution). Checked directly: the
returned step meets the bound, and the steps of every smaller subspace do not.
"""
import numpy

from optim.cubic import solve_cubic_subproblem


def test_stops_at_the_first_subspace_meeting_the_tolerance():
    rng = numpy.random.default_rng(0)
    eigenvalues = numpy.linspace(-2.0, 50.0, 40)
    q, _ = numpy.linalg.qr(rng.standard_normal((40, 40)))
    B = q @ numpy.diag(eigenvalues) @ q.T
    g, sigma, tol = rng.standard_normal(40), 2.0, 0.1

    def model_gradient_norm(step):
        return numpy.linalg.norm(g + B @ step + sigma * numpy.linalg.norm(step) * step)

    result = solve_cubic_subproblem(lambda v: B @ v, g, sigma, max_iter=40, tol=tol)
    bound = tol * numpy.linalg.norm(g)
    assert 2 < result.iterations < 40
    assert model_gradient_norm(result.step) <= bound * (1 + 1e-8)
    for k in range(1, result.iterations):
        early = solve_cubic_subproblem(lambda v: B @ v, g, sigma, max_iter=k, tol=tol)
        assert early.iterations == k
        assert model_gradient_norm(early.step) > bound
