"""Without any data reachable (``MINIGRAD_DATA`` pointing nowhere) the one fallback gives the
synthetic digits in the requested data set's shape and says where it looked."""
import pytest

from demos import common
from minigrad import data
from minigrad.data import datasets


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "nowhere"))
    return tmp_path / "nowhere"


def test_minigrad_data_pointing_nowhere_leaves_no_folder_to_search(nowhere):
    assert datasets.search_directories() == []
    assert datasets.default_places() == [nowhere.resolve()]


def test_the_fallback_line_lists_the_folders_searched_and_where_to_put_the_files(nowhere):
    lines = []
    assert data.choose_source("mnist", log=lines.append) == "synthetic"
    assert len(lines) == 1 and "\n" not in lines[0]
    assert f"{nowhere} (absent)" in lines[0]
    assert f"Put the files in {nowhere / 'mnist'}/" in lines[0]


def test_a_missing_cifar10_falls_back_to_three_channel_digits(nowhere):
    lines = []
    images, labels, source = data.load_or_synthetic("cifar10", "test", log=lines.append)
    digits, digit_labels = data.load("synthetic", "test")
    assert source == "synthetic" and images.shape == (2000, 3, 32, 32)
    assert (images[:, 0, 2:30, 2:30] == digits[:, 0]).all() and (images[:, 2] == images[:, 0]).all()
    assert images[:, :, :2].max() == 0 and (labels == digit_labels).all()
    assert "cifar10's shape (3, 32, 32)" in lines[0]


def test_the_demos_use_the_one_fallback(nowhere):
    (train, test), source = common.subsets("cifar10", [40], test_size=20)
    assert source == "synthetic"
    assert train[0].shape == (40, 3, 32, 32) and test[0].shape == (20, 3, 32, 32)
