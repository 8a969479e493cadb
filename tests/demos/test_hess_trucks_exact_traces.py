"""``hess_trucks.exact_traces``: tr H, tr GN and tr R from the exact diagonals equal the
traces of the dense matrices; the training table prints
Hutchinson traces only with their standard errors."""
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


def _run(**extra):
    record = {"step": 0, "backprops": 0, "forwards": 0, "lambda1_H": 2.0, "lambda1_GN": 1.5,
              "trace_GN": 3.25, "trace_R": -1.5, **extra}
    return {"gd": {"label": "GD", "records": [record], "densities": [], "train_loss": 0.5,
                   "test_accuracy": 0.9}}


def test_training_table_gives_each_hutchinson_trace_its_standard_error():
    table = hess_trucks.training_table(_run(trace_error_GN=0.25, trace_error_R=0.75))
    assert "tr R: Hutchinson (s.e.)" in table
    assert "-1.5 (0.75) → -1.5 (0.75)" in table and "3.25 (0.25) → 3.25 (0.25)" in table


def test_training_table_omits_traces_recorded_without_standard_errors():
    table = hess_trucks.training_table(_run())
    assert "-1.5" not in table and "3.25" not in table
    assert "did not record their standard errors" in table
    assert "Traces of H, GN and R" not in hess_trucks.tables(_run(), {}, {})
