"""Smoke tests of the paper demos: each ``main([...])`` in its ``--quick`` configuration.

Every demo must return its results dict, print a markdown table whose rows
hold finite numbers, and write its PNG figures and ``results.json`` into
``--out``. The quick configurations use tiny MNIST subsets (or the synthetic
digits when MNIST is absent) and a few updates.
"""
import json
import math
import pathlib
import re

import numpy
import pytest

from minigrad import curvature

from demos import (adahessian_hybrid_resnet18, adaptive_norms_trust_region,
                   class_gradient_subspace, gauss_newton_autoencoder, hess_trucks)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def table_rows(table):
    """The data rows of every markdown table in ``table`` as lists of cell strings."""
    rows = []
    for line in table.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return [row for row in rows if row not in _headers(table)]


def _headers(table):
    lines = table.splitlines()
    return [[c.strip() for c in lines[i - 1].strip("|").split("|")]
            for i, line in enumerate(lines) if line.startswith("|---")]


def numbers(row):
    """Every number written in the cells of ``row``."""
    values = []
    for cell in row:
        values += [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf", cell)]
    return values


def check_outputs(results, tmp_path, expected_rows):
    assert results["out"] == str(tmp_path)
    rows = table_rows(results["table"])
    assert len(rows) == expected_rows, results["table"]
    for row in rows:
        values = numbers(row[1:])
        assert values, row
        assert all(math.isfinite(v) for v in values), row
    assert results["figures"]
    for path in results["figures"]:
        with open(path, "rb") as png:
            assert png.read(8) == PNG_SIGNATURE
    with open(tmp_path / "results.json") as stored:
        stored = json.load(stored)
    assert stored["table"] == results["table"]
    assert stored["figures"] == [pathlib.Path(path).name for path in results["figures"]]
    assert all((tmp_path / name).is_file() for name in stored["figures"])
    assert not list(tmp_path.glob(".*")), "temporary files were left behind"


def check_header(results, tmp_path):
    """The fields every results.json holds, and the table stored beside it."""
    for key in ("command", "minigrad_version", "seconds", "threads", "machine", "settings"):
        assert key in results, key
    assert results["threads"] == 1 and results["settings"]["threads"] == 1
    assert (tmp_path / "table.md").read_text() == results["table"] + "\n"


def test_gauss_newton_autoencoder(tmp_path):
    results = gauss_newton_autoencoder.main(["--quick", "--out", str(tmp_path),
                                             "--methods", "SGD,Adam,KFRA"])
    check_outputs(results, tmp_path, expected_rows=3)
    check_header(results, tmp_path)
    assert list(results["curves"]) == ["SGD", "Adam", "KFRA"]
    for curve in results["curves"].values():
        assert [point[0] for point in curve] == [0, 1, 2, 3]
        assert all(point[2] > 0 for point in curve)
    # A second process adds its methods to the run of the same settings, never repeats one.
    merged = gauss_newton_autoencoder.main(["--quick", "--out", str(tmp_path),
                                            "--methods", "KFAC"])
    assert list(merged["curves"]) == ["SGD", "Adam", "KFRA", "KFAC"]
    with pytest.raises(FileExistsError, match="already holds \\['KFAC'\\]; pass --force"):
        gauss_newton_autoencoder.main(["--quick", "--out", str(tmp_path), "--methods", "KFAC"])
    with pytest.raises(FileExistsError, match="other settings .*batch_size"):
        gauss_newton_autoencoder.main(["--quick", "--out", str(tmp_path), "--methods", "SGD",
                                       "--batch-size", "8"])


def test_gauss_newton_sweep_feeds_the_run(tmp_path):
    sweep = gauss_newton_autoencoder.main(["--quick", "--sweep", "--out", str(tmp_path / "s"),
                                           "--methods", "SGD"])
    errors = {entry["hyper"]["lr"]: entry["error"] for entry in sweep["sweep"]["SGD"]}
    assert sweep["best"]["SGD"] == {"lr": min(errors, key=errors.get)}
    run = gauss_newton_autoencoder.main(["--quick", "--out", str(tmp_path / "r"), "--methods",
                                         "SGD", "--sweep-results", str(tmp_path / "s")])
    assert run["hyper"]["SGD"]["lr"] == sweep["best"]["SGD"]["lr"]
    assert run["hyper_source"]["SGD"].endswith("results.json")


def test_adahessian_hybrid_resnet18(tmp_path):
    results = adahessian_hybrid_resnet18.main(["--quick", "--out", str(tmp_path)])
    check_outputs(results, tmp_path, expected_rows=2 + 2)
    check_header(results, tmp_path)
    assert "(1 run)" in results["table"] and "±" not in results["table"]
    for method, entries in results["per_seed"].items():
        assert [e["seed"] for e in entries] == [0]
        assert all(0 <= e[key] <= 100 for e in entries for key in ("train", "val", "test"))
    entry = results["runs"]["0/AdaHessian"]
    assert len(entry["val_loss"]) == 1 and len(entry["gradient_norms"]) == 1
    # Another process adds a seed of one optimizer; rows then state their own n and spread.
    merged = adahessian_hybrid_resnet18.main(["--quick", "--out", str(tmp_path), "--seeds-from",
                                              "1", "--optimizers", "AdaHessian"])
    assert [e["seed"] for e in merged["per_seed"]["AdaHessian"]] == [0, 1]
    assert [e["seed"] for e in merged["per_seed"]["SGD-momentum"]] == [0]
    assert "| AdaHessian | 2 |" in merged["table"] and "(1 run)" in merged["table"]


def test_adaptive_norms_trust_region(tmp_path):
    methods = "tr-spherical,arc-rmsprop,sgd"
    results = adaptive_norms_trust_region.main(
        ["--quick", "--out", str(tmp_path), "--methods", methods])
    problems = adaptive_norms_trust_region.PROBLEMS
    check_outputs(results, tmp_path, expected_rows=len(problems) * 3 + 2 * 2)
    check_header(results, tmp_path)
    assert "(1 run)" in results["table"] and "±" not in results["table"]
    assert set(results["runs"]) == {f"{p}/0/{m}" for p in problems for m in methods.split(",")}
    for key, run in results["runs"].items():
        assert run["records"][-1]["backprops"] >= 12
        assert results["curves"][key][0] == [0, 0.0, run["records"][0]["train_loss"]]
    for row in results["dominance"].values():
        assert 0 < row["ratio"] <= 1
        assert row["wigner"] == pytest.approx(1 / row["parameters"])
    assert len(results["figures"]) == 2
    # Another process adds a seed of one problem; its rows then state the spread over seeds.
    merged = adaptive_norms_trust_region.main(
        ["--quick", "--out", str(tmp_path), "--methods", "sgd", "--problems", "mlp",
         "--seeds-from", "1"])
    assert [e["seed"] for e in merged["per_seed"]["mlp/sgd"]] == [0, 1]
    assert [e["seed"] for e in merged["per_seed"]["cnn/sgd"]] == [0]
    assert "| SGD | 2 |" in merged["table"] and "±" in merged["table"]
    assert merged["dominance"] == results["dominance"]


def test_class_gradient_subspace(tmp_path):
    results = class_gradient_subspace.main(["--quick", "--out", str(tmp_path)])
    runs = class_gradient_subspace.RUNS
    check_outputs(results, tmp_path, expected_rows=2 + 2 + 2 * len(runs))
    for record in results["overlaps"]:
        assert 0 <= record["random_overlap"] <= record["overlap"] <= 1
        assert 0 <= record["overlap_top_C_minus_1"] <= 1
        assert len(record["lambda_k"]) == len(record["rayleigh_k"]) == 10
    assert set(results["curves"]) == {f"{name}/{b}" for name in runs for b in (8, 32)}
    for key, curve in results["curves"].items():
        assert [point[0] for point in curve] == [0, 1, 2][:len(curve)]
        assert len(curve) == 3 or results["diverged_at"][key] is not None


@pytest.mark.slow
def test_class_gradient_subspace_resnet9(tmp_path):
    """The ResNet9 path end to end (about 40 s on a loaded 2-core machine: the SVDs of the
    (6.5M, 10) bases in ``subspace_overlap`` dominate)."""
    results = class_gradient_subspace.main(["--quick", "--model", "resnet9", "--out",
                                            str(tmp_path)])
    check_outputs(results, tmp_path, expected_rows=1 + 1 + 2)
    assert results["settings"]["model"] == "resnet9"
    assert len(results["overlaps"][0]["rayleigh_k"]) == 10
    assert set(results["curves"]) == {"sgd/8", "class-subspace/8"}


def test_crossover_is_where_sgd_stays_ahead():
    sgd = [[0, 0, 2.0], [10, 0, 1.9], [20, 0, 1.7], [30, 0, 1.5], [40, 0, 1.4]]
    method = [[0, 0, 2.0], [10, 0, 1.8], [20, 0, 1.75], [30, 0, 1.4], [40, 0, 1.45]]
    assert class_gradient_subspace.crossover(method, sgd) == 40
    assert class_gradient_subspace.crossover(method[:4], sgd[:4]) is None
    assert class_gradient_subspace.crossover([[0, 0, 2.0], [10, 0, 1.95]], sgd[:2]) == 10
    assert class_gradient_subspace.lead_changes(method, sgd) == [20, 30, 40]


def test_rayleigh_quotient_is_that_of_the_operator():
    rng = numpy.random.default_rng(0)
    matrix = rng.standard_normal((6, 6))
    matrix = matrix + matrix.T
    vector = rng.standard_normal(6)
    operator = curvature.aslinearoperator(matrix)
    assert class_gradient_subspace.rayleigh_quotient(operator, vector) == pytest.approx(
        vector @ matrix @ vector / (vector @ vector), rel=1e-12)


def test_hess_trucks(tmp_path):
    results = hess_trucks.main(["--quick", "--out", str(tmp_path)])
    check_outputs(results, tmp_path, expected_rows=3 + 3 * 3 + 3 * 3 + 2 * 2 * 2 + 3)
    assert [run["label"] for run in results["runs"].values()] == [
        "GD + Armijo", "L-BFGS + Armijo", "Newton-CG"]
    for run in results["runs"].values():
        first, last = run["records"][0], run["records"][-1]
        assert last["loss"] < first["loss"]
        for record in run["records"]:
            assert record["trace_H"] == pytest.approx(record["trace_GN"] + record["trace_R"],
                                                      rel=1e-6, abs=1e-8)
            assert record["exact_trace_R"] == pytest.approx(
                record["exact_trace_H"] - record["exact_trace_GN"], rel=1e-12)
            assert record["exact_trace_GN"] > 0 and record["trace_error_H"] > 0
        assert [point["step"] for point in run["densities"]] == [0, 2, 4]
        for point in run["densities"]:
            assert point["H"]["trace"] == pytest.approx(point["GN"]["trace"] + point["R"]["trace"],
                                                        rel=1e-8, abs=1e-10)
            assert point["GN"]["negative_mass"] == 0.0
            for quadrature in point["quadratures"].values():
                assert sum(quadrature["weights"]) == pytest.approx(1.0, abs=1e-12)
        assert results["curves"][run["label"]][-1][0] == 4
    assert set(results["per_seed"]) == {"GD + Armijo", "L-BFGS + Armijo"}
    for label, entries in results["per_seed"].items():
        assert sorted((e["depth"], e["batch_size"], e["seed"]) for e in entries) == [
            (depth, batch, seed) for depth in (1, 2) for batch in (50, 100) for seed in (0, 1)]
        for entry in entries:
            assert entry["failure"] is None
            assert entry["iterations"] == 2 * 100 // entry["batch_size"]
            assert entry["gradients"] >= entry["iterations"]
            assert entry["curve"][-1][0] == 2 and entry["curve"][-1][2] == pytest.approx(
                entry["train_loss"])
    gd = results["per_seed"]["GD + Armijo"]
    assert all(e["loss_evaluations"] >= e["iterations"] for e in gd)


def test_an_earlier_run_is_kept_unless_forced(tmp_path):
    quick = ["--quick", "--parts", "swa", "--out", str(tmp_path)]
    first = hess_trucks.main(quick)
    stored = (tmp_path / "results.json").read_text()
    with pytest.raises(FileExistsError, match="holds an earlier run; pass --force"):
        hess_trucks.main(quick)
    assert (tmp_path / "results.json").read_text() == stored
    again = hess_trucks.main([*quick, "--force"])
    assert again["table"] == first["table"]
