"""Train a small MLP for 20 steps on K ranks and in one process on the same global batches.

Every rank builds the reference itself (one process, the global batch) and the
distributed run (``DataParallel``: its shard, ``DistributedClosure``); rank 0 writes, per optimizer, the
largest parameter difference over all ranks and whether the ranks hold bitwise-equal
parameters, as JSON to the path given as the first argument. Two more runs train an MLP
with batch norm by SGD with momentum: with ``SyncBatchNorm`` (global statistics) and with
the default per-rank statistics (parameters and buffers included in the comparison).
Last, the training-loop pattern in float32: two epochs of a shuffled ``DataLoader`` on K
ranks against one process, and the same run stopped after one epoch and resumed from the
model, optimizer and loader states (it must continue bitwise).
"""
import json
import sys

import numpy

import minigrad
import optim
from minigrad import nn
from minigrad.curvature import Closure
from minigrad.data import DataLoader
from minigrad.distributed import DataParallel, abort_on_error, world

STEPS, BATCH, FEATURES, CLASSES = 20, 12, 5, 3
OPTIMIZERS = {
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "kfac": lambda p: optim.KFAC(p, lr=0.1, damping=0.1, seed=7),
    "kflr": lambda p: optim.KFLR(p, lr=0.1, damping=0.1),
    "newton_cg": lambda p: optim.NewtonCG(p, damping=1.0, max_cg_iter=10),
    "lbfgs": lambda p: optim.LBFGS(p, lr=1, max_iter=2, line_search_fn="strong_wolfe"),
    "kfra": lambda p: optim.KFRA(p, lr=0.1, damping=0.1),
    "trust_region": lambda p: optim.TrustRegion(p, radius=0.5),
    "arc": lambda p: optim.CubicRegularization(p, sigma=1.0),
    "adahessian": lambda p: optim.AdaHessian(p, lr=0.05, seed=4),
}


BATCH_NORM_RUNS = {"sync_batch_norm": True, "per_rank_batch_norm": False}


def model(seed, batch_norm=False):
    nn.init.manual_seed(seed)
    middle = [nn.BatchNorm1d(7)] if batch_norm else []
    return nn.Sequential(nn.Linear(FEATURES, 7), *middle, nn.Tanh(), nn.Linear(7, CLASSES))


def batches():
    rng = numpy.random.default_rng(0)
    return [(rng.standard_normal((BATCH, FEATURES)), rng.integers(0, CLASSES, BATCH))
            for _ in range(STEPS)]


def train_single(make_optimizer, data, batch_norm=False):
    net, loss_fn = model(1, batch_norm), nn.CrossEntropyLoss()
    optimizer = make_optimizer(list(net.parameters()))
    for x, y in data:
        optimizer.step(Closure(net, loss_fn, minigrad.tensor(x), y))
    return net


def train_distributed(make_optimizer, data, comm, batch_norm=False, sync=False):
    net, loss_fn = model(1 + 100 * comm.rank, batch_norm), nn.CrossEntropyLoss()
    parallel = DataParallel(net, comm, seed=3, sync_batch_norm=sync)
    optimizer = make_optimizer(list(net.parameters()))
    for step, (x, y) in enumerate(data):
        optimizer.step(parallel.closure(loss_fn, minigrad.tensor(x), y, step))
    return net


def loader_epochs(comm, epochs, state=None, start_step=0):
    """SGD with momentum over ``epochs`` of a shuffled loader (from ``state`` when given)."""
    rng = numpy.random.default_rng(5)
    images, labels = rng.standard_normal((48, FEATURES)), rng.integers(0, CLASSES, 48)
    loader = DataLoader(images, labels, BATCH, shuffle=True, seed=2, drop_last=True)
    net, loss_fn = model(1), nn.CrossEntropyLoss()
    optimizer = OPTIMIZERS["sgd_momentum"](list(net.parameters()))
    if state is not None:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        loader.load_state_dict(state["loader"])
    parallel = DataParallel(net, comm, seed=3) if comm is not None else None
    step = start_step
    for _ in range(epochs):
        for x, y in loader:
            closure = (parallel.closure(loss_fn, x, y, step) if parallel is not None
                       else Closure(net, loss_fn, x, y))
            optimizer.step(closure)
            step += 1
    return net, {"model": net.state_dict(), "optimizer": optimizer.state_dict(),
                 "loader": loader.state_dict()}, step


def float32_runs(comm):
    """(one process, K ranks, K ranks resumed after one epoch) after two epochs, float32."""
    minigrad.set_default_dtype(numpy.float32)
    single, _, _ = loader_epochs(None, 2)
    parallel, _, _ = loader_epochs(comm, 2)
    _, state, step = loader_epochs(comm, 1)
    resumed, _, _ = loader_epochs(comm, 1, state, step)
    minigrad.set_default_dtype(numpy.float64)
    return flat(single), flat(parallel), flat(resumed)


def flat(net):
    arrays = [p.data for p in net.parameters()] + [b for _, b in net.named_buffers()]
    return numpy.concatenate([a.ravel() for a in arrays])


def compare(reference, mine, start, comm):
    """Rank 0's record of the largest difference, bitwise equality of the ranks, the move."""
    difference = float(numpy.abs(mine - reference).max())
    everyone = comm.mpi_comm.gather((difference, mine), root=0)
    if comm.rank:
        return None
    return {"max_difference": max(d for d, _ in everyone),
            "ranks_identical": all(numpy.array_equal(everyone[0][1], m) for _, m in everyone),
            "moved": float(numpy.abs(reference - start).max())}


def main(out):
    minigrad.set_default_dtype(numpy.float64)
    comm = world()
    data = batches()
    report = {}
    for name, make_optimizer in OPTIMIZERS.items():
        reference = flat(train_single(make_optimizer, data))
        mine = flat(train_distributed(make_optimizer, data, comm))
        report[name] = compare(reference, mine, flat(model(1)), comm)
    for name, sync in BATCH_NORM_RUNS.items():
        make_optimizer = OPTIMIZERS["sgd_momentum"]
        reference = flat(train_single(make_optimizer, data, batch_norm=True))
        mine = flat(train_distributed(make_optimizer, data, comm, batch_norm=True, sync=sync))
        report[name] = compare(reference, mine, flat(model(1, batch_norm=True)), comm)
    single, parallel, resumed = float32_runs(comm)
    report["float32_two_epochs"] = compare(single, parallel, flat(model(1)), comm)
    report["float32_resumed"] = compare(parallel, resumed, flat(model(1)), comm)
    if comm.rank == 0:
        with open(out, "w") as handle:
            json.dump(report, handle)


if __name__ == "__main__":
    with abort_on_error(world()):
        main(sys.argv[1])
