"""A rank that raises ends the job with its rank and error, instead of leaving the others hung."""
import io

import pytest

from minigrad.distributed.failure import abort_on_error, failure_message

from .launcher import requires_mpi, run_ranks


class RecordingCommunicator:
    rank, size = 3, 4

    def __init__(self):
        self.aborted = None

    def abort(self, code):
        self.aborted = code


@requires_mpi
def test_a_failing_rank_brings_the_job_down_with_its_message():
    result = run_ranks("failing_rank", 2, timeout=60)
    assert result.returncode != 0
    assert "minigrad.distributed: rank 1 of 2 failed: ValueError: rank 1 fails on purpose" in \
        result.stderr


def test_abort_on_error_prints_the_rank_and_aborts(monkeypatch):
    comm, stderr = RecordingCommunicator(), io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    with abort_on_error(comm, exit_code=3):
        raise KeyError("missing")
    assert comm.aborted == 3
    assert stderr.getvalue().startswith("minigrad.distributed: rank 3 of 4 failed: KeyError: "
                                        "'missing'\nTraceback")


def test_a_clean_exit_passes_through():
    comm = RecordingCommunicator()
    with pytest.raises(SystemExit):
        with abort_on_error(comm):
            raise SystemExit(0)
    assert comm.aborted is None


def test_failure_message_names_rank_size_type_and_error():
    message = failure_message(RecordingCommunicator(), RuntimeError("boom"))
    assert message == "minigrad.distributed: rank 3 of 4 failed: RuntimeError: boom"
