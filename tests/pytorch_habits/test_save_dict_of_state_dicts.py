"""``minigrad.save({"model": …, "optimizer": …, "epoch": 3}, path)`` / ``minigrad.load(path)``."""
import os
import zipfile

import numpy
import pytest

import minigrad
import optim
from minigrad import nn


def trained_model_and_optimizer():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = minigrad.randn(6, 3), minigrad.tensor([0, 1, 1, 0, 1, 0])
    for _ in range(2):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model, optimizer


def test_dict_of_state_dicts_numbers_strings_and_lists_round_trips(tmp_path):
    model, optimizer = trained_model_and_optimizer()
    path = tmp_path / "run.pt"
    saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
             "name": "mnist", "losses": [0.5, 0.25], "best": None, "shape": (2, 3),
             "tensor": minigrad.tensor([1.0, 2.0])}
    minigrad.save(saved, path)
    assert os.listdir(tmp_path) == ["run.pt"]
    loaded = minigrad.load(path)
    assert (loaded["epoch"], loaded["name"], loaded["losses"], loaded["best"], loaded["shape"]) \
        == (3, "mnist", [0.5, 0.25], None, (2, 3))
    numpy.testing.assert_array_equal(loaded["tensor"].numpy(), [1.0, 2.0])
    assert list(loaded["model"]) == list(model.state_dict())
    minigrad.manual_seed(1)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fresh.load_state_dict(loaded["model"])
    fresh_optimizer = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_optimizer.load_state_dict(loaded["optimizer"])
    assert fresh_optimizer.param_groups[0]["lr"] == 0.01
    for a, b in zip(fresh.parameters(), model.parameters()):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
    assert set(loaded["optimizer"]["state"]) == set(optimizer.state_dict()["state"])


def test_nothing_executes_on_load(tmp_path):
    path = tmp_path / "run.pt"
    minigrad.save({"epoch": 1, "weights": {"w": numpy.ones(2)}}, path)
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with numpy.load(path, allow_pickle=False) as archive:
        assert "structure" in archive.files


class Unsupported:
    pass


@pytest.mark.parametrize("state, where, kind", [
    ({"model": {"w": numpy.ones(2)}, "opt": {"state": {0: {"f": Unsupported()}}}},
     r"obj\['opt'\]\['state'\]\[0\]\['f'\]", "Unsupported"),
    ({"epoch": 1, "hooks": [1, len]}, r"obj\['hooks'\]\[1\]", "builtin_function_or_method"),
    ({"epoch": 1, "model": nn.Linear(2, 2)}, r"obj\['model'\]", "Linear")])
def test_unsupported_values_are_refused_with_their_key_path(tmp_path, state, where, kind):
    path = tmp_path / "run.pt"
    minigrad.save({"previous": 1, "run": "kept"}, path)
    with pytest.raises(TypeError, match=rf"save: cannot store {where} of type {kind}"):
        minigrad.save(state, path)
    assert minigrad.load(path) == {"previous": 1, "run": "kept"}
    assert os.listdir(tmp_path) == ["run.pt"]


def test_object_array_inside_is_refused_with_its_key_path(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['extra'\]\['bad'\] is an array of Python objects"):
        minigrad.save({"epoch": 1, "extra": {"bad": numpy.array([{}, 1], dtype=object)}},
                      tmp_path / "x.pt")


def test_a_training_checkpoint_is_still_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    minigrad.checkpoint.save({"model": {"w": numpy.ones(2)}, "epoch": 1}, path)
    with pytest.raises(ValueError, match="training checkpoint.*minigrad.checkpoint.load"):
        minigrad.load(path)
