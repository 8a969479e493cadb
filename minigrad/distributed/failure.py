"""A rank that raises ends the whole job, naming itself: no rank waits forever.

Inside ``abort_on_error(comm)`` an exception on any rank prints

    minigrad.distributed: rank R of K failed: <Type>: <message>

with its traceback to stderr, then calls ``MPI_Abort`` on the communicator: every other
rank (blocked in a collective or not) is ended and ``mpirun`` exits with a non-zero status.
``KeyboardInterrupt`` and ``SystemExit`` with a non-zero code count as failures;
``SystemExit(0)`` passes through (a clean exit, which every rank must take).
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
