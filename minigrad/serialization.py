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
"""
import collections
import collections.abc
import os
import zipfile

import numpy

from . import backend
from .atomic import atomic_write
from .checkpoint import STRUCTURE_KEY
from .file_sizes import check_numpy_file
from .tensor import Tensor


def _host_arrays(state):
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    if not isinstance(state, collections.abc.Mapping):
        raise TypeError(f"save: expected a Module or a mapping of names to arrays, got "
                        f"{type(state).__name__}")
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
    """Write ``state`` (a Module or a mapping name → array/Tensor) to ``path`` as ``.npz``."""
    arrays = _host_arrays(state)
    atomic_write(path, lambda file: numpy.savez(file, **arrays))


def _read_archive(path):
    """The ``OrderedDict`` of every entry of the ``.npz`` archive at ``path``."""
    try:
        check_numpy_file(path)
        archive = numpy.load(path, allow_pickle=False)
        if not isinstance(archive, numpy.lib.npyio.NpzFile):
            raise ValueError(f"load: {path!r} holds a single .npy array, not an .npz archive "
                             f"written by minigrad.save")
        with archive:
            return collections.OrderedDict((name, archive[name]) for name in archive.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        if str(error).startswith("load: "):
            raise
        raise ValueError(f"load: {path!r} is not an .npz archive written by minigrad.save "
                         f"({error})") from error


def load(path):
    """The ``OrderedDict`` of NumPy arrays saved at ``path`` by ``save``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: no file at {path!r}")
    arrays = _read_archive(path)
    if STRUCTURE_KEY in arrays:
        raise ValueError(f"load: {path!r} is a training checkpoint, not a weights file: read it "
                         f"with minigrad.checkpoint.load (its 'model' entry is the state dict)")
    return arrays
