"""Eigenpairs (Lanczos and power iteration) vs numpy.linalg.eigh; the SLQ spectral density."""
import numpy
import pytest

import minigrad
from minigrad.curvature import (LinearOperator, aslinearoperator, ggn_operator, hessian,
                                hessian_operator, spectral_density, top_eigen)
from tests.minigrad.curvature.matrix_free_cases import build, relative_error, symmetric_matrix


def _check_eigenpairs(values, vectors, dense, expected_values):
    values, vectors = minigrad.to_host(values), minigrad.to_host(vectors)
    numpy.testing.assert_allclose(values, expected_values, rtol=1e-6, atol=1e-9)
    residual = dense @ vectors - vectors * values
    assert numpy.abs(residual).max() < 1e-5 * numpy.abs(expected_values).max()
    numpy.testing.assert_allclose(numpy.linalg.norm(vectors, axis=0), 1.0, rtol=1e-8)


@pytest.mark.parametrize("method", ["lanczos", "power"])
def test_top_eigenpairs_of_a_network_hessian_match_eigh(method):
    model, loss_fn, x, y = build("tanh_mse")
    dense = minigrad.to_host(hessian(model, loss_fn, x, y))
    expected = numpy.linalg.eigh(dense)[0][::-1][:3]
    values, vectors = top_eigen(hessian_operator(model, loss_fn, x, y), 3, method=method,
                                iters=None if method == "lanczos" else 20000, tol=1e-10, seed=0)
    _check_eigenpairs(values, vectors, dense, expected)


@pytest.mark.parametrize("method", ["lanczos", "power"])
@pytest.mark.parametrize("which", ["largest", "smallest", "magnitude"])
def test_which_selects_the_end_of_an_indefinite_spectrum(method, which):
    spectrum = numpy.array([-9.0, -4.0, -1.0, 0.5, 1.0, 2.0, 3.0, 6.0, 8.0, 12.0] + [0.1] * 20)
    matrix = symmetric_matrix(spectrum, seed=4)
    expected = {"largest": [12.0, 8.0, 6.0], "smallest": [-9.0, -4.0, -1.0],
                "magnitude": [12.0, 8.0, -9.0]}[which]
    values, vectors = top_eigen(matrix, 3, method=method, which=which, iters=5000, tol=1e-11,
                                seed=1)
    _check_eigenpairs(values, vectors, minigrad.to_host(matrix), expected)


def test_lanczos_finds_repeated_and_zero_eigenvalues_of_a_low_rank_matrix():
    matrix = symmetric_matrix([5.0, 5.0, 2.0] + [0.0] * 9, seed=2)
    values, _ = top_eigen(matrix, 4, method="lanczos", seed=0)
    numpy.testing.assert_allclose(minigrad.to_host(values), [5.0, 5.0, 2.0, 0.0], atol=1e-9)


def test_gauss_newton_top_eigenvalue_is_nonnegative_and_matches_its_dense_form():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    op = ggn_operator(model, loss_fn, x, y)
    dense = minigrad.to_host(op.to_dense())
    values, _ = top_eigen(op, 2, seed=0)
    numpy.testing.assert_allclose(minigrad.to_host(values), numpy.linalg.eigh(dense)[0][::-1][:2],
                                  rtol=1e-8)
    assert numpy.linalg.eigh((dense + dense.T) / 2)[0].min() > -1e-12


def test_spectral_density_integrates_to_one_and_its_mean_is_the_normalised_trace():
    spectrum = numpy.concatenate([numpy.linspace(0.0, 1.0, 36), [4.0, 6.0, 9.0, 15.0]])
    matrix = symmetric_matrix(spectrum, seed=5)
    grid, density = spectral_density(matrix, n_probes=60, n_iters=40, seed=0)
    assert (density >= 0).all()
    assert numpy.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-12)
    mean = numpy.trapezoid(grid * density, grid)
    assert mean == pytest.approx(spectrum.mean(), rel=0.1)
    assert grid[0] < spectrum.min() and grid[-1] > spectrum.max()


def test_spectral_density_with_full_lanczos_puts_peaks_at_the_eigenvalues():
    matrix = symmetric_matrix([-2.0] * 5 + [1.0] * 10 + [3.0] * 5, seed=6)
    grid = numpy.linspace(-4.0, 5.0, 2001)
    _, density = spectral_density(matrix, n_probes=20, n_iters=20, grid=grid, sigma=0.05, seed=1)
    mass = {value: numpy.trapezoid(numpy.where(abs(grid - value) < 0.5, density, 0.0), grid)
            for value in (-2.0, 1.0, 3.0)}
    assert mass[-2.0] == pytest.approx(0.25, abs=0.1)
    assert mass[1.0] == pytest.approx(0.5, abs=0.1)
    assert mass[3.0] == pytest.approx(0.25, abs=0.1)
    assert sum(mass.values()) == pytest.approx(1.0, abs=1e-6)


def test_operator_wrappers_agree_with_the_dense_matrix():
    matrix = symmetric_matrix(numpy.arange(1.0, 7.0), seed=7)
    op = aslinearoperator(matrix)
    assert op.shape == (6, 6)
    block = numpy.random.default_rng(0).standard_normal((6, 2))
    block = minigrad.tensor(block, dtype=numpy.float64).data
    assert relative_error(op @ block, matrix @ block) < 1e-14
    difference = op - LinearOperator(lambda v: 2 * v, (6, 6), numpy.float64, op.xp)
    assert relative_error(difference.to_dense(), matrix - 2 * op.xp.eye(6)) < 1e-14
    with pytest.raises(ValueError, match=r"\(6,\)"):
        op.matvec(op.xp.zeros(5))


def test_bad_arguments_are_rejected():
    matrix = numpy.eye(4)
    with pytest.raises(ValueError, match="k must be"):
        top_eigen(matrix, 5)
    with pytest.raises(ValueError, match="method"):
        top_eigen(matrix, 1, method="qr")
    with pytest.raises(ValueError, match="which"):
        top_eigen(matrix, 1, which="middle")
