"""``demos/benchmark.py`` runs without PyTorch: minigrad's own steps, the GEMM rate, the JSON,
and its profile; the vit case's ``kfac`` work is one ``optim.KFAC`` step, timed against
PyTorch's SGD step when PyTorch is installed."""
import io
import json

import numpy
import pytest

import minigrad
import models
import optim
from demos import benchmark
from minigrad import backend, nn
from minigrad.curvature import Closure


def test_minigrad_only_run_writes_its_table_and_json(tmp_path):
    results = benchmark.main(["--no-torch", "--repeats", "1", "--cases", "autoencoder",
                              "--works", "sgd", "--threads", "1", "--out", str(tmp_path)])
    assert results["frameworks"] == ["minigrad"] and results["threads"] in (1, None)
    assert [(r["case"], r["work"]) for r in results["rows"]] == [("autoencoder", "sgd")]
    assert all(r["minigrad_ms"] > 0 and r["minigrad_peak_bytes"] > 0 for r in results["rows"])
    assert 0 < results["autoencoder_sgd_gemm_fraction"]
    saved = json.loads((tmp_path / "cpu-threads1.json").read_text())
    assert saved["table"] == results["table"] and "| autoencoder | sgd |" in saved["table"]


def test_autoencoder_gemm_flops_count_every_product_of_the_step():
    sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    expected = sum(6 * 1000 * a * b for a, b in pairs) - 2 * 1000 * 784 * 1000
    assert benchmark.autoencoder_gemm_flops() == expected


def test_profile_lists_the_functions_with_the_most_own_time():
    args = benchmark.arguments(["--profile", "--repeats", "1", "--cases", "lenet5",
                                "--works", "sgd", "--threads", "1"])
    benchmark.configure(args, ["minigrad"])
    out = io.StringIO()
    benchmark.profile(args, top=5, out=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("lenet5 sgd:") and len(lines) == 6
    shares = [float(line.split("%")[0]) for line in lines[1:]]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 100


def test_kfac_is_timed_on_the_vit_case_only(capsys):
    args = benchmark.arguments(["--cases", "autoencoder,vit", "--works", "sgd,kfac"])
    assert [benchmark.case_works(case, args.works) for case in args.cases] == [
        ["sgd"], ["sgd", "kfac"]]
    with pytest.raises(SystemExit):
        benchmark.arguments(["--cases", "autoencoder,lenet5", "--works", "kfac"])
    assert "kfac is timed on the vit case only" in capsys.readouterr().err


def test_vit_run_times_kfac_beside_sgd(tmp_path, monkeypatch):
    monkeypatch.setitem(benchmark.CASES["vit"], "batch", 8)
    results = benchmark.main(["--no-torch", "--repeats", "1", "--cases", "vit", "--works",
                              "sgd,kfac", "--threads", "1", "--no-memory", "--out",
                              str(tmp_path)])
    assert [(r["case"], r["work"]) for r in results["rows"]] == [("vit", "sgd"), ("vit", "kfac")]
    assert all(r["minigrad_ms"] > 0 and "torch_work" not in r for r in results["rows"])
    assert "| vit | kfac |" in results["table"] and "PyTorch has no" not in results["table"]


def test_kfac_work_is_one_kfac_expand_step_with_fresh_factors():
    x, y = (minigrad.tensor(backend.to_device(a)) for a in benchmark.random_batch(4, (1, 28, 28)))
    nn.init.manual_seed(0)
    model, twin = models.vit(), models.vit()
    twin.load_state_dict(model.state_dict())
    before = [p.numpy().copy() for p in model.parameters()]
    steps = benchmark.minigrad_workloads(model, nn.CrossEntropyLoss(), x, y)
    reference = optim.KFAC(twin.parameters(), lr=0.01, damping=0.1, approx="expand", seed=0)
    for _ in range(2):
        steps["kfac"]()
        reference.step(Closure(twin, nn.CrossEntropyLoss(), x, y))
    after = [p.numpy() for p in model.parameters()]
    assert not all(numpy.array_equal(a, b) for a, b in zip(before, after))
    assert all(numpy.array_equal(a, p.numpy()) for a, p in zip(after, twin.parameters()))


def test_torch_times_its_sgd_step_in_place_of_kfac(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(benchmark.CASES["vit"], "batch", 8)
    steps = benchmark.setup("torch", "vit", "cpu")
    assert steps["kfac"] is steps["sgd"]
    results = benchmark.main(["--repeats", "1", "--cases", "vit", "--works", "kfac",
                              "--threads", "1", "--no-memory", "--out", str(tmp_path)])
    row, = results["rows"]
    assert row["work"] == "kfac" and row["torch_work"] == "sgd" and row["ratio"] > 0
    assert results["table"].endswith("so its ratio is KFAC step / PyTorch SGD step.")
