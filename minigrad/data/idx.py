"""Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed).

An IDX file is a big-endian header followed by the payload:

    bytes 0-1   zero
    byte  2     element type (0x08 = unsigned byte, the only type these sets use)
    byte  3     number of dimensions d
    4·d bytes   the dimensions, each an unsigned 32-bit big-endian integer
    payload     prod(dims) unsigned bytes, row-major

so the first four bytes, read as one big-endian integer, are 2051 for image files
(ubyte, 3 dims: N, rows, cols) and 2049 for label files (ubyte, 1 dim: N).
The payload must have exactly ``prod(dims)`` bytes: a short or long file, or a
gzip stream that ends early or fails its CRC, raises ``DataFormatError``. A gzip
member is decompressed only up to the size its header announces (plus one byte,
to detect a longer payload; a raw file only up to its size), and a header announcing
more than ``MAX_PAYLOAD_BYTES`` or more than ``file_sizes.MAX_INFLATION`` times the
compressed size of a gzip file (real IDX files inflate about 2 to 5 times) is refused
before anything is decompressed, with a ``DataFormatError`` naming the file and the
sizes, so a small corrupt or hostile file cannot fill the memory. Label values must lie
in ``[0, num_classes)``.

Shapes returned: images ``(N, 1, rows, cols)`` uint8 (a channel axis, as the
convolutional models expect ``(N, C, H, W)``), labels ``(N,)`` int64.
"""
import gzip
import os
import struct
import zlib

import numpy

from ..file_sizes import INFLATION_SLACK, MAX_INFLATION, FileSizeError, check_claim
from .errors import DataFormatError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
NUM_CLASSES = 10
MAX_PAYLOAD_BYTES = 1 << 32
_GZIP_SIGNATURE = b"\x1f\x8b"


def _open(path):
    """A binary reader of the file's content, decompressing when it starts with the gzip
    signature."""
    file = open(path, "rb")
    if file.read(2) == _GZIP_SIGNATURE:
        file.seek(0)
        return gzip.GzipFile(fileobj=file, mode="rb")
    file.seek(0)
    return file


def _read(stream, size, path):
    try:
        return stream.read(size)
    except (EOFError, OSError, zlib.error) as err:
        raise DataFormatError(f"{path}: corrupt or truncated gzip stream ({err})") from err


def _header(stream, path, expected_magic):
    """The dimensions announced by the header, after checking the magic number and sizes."""
    start = _read(stream, 4, path)
    if len(start) < 4:
        raise DataFormatError(f"{path}: {len(start)} bytes is too short for an IDX header")
    magic, = struct.unpack(">I", start)
    if magic != expected_magic:
        raise DataFormatError(f"{path}: magic number {magic} where an IDX file of this kind "
                              f"has {expected_magic}")
    ndim = start[3]
    sizes = _read(stream, 4 * ndim, path)
    if len(sizes) < 4 * ndim:
        raise DataFormatError(f"{path}: header announces {ndim} dimensions but the file ends "
                              f"after {4 + len(sizes)} bytes")
    dims = struct.unpack(f">{ndim}I", sizes)
    expected = 1
    for size in dims:
        expected *= size
    if expected > MAX_PAYLOAD_BYTES:
        raise DataFormatError(f"{path}: header dimensions {dims} announce {expected} payload "
                              f"bytes, more than the {MAX_PAYLOAD_BYTES} an IDX file may hold")
    return dims, expected


def read_idx(path, expected_magic):
    """The array stored in IDX file ``path``, whose magic number must be ``expected_magic``."""
    with _open(path) as stream:
        dims, expected = _header(stream, path, expected_magic)
        size, readable = os.path.getsize(path), expected
        if isinstance(stream, gzip.GzipFile):
            try:
                check_claim(path, f"the header (dimensions {dims}) of a {size:,}-byte gzip file",
                            expected, MAX_INFLATION * size + INFLATION_SLACK)
            except FileSizeError as error:
                raise DataFormatError(str(error)) from error
        else:
            readable = min(expected, size)
        payload = _read(stream, readable + 1, path)
    if len(payload) != expected:
        found = f"{len(payload)}" if len(payload) < expected else "more"
        raise DataFormatError(f"{path}: dimensions {dims} need {expected} payload bytes but the "
                              f"file holds {found}")
    return numpy.frombuffer(payload, dtype=numpy.uint8).reshape(dims).copy()


def read_idx_images(path):
    """Images ``(N, 1, rows, cols)`` uint8 from an IDX image file (magic 2051)."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.ndim != 3:
        raise DataFormatError(f"{path}: an image file has 3 dimensions (N, rows, cols), got "
                              f"shape {images.shape}")
    return images.reshape(images.shape[0], 1, *images.shape[1:])


def read_idx_labels(path, num_classes=NUM_CLASSES):
    """Labels ``(N,)`` int64 in ``[0, num_classes)`` from an IDX label file (magic 2049)."""
    labels = read_idx(path, LABELS_MAGIC).astype(numpy.int64)
    if labels.ndim != 1:
        raise DataFormatError(f"{path}: a label file has 1 dimension, got shape {labels.shape}")
    if labels.size and labels.max() >= num_classes:
        raise DataFormatError(f"{path}: labels must lie in [0, {num_classes}), found "
                              f"{labels.max()}")
    return labels
