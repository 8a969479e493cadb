"""Hutch++ and the error bars across mini-batches of trace, eigenvalue and density estimates."""
import math

import numpy
import pytest

import minigrad
from minigrad.curvature import (hessian, hessian_operator, hutchinson_trace, hutchpp_trace,
                                spectral_density, top_eigen)
from tests.minigrad.curvature.matrix_free_cases import build, symmetric_matrix


def test_hutchpp_is_exact_when_the_sketch_spans_the_range():
    eigenvalues = numpy.zeros(20)
    eigenvalues[:3] = [9.0, -4.0, 2.5]
    matrix = symmetric_matrix(eigenvalues, seed=3)
    estimate, error = hutchpp_trace(matrix, 9, seed=0)
    assert estimate == pytest.approx(7.5, abs=1e-12)
    assert error == pytest.approx(0.0, abs=1e-12)


def test_hutchpp_beats_hutchinson_on_a_decaying_spectrum():
    matrix = symmetric_matrix(1.0 / numpy.arange(1, 61) ** 2, seed=4)
    exact = float(numpy.trace(minigrad.to_host(matrix)))
    plain = [abs(hutchinson_trace(matrix, 30, seed=s).estimate - exact) for s in range(20)]
    sketched = [abs(hutchpp_trace(matrix, 30, seed=s).estimate - exact) for s in range(20)]
    assert numpy.median(sketched) < numpy.median(plain) / 5


def test_hutchpp_standard_error_covers_the_trace_of_a_hessian():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    exact = float(numpy.trace(minigrad.to_host(hessian(model, loss_fn, x, y))))
    estimate, error = hutchpp_trace(hessian_operator(model, loss_fn, x, y), 30, seed=0)
    assert 0 < error and abs(estimate - exact) < 4 * error


def test_hutchpp_needs_three_products():
    with pytest.raises(ValueError, match="at least 3"):
        hutchpp_trace(numpy.eye(4), 2)


def _batch_operators(seeds):
    """Per-batch Hessian operators of one model on batches drawn with ``seeds``, and the dense
    Hessians they represent."""
    model, loss_fn, _, _ = build("tanh_mse")
    batches = [build("tanh_mse", seed=s)[2:] for s in seeds]
    dense = [minigrad.to_host(hessian(model, loss_fn, x, y)) for x, y in batches]
    return model, loss_fn, batches, dense


def test_trace_error_bars_are_the_mean_and_standard_error_of_the_batch_estimates():
    model, loss_fn, batches, _ = _batch_operators([1, 2, 3, 4])
    full = hessian_operator(model, loss_fn, batches)
    per_batch = [hutchinson_trace(hessian_operator(model, loss_fn, x, y), 10, seed=5).estimate
                 for x, y in batches]
    result = hutchinson_trace(full, 10, seed=5, batches=(
        hessian_operator(model, loss_fn, x, y) for x, y in batches))
    assert result.estimate == pytest.approx(hutchinson_trace(full, 10, seed=5).estimate)
    spread = result.across_batches
    numpy.testing.assert_allclose(spread.values, per_batch, rtol=1e-12)
    assert spread.mean == pytest.approx(numpy.mean(per_batch), rel=1e-12)
    assert spread.standard_error == pytest.approx(numpy.std(per_batch, ddof=1) / 2, rel=1e-12)
    single = hutchpp_trace(full, 9, seed=0, batches=[full]).across_batches
    assert math.isinf(float(single.standard_error))


def test_eigenvalue_error_bars_come_from_each_batchs_exact_spectrum():
    model, loss_fn, batches, dense = _batch_operators([1, 2, 3])
    result = top_eigen(hessian_operator(model, loss_fn, batches), k=2, seed=0,
                       batches=[hessian_operator(model, loss_fn, x, y) for x, y in batches])
    expected = numpy.stack([numpy.sort(numpy.linalg.eigvalsh(h))[::-1][:2] for h in dense])
    numpy.testing.assert_allclose(result.across_batches.values, expected, rtol=1e-8, atol=1e-12)
    numpy.testing.assert_allclose(result.across_batches.standard_error,
                                  expected.std(axis=0, ddof=1) / math.sqrt(3), rtol=1e-6)
    full = numpy.mean(dense, axis=0)
    numpy.testing.assert_allclose(minigrad.to_host(result.eigenvalues),
                                  numpy.sort(numpy.linalg.eigvalsh(full))[::-1][:2], rtol=1e-8)


def test_density_error_bars_share_the_full_data_grid():
    model, loss_fn, batches, _ = _batch_operators([1, 2])
    operators = [hessian_operator(model, loss_fn, x, y) for x, y in batches]
    grid, density, spread = spectral_density(hessian_operator(model, loss_fn, batches), 2, 20,
                                             sigma=0.05, seed=0, batches=operators)
    assert spread.values.shape == (2, grid.size) and spread.mean.shape == density.shape
    for values, op in zip(spread.values, operators):
        _, alone = spectral_density(op, 2, 20, grid=grid, sigma=0.05, seed=0)
        numpy.testing.assert_allclose(values, alone, rtol=1e-12)
    numpy.testing.assert_allclose(spread.mean, spread.values.mean(axis=0), rtol=1e-12)


def test_batches_of_another_shape_are_refused():
    with pytest.raises(ValueError, match=r"batches\[1\] has shape \(4, 4\)"):
        top_eigen(numpy.eye(3), k=1, batches=[numpy.eye(3), numpy.eye(4)])
    with pytest.raises(ValueError, match="holds no operators"):
        hutchinson_trace(numpy.eye(3), 2, batches=[])
