"""The training command draws its progress bar only on a terminal.

Under pytest (and in a pipe or a log file) stderr is not a terminal, so a run prints its
lines and no tqdm bar (no ``batch/s`` rates, no carriage returns) to either stream.
"""
from minigrad.train import main


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    status = main(["--data", "synthetic", "--epochs", "1", "--train-size", "100", "--val-size",
                   "20", "--test-size", "20", "--hidden", "4", "--lr", "0.1", "--out",
                   str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 0
    assert "test: loss" in captured.out
    for stream in (captured.out, captured.err):
        assert "batch/s" not in stream and "s/batch" not in stream and "\r" not in stream
