"""Sizes a file claims, checked against the bytes it holds before anything is allocated.

A small crafted file can claim a huge array: an ``.npy`` header announcing 8 TiB, a
zip entry of an ``.npz`` archive that inflates 2 MB into 2 GiB, a pickle asking for
``ndarray((2**40,))``, a gzip stream announcing 1.5 GB. Every reader of the project
checks the claim first and raises ``FileSizeError`` naming the file and both sizes:

* ``check_claim(where, what, claimed, available)``: ``claimed`` bytes of ``what`` may
  not exceed the ``available`` bytes the file holds (or may inflate to);
* ``check_numpy_file(path)``: every array of an ``.npz`` archive (or a lone ``.npy``)
  must fit in the bytes of its entry, and a compressed entry may inflate at most
  ``MAX_INFLATION`` times (plus ``INFLATION_SLACK`` bytes, for small entries of zeros);
  ``numpy.savez``, which writes checkpoints and weights, stores entries uncompressed;
* ``readable_size(count)``: ``"8.0 TiB"``.
"""
import os
import zipfile

import numpy
from numpy.lib import format as npy_format

MAX_INFLATION = 100
INFLATION_SLACK = 1 << 20
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


class FileSizeError(ValueError):
    """A file claims more data than it holds or may inflate to; the message names it."""


def readable_size(count):
    """``count`` bytes in the largest binary unit below it, e.g. ``"8.0 TiB"``."""
    value, unit = float(count), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{int(count)} bytes" if unit == 0 else f"{value:,.1f} {_UNITS[unit]}"


def array_bytes(shape, dtype):
    """Bytes of an array of ``shape`` and ``dtype`` (Python integers: no overflow)."""
    count = 1
    for size in shape:
        count *= int(size)
    return count * numpy.dtype(dtype).itemsize


def check_claim(where, what, claimed, available):
    """Raise ``FileSizeError`` if ``what`` claims more than the ``available`` bytes."""
    if claimed > available:
        raise FileSizeError(f"{where}: {what} claims {readable_size(claimed)} ({claimed:,} "
                            f"bytes) where the file can hold at most {readable_size(available)}; "
                            f"refusing to allocate it (the file is corrupt or crafted)")


def _check_npy(stream, where, available):
    """Check the header of the ``.npy`` content of ``stream`` (``available`` bytes in all)."""
    if stream.read(len(npy_format.MAGIC_PREFIX)) != npy_format.MAGIC_PREFIX:
        return
    major = stream.read(2)[:1]
    read_header = {b"\x01": npy_format.read_array_header_1_0,
                   b"\x02": npy_format.read_array_header_2_0}.get(major)
    if read_header is None:
        return
    shape, _, dtype = read_header(stream)
    if not dtype.hasobject:
        check_claim(where, f"an array of shape {shape} {dtype}", array_bytes(shape, dtype),
                    available)


def check_numpy_file(path):
    """Raise ``FileSizeError`` if an array of the ``.npz`` (or ``.npy``) file ``path`` claims more
    than its bytes hold, or a compressed entry inflates beyond ``MAX_INFLATION`` times."""
    path = os.fspath(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as file:
            _check_npy(file, path, os.path.getsize(path))
        return
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            where = f"{path}, entry {info.filename}"
            check_claim(where, f"an entry compressed to {info.compress_size:,} bytes",
                        info.file_size, MAX_INFLATION * info.compress_size + INFLATION_SLACK)
            with archive.open(info) as entry:
                _check_npy(entry, where, info.file_size)
