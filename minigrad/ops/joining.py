"""Joining and tiling: ``stack``, ``repeat``, ``expand``.

``stack(ts, dim)`` inserts a new axis at ``dim`` in each tensor and
concatenates along it; ``x.repeat(r0, r1, …)`` tiles ``x`` ``r_k`` times
along axis k (``out[i0 + s0·j0, …] = x[i0, …]``); ``x.expand(*sizes)``
broadcasts ``x`` (``-1`` keeps a size). All three are built from
``unsqueeze``/``cat``/``reshape``/``broadcast_to``, so their gradients (the
split of ``g``, the sum over tiles or broadcast axes) and second derivatives
come from those ops.
"""
from .reduction import broadcast_to
from .shape import cat, reshape, unsqueeze


def stack(tensors, dim=0):
    """The tensors (all of one shape) along a new axis ``dim`` (as ``torch.stack``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack expects a non-empty sequence of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack expects each tensor to be equal size, got shapes "
                         f"{[t.shape for t in tensors]}")
    return cat([unsqueeze(t, dim) for t in tensors], dim=dim % (tensors[0].ndim + 1))


def _sizes(caller, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"{caller}: sizes must be ints, got {sizes!r}")
    return tuple(sizes)


def repeat(a, *repeats):
    """``a`` tiled ``repeats[k]`` times along axis k (as ``torch.Tensor.repeat``).

    ``len(repeats)`` may exceed ``a.ndim``: leading axes of size 1 are added first.
    """
    repeats = _sizes("repeat", repeats)
    if len(repeats) < a.ndim or any(r < 0 for r in repeats):
        raise ValueError(f"repeat: number of repeat dims ({len(repeats)}) can not be smaller "
                         f"than number of tensor dims ({a.ndim}) and repeats must be "
                         f"non-negative, got {repeats} for shape {a.shape}")
    shape = (1,) * (len(repeats) - a.ndim) + a.shape
    interleaved = tuple(n for pair in zip((1,) * len(shape), shape) for n in pair)
    tiled = tuple(n for pair in zip(repeats, shape) for n in pair)
    out = broadcast_to(reshape(a, interleaved), tiled)
    return reshape(out, tuple(r * n for r, n in zip(repeats, shape)))


def expand(a, *sizes):
    """``a`` broadcast to ``sizes``; ``-1`` keeps that axis's size (``torch.Tensor.expand``)."""
    sizes = _sizes("expand", sizes)
    lead = len(sizes) - a.ndim
    if lead < 0:
        raise ValueError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                         f"or equal to the number of dimensions in the tensor ({a.ndim})")
    shape = tuple(a.shape[k - lead] if n == -1 and k >= lead else n
                  for k, n in enumerate(sizes))
    for k, n in enumerate(a.shape):
        if n != 1 and n != shape[k + lead]:
            raise ValueError(f"expand: the expanded size of the tensor ({shape[k + lead]}) must "
                             f"match the existing size ({n}) at non-singleton dimension "
                             f"{k + lead}. Target sizes: {list(sizes)}. Tensor sizes: "
                             f"{list(a.shape)}")
    return broadcast_to(a, shape)
