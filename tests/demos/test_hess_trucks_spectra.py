"""The Hess-Trucks demo's spectrum summaries and the iterations that get a spectral density."""
import argparse

import pytest

from demos import hess_trucks


def test_spectrum_summary_splits_the_quadrature_mass_at_the_resolution():
    quadrature = {"nodes": [-1.0, -0.005, 0.0, 0.5, 1.0], "weights": [0.1, 0.2, 0.3, 0.2, 0.2]}
    summary = hess_trucks.spectrum_summary(quadrature, size=10)
    assert summary["lambda_min"] == -1.0 and summary["lambda_max"] == 1.0
    assert summary["negative_mass"] == pytest.approx(0.1)
    assert summary["zero_mass"] == pytest.approx(0.5)
    assert summary["trace"] == pytest.approx(10 * (-0.1 - 0.001 + 0.1 + 0.2))


@pytest.mark.parametrize("steps, every, expected", [(150, 15, [0, 75, 150]), (4, 3, [0, 3, 4]),
                                                    (10, 20, [0, 10])])
def test_density_steps_are_start_middle_measurement_and_end(steps, every, expected):
    args = argparse.Namespace(steps=steps, measure_every=every)
    assert hess_trucks.density_steps(args) == expected
