"""Reader for the CIFAR-10 "python version" batches, through a restricted unpickler.

Each batch file is a pickled dict (read with ``encoding='bytes'``, so keys are
bytes): ``b'data'`` a uint8 array ``(N, 3072)`` holding per image the R, G and
B planes of 32×32 pixels, row-major; ``b'labels'`` a list of N ints in [0, 10).
``batches.meta`` holds ``b'label_names'``.

Unpickling can run arbitrary code, so ``RestrictedUnpickler`` admits only the
globals that rebuild a NumPy array (``_reconstruct``, which the published
files use, and ``_frombuffer``, which pickle protocol 5 uses, each under its
NumPy 1 and 2 module names; ``numpy.ndarray``, ``numpy.dtype``), plus the
``_codecs.encode(text, "latin1")`` by which protocol-2 pickles written by Python 3
store bytes (admitted as a function that only re-encodes text as Latin-1), and
rejects any other global with a ``DataFormatError`` naming it and the file. An array
constructor asking for more bytes than the whole file holds (``ndarray((2**40,))``) is
refused before it allocates (``minigrad.file_sizes``): the data of every genuine array
comes from the file.

Shapes returned: images ``(N, 3, 32, 32)`` uint8, labels ``(N,)`` int64.
"""
import os
import pickle

import numpy

from ..file_sizes import FileSizeError, array_bytes, check_claim
from .errors import DataFormatError

NUM_CLASSES = 10
LATIN1_NAMES = ("latin1", "latin-1", "iso-8859-1", "iso8859-1")


def _latin1_bytes(text, encoding):
    """``_codecs.encode`` as protocol-2 pickles use it: the bytes whose Latin-1 text is ``text``."""
    if not isinstance(text, str) or encoding not in LATIN1_NAMES:
        raise pickle.UnpicklingError(f"_codecs.encode is admitted only as encode(str, 'latin1'), "
                                     f"got encode({type(text).__name__}, {encoding!r})")
    return text.encode("latin1")

_RECONSTRUCT = numpy.zeros(1).__reduce_ex__(2)[0]
_FROMBUFFER = numpy.zeros(1).__reduce_ex__(5)[0]
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): numpy.ndarray,
    ("numpy", "dtype"): numpy.dtype,
    ("_codecs", "encode"): _latin1_bytes,
}


def _file_size(file):
    """Bytes of the seekable ``file``, its position kept."""
    position = file.tell()
    size = file.seek(0, os.SEEK_END)
    file.seek(position)
    return size


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` admits only ``ALLOWED_GLOBALS``, with the array
    constructors bounded by the size of ``file``."""

    def __init__(self, file, path):
        super().__init__(file, encoding="bytes")
        self.path, self.max_bytes = path, _file_size(file)

    def _bounded(self, shape, dtype):
        try:
            claimed = array_bytes(shape if isinstance(shape, tuple) else (shape,), dtype)
        except (TypeError, ValueError) as err:
            raise DataFormatError(f"{self.path}: the pickle asks for an array of shape "
                                  f"{shape!r} and dtype {dtype!r} ({err})") from err
        try:
            check_claim(self.path, f"the pickle's array of shape {shape}", claimed,
                        self.max_bytes)
        except FileSizeError as error:
            raise DataFormatError(str(error)) from error

    def _ndarray(self, shape, dtype=float, *rest, **options):
        self._bounded(shape, dtype)
        return numpy.ndarray(shape, dtype, *rest, **options)

    def _reconstruct(self, subtype, shape, dtype):
        self._bounded(shape, dtype)
        return _RECONSTRUCT(numpy.ndarray if subtype == self._ndarray else subtype, shape, dtype)

    def find_class(self, module, name):
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise DataFormatError(f"{self.path}: the pickle asks for {module}.{name}, which a "
                                  f"CIFAR-10 batch does not need; refusing to load it")
        bounded = {numpy.ndarray: self._ndarray, _RECONSTRUCT: self._reconstruct}
        return bounded.get(allowed, allowed)


def read_pickle(path):
    """The object pickled in ``path``, unpickled by ``RestrictedUnpickler``."""
    with open(path, "rb") as f:
        try:
            return RestrictedUnpickler(f, path).load()
        except DataFormatError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
            raise DataFormatError(f"{path}: not a readable CIFAR-10 pickle ({err})") from err


def read_cifar_batch(path):
    """``(images (N, 3, 32, 32) uint8, labels (N,) int64)`` from one CIFAR-10 batch file."""
    batch = read_pickle(path)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DataFormatError(f"{path}: expected a dict with b'data' and b'labels', got {keys}")
    data, labels = batch[b"data"], numpy.asarray(batch[b"labels"], dtype=numpy.int64)
    if not isinstance(data, numpy.ndarray) or data.dtype != numpy.uint8 or data.ndim != 2 \
            or data.shape[1] != 3 * 32 * 32:
        raise DataFormatError(f"{path}: b'data' must be a uint8 array (N, 3072), got "
                              f"{getattr(data, 'dtype', type(data).__name__)} "
                              f"{getattr(data, 'shape', '')}")
    if labels.shape != (data.shape[0],):
        raise DataFormatError(f"{path}: {labels.shape[0]} labels for {data.shape[0]} images")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataFormatError(f"{path}: labels must lie in [0, {NUM_CLASSES}), got "
                              f"[{labels.min()}, {labels.max()}]")
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar_label_names(path):
    """The class names (str) listed in ``batches.meta``."""
    meta = read_pickle(path)
    if not isinstance(meta, dict) or b"label_names" not in meta:
        raise DataFormatError(f"{path}: expected a dict with b'label_names'")
    return [name.decode() for name in meta[b"label_names"]]
