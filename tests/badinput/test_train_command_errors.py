"""Bad checkpoints, sizes and disks give the training command one line naming the file or
flag, exit 2 (1 for a failed write), and leave the run's checkpoint as it was."""
import errno
import os
import signal

import numpy
import pytest

from minigrad import checkpoint
from minigrad.train import main, progress, settings, trainer

SMALL = ["--data", "synthetic", "--train-size", "60", "--val-size", "20", "--test-size", "20",
         "--batch-size", "20", "--hidden", "4", "--epochs", "1", "--quiet"]


@pytest.fixture
def run(tmp_path):
    """A finished one-epoch run; its folder."""
    out = tmp_path / "run"
    assert main(SMALL + ["--out", str(out)]) == 0
    return out


def _damage(out, change):
    path = out / "checkpoint.npz"
    state = checkpoint.load(path)
    change(state)
    checkpoint.save(state, path)
    return path.read_bytes()


def _one_line_error(capsys, status, argv, *names):
    assert main(argv) == status
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def _resume(out, epochs="2"):
    return ["--resume", "--out", str(out), "--epochs", epochs, "--quiet"]


@pytest.mark.parametrize("change, named", [
    (lambda state: state["metrics"]["config"].pop("dtype"), "'dtype'"),
    (lambda state: state["optimizer"].pop("param_groups"), "param_groups"),
    (lambda state: state["optimizer"]["state"].update({99: {"step": 1}}), "[99]"),
    (lambda state: state["metrics"]["config"].update(optim_args=5), "settings"),
    (lambda state: state["loader"].clear(), "'loader'"),
    (lambda state: state.update(init_generator={"bit_generator": "MT"}), "'init_generator'"),
], ids=["config-without-dtype", "no-param-groups", "state-of-a-missing-parameter",
        "optim-args-not-a-dict", "empty-loader-state", "foreign-generator-state"])
def test_a_loadable_but_wrong_checkpoint_is_one_line_naming_it(run, capsys, change, named):
    before = _damage(run, change)
    _one_line_error(capsys, 2, _resume(run), str(run / "checkpoint.npz"), named)
    assert (run / "checkpoint.npz").read_bytes() == before


def test_a_structure_nested_100000_deep_is_refused_not_a_recursion_error(run, capsys):
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    path = run / "checkpoint.npz"
    numpy.savez(path, structure=numpy.frombuffer(deep, dtype=numpy.uint8))
    before = path.read_bytes()
    _one_line_error(capsys, 2, _resume(run), str(path), "RecursionError")
    assert path.read_bytes() == before


def test_hidden_sizes_beyond_the_memory_are_refused_before_allocating(tmp_path, capsys,
                                                                      monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("allocated")
    monkeypatch.setattr(trainer.models, "create", refuse)
    monkeypatch.setattr(settings, "physical_memory", lambda: 16 * 2 ** 30)
    line = _one_line_error(capsys, 2, ["--hidden", "100000000", "--out", str(tmp_path / "r"),
                                       "--quiet"], "--hidden 100000000", "GiB")
    assert "79,500,000,010 parameters, 592.3 GiB" in line and "16.0 GiB" in line


def test_a_full_disk_is_one_line_naming_the_file_exit_1_and_keeps_the_checkpoint(
        run, capsys, monkeypatch):
    before = (run / "checkpoint.npz").read_bytes()

    def full(handle):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full)
    _one_line_error(capsys, 1, _resume(run), "No space left on device",
                    str(run / "checkpoint.npz"))
    assert (run / "checkpoint.npz").read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.npz", "curves.png", "log.txt",
                                                     "metrics.json"]


def test_resuming_with_fewer_epochs_than_done_says_so(run, capsys):
    _one_line_error(capsys, 2, _resume(run, epochs="0"), "--epochs must be")
    assert main(SMALL[:-3] + ["--epochs", "2", "--out", str(run), "--resume", "--quiet"]) == 0
    _one_line_error(capsys, 2, _resume(run, epochs="1"),
                    "--epochs 1 is fewer than the 2 epochs already done",
                    str(run / "checkpoint.npz"))


def test_a_second_ctrl_c_names_the_checkpoint_written_before_it(tmp_path, capsys, monkeypatch):
    original = trainer.Trainer.save

    def then_ctrl_c_again(self):
        original(self)
        if self.stop is not None and self.stop.requested:
            signal.raise_signal(signal.SIGINT)
    monkeypatch.setattr(trainer.Trainer, "save", then_ctrl_c_again)
    monkeypatch.setattr(progress.Progress, "advance",
                        lambda self, number: number == 1 and signal.raise_signal(signal.SIGINT))
    out = tmp_path / "run"
    assert main(SMALL + ["--out", str(out)]) == 130
    message = capsys.readouterr().err
    assert "no new checkpoint" not in message
    assert (f"interrupted again; {out / 'checkpoint.npz'} holds the checkpoint written after "
            f"epoch 1, batch 1") in message
    assert checkpoint.load(out / "checkpoint.npz")["loader"]["batches"] == 1
