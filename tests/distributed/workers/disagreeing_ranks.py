"""Two ranks given different seeds, or different global batches, or a rank raising outside
``abort_on_error``: the job must end with a message instead of training on or hanging.

``python disagreeing_ranks.py seed|batch-size|batch-content|uncaught``
"""
import sys

import numpy

from minigrad import Tensor, nn
from minigrad.distributed import DataParallel, abort_on_error, world

mode = sys.argv[1]
comm = world()
if mode == "uncaught":
    if comm.rank == 1:
        raise ValueError("rank 1 fails outside abort_on_error")
    comm.all_reduce(numpy.ones(3))
    sys.exit(0)
with abort_on_error(comm):
    parallel = DataParallel(nn.Linear(3, 2), comm, seed=comm.rank if mode == "seed" else 0)
    rows = 8 if mode == "batch-size" and comm.rank == 1 else 4
    x = numpy.full((rows, 3), float(comm.rank if mode == "batch-content" else 0))
    closure = parallel.closure(nn.CrossEntropyLoss(), Tensor(x), Tensor(numpy.zeros(rows, int)),
                               step=0)
    closure()
    print(f"rank {comm.rank} trained on")
