"""Stopping and resuming ``demos/gauss_newton_autoencoder.py`` (``--stop-after-updates``,
``--stop-after-seconds``, ``--resume``).

A run stopped between updates leaves each method's checkpoint and a partial
``results.json`` (``"progress"``: updates made of updates planned, partial methods
labelled ``"KFAC (5 of 6 updates)"``); resumed, possibly over several stops, it gives
the curves (updates and errors) and the parameters of the uninterrupted run, bit for bit.
"""
import numpy
import pytest

from minigrad import backend, checkpoint

from demos import gauss_newton_autoencoder, records

SETTINGS = ["--quick", "--methods", "KFAC,SGD", "--updates", "6", "--first-order-updates", "6",
            "--every", "2", "--checkpoint-every", "3"]


def run(out, *extra):
    return gauss_newton_autoencoder.main([*SETTINGS, "--out", str(out), *extra])


def points(results, method):
    """``(update, error)`` of ``method``'s curve (the seconds differ from run to run)."""
    return [(update, error) for update, _, error in results["curves"][method]]


def parameters(model):
    return {name: backend.to_host(value) for name, value in model.state_dict().items()}


@pytest.fixture
def models(monkeypatch):
    """Every model the demo builds, in order (the last one built for a method is trained)."""
    built, build = [], gauss_newton_autoencoder.build_model
    monkeypatch.setattr(gauss_newton_autoencoder, "build_model",
                        lambda args: built.append(build(args)) or built[-1])
    return built


def test_a_run_stopped_twice_and_resumed_gives_the_uninterrupted_curves_and_parameters(
        tmp_path, models):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    uninterrupted = run(whole)
    trained = dict(zip(["KFAC", "SGD"], models))
    assert not list(whole.glob("checkpoint_*")), "a finished method keeps no checkpoint"

    first = run(parts, "--stop-after-updates", "5")
    assert [path.name for path in parts.glob("checkpoint_*")] == ["checkpoint_KFAC.npz"]
    assert first["progress"] == {"KFAC": {"updates": 5, "of": 6}, "SGD": {"updates": 0, "of": 6}}
    assert [update for update, _ in points(first, "KFAC")] == [0, 2, 4, 5]
    assert list(first["curves"]) == ["KFAC"]
    assert "| KFAC (5 of 6 updates) |" in first["table"]
    assert "Not trained yet (stopped before): SGD 0 of 6 updates." in first["table"]
    with pytest.raises(FileExistsError, match="checkpoint of KFAC; pass --resume"):
        run(parts)
    with pytest.raises(FileExistsError, match="other settings .*updates.*pass --force"):
        run(parts, "--resume", "--updates", "8")

    second = run(parts, "--stop-after-updates", "5", "--resume")
    resumed_kfac = models[-2]
    assert second["progress"] == {"KFAC": {"updates": 6, "of": 6},
                                  "SGD": {"updates": 4, "of": 6}}
    assert "| KFAC |" in second["table"] and "| SGD (4 of 6 updates) |" in second["table"]

    resumed = run(parts, "--resume")  # KFAC finished: only SGD is trained
    resumed_trained = {"KFAC": resumed_kfac, "SGD": models[-1]}
    assert len(models) == 2 + 1 + 2 + 1 and not list(parts.glob("checkpoint_*"))
    assert resumed["progress"] == uninterrupted["progress"] == {
        "KFAC": {"updates": 6, "of": 6}, "SGD": {"updates": 6, "of": 6}}
    assert "of 6 updates" not in resumed["table"]
    for method in ("KFAC", "SGD"):
        assert points(resumed, method) == points(uninterrupted, method)
        expected, found = parameters(trained[method]), parameters(resumed_trained[method])
        assert list(found) == list(expected)
        for name in expected:
            numpy.testing.assert_array_equal(found[name], expected[name], err_msg=name)
    assert [run_["command"] for run_ in resumed["provenance"]] == resumed["command"]
    assert len(resumed["command"]) == 3 and resumed["command"][2].endswith("--resume")
    assert records.provenance_problems(resumed) == []


def test_a_time_budget_spent_before_the_first_update_leaves_every_method_to_resume(tmp_path):
    stopped = run(tmp_path, "--stop-after-seconds", "0")
    assert stopped["curves"] == {}
    assert stopped["progress"] == {"KFAC": {"updates": 0, "of": 6}, "SGD": {"updates": 0, "of": 6}}
    resumed = run(tmp_path, "--resume")
    assert resumed["progress"] == {"KFAC": {"updates": 6, "of": 6}, "SGD": {"updates": 6, "of": 6}}


def test_kflr_stopped_and_resumed_gives_the_uninterrupted_curve_and_parameters(tmp_path, models):
    settings = ["--quick", "--methods", "KFLR", "--kflr-updates", "4", "--every", "2",
                "--checkpoint-every", "3"]
    whole = gauss_newton_autoencoder.main([*settings, "--out", str(tmp_path / "whole")])
    parts = tmp_path / "parts"
    first = gauss_newton_autoencoder.main([*settings, "--out", str(parts),
                                           "--stop-after-updates", "3"])
    assert first["progress"] == {"KFLR": {"updates": 3, "of": 4}}
    assert "| KFLR (3 of 4 updates) |" in first["table"]
    with pytest.raises(checkpoint.CheckpointError, match="batch_size"):
        gauss_newton_autoencoder.main([*settings, "--out", str(parts), "--resume",
                                       "--kflr-batch-size", "16"])
    resumed = gauss_newton_autoencoder.main([*settings, "--out", str(parts), "--resume"])
    assert resumed["progress"] == whole["progress"] == {"KFLR": {"updates": 4, "of": 4}}
    assert not list(parts.glob("checkpoint_*"))
    curve = [(update, error) for update, _, error in resumed["kflr_cost"]["KFLR"]["curve"]]
    assert curve == [(update, error) for update, _, error in whole["kflr_cost"]["KFLR"]["curve"]]
    expected, found = parameters(models[0]), parameters(models[-1])
    for name in expected:
        numpy.testing.assert_array_equal(found[name], expected[name], err_msg=name)
