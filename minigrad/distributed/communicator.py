"""``Communicator``: rank, size and the collectives of a data-parallel job, on MPI.

``world()`` wraps ``MPI.COMM_WORLD`` of mpi4py; mpi4py is imported there and only
when it is called, so the rest of minigrad never needs MPI. All collectives act in
place on contiguous arrays:

    all_reduce(array)       array ← Σ_r array_r            (every rank gets the same sum)
    all_reduce_mean(array)  array ← (1/K) Σ_r array_r
    broadcast(array, root)  array ← array_root

NumPy arrays go through MPI. CuPy arrays go through NCCL (``nccl.py``) on the
device, with no copy to the host; the NCCL communicator is built on first use
(one process per GPU). ``average_scalar(value)`` is the mean over ranks of one
float (a loss value), in float64. ``local_rank`` is the rank among the processes of the
same node (MPI-3 ``COMM_TYPE_SHARED``), the index of the GPU a rank should use.
"""
import numpy

from ..backend import get_array_module
from .failure import abort_uncaught


class Communicator:
    """The ranks of one MPI communicator; see the module docstring."""

    def __init__(self, mpi_comm, mpi):
        self.mpi_comm, self.mpi = mpi_comm, mpi
        self.rank, self.size = mpi_comm.Get_rank(), mpi_comm.Get_size()
        self._nccl = None

    @property
    def local_rank(self):
        """This rank's index among the ranks on the same node."""
        node = self.mpi_comm.Split_type(self.mpi.COMM_TYPE_SHARED, key=self.rank)
        try:
            return node.Get_rank()
        finally:
            node.Free()

    def _device_collectives(self):
        if self._nccl is None:
            from .nccl import NcclCollectives
            self._nccl = NcclCollectives.create(self)
        return self._nccl

    def _check(self, array, what):
        if not array.flags.c_contiguous:
            raise ValueError(f"Communicator.{what}: the array of shape {array.shape} must be "
                             "C-contiguous (collectives act in place on one buffer)")

    def all_reduce(self, array):
        """``array ← Σ_r array_r`` in place; returns ``array``."""
        self._check(array, "all_reduce")
        if get_array_module(array) is numpy:
            self.mpi_comm.Allreduce(self.mpi.IN_PLACE, array, op=self.mpi.SUM)
        else:
            self._device_collectives().all_reduce(array)
        return array

    def all_reduce_mean(self, array):
        """``array ← (1/K) Σ_r array_r`` in place; returns ``array``."""
        self.all_reduce(array)
        if self.size > 1:
            array /= self.size
        return array

    def broadcast(self, array, root=0):
        """``array ← array_root`` in place; returns ``array``."""
        self._check(array, "broadcast")
        if get_array_module(array) is numpy:
            self.mpi_comm.Bcast(array, root=root)
        else:
            self._device_collectives().broadcast(array, root)
        return array

    def broadcast_object(self, value, root=0):
        """A picklable Python value of rank ``root`` on every rank."""
        return self.mpi_comm.bcast(value, root=root)

    def average_scalar(self, value):
        """The mean over ranks of the float ``value`` (float64)."""
        return float(self.all_reduce_mean(numpy.array([float(value)]))[0])

    def abort(self, code=1):
        """End every rank of the job now (``MPI_Abort``)."""
        self.mpi_comm.Abort(code)

    def __repr__(self):
        return f"Communicator(rank={self.rank}, size={self.size})"


def world():
    """The ``Communicator`` of all ranks (``MPI.COMM_WORLD``); needs mpi4py. From the first
    call on, an exception that no code catches ends the whole job (``abort_uncaught``)."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise RuntimeError("minigrad.distributed needs mpi4py and an MPI library: install "
                           "Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) and "
                           "the mpi extra (pip install -e \".[mpi]\")") from err
    comm = Communicator(MPI.COMM_WORLD, MPI)
    abort_uncaught(comm)
    return comm
