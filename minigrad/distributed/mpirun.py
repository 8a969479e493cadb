"""How ``mpirun`` is started: the one place that holds the Open MPI flags of this project.

``mpirun_command(processes, command)`` is ``mpirun`` with

    -n K                 one process per rank (per GPU on a GPU machine)
    --oversubscribe      more ranks than cores is allowed (tests on a small machine)
    --bind-to none       no pinning of a rank to one core (BLAS threads stay free)
    --allow-run-as-root  only when the caller is root (containers, CI)

and the command after it. ``python -m minigrad.distributed.launch -n 2 python -m
minigrad.train ...`` (``launch.py``) runs it. ``launched_by_mpi()`` tells a program
whether it runs under ``mpirun`` (Open MPI, MPICH or a PMI launcher set the variables read here).
"""
import os
import shutil

MPIRUN_FLAGS = ("--oversubscribe", "--bind-to", "none")
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK")


def mpirun_command(processes, command):
    """The argument list that runs ``command`` (a list of strings) on ``processes`` ranks."""
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
        raise ValueError(f"mpirun_command: processes must be an integer ≥ 1, got {processes!r}")
    executable = shutil.which("mpirun")
    if executable is None:
        raise FileNotFoundError("mpirun is not on PATH: install Open MPI (Debian: apt-get install "
                                "openmpi-bin libopenmpi-dev) and the mpi extra "
                                "(pip install -e \".[mpi]\")")
    root = ("--allow-run-as-root",) if hasattr(os, "geteuid") and os.geteuid() == 0 else ()
    return [executable, "-n", str(processes), *MPIRUN_FLAGS, *root, *command]


def launched_by_mpi():
    """True when this process was started by an MPI launcher."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)
