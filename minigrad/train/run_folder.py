"""The run folder: where a run writes, chosen so that no run overwrites another silently.

Without ``--out`` a run gets a new folder ``runs/MODEL-DATA``, or
``runs/MODEL-DATA-2``, ``-3``, … when that one is taken. A folder given with
``--out`` that already holds a run (any of ``RUN_FILES``) is refused unless
``--resume`` continues it or ``--force`` starts over in it (which removes those
files and ``log.txt`` first); a ``log.txt`` alone (a run that stopped before
its first checkpoint) is appended to. ``--resume`` needs the folder's ``checkpoint.npz``. Every run
removes the temporary files a killed write of one of ``RUN_FILES`` left behind (recognised
exactly by their names, ``.checkpoint.npz-<8 hex digits>.tmp``, …), saying so; other files in
``--out`` are never touched.
"""
import os

from ..atomic import remove_stale_temporaries
from .errors import UsageError

CHECKPOINT_FILE, METRICS_FILE, CURVES_FILE, LOG_FILE = ("checkpoint.npz", "metrics.json",
                                                        "curves.png", "log.txt")
RUN_FILES = (CHECKPOINT_FILE, METRICS_FILE, CURVES_FILE)
RUNS_FOLDER = "runs"


def new_folder(model, data, parent=RUNS_FOLDER):
    """The first of ``parent/MODEL-DATA``, ``parent/MODEL-DATA-2``, … that does not exist."""
    base = os.path.join(parent, f"{model}-{data}")
    candidate, number = base, 1
    while os.path.exists(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def existing_run_files(out):
    return [name for name in RUN_FILES if os.path.exists(os.path.join(out, name))]


def prepare(out, resume, force, log):
    """Check that a run may write in ``out`` (resume needs its checkpoint; a new run needs it
    free of run files, unless ``force``), clean it and create it."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out} is a file, not a folder")
    if resume:
        if not os.path.isfile(os.path.join(out, CHECKPOINT_FILE)):
            raise UsageError(f"--resume: no checkpoint at {os.path.join(out, CHECKPOINT_FILE)}")
    else:
        found = existing_run_files(out) if os.path.isdir(out) else []
        if found and not force:
            raise UsageError(f"--out {out} already holds a run ({', '.join(found)}): pass "
                             f"--resume to continue it, --force to start over in it, or "
                             f"another --out")
        for name in found + ([LOG_FILE] if found else []):
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
    os.makedirs(out, exist_ok=True)
    for path in remove_stale_temporaries(out, RUN_FILES):
        log(f"removed {path}, a temporary file left by an interrupted write")
