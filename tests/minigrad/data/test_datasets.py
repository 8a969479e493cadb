import hashlib
import io
import tarfile

import numpy
import pytest

from minigrad.data import DataFormatError, datasets, load, md5sum
from tests.minigrad.data.formats import (shared_data_folder, tiny_images, write_cifar_batch,
                                          write_idx)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """``load`` searches only ``tmp_path/root``; the cache is ``tmp_path/cache``."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "search_directories",
                        lambda root_argument=None: [p for p in [root] if p.is_dir()])
    return root


def _write_idx_set(folder, n, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = tiny_images(n, (28, 28))
    suffix = ".gz" if compress else ""
    write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", images, 2051, compress)
    write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", labels, 2049, compress)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_are_found_in_the_data_set_subfolder(isolated, compress):
    images, labels = _write_idx_set(isolated / "fashion-mnist", 6, compress)
    read_images, read_labels = load("fashion-mnist", "test", root=isolated, download=False,
                                    check_md5=False)
    assert read_images.shape == (6, 1, 28, 28) and read_labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(read_images[:, 0], images)
    numpy.testing.assert_array_equal(read_labels, labels)


def test_missing_files_name_the_files_folders_and_where_to_put_them(isolated):
    with pytest.raises(FileNotFoundError) as error:
        load("fashion-mnist", "train", root=isolated, download=False)
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(isolated) in message and "fashion-mnist" in message and "MINIGRAD_DATA" in message


def test_download_from_a_local_url_is_verified_and_then_loaded(isolated, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    images, labels = _write_idx_set(mirror, 4)
    spec = datasets.IDX_SETS["mnist"]
    monkeypatch.setitem(spec, "urls", (mirror.as_uri() + "/",))
    for name in spec["files"]["test"]:
        digest = hashlib.md5((mirror / name).read_bytes()).hexdigest()
        monkeypatch.setitem(spec["md5"], name, digest)
    read_images, read_labels = load("mnist", "test", root=isolated)
    numpy.testing.assert_array_equal(read_images[:, 0], images)
    assert sorted(p.name for p in (isolated / "mnist").iterdir()) == sorted(spec["files"]["test"])


def test_download_with_a_wrong_checksum_leaves_nothing_behind(isolated, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    _write_idx_set(mirror, 4)
    monkeypatch.setitem(datasets.IDX_SETS["mnist"], "urls", (mirror.as_uri() + "/",))
    with pytest.raises(FileNotFoundError, match="MD5"):
        load("mnist", "test", root=isolated)
    assert not (isolated / "mnist").exists()


def test_unreachable_server_is_reported_as_missing_data(isolated, monkeypatch):
    def offline(url, file, timeout=60):
        raise OSError(f"no network for {url}")
    monkeypatch.setattr(datasets.downloads, "fetch", offline)
    with pytest.raises(FileNotFoundError, match="no network for"):
        load("mnist", "train", root=isolated)


def test_cifar_archive_download_extracts_the_batches(isolated, tmp_path, monkeypatch):
    buffer = io.BytesIO()
    batches = {}
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for i, member in enumerate(datasets.CIFAR10["archive_members"]):
            path = tmp_path / member
            if member == "batches.meta":
                path.write_bytes(b"meta")
            else:
                batches[member] = tiny_images(2, (3, 32, 32), seed=i)
                write_cifar_batch(path, *batches[member])
            tar.add(path, arcname=f"cifar-10-batches-py/{member}")
    archive = tmp_path / "cifar.tar.gz"
    archive.write_bytes(buffer.getvalue())
    monkeypatch.setitem(datasets.CIFAR10, "url", archive.as_uri())
    monkeypatch.setitem(datasets.CIFAR10, "md5", hashlib.md5(buffer.getvalue()).hexdigest())
    images, labels = load("cifar10", "train", root=isolated, check_md5=False)
    assert images.shape == (10, 3, 32, 32) and labels.shape == (10,)
    numpy.testing.assert_array_equal(images[8:], batches["data_batch_5"][0])
    test_images, _ = load("cifar10", "test", root=isolated, download=False, check_md5=False)
    numpy.testing.assert_array_equal(test_images, batches["test_batch"][0])


def test_unknown_name_or_split_is_rejected():
    with pytest.raises(ValueError, match="unknown data set 'imagenet'"):
        load("imagenet")
    with pytest.raises(ValueError, match="split must be one of"):
        load("mnist", "validation")


def test_root_is_searched_alone_and_the_environment_first_without_it(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv("MINIGRAD_DATA", str(second))
    assert datasets.search_directories(first) == [first.resolve()]
    assert datasets.search_directories()[0] == second.resolve()


def test_a_root_that_does_not_exist_is_an_error_naming_it(tmp_path):
    with pytest.raises(NotADirectoryError, match=r"data root .*nowhere: no such folder"):
        load("mnist", "test", root=tmp_path / "nowhere", download=False)


def test_local_files_with_a_wrong_md5_are_refused_unless_the_check_is_skipped(isolated):
    _write_idx_set(isolated / "mnist", 3)
    with pytest.raises(DataFormatError, match=r"t10k-images-idx3-ubyte\.gz: MD5 .* differs "
                                              r"from the published 9fb629c4"):
        load("mnist", "test", root=isolated, download=False)
    images, _ = load("mnist", "test", root=isolated, download=False, check_md5=False)
    assert images.shape == (3, 1, 28, 28)


def test_the_shared_real_files_match_the_published_md5_sums():
    for name, subfolder in (("mnist", "mnist"), ("cifar10", "cifar-10-subset")):
        folder = shared_data_folder(subfolder)
        for path in sorted(folder.iterdir()):
            assert md5sum(path) == datasets.MD5[name][path.name], path
            datasets.verify_md5(name, path)


def test_a_failed_download_removes_the_folders_it_created_and_says_so(tmp_path, monkeypatch):
    def offline(url, file, timeout=60):
        raise OSError(f"no network for {url}")
    monkeypatch.setattr(datasets.downloads, "fetch", offline)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "search_directories", lambda root_argument=None: [])
    with pytest.raises(FileNotFoundError, match="Removed the empty folders it created"):
        load("mnist", "test")
    assert not (tmp_path / "cache").exists()
    with pytest.raises(FileNotFoundError, match="Removed the empty folders it created"):
        load("cifar10", "test")
    assert not (tmp_path / "cache").exists()


def test_real_data_loads_through_the_lookup():
    shared_data_folder("mnist")
    images, labels = load("mnist", "test", download=False)
    assert images.shape == (10000, 1, 28, 28) and labels.shape == (10000,)
    shared_data_folder("cifar-10-subset")
    images, labels = load("cifar10", "train", download=False)
    assert images.shape == (4000, 3, 32, 32) and labels.dtype == numpy.int64


def test_md5sum_is_the_hex_digest_of_the_file(tmp_path):
    path = tmp_path / "abc.bin"
    path.write_bytes(b"abc")
    assert md5sum(path) == "900150983cd24fb0d6963f7d28e17f72"
