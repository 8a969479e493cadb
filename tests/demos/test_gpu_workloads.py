"""``demos/gpu_workloads.py`` at ``--size tiny`` on the active backend: every workload of the
GPU check is timed, part by part, against PyTorch where it has the same computation, and a
failing workload is recorded without stopping the others."""
import json

import numpy
import pytest

import minigrad
import models
from demos import gpu_workloads
from minigrad import backend, nn

# Written out here, not taken from the script, so that a workload dropped from it fails.
PARTS = {"kfac": {"factors", "inversion", "update"}, "kfra": {"factors", "inversion", "update"},
         "kflr": {"factors", "inversion", "update"}, "trust-region": {"iteration"},
         "arc": {"iteration"}, "class-subspace": {"step"}, "resnet9-sgd": {"step"},
         "resnet18-adahessian": {"step"}}
AGAINST_TORCH = {("kfac", "inversion"), ("kfra", "inversion"), ("kflr", "inversion"),
                 ("resnet9-sgd", "step"), ("resnet18-adahessian", "step")}


def _torch_installed():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _run(path, *extra):
    """``gpu_workloads.main`` at tiny sizes, minigrad on the active backend, PyTorch on the CPU."""
    device = "cuda" if backend.backend_name() == "cupy" else "cpu"
    return gpu_workloads.main(["--device", device, "--torch-device", "cpu", "--size", "tiny",
                               "--repeats", "1", "--out", str(path), *extra])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("workloads") / "workloads.json"
    return _run(path), json.loads(path.read_text())


def test_every_workload_and_part_is_timed_on_the_active_backend(tiny_run):
    results, saved = tiny_run
    assert saved["workloads"] == json.loads(json.dumps(results["workloads"]))
    assert saved["backend"] == backend.backend_name() and saved["size"] == "tiny"
    assert set(saved["workloads"]) == set(PARTS)
    assert gpu_workloads.failed_workloads(saved) == []
    for name, record in saved["workloads"].items():
        assert set(record["parts"]) == PARTS[name], name
        for part, row in record["parts"].items():
            assert len(row["minigrad_seconds"]) == 1 and min(row["minigrad_seconds"]) > 0
            assert row["minigrad_ms"] == pytest.approx(1e3 * numpy.median(
                row["minigrad_seconds"]))
            assert ("torch_ms" in row) == ((name, part) in AGAINST_TORCH and
                                          _torch_installed()), (name, part)
            if "torch_ms" in row:
                assert len(row["torch_seconds"]) == 1 and row["ratio"] > 0
    for name in ("trust-region", "arc"):
        assert saved["workloads"][name]["hessian_vector_products_per_iteration"] >= 1


def test_a_failing_workload_is_recorded_and_the_others_still_run(tmp_path, monkeypatch):
    def broken(size):
        raise RuntimeError("class subspace out of memory")
    monkeypatch.setattr(gpu_workloads, "class_subspace", broken)
    path = tmp_path / "workloads.json"
    _run(path, "--workloads", "class-subspace,trust-region", "--no-torch")
    saved = json.loads(path.read_text())
    failed = saved["workloads"]["class-subspace"]
    assert failed["status"] == "error"
    assert failed["error"] == "RuntimeError: class subspace out of memory"
    assert saved["workloads"]["trust-region"]["status"] == "timed"
    assert gpu_workloads.failed_workloads(saved) == ["class-subspace"]


def test_an_earlier_run_is_kept_unless_forced(tmp_path, capsys):
    path = tmp_path / "workloads.json"
    path.write_text("{}")
    with pytest.raises(SystemExit):
        _run(path, "--workloads", "arc")
    assert "already holds a run" in capsys.readouterr().err and path.read_text() == "{}"


def test_pytorch_twin_of_resnet9_gives_the_same_logits():
    torch = pytest.importorskip("torch")
    from demos import benchmark_torch
    nn.init.manual_seed(0)
    model = models.resnet9()
    x = numpy.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(numpy.float32)
    expected = model(minigrad.tensor(backend.to_device(x))).numpy()
    twin = benchmark_torch.mirror(model)
    assert isinstance(twin[-1][0], torch.nn.AdaptiveMaxPool2d)
    numpy.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(), expected,
                                  rtol=1e-4, atol=1e-4)
