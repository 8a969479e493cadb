"""Learning-rate schedules of the training command: the documented rate at every optimizer
step, recorded per epoch, exact resume, and one-line errors for bad or changed settings."""
import json
import math
import signal

import numpy
import pytest

import optim
from minigrad import backend, checkpoint, nn
from minigrad.train import TrainingInterrupted, UsageError, main, train
from minigrad.train import inputs, schedule

TINY = dict(data="synthetic", train_size=60, val_size=20, test_size=20, batch_size=20,
            hidden=(8,), dtype="float64", seed=3, optim="sgd", lr=0.05, momentum=0.9)
COSINE = dict(TINY, epochs=3, lr_schedule="cosine", warmup_steps=4)
SMALL = ["--data", "synthetic", "--train-size", "100", "--val-size", "20", "--test-size", "20",
         "--batch-size", "25", "--hidden", "8", "--epochs", "1"]


def _quiet(line):
    pass


def _expected(lr, warmup, total):
    """The rate of each of the ``total`` steps, from the formula of ``schedule.py``."""
    return [lr * ((t + 1) / warmup) if t < warmup else
            lr * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
            for t in range(total)]


@pytest.mark.parametrize("warmup", [0, 1, 3])
def test_cosine_gives_the_documented_rate_at_every_step_and_zero_after_the_last(warmup):
    parameter = nn.Parameter(backend.to_device(numpy.zeros(2)))
    optimizer = optim.SGD([parameter], lr=0.1)
    scheduler = schedule.create(optimizer, "cosine", warmup, epochs=2, steps_per_epoch=5)
    rates = []
    for _ in range(10):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert rates == _expected(0.1, warmup, 10)
    assert optimizer.param_groups[0]["lr"] == 0.0
    assert max(rates) == 0.1 and rates[warmup] == 0.1


def test_the_constant_schedule_has_no_scheduler_and_keeps_the_rate():
    optimizer = optim.SGD([nn.Parameter(backend.to_device(numpy.zeros(2)))], lr=0.1)
    assert schedule.create(optimizer, "constant", 0, epochs=2, steps_per_epoch=5) is None
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert train(log=_quiet, **dict(TINY, epochs=2))["history"]["lr"] == [0.05, 0.05]


def test_training_sets_the_rate_at_every_optimizer_step_and_records_it_per_epoch(
        tmp_path, monkeypatch):
    used, step = [], optim.SGD.step

    def recording(self, closure=None):
        used.append(self.param_groups[0]["lr"])
        return step(self, closure)
    monkeypatch.setattr(optim.SGD, "step", recording)
    lines = []
    metrics = train(out=tmp_path, log=lines.append, **COSINE)
    assert used == _expected(0.05, 4, 9)
    assert metrics["history"]["lr"] == used[2::3]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["config"]["lr_schedule"] == "cosine" and saved["config"]["warmup_steps"] == 4
    assert saved["history"]["lr"] == used[2::3]
    assert any("cosine schedule over 9 steps with 4 warm-up steps" in line for line in lines)
    assert any(line.startswith("epoch 3:") and f"| lr {used[-1]:.3g} |" in line for line in lines)


def _interrupt_at(text):
    """A ``log`` that sends this process SIGINT when a line contains ``text``."""
    def log(line):
        if text in line:
            signal.raise_signal(signal.SIGINT)
    return log


def _parameters(folder):
    return {name: backend.to_host(value) for name, value in
            checkpoint.load(folder / "checkpoint.npz")["model"].items()}


@pytest.mark.parametrize("stop, message", [
    ("epoch 2 batch 1/3", "after epoch 2, batch 1/3"),
    ("epoch 1: train loss", "after epoch 1; saved")])
def test_an_interrupted_cosine_run_resumes_exactly(stop, message, tmp_path):
    straight = train(out=tmp_path / "straight", log=_quiet, **COSINE)
    with pytest.raises(TrainingInterrupted, match=message):
        train(out=tmp_path / "resumed", log_every=1, log=_interrupt_at(stop), **COSINE)
    resumed = train(out=tmp_path / "resumed", resume=True, log=_quiet, **COSINE)
    assert resumed["batch_loss"] == straight["batch_loss"]
    assert resumed["history"]["lr"] == straight["history"]["lr"]
    expected = _parameters(tmp_path / "straight")
    for name, value in _parameters(tmp_path / "resumed").items():
        numpy.testing.assert_array_equal(value, expected[name], err_msg=name)


def test_resuming_a_cosine_run_with_other_epochs_or_schedule_is_refused(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(SMALL + ["--lr-schedule", "cosine", "--warmup-steps", "2", "--out", out]) == 0
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    for flags, words in ((["--epochs", "2"], ["--epochs 2 differs from 1",
                                              "--lr-schedule cosine"]),
                         (["--lr-schedule", "constant"], ["--lr-schedule 'constant' differs"]),
                         (["--warmup-steps", "1"], ["--warmup-steps 1 differs from 2"])):
        assert main(["--resume", "--out", out] + flags) == 2
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and all(word in error for word in words), error
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before
    settings = dict(data="synthetic", train_size=100, val_size=20, test_size=20, batch_size=25,
                    hidden=(8,), lr_schedule="cosine", warmup_steps=2, out=out, resume=True,
                    log=_quiet)
    with pytest.raises(UsageError, match="--epochs 2 differs from 1"):
        train(epochs=2, **settings)
    with pytest.raises(ValueError, match="different settings"):
        train(epochs=1, **{**settings, "warmup_steps": 1})


@pytest.mark.parametrize("flags, error", [
    (["--warmup-steps", "-1", "--lr-schedule", "cosine"],
     "error: --warmup-steps must be an integer ≥ 0, got -1"),
    (["--warmup-steps", "5"], "error: --warmup-steps 5 needs --lr-schedule cosine"),
    (["--lr-schedule", "cosine", "--optim", "hybrid"],
     "error: --lr-schedule cosine cannot drive --optim hybrid")])
def test_bad_schedule_flags_are_refused_before_any_data_is_loaded(flags, error, capsys,
                                                                   monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the error")
    monkeypatch.setattr(inputs, "load", refuse)
    assert main(SMALL + flags) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(error), err


def test_an_unknown_schedule_is_refused_naming_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(SMALL + ["--lr-schedule", "linear"])
    assert exit_.value.code == 2
    assert "--lr-schedule: invalid choice: 'linear' (choose from" in capsys.readouterr().err
    with pytest.raises(UsageError, match="--lr-schedule must be one of constant, cosine"):
        train(lr_schedule="step", log=_quiet, **TINY)


def test_warmup_as_long_as_the_run_is_refused_naming_both_lengths(capsys):
    assert main(SMALL + ["--lr-schedule", "cosine", "--warmup-steps", "4"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == ("error: --warmup-steps 4 must be fewer than the run's 4 optimizer steps "
                     "(--epochs 1 × 4 batches per epoch)")


def _as_written_before_schedules(path):
    """Rewrite the checkpoint at ``path`` as the trainer wrote it before schedules existed:
    no ``lr_schedule``/``warmup_steps`` settings, no ``scheduler`` entry, no ``history.lr``."""
    state = checkpoint.load(path)
    for key in ("lr_schedule", "warmup_steps"):
        del state["metrics"]["config"][key]
    del state["scheduler"], state["metrics"]["history"]["lr"]
    checkpoint.save(state, path)


@pytest.mark.parametrize("through", ["train", "command"])
def test_a_checkpoint_from_before_schedules_resumes_exactly_as_a_constant_run(through, tmp_path):
    straight = train(out=tmp_path / "straight", log=_quiet, **dict(TINY, epochs=2))
    train(out=tmp_path / "old", log=_quiet, **dict(TINY, epochs=1))
    _as_written_before_schedules(tmp_path / "old" / "checkpoint.npz")
    if through == "train":
        train(out=tmp_path / "old", resume=True, log=_quiet, **dict(TINY, epochs=2))
    else:
        assert main(["--resume", "--out", str(tmp_path / "old"), "--epochs", "2",
                     "--quiet"]) == 0
    resumed = json.loads((tmp_path / "old" / "metrics.json").read_text())
    assert resumed["history"]["lr"] == straight["history"]["lr"] == [0.05, 0.05]
    assert resumed["config"]["lr_schedule"] == "constant"
    expected = _parameters(tmp_path / "straight")
    for name, value in _parameters(tmp_path / "old").items():
        numpy.testing.assert_array_equal(value, expected[name], err_msg=name)
