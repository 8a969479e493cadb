"""``split`` and ``chunk``: a tensor cut into consecutive pieces along one axis (PyTorch's rules).

Each piece is a slice, ``getitem(x, (:, …, start:stop))``, whose backward writes the piece's
gradient back into a zero tensor of ``x``'s shape (``index_add``); the pieces' gradients add
up to ``x``'s. Both directions are linear, so second derivatives are exact (zero).

    split(x, n, dim)          pieces of size n (the last one smaller if n does not divide)
    split(x, [n1, n2], dim)   pieces of the given sizes, which must add up to x.shape[dim]
    chunk(x, k, dim)          k pieces of size ⌈size/k⌉ (fewer if they run out), as torch.chunk
"""
from .shape import getitem


def _axis(caller, x, dim):
    if isinstance(dim, bool) or not isinstance(dim, int) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{caller}: dim must be an int in [{-x.ndim}, {x.ndim}) for an input "
                         f"of shape {x.shape}, got {dim!r}")
    return dim % x.ndim


def _pieces(x, sizes, axis):
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return tuple(pieces)


def split(tensor, split_size_or_sections, dim=0):
    """Cut ``tensor`` along ``dim`` into pieces of ``split_size_or_sections`` (an int size, or a
    list of sizes adding up to the axis)."""
    axis = _axis("split", tensor, dim)
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int) and not isinstance(split_size_or_sections, bool):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be a positive int, got {size} (input "
                             f"shape {tensor.shape})")
        sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != length:
            raise ValueError(f"split: sections {sizes} must be non-negative and add up to the "
                             f"size {length} of dimension {dim} (input shape {tensor.shape})")
    return _pieces(tensor, sizes, axis)


def chunk(input, chunks, dim=0):
    """``chunks`` pieces of size ``⌈size/chunks⌉`` along ``dim`` (fewer when they run out)."""
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r} (input shape "
                         f"{input.shape})")
    length = input.shape[_axis("chunk", input, dim)]
    return split(input, max(-(-length // chunks), 1), dim)
