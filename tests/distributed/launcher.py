"""Run a worker script under ``mpirun`` for the distributed tests; skip where MPI is absent.

``requires_mpi`` skips a test, with the reason, when mpi4py or ``mpirun`` is missing.
``run_ranks(worker, processes, *args)`` runs ``tests/distributed/workers/<worker>.py`` on
``processes`` ranks with the flags of ``minigrad.distributed.launch``, this checkout
first on ``PYTHONPATH`` and the NumPy backend (MPI carries host arrays; device arrays
need NCCL and a GPU per rank); it returns the completed process (stdout, stderr,
returncode). ``run_training(processes, *flags)`` runs ``python -m minigrad.train FLAGS``
the same way, through ``python -m minigrad.distributed.launch -n K`` (or as one plain
process for ``processes=None``).
"""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from minigrad.distributed.launch import mpirun_command

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKERS = pathlib.Path(__file__).resolve().parent / "workers"


def _missing_mpi():
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install -e \".[mpi]\")"
    if shutil.which("mpirun") is None:
        return "mpirun is not on PATH (apt-get install openmpi-bin libopenmpi-dev)"
    return None


requires_mpi = pytest.mark.skipif(_missing_mpi() is not None, reason=str(_missing_mpi()))


def _environment():
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
        OMP_NUM_THREADS="1", MINIGRAD_BACKEND="numpy")


def run_ranks(worker, processes, *args, timeout=120):
    """Run a worker on ``processes`` ranks; returns the ``CompletedProcess``."""
    command = mpirun_command(processes, [sys.executable, str(WORKERS / f"{worker}.py"),
                                         *map(str, args)])
    return subprocess.run(command, cwd=ROOT, env=_environment(), capture_output=True, text=True,
                          timeout=timeout)


def worker_report(tmp_path_factory, worker, processes=2):
    """Run ``worker`` on ``processes`` ranks, which writes a JSON report; returns the report."""
    out = tmp_path_factory.mktemp(worker) / "report.json"
    result = run_ranks(worker, processes, out)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def run_training(processes, *flags, timeout=120):
    """Run the training command on ``processes`` ranks (``None``: one plain process)."""
    command = [sys.executable, "-m", "minigrad.train", *map(str, flags)]
    if processes is not None:
        command = [sys.executable, "-m", "minigrad.distributed.launch", "-n", str(processes),
                   *command]
    return subprocess.run(command, cwd=ROOT, env=_environment(), capture_output=True, text=True,
                          timeout=timeout)
