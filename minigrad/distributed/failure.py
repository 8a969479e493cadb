"""A rank that raises ends the whole job, naming itself: no rank waits forever.

Inside ``abort_on_error(comm)`` an exception on any rank prints

    minigrad.distributed: rank R of K failed: <Type>: <message>

with its traceback to stderr, then calls ``MPI_Abort`` on the communicator: every other
rank (blocked in a collective or not) is ended and ``mpirun`` exits with a non-zero status.
``KeyboardInterrupt`` and ``SystemExit`` with a non-zero code count as failures;
``SystemExit(0)`` passes through (a clean exit, which every rank must take).

A rank that raises outside ``abort_on_error`` must not leave the others waiting either:
``abort_uncaught(comm)`` (installed by ``world()``) wraps ``sys.excepthook`` so that an
exception nobody catches does the same, as ``python -m mpi4py`` does.
"""
import contextlib
import sys
import traceback


def failure_message(comm, error):
    """The first line printed for ``error`` raised on this rank."""
    return (f"minigrad.distributed: rank {comm.rank} of {comm.size} failed: "
            f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def abort_on_error(comm, exit_code=1):
    """Run the block; on an exception print the rank's error and abort every rank."""
    try:
        yield
    except SystemExit as error:
        if error.code in (None, 0):
            raise
        _abort(comm, error, exit_code)
    except BaseException as error:
        _abort(comm, error, exit_code)


def _abort(comm, error, exit_code):
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    sys.stderr.write(failure_message(comm, error) + "\n" + "".join(lines))
    sys.stderr.flush()
    comm.abort(exit_code)


def abort_uncaught(comm, exit_code=1):
    """Make an uncaught exception on this rank print its error and abort every rank."""
    if getattr(sys.excepthook, "aborts_mpi_job", False):
        return

    def hook(kind, error, trace):
        _abort(comm, error.with_traceback(trace), exit_code)
    hook.aborts_mpi_job = True
    sys.excepthook = hook
