"""A shuffled loader restored from a state saved at every position of a pass.

The saved state must make the restored loader hand out exactly the batches the original one
hands out after that point: the rest of the pass, then the next passes. The positions
include the last batch of a pass (the pass is complete; the next pass's permutation is
new) and between passes, with and without ``drop_last``.
"""
import numpy
import pytest

from minigrad.backend import to_host
from minigrad.data import DataLoader


def _loader(drop_last):
    images = numpy.arange(11 * 2, dtype=numpy.float64).reshape(11, 2)
    return DataLoader(images, numpy.arange(11), 4, shuffle=True, seed=5, drop_last=drop_last)


def _labels(batches):
    return [to_host(y.data).tolist() for _, y in batches]


def _passes(loader, count):
    return [_labels(loader) for _ in range(count)]


def _state_after(drop_last, batches):
    """The state of a loader that finished one pass and handed out ``batches`` of the next
    (the generator is left suspended inside the last batch, as a checkpoint taken there is)."""
    loader = _loader(drop_last)
    _passes(loader, 1)
    iterator = iter(loader)
    for _ in range(batches):
        next(iterator)
    return loader.state_dict()


def _restored_passes(state, drop_last, count):
    loader = _loader(drop_last)
    loader.load_state_dict(state)
    return _passes(loader, count)


@pytest.mark.parametrize("drop_last", [False, True])
def test_restored_loader_continues_after_every_batch_of_a_pass(drop_last):
    reference = _passes(_loader(drop_last), 4)
    per_pass = len(reference[0])
    assert per_pass == (2 if drop_last else 3) and reference[1] != reference[2]
    for batches in range(1, per_pass):
        assert _restored_passes(_state_after(drop_last, batches), drop_last, 2) == \
            [reference[1][batches:], reference[2]], f"saved after batch {batches}"


@pytest.mark.parametrize("drop_last", [False, True])
def test_restored_from_the_last_batch_of_a_pass_starts_the_next_pass(drop_last):
    reference = _passes(_loader(drop_last), 4)
    state = _state_after(drop_last, len(reference[0]))
    assert state["batches"] == 0
    assert _restored_passes(state, drop_last, 2) == reference[2:4]


def test_restored_between_passes_starts_the_next_pass():
    reference = _passes(_loader(False), 3)
    loader = _loader(False)
    _passes(loader, 2)
    assert _restored_passes(loader.state_dict(), False, 1) == reference[2:3]
