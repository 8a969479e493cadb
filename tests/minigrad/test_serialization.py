"""save/load: .npz round trip of parameters and buffers, atomic replacement, clear errors."""
import os

import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import float64_default, random_tensor


@pytest.fixture
def network():
    with float64_default():
        nn.manual_seed(4)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2))
        model(random_tensor((3, 1, 4, 4), seed=21))
        yield model


def test_round_trip_keeps_names_order_values_and_buffers(network, tmp_path):
    path = tmp_path / "model.npz"
    minigrad.save(network, path)
    loaded = minigrad.load(path)
    state = network.state_dict()
    assert list(loaded) == list(state)
    for name in state:
        numpy.testing.assert_array_equal(loaded[name], state[name])
        assert loaded[name].dtype == state[name].dtype
    nn.manual_seed(5)
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2))
    other.load_state_dict(loaded)
    numpy.testing.assert_array_equal(other.state_dict()["1.running_var"], state["1.running_var"])
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_accepts_a_mapping_of_tensors_and_arrays(tmp_path):
    path = tmp_path / "state"
    minigrad.save({"a": minigrad.tensor([1.0, 2.0]), "b": numpy.arange(3)}, path)
    loaded = minigrad.load(path)
    numpy.testing.assert_array_equal(loaded["a"], [1.0, 2.0])
    numpy.testing.assert_array_equal(loaded["b"], [0, 1, 2])
    assert os.listdir(tmp_path) == ["state"]


def test_failed_write_leaves_the_previous_file_and_no_temporary(network, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    minigrad.save({"old": numpy.ones(2)}, path)
    before = path.read_bytes()

    def partial_write(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(numpy, "savez", partial_write)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save(network, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_object_arrays_and_non_mappings_are_refused(tmp_path):
    with pytest.raises(TypeError, match="'bad' is an array of Python objects"):
        minigrad.save({"bad": numpy.array([{}, 1], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="save: expected a Module or a mapping"):
        minigrad.save([numpy.ones(2)], tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="load: no file at"):
        minigrad.load(tmp_path / "missing.npz")
    text = tmp_path / "notes.npz"
    text.write_text("not an archive")
    with pytest.raises(ValueError, match="is not an .npz archive"):
        minigrad.load(text)
    single = tmp_path / "single.npy"
    numpy.save(single, numpy.ones(3))
    with pytest.raises(ValueError, match="holds a single .npy array"):
        minigrad.load(single)


def test_a_training_checkpoint_names_checkpoint_load(tmp_path):
    from minigrad import checkpoint
    path = tmp_path / "checkpoint.npz"
    checkpoint.save({"epoch": 1, "model": {"w": numpy.zeros(2)}}, path)
    with pytest.raises(ValueError, match="training checkpoint.*minigrad.checkpoint.load"):
        minigrad.load(path)
