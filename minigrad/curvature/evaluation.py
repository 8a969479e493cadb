"""Evaluating the batch loss for curvature computations, without side effects on the model.

``batch_loss`` is ``L = loss_fn(model(x), y)``, the batch loss of
``minigrad/curvature/README.md`` (mean, batch-mean or sum); it must be a scalar, and the batch
must not be empty (``check_batch``). A curvature product runs the model forward (often many times,
e.g. in Lanczos), and in training mode batch normalisation moves its running
statistics at every forward. ``preserved_buffers`` restores every buffer
afterwards, so asking for curvature never changes the model: batch norm still
normalises with the batch statistics (and is differentiated through them), only
the running estimates are put back.
"""
import contextlib

from ..tensor import Tensor


def check_batch(x, what):
    """The batch size N of ``x`` (array or Tensor); an error naming ``what`` if the batch is empty."""
    shape = tuple(x.shape)
    if not shape or shape[0] == 0:
        raise ValueError(f"{what}: the batch is empty (x has shape {shape}); curvature of a mean "
                         f"loss needs at least one sample")
    return shape[0]


def as_input(x):
    """``x`` as a Tensor (arrays are wrapped as they are, outside the graph); an empty batch
    is an error."""
    check_batch(x, "minigrad.curvature")
    return x if isinstance(x, Tensor) else Tensor(x)


def scalar_loss(loss_fn, output, y):
    """``loss_fn(output, y)``, checked to be a scalar Tensor."""
    loss = loss_fn(output, y)
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        shape = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"the loss {loss_fn!r} must return a scalar Tensor (reduction='mean'), "
                         f"got {shape}")
    return loss


def batch_loss(model, loss_fn, x, y):
    """The scalar loss Tensor ``loss_fn(model(x), y)``; raises if it is not a scalar."""
    return scalar_loss(loss_fn, model(as_input(x)), y)


@contextlib.contextmanager
def preserved_buffers(model):
    """Within the block the model may update its buffers; on exit they get their values back."""
    saved = [(buffer, buffer.copy()) for _, buffer in model.named_buffers()]
    try:
        yield
    finally:
        for buffer, value in saved:
            buffer[...] = value
