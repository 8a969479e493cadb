"""Every reduced curvature quantity on K ranks against one process on the global batch.

For each test net (an MLP with cross-entropy, a small CNN with cross-entropy, an MLP with
mean-squared error, and an MLP with batch norm converted to ``SyncBatchNorm``) every rank
computes each quantity of ``DistributedClosure`` on its shard and the same quantity of a
single-process ``Closure`` on the global batch; rank 0 writes, per net and quantity, the
largest difference over the ranks relative to the largest entry, as JSON to the path given
as the first argument.
"""
import json
import sys

import numpy

import minigrad
from minigrad import nn
from minigrad.curvature import (diag_ggn, diag_hessian, ggn_operator, hessian_operator,
                                hutchinson_diag, hutchinson_trace)
from minigrad.curvature.autodiff.analysis import class_gradients
from minigrad.distributed import (BatchSharder, DistributedClosure, abort_on_error,
                                  broadcast_module, world)
from minigrad.distributed.sync_batch_norm import convert_sync_batchnorm
from product_closure import ProductClosure

BATCH, CLASSES = 8, 3


def mlp():
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, CLASSES))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, CLASSES))


def batch_norm_mlp():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, CLASSES))


def classification(shape):
    rng = numpy.random.default_rng(1)
    labels = numpy.array([0, 0, 0, 0, 0, 1, 1, 2])
    return rng.standard_normal((BATCH,) + shape), rng.permutation(labels)


def regression(shape):
    rng = numpy.random.default_rng(2)
    return rng.standard_normal((BATCH,) + shape), rng.standard_normal((BATCH, CLASSES))


NETS = {
    "mlp_cross_entropy": (mlp, nn.CrossEntropyLoss, classification, (4,), True),
    "cnn_cross_entropy": (cnn, nn.CrossEntropyLoss, classification, (1, 6, 6), True),
    "mlp_mse": (mlp, nn.MSELoss, regression, (4,), True),
    "sync_batch_norm": (batch_norm_mlp, nn.CrossEntropyLoss, classification, (4,), False),
}


def factors(blocks):
    return [array for block in blocks for array in (block.A, block.G)]


def quantities(closure, global_closure, layerwise, labels):
    """``name → (distributed value, single-process value)`` as lists of arrays."""
    params = closure.params
    rng = numpy.random.default_rng(4)
    vectors = [rng.standard_normal(p.shape) for p in params]
    loss = float(closure().item())
    grads = [p.grad.data.copy() for p in params]
    reference_loss = float(global_closure().item())
    reference_grads = [p.grad.data.copy() for p in global_closure.params]
    pairs = {
        "loss": ([numpy.array(loss)], [numpy.array(reference_loss)]),
        "gradient": (grads, reference_grads),
        "loss_value": ([numpy.array(closure.loss_value())],
                       [numpy.array(global_closure.loss_value())]),
        "hvp": (closure.hvp(vectors), global_closure.hvp(vectors)),
        "ggnvp": (closure.ggnvp(vectors), global_closure.ggnvp(vectors)),
    }
    for name in ("hessian_product", "gauss_newton_product"):
        for backward in (True, False):
            mine = getattr(closure, name)(backward=backward)
            grads = [p.grad.data.copy() for p in params]
            reference = getattr(global_closure, name)(backward=backward)
            key = f"{name}_backward" if backward else name
            pairs[key] = ([numpy.array(float(mine.loss.item()))] + grads + mine.apply(vectors),
                          [numpy.array(float(reference.loss.item()))]
                          + [p.grad.data for p in global_closure.params]
                          + reference.apply(vectors))
    g = global_closure
    hutchinson = hutchinson_diag(closure.operator("hessian"), 3, seed=2)
    reference = hutchinson_diag(hessian_operator(g.model, g.loss_fn, g.x, g.y), 3, seed=2)
    pairs["hutchinson_diag"] = (list(hutchinson), list(reference))
    trace = hutchinson_trace(closure.operator("ggn"), 3, seed=5)
    trace = hutchinson_trace(closure.operator("ggn"), 3, seed=5)
    reference_trace = hutchinson_trace(ggn_operator(g.model, g.loss_fn, g.x, g.y), 3, seed=5)
    pairs["hutchinson_trace"] = ([numpy.array(list(trace))], [numpy.array(list(reference_trace))])
    if layerwise:
        for kind in ("kflr", "kfra"):
            pairs[kind] = (factors(closure.kronecker_factors(kind)),
                           factors(global_closure.kronecker_factors(kind)))
        pairs["kfac_seeded"] = (factors(closure.kronecker_factors("kfac", mc_samples=2, seed=9)),
                                factors(global_closure.kronecker_factors("kfac", mc_samples=2,
                                                                         seed=9)))
        pairs["diag_hessian"] = ([closure.diag_hessian()],
                                 [diag_hessian(g.model, g.loss_fn, g.x, g.y)])
        pairs["diag_ggn"] = ([closure.diag_ggn()], [diag_ggn(g.model, g.loss_fn, g.x, g.y)])
        pairs["diag_ggn_sampled"] = ([closure.diag_ggn(mc_samples=3, seed=11)],
                                     [diag_ggn(g.model, g.loss_fn, g.x, g.y, mc_samples=3,
                                               seed=11)])
    if labels:
        pairs["class_gradients"] = ([closure.class_gradients()],
                                    [class_gradients(g.model, g.x, g.y)])
    return pairs


def relative_difference(mine, reference):
    scale = max(max(float(numpy.abs(r).max()) for r in reference), 1e-300)
    return max(float(numpy.abs(m - r).max()) for m, r in zip(mine, reference)) / scale


def main(out):
    minigrad.set_default_dtype(numpy.float64)
    comm = world()
    report = {}
    for name, (build, loss_type, make_data, shape, layerwise) in NETS.items():
        nn.init.manual_seed(1)
        single = build()
        nn.init.manual_seed(1 + 100 * comm.rank)
        net = build()
        if not layerwise:
            convert_sync_batchnorm(net, comm)
        broadcast_module(net, comm)
        x, y = make_data(shape)
        shard = BatchSharder(comm, seed=3).shard(0, BATCH)
        local = ProductClosure(net, loss_type(), minigrad.tensor(shard.take(x)), shard.take(y))
        closure = DistributedClosure(local, comm, shard)
        global_closure = ProductClosure(single, loss_type(), minigrad.tensor(x), y)
        pairs = quantities(closure, global_closure, layerwise, loss_type is nn.CrossEntropyLoss)
        if not layerwise:
            mine = [b.copy() for _, b in net.named_buffers()]
            pairs["running_statistics"] = (mine, [b for _, b in single.named_buffers()])
        differences = {key: relative_difference(*pair) for key, pair in pairs.items()}
        everyone = comm.mpi_comm.gather(differences, root=0)
        if comm.rank == 0:
            report[name] = {key: max(d[key] for d in everyone) for key in differences}
    if comm.rank == 0:
        with open(out, "w") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    with abort_on_error(world()):
        main(sys.argv[1])
