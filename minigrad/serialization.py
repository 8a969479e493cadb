"""``save`` and ``load``: a model's parameters and buffers as a NumPy ``.npz`` archive.

``save(module_or_state_dict, path)`` writes one array per dotted name
(``"0.weight"``, ``"1.running_mean"``, ...) in ``state_dict`` order. The archive
is written by ``minigrad.atomic.atomic_write``: to a temporary file in the target's
directory, flushed to disk, and moved onto ``path`` with ``os.replace``, so
``path`` holds either the previous file or the complete new one, never a
partial write. ``load(path)`` returns an
``OrderedDict`` of host NumPy arrays in the saved order, ready for
``Module.load_state_dict``. Arrays are stored without pickling. A training
checkpoint (``minigrad.checkpoint.save``) given to ``load`` is refused with a
message naming ``minigrad.checkpoint.load``.

The everyday ``torch.save`` habit works too: a mapping whose values are not
all arrays, e.g. ``{"model": m.state_dict(), "optimizer": opt.state_dict(),
"epoch": 3}``, holding dicts, lists, tuples, strings, numbers, None, arrays
and Tensors at any depth, is written in the checkpoint format
(``minigrad.checkpoint``: arrays as ``.npz`` entries, the structure as JSON,
no pickle, atomic), wrapped under the single key ``"minigrad.save"`` that
tells it from a training checkpoint; ``load`` gives the mapping back (arrays
as arrays, Tensors as Tensors, int keys as ints). Anything else in it (a
Module, a function, an object array) is refused before writing, with the key
path of the offending value (``obj['optimizer']['state'][0]['buffer']``).
"""
import collections
import collections.abc
import os
import zipfile

import numpy

from . import backend, checkpoint
from .atomic import atomic_write
from .checkpoint import STRUCTURE_KEY
from .file_sizes import check_numpy_file
from .tensor import Tensor

WRAPPER_KEY = "minigrad.save"
STORABLE_LEAVES = (type(None), bool, int, float, str, Tensor, numpy.generic)


def _is_flat_state(state):
    return all(isinstance(value, Tensor) or hasattr(value, "__array__")
               for value in state.values())


def _check_storable(state):
    """Raise ``TypeError`` naming the key path of the first value ``checkpoint.save`` cannot
    store; the walk uses an explicit stack (any depth)."""
    stack = [(state, "obj")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, STORABLE_LEAVES):
            continue
        if hasattr(value, "__array__") and hasattr(value, "dtype"):
            if value.dtype.hasobject:
                raise TypeError(f"save: {where} is an array of Python objects; only numeric "
                                f"arrays can be saved")
        elif isinstance(value, collections.abc.Mapping):
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool, type(None))):
                    raise TypeError(f"save: {where} has a key of type {type(key).__name__}; "
                                    f"keys must be strings or numbers")
                stack.append((item, f"{where}[{key!r}]"))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
        else:
            raise TypeError(f"save: cannot store {where} of type {type(value).__name__}: "
                            f"minigrad.save stores Tensors, arrays, numbers, strings, None and "
                            f"dicts, lists and tuples of them (save a Module's state_dict())")


def _host_arrays(state):
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    if not isinstance(state, collections.abc.Mapping):
        raise TypeError(f"save: expected a Module or a mapping (a state dict, or a dict of "
                        f"state dicts, numbers, strings and lists), got {type(state).__name__}")
    arrays = collections.OrderedDict()
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state keys must be strings, got {name!r}")
        array = numpy.asarray(backend.to_host(value.data if isinstance(value, Tensor) else value))
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} is an array of Python objects; only numeric "
                            f"arrays can be saved")
        arrays[name] = array
    return arrays


def save(state, path):
    """Write ``state`` to ``path`` as ``.npz``, atomically: a Module or a mapping name →
    array/Tensor as one entry per name, any other mapping in the checkpoint format."""
    if isinstance(state, collections.abc.Mapping) and not _is_flat_state(state):
        _check_storable(state)
        checkpoint.save({WRAPPER_KEY: dict(state)}, path)
        return
    arrays = _host_arrays(state)
    atomic_write(path, lambda file: numpy.savez(file, **arrays))


def _read_archive(path, entries=True):
    """The ``OrderedDict`` of every entry of the ``.npz`` archive at ``path`` (with
    ``entries=False`` only the entry names, nothing read)."""
    try:
        check_numpy_file(path)
        archive = numpy.load(path, allow_pickle=False)
        if not isinstance(archive, numpy.lib.npyio.NpzFile):
            raise ValueError(f"load: {path!r} holds a single .npy array, not an .npz archive "
                             f"written by minigrad.save")
        with archive:
            if not entries:
                return list(archive.files)
            return collections.OrderedDict((name, archive[name]) for name in archive.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        if str(error).startswith("load: "):
            raise
        raise ValueError(f"load: {path!r} is not an .npz archive written by minigrad.save "
                         f"({error})") from error


def load(path):
    """What ``save`` wrote at ``path``: the ``OrderedDict`` of NumPy arrays of a state dict, or
    the mapping of state dicts, numbers, strings, lists, … saved in the checkpoint format."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: no file at {path!r}")
    if STRUCTURE_KEY in _read_archive(path, entries=False):
        state = checkpoint.load(path)
        if isinstance(state, dict) and list(state) == [WRAPPER_KEY]:
            return state[WRAPPER_KEY]
        raise ValueError(f"load: {path!r} is a training checkpoint, not a weights file: read it "
                         f"with minigrad.checkpoint.load (its 'model' entry is the state dict)")
    return _read_archive(path)
