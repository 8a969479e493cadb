"""``python -m minigrad.distributed.launch -n K command ...``: ``command`` on K MPI ranks.

It runs ``mpirun_command(K, command)`` (``mpirun.py``, the one place holding the flags)
and returns its exit status. The flags and ``launched_by_mpi`` are importable from here
too.
"""
import subprocess
import sys

from .mpirun import MPIRUN_FLAGS, launched_by_mpi, mpirun_command

__all__ = ["MPIRUN_FLAGS", "launched_by_mpi", "main", "mpirun_command"]


def main(argv=None):
    """``python -m minigrad.distributed.launch -n K command ...``: run it under mpirun."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[0] != "-n":
        raise SystemExit("usage: python -m minigrad.distributed.launch -n K command [args ...]")
    try:
        processes = int(argv[1])
    except ValueError:
        raise SystemExit(f"launch: -n needs an integer number of processes, got {argv[1]!r}")
    return subprocess.call(mpirun_command(processes, argv[2:]))


if __name__ == "__main__":
    sys.exit(main())
