"""Results of a demo run in ``demos/results/NAME/``: what ran, where, with what, and the numbers.

A run's folder holds ``results.json``, ``table.md`` (its Markdown tables) and
its PNG figures. ``results.json`` is one dict:

* ``"command"`` (the argv it ran with), ``"minigrad_version"``, ``"seconds"``
  (wall time of the whole run), ``"threads"`` (the BLAS thread count it was
  pinned to), ``"machine"`` (platform, processor, CPU count, Python and NumPy
  versions), ``"settings"`` (every option that decides the numbers);
* ``"provenance"``: one ``{"command", "commit"}`` per run the file holds, in the
  order they were merged; ``"commit"`` is the ``git rev-parse HEAD`` of the tree
  the run imported, with ``-dirty`` appended when tracked files outside ``demos/results``
  differed from it
  (``"unknown"`` for runs made before commits were recorded);
* the raw numbers: ``"curves": {method: [[step, seconds, value], ...]}``
  and/or ``"per_seed": {method: [{"seed": s, ...}, ...]}``, plus whatever
  else the demo measures;
* ``"table"``: the Markdown of ``table.md``;
* ``"figures"``: the file names of its PNG figures, in the same folder.

Spreads follow one rule (``spread``, checked by ``spread_problems``): a table cell
shows ``mean ± std`` only over n ≥ 3 complete runs; two runs are shown as
``n = 2, values a and b``, one as ``a (1 run)``, and a cell summarising only k of
n runs (those that reached a threshold) lists the k values.

Files are written atomically (``minigrad.checkpoint.atomic_write``: a
temporary file moved into place), and a folder that already holds a
``results.json`` is never overwritten unless the run is given ``--force``
(``claim``). ``merge_methods`` adds methods to an earlier run of the same
settings, so that methods may run as separate processes; a lock keeps
two of them from writing at once (an ``flock`` on the folder).
"""
import contextlib
import fcntl
import json
import os
import pathlib
import platform
import re
import subprocess

import numpy

import minigrad

RESULTS = "results.json"
REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
UNKNOWN_COMMIT = "unknown"


def machine():
    """The machine a run ran on: platform, processor, CPU count, Python and NumPy versions."""
    return {"platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__}


def commit():
    """The commit of the code a run imports: ``git rev-parse HEAD`` of the repository, with
    ``-dirty`` when tracked files outside ``demos/results`` differ from it (a run's own results
    files, written before this is called, do not count); ``"unknown"`` outside a git
    checkout."""
    def git(*arguments):
        return subprocess.run(["git", "-C", str(REPOSITORY), *arguments], capture_output=True,
                              text=True, check=True).stdout.strip()
    try:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                    ":(exclude)demos/results")
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN_COMMIT
    return head + ("-dirty" if dirty else "")


def spread(values, show=lambda v: f"{v:.2f}", show_std=None):
    """A table cell for the runs' ``values``: ``"mean ± std"`` (sample std) for n ≥ 3,
    ``"n = 2, values a and b"`` for two, ``"a (1 run)"`` for one; ``show`` formats a value
    (and the mean), ``show_std`` the std (default ``show``)."""
    values = numpy.asarray(values, dtype=float)
    if len(values) == 0:
        raise ValueError("spread: no values")
    if len(values) == 1:
        return f"{show(values[0])} (1 run)"
    if len(values) == 2:
        return f"n = 2, values {show(values[0])} and {show(values[1])}"
    return f"{show(values.mean())} ± {(show_std or show)(values.std(ddof=1))}"


SPREAD_COUNT_HEADERS = ("n", "seeds")
PARTIAL = re.compile(r"\((\d+) of (\d+)\)")


def spread_problems(table):
    """Rows of the Markdown tables in ``table`` whose cells show a ``±`` over fewer than 3
    runs: the row's count is its ``n`` or ``seeds`` column, a cell ending ``(k of n)``
    counts k; a ``±`` in a table with neither column is a problem too."""
    problems, headers = [], None
    for line in table.splitlines():
        if not line.startswith("|"):
            headers = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if headers is None:
            headers = cells
            continue
        if set(line) <= set("|-: "):
            continue
        counts = [c for h, c in zip(headers, cells) if h in SPREAD_COUNT_HEADERS]
        for header, cell in zip(headers, cells):
            if "±" not in cell:
                continue
            partial = PARTIAL.search(cell)
            count = int(partial.group(1)) if partial else (
                int(counts[0]) if counts and counts[0].isdigit() else None)
            if count is None or count < 3:
                problems.append(f"{header!r} = {cell!r} in row {line.strip()!r}: a ± over "
                                f"{'an unknown number of' if count is None else count} run(s)")
    return problems


def header(command, settings, threads):
    """The fields every ``results.json`` starts with (``seconds`` is filled in by the demo)."""
    return {"command": command, "minigrad_version": minigrad.__version__, "threads": threads,
            "machine": machine(), "settings": settings,
            "provenance": [{"command": command, "commit": commit()}]}


def provenance_problems(stored):
    """What is missing from the per-run provenance of a stored run (empty when complete):
    one ``{"command", "commit"}`` per command of ``"command"``, in the same order."""
    commands = _as_list(stored.get("command", []))
    runs = stored.get("provenance")
    if not isinstance(runs, list):
        return ["no \"provenance\" list (the commit and command of every run)"]
    problems = [f"run {index}: {run!r} lacks a command or a commit" for index, run in
                enumerate(runs) if not (isinstance(run, dict) and run.get("command")
                                        and run.get("commit"))]
    if [run.get("command") for run in runs if isinstance(run, dict)] != commands:
        problems.append(f"the provenance's commands differ from \"command\" ({len(runs)} "
                        f"runs against {len(commands)} commands)")
    return problems


def claim(directory, force):
    """Refuse (``FileExistsError``) to run into a folder holding a ``results.json`` unless
    ``force``; called before a run starts so that nothing is computed in vain."""
    path = directory / RESULTS
    if path.exists() and not force:
        raise FileExistsError(f"{path} holds an earlier run; pass --force to overwrite it, or "
                              f"--out another folder")


def load(directory):
    """The ``results.json`` of ``directory`` as a dict."""
    with open(directory / RESULTS, encoding="utf-8") as stored:
        return json.load(stored)


def write(directory, results, write_json, write_text):
    """Write ``results.json`` and ``table.md`` (``results["table"]``) into ``directory``;
    ``results["figures"]``, paths of files in ``directory``, are stored as their names."""
    if "figures" in results:
        results = {**results, "figures": [pathlib.Path(path).name for path in results["figures"]]}
    write_json(directory / RESULTS, results)
    write_text(directory / "table.md", results["table"] + "\n")


def merge_methods(directory, results, key, force, combine):
    """Store ``results`` in ``directory``, adding its ``results[key]`` methods to an earlier
    run there of the same ``"settings"``; returns the stored dict.

    ``combine(merged)`` completes the merged dict (its tables and figures) and writes
    it; it runs while the lock is held. An earlier run with other settings, or one
    that already holds one of the methods, is an error unless ``force`` (which
    replaces those methods, or the whole run when the settings differ).
    """
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        stored = load(directory) if (directory / RESULTS).exists() else None
        if stored is not None and stored["settings"] != results["settings"]:
            if not force:
                raise FileExistsError(
                    f"{directory / RESULTS} holds a run with other settings "
                    f"({difference(stored['settings'], results['settings'])}); pass --force "
                    f"to replace it")
            stored = None
        if stored is None:
            merged = results
        else:
            repeated = sorted(set(stored[key]) & set(results[key]))
            if repeated and not force:
                raise FileExistsError(f"{directory / RESULTS} already holds {repeated}; pass "
                                      f"--force to replace them")
            merged = dict(stored)
            for field, value in results.items():
                if isinstance(value, dict) and isinstance(stored.get(field), dict) and \
                        field != "settings":
                    merged[field] = {**stored[field], **value}
            merged["command"] = _as_list(stored["command"]) + _as_list(results["command"])
            merged["provenance"] = stored.get("provenance", []) + results["provenance"]
            merged["seconds"] = stored["seconds"] + results["seconds"]
        return combine(merged)


@contextlib.contextmanager
def _locked(directory):
    """Hold an exclusive ``flock`` on ``directory`` itself (no lock file is left behind)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _as_list(command):
    return command if isinstance(command, list) else [command]


def difference(old, new):
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in keys)
