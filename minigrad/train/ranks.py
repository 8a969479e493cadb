"""The training command on K MPI ranks (``mpirun -n K python -m minigrad.train ...``).

Every rank runs the same command: it reads the same settings, data and global
batches, builds the same model and trains it through ``minigrad.distributed``'s
``DataParallel`` (each rank steps on its ``B/K`` rows of every global batch of
``--batch-size`` B, and every answer of the closure is reduced to the global
batch's). Only rank 0 (``writes``) writes progress, ``log.txt``, metrics, curves
and checkpoints.

Before training, an error on some ranks must not leave the others waiting in a
collective. ``Ranks.settle(error)`` is therefore the first collective of a run:
each rank calls it once, with the error that stopped its setup (a bad flag, run
folder, checkpoint or data file) or with ``None`` at the end of a clean setup.
If any rank failed, every rank stops: the lowest failing rank reports its error
(so an error every rank meets prints one line) and the others raise
``FailedElsewhere``, which ends them with the same exit status, silently. After
``settle``, an error on one rank ends the job through ``abort_on_error``, naming
the rank; an error that every rank meets at the same batch (a non-finite loss,
the same global number everywhere) is printed by rank 0 only.
"""
import numpy

REFUSED_OPTIMIZERS = {"class-subspace": "it computes its eigenvalues from the batch's logits "
                                        "and labels, which no rank holds whole"}


class FailedElsewhere(RuntimeError):
    """Another rank failed during setup and reports it; this rank ends with ``status``."""

    def __init__(self, rank, status):
        super().__init__(f"rank {rank} failed during setup")
        self.rank, self.status = rank, status


class Ranks:
    """The MPI ranks of one training run over the ``Communicator`` ``comm``."""

    def __init__(self, comm):
        self.comm, self.rank, self.size = comm, comm.rank, comm.size
        self.settled = False

    @property
    def writes(self):
        """True on rank 0, the one that writes progress, metrics and checkpoints."""
        return self.rank == 0

    def settle(self, status=0):
        """The first collective: every rank's setup ``status`` (0: clean). Returns whether this
        rank reports its failure; raises ``FailedElsewhere`` on a clean rank when one failed."""
        if self.settled:
            raise RuntimeError("Ranks.settle: called twice; it is the first collective of a run")
        statuses = numpy.zeros(self.size)
        statuses[self.rank] = status
        self.comm.all_reduce(statuses)
        self.settled = True
        failed = numpy.flatnonzero(statuses)
        if not failed.size:
            return False
        first = int(failed[0])
        if status == 0:
            raise FailedElsewhere(first, int(statuses[first]))
        return first == self.rank

    def __repr__(self):
        return f"Ranks(rank={self.rank}, size={self.size})"
