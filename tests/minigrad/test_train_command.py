"""The training command: defaults, run folders, --resume, one-line user errors, progress, log,
metrics and curves."""
import json
import os
import stat
import struct
import subprocess
import sys

import numpy
import pytest

import minigrad
from minigrad import backend, checkpoint
from minigrad.train import NonFiniteLossError, UsageError, main, train
from minigrad.train import inputs, trainer

SMALL = ["--data", "synthetic", "--train-size", "100", "--val-size", "20", "--test-size", "20",
         "--batch-size", "25", "--hidden", "8", "--epochs", "1"]
QUIET = dict(data="synthetic", train_size=100, val_size=20, test_size=20, batch_size=25,
             hidden=(8,), epochs=1, log=lambda line: None)
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _no_data(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the error")
    monkeypatch.setattr(inputs, "load", refuse)
    monkeypatch.setattr("minigrad.train.run.choose_source", refuse)
    monkeypatch.setattr("minigrad.train.command.choose_source", refuse)


@pytest.mark.parametrize("name, default", [("adam", 1e-3), ("rmsprop", 1e-2), ("sgd", 1e-3),
                                           ("gd-armijo", 1.0)])
def test_each_optimizer_keeps_its_own_default_lr_unless_lr_is_given(name, default):
    assert train(optim=name, **QUIET)["lr"] == default
    assert train(optim=name, lr=0.02, **QUIET)["lr"] == 0.02


def test_a_second_run_in_the_same_folder_is_refused_naming_resume_and_force(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(SMALL + ["--out", out]) == 0
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert main(SMALL + ["--out", out, "--lr", "0.2"]) == 2
    error = capsys.readouterr().err
    assert "already holds a run" in error and "--resume" in error and "--force" in error
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before
    assert main(SMALL + ["--out", out, "--lr", "0.2", "--force"]) == 0
    assert (tmp_path / "run" / "log.txt").read_text().count("test: loss") == 1
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]["lr"] == 0.2


def test_without_out_every_run_gets_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(SMALL) == 0 and main(SMALL) == 0
    assert sorted(os.listdir(tmp_path / "runs")) == ["mlp-synthetic", "mlp-synthetic-2"]


def test_resume_reads_the_settings_and_refuses_unsafe_changes(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(SMALL + ["--lr", "0.05", "--out", out]) == 0
    capsys.readouterr()
    assert main(["--resume", "--out", out, "--lr", "0.07"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--lr 0.07 differs from 0.05" in error
    assert main(["--resume", "--out", out, "--epochs", "2"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["history"]["epoch"] == [1, 2] and metrics["config"]["lr"] == 0.05
    assert metrics["config"]["train_size"] == 100 and len(metrics["batch_loss"]) == 8
    straight = train(lr=0.05, **{**QUIET, "epochs": 2})
    assert metrics["batch_loss"] == straight["batch_loss"]


def _corrupt(tmp_path):
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    return str(tmp_path / "corrupt")


USER_ERRORS = [
    (["--model", "vgg"], "--model: unknown model 'vgg'"),
    (["--optim", "newton"], "--optim: unknown optimizer 'newton'"),
    (["--data", "imagenet"], "--data: unknown data set 'imagenet'"),
    (["--optim-arg", "betas"], "--optim-arg: expected KEY=VALUE"),
    (["--optim-arg", "colour=3"], "--optim sgd refuses its hyper-parameters (colour=3)"),
    (["--optim", "adam", "--optim-arg", "betas=(2, 0.9)"], "--optim adam refuses"),
    (["--train-size", "0"], "--train-size must be an integer ≥ 1, got 0"),
    (["--epochs", "-3"], "--epochs must be an integer ≥ 1, got -3"),
    (["--batch-size", "0"], "--batch-size must be an integer ≥ 1, got 0"),
    (["--lr", "-1"], "--lr must be positive"),
    (["--hidden", "8,x"], "--hidden: expected sizes"),
    (["--threads", "0"], "--threads 0"),
    (["--checkpoint-every", "0"], "--checkpoint-every must be"),
    (["--root", "/nonexistent/data"], "--root /nonexistent/data: no such folder"),
    (["--root", "/nonexistent/data", "--data", "auto"], "--root /nonexistent/data: no such"),
    (["--resume", "--out", "{tmp}/absent"], "--resume: no checkpoint at"),
    (["--resume"], "--resume needs --out"),
    (["--resume", "--out", "{corrupt}"], "checkpoint.npz is truncated or corrupt"),
]


@pytest.mark.parametrize("argv, message", USER_ERRORS, ids=[" ".join(a) for a, _ in USER_ERRORS])
def test_user_errors_are_one_line_naming_the_flag_with_exit_status_2(argv, message, tmp_path,
                                                                     monkeypatch, capsys):
    _no_data(monkeypatch)
    corrupt = _corrupt(tmp_path)
    argv = [a.format(tmp=tmp_path, corrupt=corrupt) for a in argv]
    monkeypatch.chdir(tmp_path)
    try:
        status = main(argv + ["--data", "synthetic"] if "--data" not in argv else argv)
    except SystemExit as exit_:
        status = exit_.code
    error = capsys.readouterr().err.strip()
    assert status == 2, error
    assert message in error and error.count("\n") == 0 and "Traceback" not in error


def test_a_refused_setting_leaves_the_backend_and_default_dtype_as_they_were():
    before = backend.backend_name(), backend.get_default_dtype()
    other = "float32" if before[1] == numpy.float64 else "float64"
    with pytest.raises(UsageError, match="--threads 0"):
        train(threads=0, dtype=other, **QUIET)
    assert (backend.backend_name(), backend.get_default_dtype()) == before


def test_cuda_without_cupy_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    previous = backend.backend_name()
    try:
        backend.use("cupy")
        backend.use(previous)
        pytest.skip("CuPy is importable, so the missing-CuPy error cannot occur")
    except RuntimeError:
        pass
    _no_data(monkeypatch)
    assert main(SMALL + ["--device", "cuda"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --device cuda:") and error.count("\n") == 0


def test_help_lists_the_models_and_optimizers(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "models: mlp, autoencoder-mnist" in text and "resnet18" in text
    assert "optimizers: sgd, adagrad" in text and "class-subspace" in text


def test_progress_bar_shows_rate_and_eta_and_lines_without_a_terminal(capsys):
    train(progress_bar=True, log_every=1, **{**QUIET, "log": print})
    captured = capsys.readouterr()
    assert "batch/s" in captured.err and "<" in captured.err
    assert "epoch 1 batch" not in captured.out
    train(progress_bar=False, log_every=2, **{**QUIET, "log": print})
    assert "epoch 1 batch 2/4" in capsys.readouterr().out


def test_log_file_and_quiet(tmp_path, capsys):
    assert main(SMALL + ["--out", str(tmp_path / "run"), "--quiet", "--log-every", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "epoch 1 batch 2/4" in log and "test: loss" in log and "data: synthetic" in log


def _strict(text):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def test_metrics_are_strict_json_with_the_run_facts(tmp_path):
    train(out=tmp_path, threads=1, **QUIET)
    metrics = _strict((tmp_path / "metrics.json").read_text())
    assert metrics["minigrad_version"] == minigrad.__version__
    assert metrics["sizes"] == {"train": 100, "val": 20, "test": 20}
    assert metrics["data_source"] == "synthetic" and "data_folder" in metrics
    assert metrics["threads"] == 1 and isinstance(metrics["command"], list)
    assert metrics["elapsed_seconds"] > 0 and len(metrics["history"]["epoch_seconds"]) == 1


class _NaNTest(trainer.DataLoader):
    def __iter__(self):
        for x, y in super().__iter__():
            x.data[...] = numpy.nan
            yield x, y


def test_a_nan_test_loss_is_exit_status_1_with_null_in_the_metrics(tmp_path, monkeypatch, capsys):
    original = trainer.DataLoader
    made = []

    def loader(*args, **kwargs):
        made.append(None)
        return (_NaNTest if len(made) == 3 else original)(*args, **kwargs)
    monkeypatch.setattr(trainer, "DataLoader", loader)
    with numpy.errstate(all="ignore"):
        assert main(SMALL + ["--out", str(tmp_path)]) == 1
    assert "non-finite test loss" in capsys.readouterr().err
    metrics = _strict((tmp_path / "metrics.json").read_text())
    assert metrics["test_loss"] is None
    assert metrics["non_finite"]["values"]["test_loss"] == "nan"


def _png_width(path):
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


def test_curves_have_no_accuracy_panel_for_an_autoencoder(tmp_path):
    train(out=tmp_path / "mlp", **QUIET)
    train(model="autoencoder-curves", out=tmp_path / "autoencoder",
          **{**QUIET, "hidden": (128,)})
    assert _png_width(tmp_path / "mlp" / "curves.png") == 900
    assert _png_width(tmp_path / "autoencoder" / "curves.png") == 500
    metrics = json.loads((tmp_path / "autoencoder" / "metrics.json").read_text())
    assert metrics["history"]["train_accuracy"] == [None]


def test_run_files_follow_the_umask_and_stale_temporaries_are_cleaned(tmp_path):
    previous = os.umask(0o027)
    try:
        train(out=tmp_path, **QUIET)
    finally:
        os.umask(previous)
    for name in ("checkpoint.npz", "metrics.json", "curves.png"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640, name
    (tmp_path / ".checkpoint.npz-0123abcd.tmp").write_bytes(b"partial")
    lines = []
    train(out=tmp_path, resume=True, **{**QUIET, "epochs": 2, "log": lines.append})
    assert not (tmp_path / ".checkpoint.npz-0123abcd.tmp").exists()
    assert any("removed" in line and "0123abcd" in line for line in lines)


def test_the_loop_transfers_to_the_host_only_at_reporting_points(monkeypatch):
    calls = []
    original = backend.to_host

    def counting(array):
        caller = sys._getframe(1).f_code.co_filename
        if os.path.join("minigrad", "train") in caller or "loader.py" in caller:
            calls.append(caller)
        return original(array)
    monkeypatch.setattr(backend, "to_host", counting)
    train(log_every=0, **{**QUIET, "train_size": 200, "batch_size": 10})
    assert len(calls) == 3
    calls.clear()
    train(log_every=5, **{**QUIET, "train_size": 200, "batch_size": 10})
    assert len(calls) == 20 // 5 + 2


def test_diverging_run_names_its_batch_without_a_per_batch_transfer():
    with numpy.errstate(all="ignore"), pytest.raises(NonFiniteLossError,
                                                     match=r"epoch 1, batch 1/4"):
        train(lr=1e100, log_every=0, **QUIET)


def test_ctrl_c_on_the_command_line_saves_says_so_and_exits_130(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "minigrad.train", *SMALL, "--train-size", "2000", "--epochs",
         "50", "--log-every", "1", "--out", str(out)],
        cwd=REPOSITORY, env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [REPOSITORY] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "batch 3/" in line:
            break
    process.send_signal(subprocess.signal.SIGINT)
    _, error = process.communicate(timeout=120)
    assert process.returncode == 130, error
    assert "saved" in error and "--resume" in error and "Traceback" not in error
    state = checkpoint.load(out / "checkpoint.npz")
    assert state["loader"]["batches"] > 0 or state["epoch"] > 0


def test_auto_data_falls_back_to_synthetic_saying_so_and_figures_say_synthetic(tmp_path,
                                                                               monkeypatch):
    from matplotlib.figure import Figure
    from minigrad.data import datasets
    monkeypatch.setattr(datasets, "search_directories", lambda root_argument=None: [])
    titles = []
    original = Figure.suptitle
    monkeypatch.setattr(Figure, "suptitle",
                        lambda self, text, **kw: titles.append(text) or original(self, text, **kw))
    lines = []
    metrics = train(out=tmp_path, **{**QUIET, "data": "auto", "log": lines.append})
    assert metrics["data_source"] == "synthetic" and metrics["config"]["data"] == "synthetic"
    assert any(line.startswith("data: synthetic digits, because mnist") for line in lines)
    assert titles and all("synthetic" in title for title in titles)


def test_a_model_that_does_not_fit_the_data_is_a_one_line_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = main(SMALL + ["--model", "autoencoder-faces"])
    error = capsys.readouterr().err.strip()
    assert status == 2 and error.count("\n") == 0
    assert "--model autoencoder-faces does not fit --data synthetic" in error
