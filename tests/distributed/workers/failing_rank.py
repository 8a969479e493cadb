"""Rank 1 raises while rank 0 waits in an all-reduce: the job must end, naming rank 1."""
import numpy

from minigrad.distributed import abort_on_error, world

comm = world()
with abort_on_error(comm):
    if comm.rank == 1:
        raise ValueError("rank 1 fails on purpose")
    comm.all_reduce(numpy.ones(3))
