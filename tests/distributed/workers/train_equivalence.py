"""Train a small MLP for 20 steps on K ranks and in one process on the same global batches.

Every rank builds the reference itself (one process, the global batch) and the
distributed run (its shard, ``DistributedClosure``); rank 0 writes, per optimizer, the
largest parameter difference over all ranks and whether the ranks hold bitwise-equal
parameters, as JSON to the path given as the first argument.
"""
import json
import sys

import numpy

import minigrad
import optim
from minigrad import nn
from minigrad.curvature import Closure
from minigrad.distributed import (BatchSharder, DistributedClosure, abort_on_error,
                                  broadcast_module, world)

STEPS, BATCH, FEATURES, CLASSES = 20, 8, 5, 3
OPTIMIZERS = {
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "kfac": lambda p: optim.KFAC(p, lr=0.1, damping=0.1, seed=7),
    "kflr": lambda p: optim.KFLR(p, lr=0.1, damping=0.1),
    "newton_cg": lambda p: optim.NewtonCG(p, damping=1.0, max_cg_iter=10),
    "lbfgs": lambda p: optim.LBFGS(p, lr=1, max_iter=2, line_search_fn="strong_wolfe"),
}


def model(seed):
    nn.init.manual_seed(seed)
    return nn.Sequential(nn.Linear(FEATURES, 7), nn.Tanh(), nn.Linear(7, CLASSES))


def batches():
    rng = numpy.random.default_rng(0)
    return [(rng.standard_normal((BATCH, FEATURES)), rng.integers(0, CLASSES, BATCH))
            for _ in range(STEPS)]


def train_single(make_optimizer, data):
    net, loss_fn = model(1), nn.CrossEntropyLoss()
    optimizer = make_optimizer(list(net.parameters()))
    for x, y in data:
        optimizer.step(Closure(net, loss_fn, minigrad.tensor(x), y))
    return net


def train_distributed(make_optimizer, data, comm):
    net, loss_fn = model(1 + 100 * comm.rank), nn.CrossEntropyLoss()
    broadcast_module(net, comm)
    optimizer = make_optimizer(list(net.parameters()))
    sharder = BatchSharder(comm, seed=3)
    for step, (x, y) in enumerate(data):
        shard = sharder.shard(step, len(x))
        local = Closure(net, loss_fn, minigrad.tensor(shard.take(x)), shard.take(y))
        optimizer.step(DistributedClosure(local, comm, shard))
    return net


def flat(net):
    return numpy.concatenate([p.data.ravel() for p in net.parameters()])


def main(out):
    minigrad.set_default_dtype(numpy.float64)
    comm = world()
    data = batches()
    report = {}
    for name, make_optimizer in OPTIMIZERS.items():
        reference = flat(train_single(make_optimizer, data))
        mine = flat(train_distributed(make_optimizer, data, comm))
        difference = float(numpy.abs(mine - reference).max())
        everyone = comm.mpi_comm.gather((difference, mine), root=0)
        if comm.rank == 0:
            report[name] = {"max_difference": max(d for d, _ in everyone),
                            "ranks_identical": all(numpy.array_equal(everyone[0][1], m)
                                                   for _, m in everyone),
                            "moved": float(numpy.abs(reference - flat(model(1))).max())}
    if comm.rank == 0:
        with open(out, "w") as handle:
            json.dump(report, handle)


if __name__ == "__main__":
    with abort_on_error(world()):
        main(sys.argv[1])
