"""Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed).

An IDX file is a big-endian header followed by the payload:

    bytes 0-1   zero
    byte  2     element type (0x08 = unsigned byte, the only type these sets use)
    byte  3     number of dimensions d
    4·d bytes   the dimensions, each an unsigned 32-bit big-endian integer
    payload     prod(dims) elements, row-major

so the magic number (bytes 0-3 as one integer) is 2051 for image files
(ubyte, 3 dims: N, rows, cols) and 2049 for label files (ubyte, 1 dim: N).
The payload must have exactly ``prod(dims)`` bytes: a short or long file, or a
gzip stream that ends early or fails its CRC, raises ``DataFormatError``.

Shapes returned: images ``(N, 1, rows, cols)`` uint8 (a channel axis, as the
convolutional models expect ``(N, C, H, W)``), labels ``(N,)`` int64.
"""
import gzip
import struct
import zlib

import numpy

from .errors import DataFormatError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_GZIP_SIGNATURE = b"\x1f\x8b"


def _read_bytes(path):
    """The file's bytes, decompressed when it starts with the gzip signature."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_SIGNATURE):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise DataFormatError(f"{path}: corrupt or truncated gzip stream ({err})") from err


def read_idx(path, expected_magic):
    """The array stored in IDX file ``path``, whose magic number must be ``expected_magic``."""
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataFormatError(f"{path}: {len(data)} bytes is too short for an IDX header")
    magic, = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise DataFormatError(f"{path}: magic number {magic} where an IDX file of this kind "
                              f"has {expected_magic}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{path}: header announces {ndim} dimensions but the file has "
                              f"only {len(data)} bytes")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(numpy.prod(dims, dtype=numpy.int64))
    payload = len(data) - header
    if payload != expected:
        raise DataFormatError(f"{path}: dimensions {dims} need {expected} payload bytes but the "
                              f"file holds {payload}")
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header).reshape(dims).copy()


def read_idx_images(path):
    """Images ``(N, 1, rows, cols)`` uint8 from an IDX image file (magic 2051)."""
    images = read_idx(path, IMAGES_MAGIC)
    return images.reshape(images.shape[0], 1, *images.shape[1:])


def read_idx_labels(path):
    """Labels ``(N,)`` int64 from an IDX label file (magic 2049)."""
    return read_idx(path, LABELS_MAGIC).astype(numpy.int64)
