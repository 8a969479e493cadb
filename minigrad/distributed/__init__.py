"""``minigrad.distributed``: data-parallel training and curvature on MPI (mpi4py; NCCL for CuPy).

Started as ``mpirun -n K python ...`` (``mpirun.py`` holds the flags, ``launch.py`` runs
it). Every rank builds the same model and reads the same global batches; ``DataParallel``
(``data_parallel.py``) bundles the calls of a training loop, which are

    comm = world()                                  rank, size, collectives (communicator.py)
    broadcast_module(model, comm)                   θ and buffers of rank 0 on every rank
    shard = BatchSharder(comm, seed).shard(t, B)    this rank's B/K rows of batch t
    closure = DistributedClosure(Closure(model, loss_fn, shard.take(x), shard.take(y)),
                                 comm, shard)
    optimizer.step(closure)                         any optimizer, first or second order

``DistributedClosure`` returns the global mean loss and leaves the global gradient in
``p.grad`` (one all-reduce of one flat buffer), and reduces every curvature quantity so
that it is the single-process quantity of the global batch. ``average_gradients`` does
the gradient step alone for a hand-written loop. ``abort_on_error(comm)`` ends the job
with the failing rank's error. Batch norm keeps per-rank statistics unless converted by
``convert_sync_batchnorm`` (``sync_batch_norm.py``). Nothing here imports mpi4py until
``world()`` is called.
"""
from .closure import DistributedClosure
from .communicator import Communicator, world
from .data_parallel import DataParallel
from .failure import abort_on_error
from .mpirun import launched_by_mpi, mpirun_command
from .nccl import use_local_gpu
from .replicate import average_gradients, broadcast_module
from .sharding import BatchShard, BatchSharder
from .sync_batch_norm import SyncBatchNorm, convert_sync_batchnorm
