"""The full Gauss-Newton matrix in Khatri-Rao form against Jᵀ H_z J from autograd Jacobians."""
import numpy
import pytest

from minigrad.curvature import ggn
from tests.minigrad.curvature.layerwise_reference import LAYERWISE_CASES, gauss_newton, host

CASES = dict(LAYERWISE_CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ggn_matches_jacobian_reference(name):
    model, loss, x, y = CASES[name]()
    result = host(ggn(model, loss, x, y))
    numpy.testing.assert_allclose(result, gauss_newton(model, loss, x, y), rtol=0, atol=1e-10)
    numpy.testing.assert_allclose(result, result.T, rtol=0, atol=1e-14)
    assert numpy.linalg.eigvalsh(result).min() > -1e-12
