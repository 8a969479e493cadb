"""The standard error Hutchinson's estimates report: sample standard deviation (n − 1) / √n.

For ``A = [[0, c], [c, 0]]`` every probe gives ``zᵀAz = 2c z₁z₂ = ±2c`` (and ``z ⊙ Az = ±c``
in both entries), so from the mean ``m`` of n probes the sum of squared deviations is
``n((2c)² − m²)`` and the standard error is ``√(((2c)² − m²)/(n − 1))`` — known in closed
form from the estimate alone, without repeating the probes.
"""
import math

import numpy
import pytest

import minigrad
from minigrad.curvature import hutchinson_diag, hutchinson_trace


def _swap_matrix(c):
    return minigrad.tensor(numpy.array([[0.0, c], [c, 0.0]]), dtype=numpy.float64).data


@pytest.mark.parametrize("n, seed", [(2, 1), (5, 0), (9, 3)])
def test_trace_standard_error_uses_n_minus_one(n, seed):
    trace, error = hutchinson_trace(_swap_matrix(1.5), n, seed=seed)
    assert abs(trace) < 3.0, "the probes must not all agree for the check to mean anything"
    assert error == pytest.approx(math.sqrt((9.0 - trace ** 2) / (n - 1)), rel=1e-12)


@pytest.mark.parametrize("n, seed", [(2, 1), (5, 0)])
def test_diagonal_standard_error_uses_n_minus_one(n, seed):
    estimate, error = hutchinson_diag(_swap_matrix(1.5), n, seed=seed)
    estimate, error = minigrad.to_host(estimate), minigrad.to_host(error)
    assert estimate[0] == estimate[1] and abs(estimate[0]) < 1.5
    numpy.testing.assert_allclose(error, math.sqrt((2.25 - estimate[0] ** 2) / (n - 1)),
                                  rtol=1e-12)


def test_one_probe_has_an_infinite_standard_error():
    trace, error = hutchinson_trace(_swap_matrix(1.0), 1, seed=0)
    assert abs(trace) == 2.0 and error == math.inf
