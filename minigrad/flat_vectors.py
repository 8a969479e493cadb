"""Flat vectors over a list of arrays: the ``(P,)`` layout of parameters and curvature.

A flat vector lists arrays (parameters, gradients, directions) in a fixed order (for a model:
``model.parameters()`` order), each raveled row-major, concatenated, so ``P = Σ a.size``
(``minigrad/curvature/README.md``). ``arrays_to_vector`` and ``vector_to_arrays`` (PyTorch's
``parameters_to_vector`` / ``vector_to_parameters``) convert between that
layout and lists of arrays; both ``minigrad.curvature`` and ``optim`` use these two.
"""
import math

from .backend import get_array_module
from .tensor import Tensor


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def arrays_to_vector(arrays):
    """The row-major ravels of ``arrays`` (arrays or Tensors), concatenated: one ``(P,)`` array."""
    arrays = [_array(a) for a in arrays]
    if not arrays:
        raise ValueError("arrays_to_vector: got an empty list of arrays")
    xp = get_array_module(*arrays)
    flat = xp.empty(sum(int(a.size) for a in arrays), dtype=xp.result_type(*arrays))
    start = 0
    for a in arrays:
        flat[start:start + a.size].reshape(a.shape)[...] = a
        start += a.size
    return flat


def vector_to_arrays(vector, like):
    """Split a ``(P,)`` vector into views shaped like ``like`` (shapes, arrays or Parameters)."""
    vector = _array(vector)
    shapes = [tuple(getattr(_array(item), "shape", item)) for item in like]
    total = sum(math.prod(shape) for shape in shapes)
    if vector.ndim != 1 or vector.shape[0] != total:
        raise ValueError(f"vector_to_arrays: the vector has {vector.size} entries but the shapes "
                         f"{shapes} need {total} (expected shape ({total},), got "
                         f"{tuple(vector.shape)})")
    pieces, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(vector[start:start + size].reshape(shape))
        start += size
    return pieces
