import os
import pickle

import numpy
import pytest

from minigrad.data import DataFormatError, read_cifar_batch, read_cifar_label_names
from tests.minigrad.data.formats import shared_data_folder, tiny_images, write_cifar_batch


def test_batch_layout_becomes_planes_of_32_by_32(tmp_path):
    images, labels = tiny_images(4, (3, 32, 32))
    path = write_cifar_batch(tmp_path / "data_batch_1", images, labels)
    read_images, read_labels = read_cifar_batch(path)
    assert read_images.shape == (4, 3, 32, 32) and read_images.dtype == numpy.uint8
    assert read_labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(read_images, images)
    numpy.testing.assert_array_equal(read_labels, labels)
    flat = images.reshape(4, -1)
    assert read_images[1, 2, 0, 5] == flat[1, 2 * 1024 + 5]


def test_numpy_1_module_name_of_the_original_files_is_accepted(tmp_path):
    images, labels = tiny_images(2, (3, 32, 32))
    path = write_cifar_batch(tmp_path / "batch", images, labels, protocol=3)
    data = path.read_bytes()
    if b"numpy._core.multiarray" in data:
        path.write_bytes(data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    assert b"numpy.core.multiarray" in path.read_bytes()
    numpy.testing.assert_array_equal(read_cifar_batch(path)[0], images)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickle_asking_for_another_class_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil_batch"
    path.write_bytes(pickle.dumps({b"data": _RunsCode(marker), b"labels": [0]}))
    with pytest.raises(DataFormatError, match=r"evil_batch.*(posix|os|nt)\.system"):
        read_cifar_batch(path)
    assert not marker.exists()


def test_inconsistent_batch_is_an_error(tmp_path):
    images, labels = tiny_images(3, (3, 32, 32))
    path = write_cifar_batch(tmp_path / "short_labels", images, labels[:2])
    with pytest.raises(DataFormatError, match=r"short_labels.*2 labels for 3 images"):
        read_cifar_batch(path)


def test_truncated_pickle_is_an_error_naming_the_file(tmp_path):
    images, labels = tiny_images(3, (3, 32, 32))
    path = write_cifar_batch(tmp_path / "cut_batch", images, labels)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataFormatError, match="cut_batch"):
        read_cifar_batch(path)


def test_real_subset_has_4000_train_and_1000_test_images():
    folder = shared_data_folder("cifar-10-subset")
    train_images, train_labels = read_cifar_batch(folder / "data_batch_1_first4000")
    test_images, test_labels = read_cifar_batch(folder / "test_batch_first1000")
    assert train_images.shape == (4000, 3, 32, 32) and test_images.shape == (1000, 3, 32, 32)
    assert numpy.bincount(train_labels, minlength=10).sum() == 4000
    assert test_labels.shape == (1000,) and test_labels.dtype == numpy.int64
    assert read_cifar_label_names(folder / "batches.meta")[:2] == ["airplane", "automobile"]


def test_protocol_2_pickles_with_codecs_encode_are_read(tmp_path):
    images, labels = tiny_images(2, (3, 32, 32))
    path = write_cifar_batch(tmp_path / "batch", images, labels, protocol=2)
    assert b"_codecs" in path.read_bytes()
    numpy.testing.assert_array_equal(read_cifar_batch(path)[0], images)


def test_codecs_encode_is_admitted_only_as_latin1_text_to_bytes(tmp_path):
    path = tmp_path / "evil"
    path.write_bytes(b"\x80\x02c_codecs\nencode\nq\x00X\x03\x00\x00\x00abcq\x01X\x06\x00\x00"
                     b"\x00base64q\x02\x86q\x03Rq\x04.")
    with pytest.raises(DataFormatError, match="encode is admitted only as encode"):
        read_cifar_batch(path)
