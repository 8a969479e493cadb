"""Data-parallel training on 2 ranks (3 in the slow run) equals one process on the same batches.

``mpirun -n 2`` on loopback: after 20 steps of a small float64 MLP the parameters of every
rank equal, to 1e-10, those of one process trained on the same global batches, for SGD
with momentum, Adam, KFAC (seeded), KFLR, Newton-CG and L-BFGS, and also KFRA, the trust
region, cubic regularisation (ARC) and AdaHessian (seeded probes); the ranks hold
bitwise-equal parameters, and the parameters moved (the comparison is not vacuous). With
batch norm, ``SyncBatchNorm`` gives the single-process run on the global batch, parameters
and running statistics included; the default per-rank statistics keep the ranks identical
(rank 0's buffers) but are a different model of the batch, visibly so. In float32, two
epochs of a shuffled loader on 2 ranks agree with one process to float32 rounding, and a
run resumed after one epoch from the saved states continues bitwise.
"""
import json

import pytest

from .launcher import requires_mpi, run_ranks, worker_report

OPTIMIZERS = ("sgd_momentum", "adam", "kfac", "kflr", "newton_cg", "lbfgs", "kfra",
              "trust_region", "arc", "adahessian")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return worker_report(tmp_path_factory, "train_equivalence")


@requires_mpi
@pytest.mark.parametrize("name", OPTIMIZERS + ("sync_batch_norm",))
def test_two_ranks_match_one_process_after_20_steps(report, name):
    """``sync_batch_norm``: SyncBatchNorm trains like one process on the global batch."""
    entry = report[name]
    assert entry["moved"] > 1e-2
    assert entry["max_difference"] < 1e-10
    assert entry["ranks_identical"]


@requires_mpi
def test_per_rank_batch_norm_keeps_the_ranks_identical_but_differs_from_global(report):
    entry = report["per_rank_batch_norm"]
    assert entry["ranks_identical"]
    assert entry["max_difference"] > 1e-6


@requires_mpi
def test_float32_epochs_agree_to_rounding_and_a_resumed_run_continues_exactly(report):
    epochs, resumed = report["float32_two_epochs"], report["float32_resumed"]
    assert epochs["moved"] > 1e-2
    assert epochs["max_difference"] < 1e-5
    assert resumed["max_difference"] == 0.0
    assert epochs["ranks_identical"] and resumed["ranks_identical"]


@pytest.mark.slow
@requires_mpi
def test_three_ranks_match_one_process_and_stay_identical(tmp_path):
    out = tmp_path / "report.json"
    result = run_ranks("train_equivalence", 3, out, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    for name in OPTIMIZERS + ("sync_batch_norm", "float32_resumed"):
        assert report[name]["max_difference"] < 1e-10, name
    assert report["float32_two_epochs"]["max_difference"] < 1e-5
    assert all(entry["ranks_identical"] for entry in report.values())
