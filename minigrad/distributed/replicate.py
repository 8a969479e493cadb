"""Replicas that stay equal: parameters and buffers from rank 0, averaged gradients.

``broadcast_module(model, comm)`` copies every parameter and buffer of rank 0 into the
model of every rank (one broadcast of one flat buffer per dtype), so all ranks start
from the same θ whatever their seeds. ``average_gradients(params, comm)`` replaces each
``p.grad`` by the mean over ranks,

    ∇L = (1/K) Σ_r ∇L_r ,

which is the gradient of the global mean loss when each rank holds an equal-size shard of
the global batch (the mean of K equal-size shard means is the global mean). The gradients
(and any ``extra`` float, e.g. the loss) travel in one flat buffer: one all-reduce per step,
not one per tensor. A parameter without a gradient contributes zeros and keeps
``grad=None``. ``broadcast_buffers(model, comm)`` gives every rank the buffers of rank 0
(after a training step with per-rank batch-norm statistics, as PyTorch's
``DistributedDataParallel`` does with ``broadcast_buffers=True``).
"""
from ..curvature.flat import arrays_to_vector, vector_to_arrays


def _broadcast_arrays(arrays, comm, root):
    by_dtype = {}
    for array in arrays:
        by_dtype.setdefault(str(array.dtype), []).append(array)
    for group in by_dtype.values():
        flat = comm.broadcast(arrays_to_vector(group), root)
        for array, piece in zip(group, vector_to_arrays(flat, group)):
            array[...] = piece


def _check_same_arrays(model, arrays, comm, root):
    shapes = comm.broadcast_object([(a.shape, str(a.dtype)) for a in arrays], root)
    mine = [(a.shape, str(a.dtype)) for a in arrays]
    if shapes != mine:
        raise ValueError(f"broadcast_module: rank {comm.rank} holds {type(model).__name__} "
                         f"with parameters and buffers {mine}, rank {root} holds {shapes}")


def broadcast_module(model, comm, root=0):
    """Give every rank the parameters and buffers of rank ``root``, in place."""
    arrays = [p.data for p in model.parameters()] + [b for _, b in model.named_buffers()]
    _check_same_arrays(model, arrays, comm, root)
    _broadcast_arrays(arrays, comm, root)


def broadcast_buffers(model, comm, root=0):
    """Give every rank the buffers (batch-norm running statistics) of rank ``root``."""
    buffers = [b for _, b in model.named_buffers()]
    if buffers:
        _broadcast_arrays(buffers, comm, root)


def average_gradients(params, comm, extra=()):
    """``p.grad ← mean over ranks`` in one all-reduce; returns the means of the ``extra`` floats."""
    grads = [p.grad.data if p.grad is not None else p.xp.zeros(p.shape, dtype=p.dtype)
             for p in params]
    xp = params[0].xp
    tail = xp.asarray(list(extra), dtype=grads[0].dtype).reshape(-1)
    flat = comm.all_reduce_mean(arrays_to_vector(grads + [tail]))
    pieces = vector_to_arrays(flat, grads + [tail])
    for p, piece in zip(params, pieces):
        if p.grad is not None:
            p.grad.data[...] = piece
    return [float(value) for value in pieces[-1]]
