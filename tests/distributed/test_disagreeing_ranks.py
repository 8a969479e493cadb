"""Ranks of one data-parallel job that were given different seeds or global batches stop at
set-up or on the first batch; a rank raising outside ``abort_on_error`` ends the job."""
import numpy
import pytest

from minigrad.distributed.agreement import RanksDisagree, batch_fingerprint, require_same

from .launcher import requires_mpi, run_ranks


class TwoRanks:
    """Rank ``rank`` of two; rank 0 holds ``reference``, the other rank ``other_differs``."""
    size = 2

    def __init__(self, rank, reference, other_differs):
        self.rank, self.reference, self.other_differs = rank, reference, other_differs

    def broadcast_object(self, value, root=0):
        return self.reference

    def all_reduce(self, array):
        return array + float(self.other_differs)


def test_require_same_raises_on_every_rank_naming_what_and_both_values():
    with pytest.raises(RanksDisagree, match=r"disagree on the seed: rank 0 has 0, 1 rank\(s\) "
                                            r"another value \(rank 1: 1\)"):
        require_same(TwoRanks(1, 0, other_differs=False), "the seed", 1)
    with pytest.raises(RanksDisagree, match=r"\(rank 0: 0\)"):
        require_same(TwoRanks(0, 0, other_differs=True), "the seed", 0)
    require_same(TwoRanks(0, 0, other_differs=False), "the seed", 0)


def test_batch_fingerprints_differ_with_size_and_content():
    x = numpy.zeros((4, 3))
    assert batch_fingerprint(x, numpy.zeros(4)) == batch_fingerprint(x.copy(), numpy.zeros(4))
    assert batch_fingerprint(x, numpy.zeros(4)) != batch_fingerprint(x + 1, numpy.zeros(4))
    assert batch_fingerprint(x, numpy.zeros(4))[0] == 4


@requires_mpi
@pytest.mark.parametrize("mode, message", [
    ("seed", "disagree on the seed: rank 0 has 0"),
    ("batch-size", "disagree on the first global batch"),
    ("batch-content", "disagree on the first global batch")])
def test_ranks_with_different_seeds_or_batches_stop_before_training(mode, message):
    result = run_ranks("disagreeing_ranks", 2, mode, timeout=120)
    assert result.returncode != 0
    assert "RanksDisagree" in result.stderr and message in result.stderr
    assert "trained on" not in result.stdout


@requires_mpi
def test_a_rank_raising_outside_abort_on_error_ends_the_job():
    result = run_ranks("disagreeing_ranks", 2, "uncaught", timeout=120)
    assert result.returncode != 0
    assert ("minigrad.distributed: rank 1 of 2 failed: ValueError: rank 1 fails outside "
            "abort_on_error") in result.stderr
