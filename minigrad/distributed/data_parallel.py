"""``DataParallel``: the few calls a training loop makes to run data-parallel under mpirun.

    parallel = DataParallel(model, seed=seed, sync_batch_norm=False)   # every rank
    for t, (x, y) in enumerate(global_batches):                        # the same batches
        closure = parallel.closure(loss_fn, x, y, step=t)
        loss = optimizer.step(closure)                                 # global mean loss
        if parallel.writes:                                            # rank 0 only
            ...checkpoint, metrics...

Construction broadcasts rank 0's parameters and buffers (after the optional conversion to
``SyncBatchNorm``); ``closure`` shards the global batch ``(x, y)`` of step ``t`` by
``(seed, t)`` (``sharding.py``) and returns the ``DistributedClosure`` of that shard, so
any optimizer steps on the global batch. ``t`` counts steps since the start of training
(a resumed run passes the same counts and continues exactly on the same number of ranks).
``closure.output`` holds the shard's outputs; ``closure.shard.take(y)`` its targets, for
metrics reduced with ``parallel.comm.all_reduce``.

The ranks must agree (``agreement.py``): construction checks that every rank has the same
``seed``, and the first ``closure`` that every rank has the same global batch (size and
checksum) at the same step; otherwise every rank raises ``RanksDisagree``.
"""
from ..curvature.closure import Closure
from .agreement import batch_fingerprint, require_same
from .closure import DistributedClosure
from .communicator import world
from .replicate import broadcast_module
from .sharding import BatchSharder
from .sync_batch_norm import convert_sync_batchnorm


class DataParallel:
    """Data-parallel training of ``model`` over ``comm`` (default: all MPI ranks)."""

    def __init__(self, model, comm=None, seed=0, sync_batch_norm=False):
        self.comm = world() if comm is None else comm
        self.model = convert_sync_batchnorm(model, self.comm) if sync_batch_norm else model
        require_same(self.comm, "the seed", seed)
        broadcast_module(self.model, self.comm)
        self.sharder = BatchSharder(self.comm, seed)
        self.checked_batches = False

    @property
    def writes(self):
        """True on the one rank (0) that writes checkpoints, metrics and progress."""
        return self.comm.rank == 0

    def closure(self, loss_fn, x, y, step):
        """The ``DistributedClosure`` of this rank's shard of the global batch ``(x, y)``."""
        if not self.checked_batches:
            require_same(self.comm, "the first global batch (step, samples, checksums of x "
                                    "and y)", (step,) + batch_fingerprint(x, y))
            self.checked_batches = True
        shard = self.sharder.shard(step, x.shape[0])
        local = Closure(self.model, loss_fn, shard.take(x), shard.take(y))
        return DistributedClosure(local, self.comm, shard)
