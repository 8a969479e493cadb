"""Hutchinson estimates: exact for diagonal matrices, unbiased and converging as 1/√n otherwise."""
import numpy
import pytest

import minigrad
from minigrad.curvature import hessian, hessian_operator, hutchinson_diag, hutchinson_trace
from tests.minigrad.curvature.matrix_free_cases import build, symmetric_matrix


def test_estimates_are_exact_for_a_diagonal_matrix():
    diagonal = numpy.array([3.0, -1.0, 0.5, 2.0, 7.0])
    matrix = minigrad.tensor(numpy.diag(diagonal), dtype=numpy.float64).data
    estimate, error = hutchinson_diag(matrix, 3, seed=0)
    numpy.testing.assert_allclose(minigrad.to_host(estimate), diagonal, rtol=0, atol=1e-14)
    numpy.testing.assert_allclose(minigrad.to_host(error), 0.0, atol=1e-14)
    trace, trace_error = hutchinson_trace(matrix, 3, seed=0)
    assert trace == pytest.approx(diagonal.sum(), abs=1e-13)
    assert trace_error == pytest.approx(0.0, abs=1e-13)


def test_errors_shrink_with_the_number_of_probes():
    matrix = symmetric_matrix(numpy.linspace(-2.0, 5.0, 30), seed=1)
    host = minigrad.to_host(matrix)
    diag_errors, trace_errors = [], []
    for n in (10, 1000):
        estimate, _ = hutchinson_diag(matrix, n, seed=2)
        diag_errors.append(numpy.abs(minigrad.to_host(estimate) - numpy.diag(host)).max())
        trace, _ = hutchinson_trace(matrix, n, seed=2)
        trace_errors.append(abs(trace - numpy.trace(host)))
    assert diag_errors[1] < diag_errors[0] / 3
    assert trace_errors[1] < max(trace_errors[0] / 3, 0.5)


def test_standard_error_covers_the_true_trace_of_a_hessian():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    exact = float(numpy.trace(minigrad.to_host(hessian(model, loss_fn, x, y))))
    trace, error = hutchinson_trace(hessian_operator(model, loss_fn, x, y), 200, seed=0)
    assert error > 0
    assert abs(trace - exact) < 4 * error


def test_the_number_of_probes_must_be_positive():
    with pytest.raises(ValueError, match="positive int"):
        hutchinson_trace(numpy.eye(3), 0)
