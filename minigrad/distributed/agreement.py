"""``require_same(comm, what, value)``: stop when the ranks of a data-parallel job disagree.

Every rank must run with the same settings and read the same global batches; a rank started
with another seed, or reading another data set, would otherwise train on without a word.
Rank 0 broadcasts its ``value`` (any picklable Python value: a seed, a batch size, a
checksum) and one all-reduce counts the ranks whose own value differs, so that every rank
raises ``RanksDisagree`` together, naming ``what``, rank 0's value and its own. The cost is
one small broadcast and one one-element all-reduce: ``DataParallel`` checks the seed once
at set-up and the first global batch (its size and a CRC-32 of its arrays) once.
"""
import zlib

import numpy

from ..backend import to_host
from ..tensor import Tensor


class RanksDisagree(ValueError):
    """The ranks of one job were given different settings or different global batches."""


def require_same(comm, what, value):
    """Raise ``RanksDisagree`` on every rank unless ``value`` is the same on every rank."""
    reference = comm.broadcast_object(value, root=0)
    differing = int(comm.all_reduce(numpy.array([float(value != reference)]))[0])
    if differing:
        raise RanksDisagree(f"the {comm.size} data-parallel ranks disagree on {what}: rank 0 "
                            f"has {reference!r}, {differing} rank(s) another value (rank "
                            f"{comm.rank}: {value!r}); start every rank with the same "
                            f"settings and data")


def batch_fingerprint(*arrays):
    """``(rows, CRC-32 of each array's bytes)`` of a global batch: equal batches, equal prints."""
    hosts = [numpy.ascontiguousarray(to_host(a.data if isinstance(a, Tensor) else a))
             for a in arrays]
    return (hosts[0].shape[0],) + tuple(zlib.crc32(h.tobytes()) for h in hosts)
