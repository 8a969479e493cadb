"""A run's ``metrics.json``: what was run, on what, how fast, and every loss it measured.

``new_metrics(config, run)`` starts the record: minigrad version, command
line, settings, resolved sizes, data source and folder, BLAS thread count,
parameter count, the optimizer's learning rate; the loop adds per-epoch
``history`` (``lr``: the learning rate of the epoch's last optimizer step, which a
``--lr-schedule`` moves), per-batch ``batch_loss`` and ``batch_correct``, test results and
timings. ``write_metrics(path, metrics)`` writes strict JSON: a non-finite
number becomes ``null`` and ``metrics["non_finite"]`` says where and what it was
(``"nan"``, ``"inf"``), so every JSON reader can parse the file.
"""
import json
import math
import sys

import numpy

from ..atomic import atomic_write

HISTORY_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                "epoch_seconds", "samples_per_second", "lr")


def new_metrics(config, run):
    """The metrics record of a run; ``run`` holds the facts resolved at its start."""
    import minigrad
    return {"minigrad_version": minigrad.__version__, "command": list(sys.argv),
            "config": config, **run, "history": {k: [] for k in HISTORY_KEYS},
            "batch_loss": [], "batch_correct": [], "elapsed_seconds": 0.0}


def _strict(value, where, non_finite):
    """``value`` with numpy scalars made Python numbers and non-finite floats ``None``."""
    if isinstance(value, dict):
        return {k: _strict(v, f"{where}.{k}" if where else str(k), non_finite)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v, f"{where}[{i}]", non_finite) for i, v in enumerate(value)]
    if isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        non_finite[where] = str(value)
        return None
    return value


def strict_json(metrics):
    """The metrics as strict JSON text (no NaN or Infinity; see the module docstring)."""
    non_finite = {}
    cleaned = _strict({k: v for k, v in metrics.items() if k != "non_finite"}, "", non_finite)
    if non_finite:
        cleaned["non_finite"] = {"why": "JSON has no NaN or infinity; these entries are null",
                                 "values": non_finite}
    return json.dumps(cleaned, indent=1, allow_nan=False)


def write_metrics(path, metrics):
    text = strict_json(metrics).encode("utf-8")
    atomic_write(path, lambda file: file.write(text))
