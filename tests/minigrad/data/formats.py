"""Helpers writing small files in the real formats, and finding the real data when present."""
import gzip
import pickle
import struct

import numpy
import pytest

from minigrad.data import search_directories


def idx_bytes(array, magic):
    """``array`` (uint8) in IDX layout with the given magic number."""
    array = numpy.asarray(array, dtype=numpy.uint8)
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path, array, magic, compress=True):
    payload = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def write_cifar_batch(path, images, labels, protocol=pickle.HIGHEST_PROTOCOL):
    batch = {b"batch_label": b"test batch", b"labels": [int(v) for v in labels],
             b"data": numpy.asarray(images, dtype=numpy.uint8).reshape(len(images), -1)}
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    return path


def tiny_images(n, shape, seed=0):
    rng = numpy.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, *shape), dtype=numpy.uint8), \
        rng.integers(0, 10, size=n).astype(numpy.int64)


def shared_data_folder(subfolder):
    """The first searched folder holding ``subfolder`` (the real data), or skip the test."""
    for base in search_directories():
        if (base / subfolder).is_dir():
            return base / subfolder
    pytest.skip(f"real data folder {subfolder}/ not found in {search_directories()} "
                f"(set MINIGRAD_DATA to the folder holding it)")
