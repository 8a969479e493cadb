"""Every optimizer of the registry resumes bit for bit, from an epoch end or from Ctrl-C in the
middle of an epoch; every random source follows the seed."""
import signal

import pytest

import optim
from minigrad import checkpoint
from minigrad.train import TrainingInterrupted, train

TINY = dict(data="synthetic", train_size=60, val_size=20, test_size=20, batch_size=20,
            hidden=(8,), dtype="float64", seed=3)
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.05, "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001,
                  "adahessian": 0.05, "hybrid": 0.001, "kfac": 0.05, "kfra": 0.05, "kflr": 0.05}


def _interrupt_at(text):
    """A ``log`` that sends this process SIGINT when a line contains ``text``."""
    def log(line):
        if text in line:
            signal.raise_signal(signal.SIGINT)
    return log


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_every_optimizer_resumes_exactly_after_ctrl_c_in_the_middle_of_an_epoch(name, tmp_path):
    settings = dict(optim=name, lr=LEARNING_RATES.get(name), epochs=1, **TINY)
    straight = train(log=lambda line: None, **settings)
    with pytest.raises(TrainingInterrupted, match="interrupted after epoch 1, batch 2/3; saved"):
        train(out=tmp_path / "resumed", log_every=1, log=_interrupt_at("epoch 1 batch 2/3"),
              **settings)
    saved = checkpoint.load(tmp_path / "resumed" / "checkpoint.npz")
    assert saved["epoch"] == 0 and saved["loader"]["batches"] == 2
    resumed = train(out=tmp_path / "resumed", resume=True, log=lambda line: None, **settings)
    assert resumed["batch_loss"] == straight["batch_loss"]
    assert resumed["history"]["val_loss"] == straight["history"]["val_loss"]
    assert resumed["test_loss"] == straight["test_loss"]


@pytest.mark.parametrize("name", ["kfac", "adahessian"])
def test_two_runs_with_the_same_seed_give_the_same_losses(name):
    settings = dict(optim=name, lr=0.05, epochs=1, log=lambda line: None, **TINY)
    assert train(**settings)["batch_loss"] == train(**settings)["batch_loss"]


def test_checkpoint_every_n_batches_writes_mid_epoch_checkpoints(tmp_path, monkeypatch):
    from minigrad.train import trainer
    saved = []
    original = trainer.Trainer.save

    def recording(self):
        saved.append((self.epoch, self.loader.state_dict()["batches"]))
        original(self)
    monkeypatch.setattr(trainer.Trainer, "save", recording)
    train(out=tmp_path, epochs=2, lr=0.05, batch_size=10, checkpoint_every=2,
          log=lambda line: None, **{k: v for k, v in TINY.items() if k != "batch_size"})
    assert saved == [(0, 0), (0, 2), (0, 4), (1, 0), (1, 2), (1, 4), (2, 0)]


def test_ctrl_c_at_an_epoch_end_keeps_the_finished_epoch(tmp_path):
    settings = dict(lr=0.05, epochs=2, **TINY)
    with pytest.raises(TrainingInterrupted, match="after epoch 1; saved"):
        train(out=tmp_path, log=_interrupt_at("epoch 1: train loss"), **settings)
    assert checkpoint.load(tmp_path / "checkpoint.npz")["epoch"] == 1
    straight = train(log=lambda line: None, **settings)
    assert train(out=tmp_path, resume=True, log=lambda line: None,
                 **settings)["batch_loss"] == straight["batch_loss"]
    assert len(straight["batch_loss"]) == 6
