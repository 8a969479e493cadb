"""Checkpoints without pickle: nested Python state in a NumPy ``.npz`` archive.

``save(state, path)`` stores a nested structure of dicts, lists, tuples, str,
int (any size, e.g. a PCG64 generator state), float, bool, None, NumPy/CuPy
arrays, NumPy scalars and ``Tensor``s. Arrays (moved to the host) become
entries ``a0, a1, …`` of the archive; the structure becomes JSON, with each
array replaced by a reference, stored as the entry ``structure``. Dict keys keep
their type (int keys of an optimizer's state stay ints) and their order.
``load(path)`` rebuilds it with ``numpy.load(allow_pickle=False)``, so opening a
checkpoint can never run code; arrays that lived on the GPU, and Tensors, come
back on the active backend.

Writes go through ``atomic_write`` (``minigrad.atomic``), so a crash mid-write
leaves the previous checkpoint intact. Reading a file that is missing, empty,
truncated or corrupt, that claims arrays larger than its bytes hold
(``minigrad.file_sizes``: checked before anything is allocated), or a weights file
written by ``minigrad.save``, raises ``CheckpointError`` naming the file (and, for a weights file, ``minigrad.load``);
``require(state, keys, path)`` does the same for a missing entry.
"""
import json
import os
import zipfile

import numpy

from . import backend
from .atomic import atomic_write
from .file_sizes import FileSizeError, check_numpy_file
from .tensor import Tensor

__all__ = ["CheckpointError", "atomic_write", "load", "require", "save"]

STRUCTURE_KEY = "structure"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, empty, truncated, corrupt or lacks an entry; the
    message names the file."""


def _encode(value, arrays, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Tensor):
        return {"__tensor__": _store(value.data, arrays)}
    if isinstance(value, numpy.generic):
        return {"__scalar__": _store(numpy.asarray(value), arrays)}
    if hasattr(value, "__array__") and hasattr(value, "dtype"):
        device = "cpu" if backend.get_array_module(value) is numpy else "cuda"
        return {"__array__": _store(value, arrays), "device": device}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, arrays, f"{where} key"),
                              _encode(v, arrays, f"{where}[{k!r}]")] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    raise TypeError(f"checkpoint.save: cannot store {where} of type {type(value).__name__}")


def _store(array, arrays):
    key = f"a{len(arrays)}"
    host = backend.to_host(array)
    if host.dtype.hasobject:
        raise TypeError("checkpoint.save: object arrays cannot be stored without pickle")
    arrays[key] = host
    return key


def _decode(value, archive):
    if isinstance(value, list):
        return [_decode(v, archive) for v in value]
    if not isinstance(value, dict):
        return value
    if "__dict__" in value:
        return {_decode(k, archive): _decode(v, archive) for k, v in value["__dict__"]}
    if "__tuple__" in value:
        return tuple(_decode(v, archive) for v in value["__tuple__"])
    if "__scalar__" in value:
        return archive[value["__scalar__"]][()]
    if "__tensor__" in value:
        return Tensor(backend.to_device(archive[value["__tensor__"]]))
    array = archive[value["__array__"]]
    return backend.to_device(array) if value["device"] == "cuda" else array


def save(state, path):
    """Write the nested ``state`` to ``path`` (an ``.npz`` archive), atomically."""
    arrays = {}
    structure = json.dumps(_encode(state, arrays, "state"))
    arrays[STRUCTURE_KEY] = numpy.frombuffer(structure.encode("utf-8"), dtype=numpy.uint8)
    atomic_write(path, lambda file: numpy.savez(file, **arrays))


def load(path):
    """The nested state saved by ``save`` at ``path`` (no pickle involved)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint.load: no checkpoint file at {path}")
    if os.path.getsize(path) == 0:
        raise CheckpointError(f"checkpoint.load: {path} is empty (0 bytes)")
    try:
        check_numpy_file(path)
        with numpy.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, numpy.lib.npyio.NpzFile):
                raise ValueError("a single .npy array, not an .npz archive")
            if STRUCTURE_KEY not in archive.files:
                raise CheckpointError(
                    f"checkpoint.load: {path} is not a minigrad checkpoint (no "
                    f"'{STRUCTURE_KEY}' entry) but a weights file as minigrad.save writes "
                    f"them: read it with minigrad.load")
            structure = json.loads(archive[STRUCTURE_KEY].tobytes().decode("utf-8"))
            arrays = {key: archive[key] for key in archive.files if key != STRUCTURE_KEY}
        return _decode(structure, arrays)
    except CheckpointError:
        raise
    except FileSizeError as error:
        raise CheckpointError(f"checkpoint.load: {error}") from error
    except (OSError, ValueError, EOFError, KeyError, TypeError, RecursionError,
            zipfile.BadZipFile) as error:
        raise CheckpointError(f"checkpoint.load: {path} is truncated or corrupt, not a readable "
                              f"minigrad checkpoint ({type(error).__name__}: {error})") from error


def require(state, keys, path):
    """Raise ``CheckpointError`` naming ``path`` unless the loaded ``state`` has every key."""
    missing = [key for key in keys if not isinstance(state, dict) or key not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks the entries {missing}; it was not "
                              f"written by this trainer, or is damaged")
