"""``hess_trucks.exact_traces``: tr H, tr GN and tr R from the exact diagonals equal the
traces of the dense matrices ()."""
import numpy
import pytest

import minigrad
import models
from demos import hess_trucks
from minigrad import curvature, nn
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults)


def test_exact_traces_match_the_dense_hessian_and_gauss_newton():
    rng = numpy.random.default_rng(0)
    x, y = minigrad.tensor(rng.standard_normal((6, 5))), minigrad.tensor(rng.integers(0, 3, 6))
    nn.init.manual_seed(0)
    model, loss = models.mlp([5, 4, 3], activation="tanh"), nn.CrossEntropyLoss()
    traces = hess_trucks.exact_traces(model, loss, (x, y))
    dense_h = minigrad.to_host(curvature.hessian(model, loss, x, y))
    dense_gn = minigrad.to_host(curvature.ggn(model, loss, x, y))
    assert traces["exact_trace_H"] == pytest.approx(numpy.trace(dense_h), rel=1e-12)
    assert traces["exact_trace_GN"] == pytest.approx(numpy.trace(dense_gn), rel=1e-12)
    assert traces["exact_trace_R"] == pytest.approx(numpy.trace(dense_h - dense_gn), rel=1e-10,
                                                    abs=1e-12)
