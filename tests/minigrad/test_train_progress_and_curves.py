"""Two small pieces of a run's reporting: ``Progress`` shows lines unless asked to be quiet,
and the curves' smoothing is the exponential moving average ``a ← f·a + (1 − f)·v``."""
import pytest

from minigrad.train.plots import smoothed
from minigrad.train.progress import Progress


def test_progress_shows_lines_by_default_and_hides_them_when_quiet(tmp_path):
    shown = []
    Progress(log=shown.append).line("epoch 1: loss 0.5")
    assert shown == ["epoch 1: loss 0.5"]
    log_file = tmp_path / "log.txt"
    Progress(log=shown.append, log_file=str(log_file), quiet=True).line("hidden")
    assert shown == ["epoch 1: loss 0.5"]
    assert "hidden" in log_file.read_text()


@pytest.mark.parametrize("values, factor, expected", [
    ([1.0, 0.0, 0.0], 0.5, [1.0, 0.5, 0.25]),
    ([0.0, 1.0, 1.0], 0.9, [0.0, 0.1, 0.19]),
    ([2.0, 4.0], 0.0, [2.0, 4.0])])
def test_smoothing_is_an_exponential_moving_average(values, factor, expected):
    assert smoothed(values, factor) == pytest.approx(expected, rel=1e-12)


def test_default_smoothing_factor_is_point_nine():
    assert smoothed([0.0, 10.0]) == pytest.approx([0.0, 1.0], rel=1e-12)


def test_progress_draws_no_bar_unless_asked(capsys):
    shown = []
    progress = Progress(log=shown.append, log_every=1)
    progress.start_epoch(1, 2, 0)
    progress.advance(1)
    progress.line("between batches")
    progress.end_epoch()
    assert "between batches" in shown
    captured = capsys.readouterr()
    assert "batch" not in captured.err and "\r" not in captured.err
