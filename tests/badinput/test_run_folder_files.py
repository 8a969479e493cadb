"""A run never deletes a file of the user's: only the temporary names ``atomic_write`` gives
the run's own files are cleaned from ``--out``."""
from minigrad import atomic
from minigrad.train import train

QUIET = dict(data="synthetic", train_size=50, val_size=10, test_size=10, batch_size=25,
             hidden=(4,), epochs=1, log=lambda line: None)


def test_a_new_run_keeps_the_users_dot_files_and_removes_only_its_own_temporaries(tmp_path):
    kept = [".my-notes.tmp", ".a-b.tmp", ".checkpoint.npz-notes.tmp", ".other.npz-0123abcd.tmp",
            ".checkpoint.npz-0123abcd.tmp.bak"]
    for name in kept:
        (tmp_path / name).write_text("the user's")
    (tmp_path / ".metrics.json-89abcdef.tmp").write_text("partial")
    lines = []
    train(out=tmp_path, **{**QUIET, "log": lines.append})
    for name in kept:
        assert (tmp_path / name).read_text() == "the user's", name
    assert not (tmp_path / ".metrics.json-89abcdef.tmp").exists()
    assert sum("removed" in line for line in lines) == 1


def test_atomic_write_names_its_temporaries_as_the_cleaner_recognises(tmp_path, monkeypatch):
    seen = []
    original = atomic.os.replace

    def recording(source, target):
        seen.append(source)
        original(source, target)
    monkeypatch.setattr(atomic.os, "replace", recording)
    atomic.atomic_write(tmp_path / "f.bin", lambda file: file.write(b"x"))
    (tmp_path / seen[0].split("/")[-1]).write_bytes(b"left by a kill")
    assert atomic.remove_stale_temporaries(tmp_path, ["f.bin"]) == [seen[0]]
