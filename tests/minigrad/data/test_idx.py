import gzip
import struct

import numpy
import pytest

from minigrad.data import DataFormatError, read_idx, read_idx_images, read_idx_labels
from tests.minigrad.data.formats import idx_bytes, shared_data_folder, tiny_images, write_idx

MNIST_TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.mark.parametrize("compress", [True, False])
def test_reads_images_and_labels_with_documented_shapes(tmp_path, compress):
    images, labels = tiny_images(5, (4, 3))
    image_path = write_idx(tmp_path / "images", images, 2051, compress)
    label_path = write_idx(tmp_path / "labels", labels, 2049, compress)
    read_images, read_labels = read_idx_images(image_path), read_idx_labels(label_path)
    assert read_images.shape == (5, 1, 4, 3) and read_images.dtype == numpy.uint8
    assert read_labels.shape == (5,) and read_labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(read_images[:, 0], images)
    numpy.testing.assert_array_equal(read_labels, labels)


def test_wrong_magic_number_is_an_error_naming_the_file(tmp_path):
    images, labels = tiny_images(3, (2, 2))
    path = write_idx(tmp_path / "labels-as-images.gz", labels, 2049)
    with pytest.raises(DataFormatError, match=r"labels-as-images\.gz.*magic number 2049"):
        read_idx_images(path)


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    images, _ = tiny_images(50, (8, 8))
    full = gzip.compress(idx_bytes(images, 2051))
    path = tmp_path / "cut.gz"
    path.write_bytes(full[:len(full) // 2])
    with pytest.raises(DataFormatError, match=r"cut\.gz.*gzip"):
        read_idx_images(path)


@pytest.mark.parametrize("change", [-1, 1])
def test_payload_of_the_wrong_length_is_an_error(tmp_path, change):
    images, _ = tiny_images(3, (4, 4))
    payload = idx_bytes(images, 2051)
    path = tmp_path / "raw-images"
    path.write_bytes(payload[:change] if change < 0 else payload + b"\0")
    with pytest.raises(DataFormatError, match=r"raw-images.*need 48 payload bytes"):
        read_idx_images(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx_labels(tmp_path / "absent.gz")


def test_real_mnist_has_the_published_sizes_and_label_counts():
    folder = shared_data_folder("mnist")
    images = read_idx_images(folder / "train-images-idx3-ubyte.gz")
    labels = read_idx_labels(folder / "train-labels-idx1-ubyte.gz")
    assert images.shape == (60000, 1, 28, 28) and images.dtype == numpy.uint8
    assert numpy.bincount(labels).tolist() == MNIST_TRAIN_LABEL_COUNTS
    assert numpy.bincount(labels).sum() == 60000
    test_labels = read_idx_labels(folder / "t10k-labels-idx1-ubyte.gz")
    assert test_labels.shape == (10000,) and set(test_labels.tolist()) == set(range(10))


def test_read_idx_returns_the_payload_in_the_header_shape(tmp_path):
    array = numpy.arange(24, dtype=numpy.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "cube.idx", array, magic=0x0803, compress=False)
    numpy.testing.assert_array_equal(read_idx(path, 0x0803), array)
    with pytest.raises(DataFormatError, match="magic number 2051"):
        read_idx(path, 2049)


def test_labels_out_of_range_are_an_error_naming_the_file(tmp_path):
    path = write_idx(tmp_path / "bad-labels.gz", numpy.array([1, 10, 3]), 2049)
    with pytest.raises(DataFormatError, match=r"bad-labels\.gz: labels must lie in \[0, 10\), "
                                              r"found 10"):
        read_idx_labels(path)


def test_a_header_announcing_more_than_an_idx_file_may_hold_is_refused(tmp_path):
    header = struct.pack(">I", 2051) + struct.pack(">3I", 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1)
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(header + b"\0" * 64))
    with pytest.raises(DataFormatError, match=r"huge\.gz: header dimensions .* announce "
                                              r"\d+ payload bytes, more than"):
        read_idx_images(path)


def test_a_gzip_member_is_decompressed_only_up_to_the_announced_size(tmp_path, monkeypatch):
    images, _ = tiny_images(2, (4, 4))
    path = tmp_path / "long.gz"
    path.write_bytes(gzip.compress(idx_bytes(images, 2051) + b"\0" * 100000))
    sizes = []
    original = gzip.GzipFile.read
    monkeypatch.setattr(gzip.GzipFile, "read",
                        lambda self, size=-1: sizes.append(size) or original(self, size))
    with pytest.raises(DataFormatError, match=r"long\.gz.*need 32 payload bytes but the file "
                                              r"holds more"):
        read_idx_images(path)
    assert sizes and all(0 <= size <= 33 for size in sizes)
