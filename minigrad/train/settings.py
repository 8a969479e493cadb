"""The settings of a training run: defaults, checks made before any data is loaded, and the
rules for changing them when a run is resumed.

A run's ``config`` holds the ``RUN_KEYS`` (they decide every number the run
produces and are stored in its checkpoint) plus ``epochs`` and ``device``.
``lr=None`` means the optimizer's own default; ``lr_schedule`` and ``warmup_steps`` choose
how the learning rate moves step by step (``schedule.py``); ``train_size``, ``val_size`` and
``test_size`` ``None`` mean all but 10% of the training split, that 10%, and the
whole test split. ``check(config)`` raises ``UsageError`` naming the flag of the
first bad value. On ``--resume`` the settings come from the checkpoint;
``resumed(saved, given)`` lets the flags given with it change only
``SAFE_ON_RESUME`` (``epochs``: how far to train; not under a cosine schedule, whose length
it sets) and refuses any other difference, naming it.
"""
import inspect
import os

import numpy

import models
import optim

from .. import backend
from ..data import IMAGE_SHAPES, NAMES
from ..file_sizes import readable_size
from .errors import UsageError
from .schedule import LR_SCHEDULES

AUTO_DATA = "auto"
DEFAULTS = dict(model="mlp", data=AUTO_DATA, optim="sgd", epochs=2, batch_size=128, lr=None,
                momentum=None, weight_decay=None, optim_args={}, lr_schedule="constant",
                warmup_steps=0, hidden=[128], train_size=None, val_size=None, test_size=None,
                seed=0, dtype="float32", device="cpu")
RUN_KEYS = ("model", "data", "optim", "batch_size", "lr", "momentum", "weight_decay",
            "optim_args", "lr_schedule", "warmup_steps", "hidden", "train_size", "val_size",
            "test_size", "seed", "dtype")
SAFE_ON_RESUME = ("epochs",)
DEVICES = ("cpu", "cuda")


def flag(key):
    """The command-line flag of setting ``key``."""
    return "--" + key.replace("_", "-")


def _positive(config, key, allow_none=False, minimum=1):
    value = config[key]
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < minimum:
        raise UsageError(f"{flag(key)} must be an integer ≥ {minimum}, got {value!r}")


def optimizer_arguments(config):
    """The keyword arguments of ``optim.create`` for this run (``seed`` follows ``--seed``)."""
    hyper = {k: config[k] for k in ("lr", "momentum", "weight_decay") if config[k] is not None}
    hyper.update(config["optim_args"])
    accepted = inspect.signature(optim.OPTIMIZERS[config["optim"]].__init__).parameters
    if "seed" in accepted and "seed" not in hyper:
        hyper["seed"] = config["seed"]
    return hyper


def _check_optimizer(config):
    if config["optim"] not in optim.OPTIMIZERS:
        raise UsageError(f"--optim: unknown optimizer {config['optim']!r}; choose one of "
                         f"{', '.join(optim.OPTIMIZERS)}")
    from .. import nn
    probe = [nn.Parameter(backend.to_device(numpy.zeros(2, dtype=config["dtype"])))]
    try:
        optim.create(config["optim"], probe, **optimizer_arguments(config))
    except (TypeError, ValueError) as err:
        given = " ".join(f"{k}={v!r}" for k, v in config["optim_args"].items())
        raise UsageError(f"--optim {config['optim']} refuses its hyper-parameters "
                         f"({given or 'lr/momentum/weight-decay flags'}): {err}") from err


def _check_schedule(config):
    schedule, warmup = config["lr_schedule"], config["warmup_steps"]
    if schedule not in LR_SCHEDULES:
        raise UsageError(f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, "
                         f"got {schedule!r}")
    _positive(config, "warmup_steps", minimum=0)
    if warmup and schedule == "constant":
        raise UsageError(f"--warmup-steps {warmup} needs --lr-schedule cosine: the constant "
                         f"schedule has no warm-up")
    if schedule != "constant" and config["optim"] == "hybrid":
        raise UsageError(f"--lr-schedule {schedule} cannot drive --optim hybrid: its SGD and "
                         f"AdaHessian phases have learning rates of their own")


def physical_memory():
    """Bytes of physical memory of this machine, or ``None`` where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def _check_model_size(config):
    """Refuse an MLP whose weights and gradients alone would not fit in memory, before any
    allocation: (in + 1)·out parameters per layer, 2 arrays of ``dtype`` each."""
    if config["model"] != "mlp":
        return
    data = "mnist" if config["data"] == AUTO_DATA else config["data"]
    sizes = [int(numpy.prod(IMAGE_SHAPES[data])), *config["hidden"], 10]
    count = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    needed = 2 * count * numpy.dtype(config["dtype"]).itemsize
    available = physical_memory()
    if available is not None and needed > available:
        raise UsageError(f"--hidden {','.join(map(str, config['hidden']))}: the MLP would have "
                         f"{count:,} parameters, {readable_size(needed)} for its weights and "
                         f"gradients in {config['dtype']}, more than this machine's "
                         f"{readable_size(available)} of memory; choose smaller sizes")


def _check_device(device):
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {DEVICES}, got {device!r}")
    if device == "cuda":
        try:
            with backend.using("cupy"):
                pass
        except RuntimeError as err:
            raise UsageError(f"--device cuda: {err}") from err


def check(config):
    """Raise ``UsageError`` naming the flag of the first bad setting in ``config``."""
    if config["model"] not in models.MODELS:
        raise UsageError(f"--model: unknown model {config['model']!r}; choose one of "
                         f"{', '.join(models.MODELS)}")
    if config["data"] not in NAMES + (AUTO_DATA,):
        raise UsageError(f"--data: unknown data set {config['data']!r}; choose one of "
                         f"{', '.join(NAMES + (AUTO_DATA,))}")
    if config["dtype"] not in ("float32", "float64"):
        raise UsageError(f"--dtype must be float32 or float64, got {config['dtype']!r}")
    for key in ("epochs", "batch_size"):
        _positive(config, key)
    _positive(config, "train_size", allow_none=True)
    for key in ("val_size", "test_size"):
        _positive(config, key, allow_none=True, minimum=0)
    if any(not isinstance(size, int) or size < 1 for size in config["hidden"]):
        raise UsageError(f"--hidden sizes must be positive integers, got {config['hidden']}")
    _check_model_size(config)
    for key in ("lr", "momentum", "weight_decay"):
        value = config[key]
        if value is not None and not numpy.isfinite(value):
            raise UsageError(f"{flag(key)} must be a finite number, got {value!r}")
    if config["lr"] is not None and config["lr"] <= 0:
        raise UsageError(f"--lr must be positive, got {config['lr']!r}")
    _check_schedule(config)
    _check_device(config["device"])
    _check_optimizer(config)


def check_root(root):
    """Raise ``UsageError`` unless ``root`` is ``None`` or an existing folder."""
    if root is not None and not os.path.isdir(root):
        raise UsageError(f"--root {root}: no such folder (it names the folder holding the data "
                         f"files, e.g. its mnist/ subfolder)")


def with_schedule_defaults(state):
    """A checkpoint ``state`` written before learning-rate schedules were recorded, read as
    the run it was: the constant schedule (``lr_schedule="constant"``, ``warmup_steps=0``, no
    scheduler state) at the rate it recorded for every epoch done. Other checkpoints are
    returned as they are; the dicts are updated in place."""
    metrics = state.get("metrics") if isinstance(state, dict) else None
    config = metrics.get("config") if isinstance(metrics, dict) else None
    if not isinstance(config, dict) or "lr_schedule" in config:
        return state
    config.update(lr_schedule="constant", warmup_steps=0)
    state.setdefault("scheduler", None)
    history = metrics.get("history")
    if isinstance(history, dict) and "lr" not in history:
        history["lr"] = [metrics.get("lr")] * len(history.get("epoch", []))
    return state


def resumed(saved, given, checkpoint):
    """The settings of a resumed run: ``saved`` (from ``checkpoint``) with the ``given`` flags,
    which may differ only in ``SAFE_ON_RESUME``."""
    config = dict(saved)
    for key, value in given.items():
        if key == "epochs":
            check_schedule_length(saved, value, checkpoint)
        if key in SAFE_ON_RESUME:
            config[key] = value
        elif key in saved and saved[key] != value:
            raise UsageError(f"{flag(key)} {value!r} differs from {saved[key]!r} in {checkpoint}; "
                             f"a resumed run keeps its settings except "
                             f"{', '.join(flag(k) for k in SAFE_ON_RESUME)} (start a new run "
                             f"in another --out to change it)")
    return config


def check_schedule_length(saved, epochs, checkpoint):
    """Refuse to resume a run whose schedule is not constant (``saved`` settings, from
    ``checkpoint``) with other ``epochs``: its length, epochs × steps per epoch, is fixed."""
    if saved["lr_schedule"] != "constant" and epochs != saved["epochs"]:
        raise UsageError(f"--epochs {epochs!r} differs from {saved['epochs']!r} in {checkpoint}: "
                         f"--lr-schedule {saved['lr_schedule']} reaches 0 at the end of the "
                         f"{saved['epochs']}-epoch run, so a resumed run keeps its --epochs "
                         f"(start a new run in another --out to train longer)")
