"""Power iteration stops when the residual ``‖A u − λ u‖ ≤ tol·|λ|``, not at the product bound.

For ``A = diag(10, 1, 1, 1)`` the error shrinks by 10 per product, so tol = 1e-8 is met after
about ten products; the default bound is 1000. A counting operator records the products.
"""
import numpy
import pytest

from minigrad.curvature import LinearOperator, top_eigen


class CountingDiagonal:
    def __init__(self):
        self.products = 0

    def __call__(self, v):
        self.products += 1
        return numpy.array([10.0, 1.0, 1.0, 1.0]) * v


@pytest.mark.parametrize("which", ["magnitude", "largest"])
def test_power_iteration_stops_once_converged(which):
    counting = CountingDiagonal()
    operator = LinearOperator(counting, (4, 4), numpy.float64, numpy)
    values, vectors = top_eigen(operator, method="power", which=which, seed=0)
    assert float(values[0]) == pytest.approx(10.0, rel=1e-12)
    assert abs(float(vectors[0, 0])) == pytest.approx(1.0, rel=1e-8)
    assert counting.products < 60
