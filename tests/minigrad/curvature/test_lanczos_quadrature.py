"""Stochastic Lanczos quadrature of H, GN and R = H − GN on a tiny net, against dense matrices.

The dense references use no second-order machinery: H by central differences of
the gradient, GN = Jᵀ H_z J from the output Jacobian and the closed-form loss
Hessian. The quadrature's moments are checked exactly against the Rayleigh
quotients of its own probes (Gauss quadrature with m nodes is exact for
polynomials of degree below 2m), and statistically against the dense traces.
"""
import numpy
import pytest

from minigrad.curvature import (ggn_operator, hessian_operator, lanczos_quadrature,
                                quadrature_density, spectral_density)
from tests.minigrad.curvature.matrix_free_cases import (build, finite_difference_hessian,
                                                        loss_hessian, output_jacobian)

_trapezoid = getattr(numpy, "trapezoid", None) or numpy.trapz
CASE = "tanh_mse"


def _operators_and_dense():
    model, loss_fn, x, y = build(CASE)
    hessian = hessian_operator(model, loss_fn, x, y)
    gauss_newton = ggn_operator(model, loss_fn, x, y)
    dense_hessian = finite_difference_hessian(model, loss_fn, x, y)
    dense_hessian = (dense_hessian + dense_hessian.T) / 2
    jacobian, z = output_jacobian(model, x)
    dense_gauss_newton = jacobian.T @ loss_hessian(loss_fn, z) @ jacobian
    return {"H": (hessian, dense_hessian), "GN": (gauss_newton, dense_gauss_newton),
            "R": (hessian - gauss_newton, dense_hessian - dense_gauss_newton)}


def _probes(size, n_probes, seed):
    """The unit probes ``lanczos_quadrature`` draws for ``seed`` (rows)."""
    rng = numpy.random.default_rng(seed)
    probes = numpy.stack([rng.standard_normal(size) for _ in range(n_probes)])
    return probes / numpy.linalg.norm(probes, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def operators():
    return _operators_and_dense()


@pytest.mark.parametrize("key", ["H", "GN", "R"])
def test_quadrature_moments_are_the_rayleigh_quotients_of_its_probes(operators, key):
    op, dense = operators[key]
    nodes, weights = lanczos_quadrature(op, n_probes=4, n_iters=3, seed=7)
    assert nodes.shape == weights.shape == (12,)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    probes = _probes(dense.shape[0], 4, seed=7)
    for power in (1, 2, 3, 4, 5):
        power_matrix = numpy.linalg.matrix_power(dense, power)
        expected = numpy.mean(numpy.einsum("ni,ij,nj->n", probes, power_matrix, probes))
        scale = numpy.abs(numpy.linalg.eigvalsh(dense)).max() ** power
        assert (weights * nodes ** power).sum() == pytest.approx(expected, abs=1e-6 * scale)


@pytest.mark.parametrize("key", ["H", "GN", "R"])
def test_quadrature_mean_and_second_moment_match_the_dense_traces(operators, key):
    op, dense = operators[key]
    size = dense.shape[0]
    n_probes = 200
    nodes, weights = lanczos_quadrature(op, n_probes=n_probes, n_iters=2, seed=3)
    probes = _probes(size, n_probes, seed=3)
    for matrix, moment in ((dense, (weights * nodes).sum()),
                           (dense @ dense, (weights * nodes ** 2).sum())):
        quotients = numpy.einsum("ni,ij,nj->n", probes, matrix, probes)
        standard_error = quotients.std(ddof=1) / numpy.sqrt(n_probes)
        assert abs(moment - numpy.trace(matrix) / size) < 4 * standard_error + 1e-12


def test_first_moments_of_h_gn_and_r_add_up_with_shared_probes(operators):
    means = {key: (lambda q: (q[1] * q[0]).sum())(lanczos_quadrature(op, 5, 6, seed=11))
             for key, (op, _) in operators.items()}
    assert means["R"] == pytest.approx(means["H"] - means["GN"], abs=1e-12)
    assert abs(means["R"]) > 1e-6


def test_gauss_newton_nodes_are_nonnegative_and_full_lanczos_finds_the_dense_eigenvalues(
        operators):
    for key, (op, dense) in operators.items():
        eigenvalues = numpy.linalg.eigvalsh(dense)
        nodes, weights = lanczos_quadrature(op, n_probes=2, n_iters=dense.shape[0], seed=0)
        heavy = nodes[weights > 1e-6]
        distance = numpy.abs(heavy[:, None] - eigenvalues[None, :]).min(axis=1)
        assert distance.max() < 1e-6 * numpy.abs(eigenvalues).max(), key
        assert nodes.min() >= eigenvalues.min() - 1e-8 and nodes.max() <= eigenvalues.max() + 1e-8
    gn_nodes, _ = lanczos_quadrature(operators["GN"][0], n_probes=3, n_iters=10, seed=1)
    assert gn_nodes.min() > -1e-10 * gn_nodes.max()


def test_density_integrates_to_one_with_the_quadrature_mean_and_variance_plus_sigma(operators):
    op, _ = operators["R"]
    nodes, weights = lanczos_quadrature(op, n_probes=3, n_iters=8, seed=2)
    sigma = 0.05 * (nodes.max() - nodes.min())
    grid, density = quadrature_density(nodes, weights, sigma=sigma)
    assert _trapezoid(density, grid) == pytest.approx(1.0, abs=1e-12)
    mean = (weights * nodes).sum()
    assert _trapezoid(grid * density, grid) == pytest.approx(mean, abs=1e-4 * sigma)
    variance = (weights * (nodes - mean) ** 2).sum() + sigma ** 2
    assert _trapezoid((grid - mean) ** 2 * density, grid) == pytest.approx(variance, rel=1e-4)
    same_grid, same = spectral_density(op, n_probes=3, n_iters=8, sigma=sigma, seed=2)
    numpy.testing.assert_array_equal(same_grid, grid)
    numpy.testing.assert_array_equal(same, density)


def test_bad_quadrature_arguments_are_rejected():
    with pytest.raises(ValueError, match="n_probes must be a positive int"):
        lanczos_quadrature(numpy.eye(3), n_probes=0)
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(2,\)"):
        quadrature_density(numpy.zeros(3), numpy.ones(2))
    with pytest.raises(ValueError, match="sigma must be positive"):
        quadrature_density(numpy.zeros(3), numpy.ones(3) / 3, sigma=-1.0)
