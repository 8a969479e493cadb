"""``mpirun -n 2 python -m minigrad.train``: the training command data-parallel on 2 ranks.

One epoch on 2 ranks writes the checkpoint of one process on the same global batches, to
float32 rounding; the test set evaluated on 2 ranks (4 batches shared out) gives bitwise
the numbers of one process with the same weights; the run folder,
metrics, log lines and checkpoint keep their form, written once by rank 0. A run resumed on
2 ranks continues bitwise, one resumed on 1 process runs. A batch size that does not split,
and an optimizer that needs the whole batch, are one-line errors (exit 2) printed once; a
rank that raises during training ends the job naming itself.
"""
import json
import re
import shutil

import numpy
import pytest

from minigrad import checkpoint

from .launcher import requires_mpi, run_ranks, run_training

DATA = ("--data", "synthetic", "--train-size", "96", "--val-size", "30", "--test-size", "64",
        "--hidden", "16", "--log-every", "2", "--seed", "3")
FLAGS = DATA + ("--batch-size", "16", "--optim", "sgd", "--lr", "0.1", "--momentum", "0.9")
BATCHES = 96 // 16


def _train(processes, out, *flags):
    result = run_training(processes, *FLAGS, "--out", out, *flags)
    assert result.returncode == 0, result.stderr
    return result


def _checkpoint(out):
    return checkpoint.load(out / "checkpoint.npz")


def _metrics(out):
    return json.loads((out / "metrics.json").read_text())


def _data_parallel_runs(out):
    """How many invocations logged that they ran data-parallel on 2 ranks."""
    return (out / "log.txt").read_text().count("data-parallel on 2 MPI ranks: global batch 16, "
                                               "8 per rank")


def _keys(value):
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    return type(value).__name__


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("train_command")
    _train(None, root / "one", "--epochs", 1)
    _train(2, root / "two", "--epochs", 1)
    _train(2, root / "two_straight", "--epochs", 2)
    for name, processes, epochs in (("two_resumed", 2, 2), ("one_resumed", None, 2),
                                    ("tested_on_one", None, 1)):
        shutil.copytree(root / "two", root / name)
        _train(processes, root / name, "--resume", "--epochs", epochs)
    return root


@requires_mpi
def test_one_epoch_on_two_ranks_writes_the_weights_of_one_process(runs):
    one, two = _checkpoint(runs / "one")["model"], _checkpoint(runs / "two")["model"]
    assert _data_parallel_runs(runs / "two") == 1 and _data_parallel_runs(runs / "one") == 0
    assert set(one) == set(two)
    for key in one:
        assert numpy.abs(one[key] - two[key]).max() <= 1e-6 * max(1.0, numpy.abs(one[key]).max())
    first, second = _metrics(runs / "one"), _metrics(runs / "two")
    assert first["batch_correct"] == second["batch_correct"]
    assert numpy.allclose(first["batch_loss"], second["batch_loss"], rtol=1e-6, atol=0)
    assert numpy.allclose(first["history"]["val_loss"], second["history"]["val_loss"],
                          rtol=1e-6, atol=0)
    assert numpy.allclose(first["test_loss"], second["test_loss"], rtol=1e-6, atol=0)


@requires_mpi
def test_the_test_set_evaluated_on_two_ranks_gives_the_numbers_of_one_process_bitwise(runs):
    two, one = _metrics(runs / "two"), _metrics(runs / "tested_on_one")
    assert _data_parallel_runs(runs / "tested_on_one") == 1  # the 2-rank epoch, not the test
    assert two["test_loss"] == one["test_loss"]
    assert two["test_accuracy"] == one["test_accuracy"]


@requires_mpi
def test_the_weights_moved_so_the_comparison_is_not_vacuous(runs, tmp_path):
    _train(None, tmp_path / "zero", "--epochs", 1, "--lr", 1e-12)
    before, after = _checkpoint(tmp_path / "zero")["model"], _checkpoint(runs / "two")["model"]
    assert max(numpy.abs(before[key] - after[key]).max() for key in before) > 1e-2


@requires_mpi
def test_rank_0_writes_the_run_folder_in_the_form_of_one_process(runs):
    one, two = runs / "one", runs / "two"
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
    assert _keys(_metrics(one)) == _keys(_metrics(two))
    assert set(_checkpoint(one)) == set(_checkpoint(two))
    numbers = re.compile(r"[-+]?\d[\d.e-]*")
    lines = [numbers.sub("#", line) for line in (one / "log.txt").read_text().splitlines()]
    parallel = [numbers.sub("#", line) for line in (two / "log.txt").read_text().splitlines()
                if not line.startswith("data-parallel on 2 MPI ranks")]
    assert len(parallel) == len(lines) > 5
    assert parallel[:-1] == lines[:-1]
    assert _data_parallel_runs(two) == 1


@requires_mpi
def test_a_run_resumed_on_two_ranks_continues_bitwise_and_on_one_process_runs(runs):
    straight, resumed = _checkpoint(runs / "two_straight"), _checkpoint(runs / "two_resumed")
    assert resumed["epoch"] == 2
    assert _data_parallel_runs(runs / "two_resumed") == 2
    assert _data_parallel_runs(runs / "one_resumed") == 1
    for key, value in straight["model"].items():
        assert numpy.array_equal(value, resumed["model"][key]), key
    assert straight["metrics"]["batch_loss"] == resumed["metrics"]["batch_loss"]
    assert len(resumed["metrics"]["batch_loss"]) == 2 * BATCHES
    single = _checkpoint(runs / "one_resumed")
    assert single["epoch"] == 2 and len(single["metrics"]["batch_loss"]) == 2 * BATCHES
    assert "resumed from" in (runs / "one_resumed" / "log.txt").read_text()


@requires_mpi
@pytest.mark.parametrize("flags, message", [
    (("--batch-size", "15", "--optim", "sgd"),
     "error: --batch-size 15 is the global batch and must be divisible by the 2 MPI ranks; "
     "choose a multiple of 2"),
    (("--batch-size", "16", "--optim", "class-subspace"),
     "error: --optim class-subspace cannot run data-parallel under mpirun"),
])
def test_user_errors_under_mpirun_are_one_line_printed_once_with_status_2(flags, message,
                                                                          tmp_path):
    result = run_training(2, *DATA, "--out", tmp_path / "run", *flags)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message), result.stderr
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


@requires_mpi
def test_a_rank_that_raises_during_training_ends_the_job_naming_itself(tmp_path):
    result = run_ranks("failing_training", 2, *FLAGS, "--out", tmp_path / "run", "--epochs", 1,
                       timeout=60)
    assert result.returncode != 0
    assert "minigrad.distributed: rank 1 of 2 failed: RuntimeError: rank 1 fails on purpose " \
           "at step 3" in result.stderr
