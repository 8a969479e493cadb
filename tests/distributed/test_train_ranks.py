"""``Ranks.settle``, the first collective of a run on MPI, without an MPI library: a setup
error on any rank stops every rank, the lowest failing rank alone reports it; and the
data-parallel flags refused outside ``mpirun``."""
import numpy
import pytest

from minigrad.train import main
from minigrad.train.ranks import FailedElsewhere, Ranks


class ScriptedComm:
    """Rank ``rank`` of ``len(statuses)``; the other ranks contribute ``statuses``."""

    def __init__(self, rank, statuses):
        self.rank, self.size, self.statuses = rank, len(statuses), numpy.array(statuses, float)

    def all_reduce(self, array):
        others = self.statuses.copy()
        others[self.rank] = 0
        array += others
        return array


def test_a_clean_setup_on_every_rank_settles_without_report():
    assert Ranks(ScriptedComm(0, [0, 0, 0])).settle() is False


def test_a_clean_rank_stops_with_the_status_of_the_first_failing_rank():
    with pytest.raises(FailedElsewhere) as caught:
        Ranks(ScriptedComm(0, [0, 0, 2])).settle()
    assert (caught.value.rank, caught.value.status) == (2, 2)


def test_an_error_every_rank_meets_is_reported_by_the_lowest_rank_only():
    assert Ranks(ScriptedComm(0, [2, 2])).settle(2) is True
    assert Ranks(ScriptedComm(1, [2, 2])).settle(2) is False
    assert Ranks(ScriptedComm(1, [0, 2])).settle(2) is True


def test_settle_is_called_once():
    ranks = Ranks(ScriptedComm(0, [0, 0]))
    ranks.settle()
    with pytest.raises(RuntimeError, match="called twice"):
        ranks.settle()


def test_sync_batch_norm_without_mpirun_is_a_one_line_error(capsys, tmp_path):
    status = main(["--data", "synthetic", "--sync-batch-norm", "--out", str(tmp_path / "run")])
    assert status == 2
    assert capsys.readouterr().err == ("error: --sync-batch-norm synchronises batch norm across "
                                       "MPI ranks: start the run with mpirun -n K\n")
