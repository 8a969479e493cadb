"""The distributed benchmark runs end to end and writes its figures (slow: three mpiruns)."""
import json
import runpy

import pytest

from .launcher import ROOT, requires_mpi


@pytest.mark.slow
@requires_mpi
def test_benchmark_writes_throughput_communication_and_bandwidth(tmp_path):
    module = runpy.run_path(str(ROOT / "demos" / "benchmark_distributed.py"))
    module["main"](["--steps", "1", "--warmup", "1", "--batch-size", "8", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "results.json").read_text())
    parallel = report["runs"]["2_processes_1_thread"]
    for name in ("autoencoder-mnist", "lenet5"):
        assert parallel[name]["samples_per_second"] > 0
        assert parallel[name]["allreduce_seconds_per_step"] > 0
        assert parallel[name]["flat_gradient_allreduce"]["bytes"] == 4 * parallel[name][
            "parameters"]
