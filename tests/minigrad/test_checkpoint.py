import os
import stat

import numpy
import pytest

import minigrad
from minigrad import atomic, checkpoint


def test_nested_state_round_trips_with_types_and_order(tmp_path):
    rng = numpy.random.default_rng(3)
    state = {"model": {"0.weight": rng.standard_normal((2, 3)), "0.bias": numpy.zeros(2)},
             "optimizer": {"state": {0: {"step": numpy.int64(4), "buffer": minigrad.tensor([1.5])}},
                           "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                             "nesterov": False, "name": None}]},
             "generator": rng.bit_generator.state, "history": [1.0, float("nan"), 2.5]}
    path = tmp_path / "run" / "checkpoint.npz"
    checkpoint.save(state, path)
    loaded = checkpoint.load(path)
    assert list(loaded) == list(state) and list(loaded["model"]) == ["0.weight", "0.bias"]
    numpy.testing.assert_array_equal(loaded["model"]["0.weight"], state["model"]["0.weight"])
    saved_step = loaded["optimizer"]["state"][0]["step"]
    assert saved_step == 4 and isinstance(saved_step, numpy.int64)
    assert isinstance(loaded["optimizer"]["state"][0]["buffer"], minigrad.Tensor)
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert loaded["generator"] == state["generator"]
    assert numpy.isnan(loaded["history"][1])
    restored = numpy.random.default_rng()
    restored.bit_generator.state = loaded["generator"]
    assert restored.random() == rng.random()


def test_archive_opens_without_pickle(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save({"a": numpy.arange(3)}, path)
    with numpy.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["a0", "structure"]


def test_unsupported_values_are_rejected_with_their_location(tmp_path):
    with pytest.raises(TypeError, match=r"state\['model'\]\[1\] of type object"):
        checkpoint.save({"model": [1, object()]}, tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save({"epoch": 1}, path)

    def fail(file):
        file.write(b"partial")
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        checkpoint.atomic_write(path, fail)
    assert checkpoint.load(path) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_file_without_structure_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.npz"
    numpy.savez(path, x=numpy.zeros(2))
    with pytest.raises(ValueError, match="not a minigrad checkpoint"):
        checkpoint.load(path)


def test_a_weights_file_names_minigrad_load(tmp_path):
    path = tmp_path / "weights.npz"
    minigrad.save({"0.weight": numpy.zeros(2)}, path)
    with pytest.raises(checkpoint.CheckpointError, match="read it with minigrad.load"):
        checkpoint.load(path)


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated", "garbage"])
def test_damaged_checkpoints_raise_one_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "checkpoint.npz"
    checkpoint.save({"epoch": 1, "model": {"w": numpy.arange(1000.0)}}, path)
    content = path.read_bytes()
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes({"empty": b"", "truncated": content[:len(content) // 2],
                          "garbage": b"not a zip archive at all"}[damage])
    with pytest.raises(checkpoint.CheckpointError, match=str(path)):
        checkpoint.load(path)


def test_missing_entries_are_named_with_the_file(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match=r"c\.npz lacks the entries \['model'\]"):
        checkpoint.require({"epoch": 1}, ["epoch", "model"], tmp_path / "c.npz")


def test_written_files_follow_the_umask_and_stale_temporaries_are_removed(tmp_path):
    previous = os.umask(0o022)
    try:
        checkpoint.save({"epoch": 1}, tmp_path / "c.npz")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "c.npz").st_mode) == 0o644
    stale = tmp_path / ".c.npz-0abc1234.tmp"
    stale.write_bytes(b"left by a kill")
    assert atomic.remove_stale_temporaries(tmp_path, ["c.npz"]) == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    original = os.fsync

    def recording(handle):
        synced.append(stat.S_ISDIR(os.fstat(handle).st_mode))
        original(handle)
    monkeypatch.setattr(os, "fsync", recording)
    atomic.atomic_write(tmp_path / "f.bin", lambda file: file.write(b"x"))
    assert synced == [False, True]
