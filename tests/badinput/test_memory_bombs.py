"""Small crafted files that claim huge arrays are refused before anything is allocated, with
an error naming the file and the size claimed."""
import contextlib
import gzip
import io
import pickle
import struct
import tracemalloc
import zipfile

import numpy
import pytest

import minigrad
from minigrad import checkpoint
from minigrad.data import DataFormatError, read_cifar_batch, read_idx_labels

LIMIT = 64 << 20


@contextlib.contextmanager
def little_memory():
    """Fail if the block allocates more than ``LIMIT`` bytes through Python."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < LIMIT, f"allocated {peak} bytes"


def _npy_header(shape, dtype="<f8"):
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _declare_size(path, name, size):
    """Rewrite the uncompressed size of entry ``name`` in both zip headers of ``path`` (what a
    deflate stream of ``size`` zeros would declare, without compressing them)."""
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    struct.pack_into("<I", content, offset + 22, size)
    for start in range(offset + 30, len(content) - 4):
        if content[start:start + 4] == b"PK\x01\x02" and \
                content[start + 46:start + 46 + len(name)] == name.encode():
            struct.pack_into("<I", content, start + 24, size)
    path.write_bytes(bytes(content))


def test_a_2_mb_checkpoint_that_inflates_to_2_gib_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("structure.npy", _npy_header((2,), "|u1") + b"{}")
        archive.writestr("a0.npy", _npy_header((1 << 31,), "|u1") + bytes(2 << 20))
    _declare_size(path, "a0.npy", 1 << 31)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("a0.npy").file_size == 1 << 31
    with little_memory(), pytest.raises(checkpoint.CheckpointError,
                                        match=r"bomb\.npz, entry a0\.npy.*2\.0 GiB"):
        checkpoint.load(path)


@pytest.mark.parametrize("reader, error", [(checkpoint.load, checkpoint.CheckpointError),
                                           (minigrad.load, ValueError)])
def test_an_npy_header_claiming_8_tib_is_refused(tmp_path, reader, error):
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("structure.npy", _npy_header((2,), "|u1") + b"{}")
        archive.writestr("a0.npy", _npy_header((1 << 40,)) + b"\0" * 64)
    with little_memory(), pytest.raises(error, match=r"claims\.npz, entry a0\.npy.*shape \(1099511627776,\).*"
                                    r"8\.0 TiB"):
        reader(path)


def test_a_cifar_pickle_asking_for_a_2_to_the_40_array_is_refused(tmp_path):
    class Bomb:
        def __reduce__(self):
            return numpy.ndarray, ((2 ** 40,),)
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Bomb(), b"labels": [0]}, protocol=2))
    with little_memory(), pytest.raises(DataFormatError, match=r"data_batch_1.*\(1099511627776,\).*8\.0 TiB"):
        read_cifar_batch(path)


def test_a_cifar_batch_still_reads(tmp_path):
    data = numpy.arange(2 * 3072, dtype=numpy.uint8).reshape(2, 3072)
    path = tmp_path / "data_batch_1"
    for protocol in (2, 5):
        path.write_bytes(pickle.dumps({b"data": data, b"labels": [3, 4]}, protocol=protocol))
        images, labels = read_cifar_batch(path)
        assert (images.reshape(2, 3072) == data).all() and labels.tolist() == [3, 4]


def test_a_gzip_label_file_that_decompresses_to_1_5_gb_is_refused(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    count = 1_500_000_000
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as stream:
        stream.write(struct.pack(">II", 2049, count))
        stream.write(b"\0" * (1 << 20))
    path.write_bytes(buffer.getvalue())
    with little_memory(), pytest.raises(DataFormatError, match=r"train-labels-idx1-ubyte\.gz.*1\.4 GiB"):
        read_idx_labels(path)
