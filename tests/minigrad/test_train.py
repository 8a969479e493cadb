import json

import numpy
import pytest

from minigrad import checkpoint
from minigrad.train import trainer as training
from minigrad.train import NonFiniteLossError, main, train
from tests.helpers import requires_cupy

SMALL = dict(data="synthetic", train_size=400, val_size=100, test_size=100, batch_size=50,
             hidden=(16,), dtype="float64", log=lambda line: None)


def test_training_on_synthetic_digits_reduces_the_loss():
    metrics = train(epochs=2, lr=0.1, **SMALL)
    history = metrics["history"]
    assert len(metrics["batch_loss"]) == 2 * 8
    assert history["train_loss"][1] < history["train_loss"][0] < numpy.log(10)
    assert metrics["batch_loss"][-1] < 0.5 * metrics["batch_loss"][0]
    assert metrics["test_accuracy"] > 0.5 and history["val_accuracy"][1] > 0.5


def test_resumed_run_repeats_the_uninterrupted_losses_exactly(tmp_path):
    settings = dict(lr=0.05, momentum=0.9, seed=4, **SMALL)
    straight = train(epochs=2, out=tmp_path / "straight", **settings)
    first = train(epochs=1, out=tmp_path / "resumed", **settings)
    assert first["batch_loss"] == straight["batch_loss"][:8]
    resumed = train(epochs=2, out=tmp_path / "resumed", resume=True, **settings)
    assert resumed["batch_loss"] == straight["batch_loss"]
    assert resumed["history"]["val_loss"] == straight["history"]["val_loss"]
    assert resumed["test_loss"] == straight["test_loss"]
    a = checkpoint.load(tmp_path / "straight" / "checkpoint.npz")
    b = checkpoint.load(tmp_path / "resumed" / "checkpoint.npz")
    for name in a["model"]:
        numpy.testing.assert_array_equal(a["model"][name], b["model"][name])
    saved = json.loads((tmp_path / "resumed" / "metrics.json").read_text())
    assert saved["batch_loss"] == straight["batch_loss"]
    assert (tmp_path / "resumed" / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_with_other_settings_is_refused(tmp_path):
    train(epochs=1, lr=0.05, out=tmp_path, **SMALL)
    with pytest.raises(ValueError, match="different settings.*'lr': \\(0.05, 0.07\\)"):
        train(epochs=2, lr=0.07, out=tmp_path, resume=True, **SMALL)


def test_diverging_run_stops_naming_the_batch_and_keeps_the_initial_checkpoint(tmp_path):
    with numpy.errstate(all="ignore"), pytest.raises(NonFiniteLossError,
                                                     match=r"epoch 1, batch \d+/8"):
        train(epochs=2, lr=1e100, out=tmp_path, **SMALL)
    kept = checkpoint.load(tmp_path / "checkpoint.npz")
    assert kept["epoch"] == 0
    assert all(numpy.isfinite(v).all() for v in kept["model"].values())


class _PoisonedSecondEpoch(training.DataLoader):
    """A loader whose second pass yields NaN inputs."""

    passes = 0

    def __iter__(self):
        type(self).passes += 1
        for x, y in super().__iter__():
            if type(self).passes == 2:
                x.data[...] = numpy.nan
            yield x, y


def test_non_finite_loss_in_a_later_epoch_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    original = training.DataLoader
    monkeypatch.setattr(_PoisonedSecondEpoch, "passes", 0)
    monkeypatch.setattr(training, "DataLoader", lambda *a, shuffle=False, **k: (
        _PoisonedSecondEpoch if shuffle else original)(*a, shuffle=shuffle, **k))
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch 1/8"):
        train(epochs=3, lr=0.05, out=tmp_path, **SMALL)
    kept = checkpoint.load(tmp_path / "checkpoint.npz")
    assert kept["epoch"] == 1 and len(kept["metrics"]["batch_loss"]) == 8
    assert json.loads((tmp_path / "metrics.json").read_text())["history"]["epoch"] == [1]


class _PoisonedValidation(training.DataLoader):
    """An evaluation loader whose inputs are infinite: the outputs overflow to NaN."""

    def __iter__(self):
        for x, y in super().__iter__():
            x.data[...] = numpy.inf
            yield x, y


def test_non_finite_validation_loss_stops_before_saving_the_epoch(tmp_path, monkeypatch):
    original = training.DataLoader
    monkeypatch.setattr(training, "DataLoader", lambda *a, shuffle=False, **k: (
        original if shuffle else _PoisonedValidation)(*a, shuffle=shuffle, **k))
    with numpy.errstate(all="ignore"), pytest.raises(
            NonFiniteLossError, match=r"non-finite loss \(nan\) on the validation set after epoch 1"):
        train(epochs=2, lr=0.05, out=tmp_path, **SMALL)
    assert checkpoint.load(tmp_path / "checkpoint.npz")["epoch"] == 0


def test_command_line_exits_non_zero_on_divergence(tmp_path, capsys):
    argv = ["--data", "synthetic", "--train-size", "200", "--val-size", "50", "--test-size",
            "50", "--hidden", "8", "--lr", "1e100", "--dtype", "float64", "--out", str(tmp_path)]
    with numpy.errstate(all="ignore"):
        status = main(argv)
    assert status == 1
    assert "non-finite loss" in capsys.readouterr().err


def test_command_line_writes_metrics_and_curves(tmp_path, capsys):
    status = main(["--data", "synthetic", "--epochs", "1", "--train-size", "200", "--val-size",
                   "50", "--test-size", "50", "--hidden", "8", "--optim", "adam", "--lr",
                   "0.01", "--optim-arg", "betas=(0.8, 0.9)", "--out", str(tmp_path)])
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["optim_args"] == {"betas": [0.8, 0.9]}
    assert metrics["history"]["epoch"] == [1] and 0 <= metrics["test_accuracy"] <= 1
    assert "test: loss" in capsys.readouterr().out


@requires_cupy
def test_training_on_the_gpu_matches_the_cpu_losses(tmp_path):
    cpu = train(epochs=1, lr=0.05, device="cpu", **SMALL)
    gpu = train(epochs=1, lr=0.05, device="cuda", out=tmp_path, **SMALL)
    numpy.testing.assert_allclose(gpu["batch_loss"], cpu["batch_loss"], rtol=1e-8)
    kept = checkpoint.load(tmp_path / "checkpoint.npz")
    assert all(isinstance(v, numpy.ndarray) for v in kept["model"].values())
