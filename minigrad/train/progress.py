"""Where a run's progress goes: lines to the terminal and ``log.txt``, and a progress bar.

``Progress(log, log_file, quiet, bar)``: ``line(text)`` appends ``text`` to
``log_file`` (the run folder's ``log.txt``, when there is one) and, unless
``quiet``, hands it to ``log`` (``print`` on the command line). During an epoch,
``epoch(number, total, done)`` gives either a tqdm progress bar (``bar=True``:
batches done, rate, ETA and the loss of the last reported batch) or, without a
bar, a line every ``log_every`` batches; ``--quiet`` shows neither.
"""
import sys
import time

from ..atomic import naming_the_file


class Progress:
    """The sink of a run's lines and its per-epoch progress display."""

    def __init__(self, log=print, log_file=None, quiet=False, bar=False, log_every=100):
        self.log, self.log_file, self.quiet = log, log_file, quiet
        self.bar_enabled = bar and not quiet
        self.log_every = log_every
        self._bar = None

    def line(self, text):
        """Record ``text`` in the log file and show it (unless quiet)."""
        self._record(text)
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            self.log(text)

    def start_epoch(self, number, total, done):
        """Begin showing epoch ``number`` of ``total`` batches, ``done`` of them already run."""
        self._epoch, self._total, self._start = number, total, time.perf_counter()
        self._done_at_start = done
        if self.bar_enabled:
            from tqdm import tqdm
            self._bar = tqdm(total=total, initial=done, desc=f"epoch {number}", unit="batch",
                             file=sys.stderr, dynamic_ncols=True, leave=False)

    def advance(self, batch):
        """Batch ``batch`` (1-based) of the epoch is done."""
        if self._bar is not None:
            self._bar.update(batch - self._bar.n)

    def due(self, batch):
        """Whether batch ``batch`` is a reporting point (a line, or the bar's loss)."""
        return bool(self.log_every) and batch % self.log_every == 0

    def report(self, batch, loss, accuracy, seen, elapsed):
        """Show the loss (and accuracy) at batch ``batch``, after ``seen`` samples this epoch."""
        rate = seen / max(time.perf_counter() - self._start, 1e-9)
        if self._bar is not None:
            self._bar.set_postfix_str(f"loss {loss:.4f}" + (
                "" if accuracy is None else f" acc {accuracy:.4f}"))
            self._record(self._text(batch, loss, accuracy, rate, elapsed))
            return
        self.line(self._text(batch, loss, accuracy, rate, elapsed))

    def _text(self, batch, loss, accuracy, rate, elapsed):
        remaining = (self._total - batch) * (time.perf_counter() - self._start) / max(
            batch - self._done_at_start, 1)
        shown = "" if accuracy is None else f" acc {accuracy:.4f}"
        return (f"epoch {self._epoch} batch {batch}/{self._total} loss {loss:.4f}{shown} "
                f"{rate:.0f} samples/s {elapsed:.1f}s, ETA {remaining:.0f}s")

    def _record(self, text):
        if self.log_file is not None:
            with naming_the_file(self.log_file), open(self.log_file, "a",
                                                       encoding="utf-8") as file:
                file.write(text + "\n")

    def end_epoch(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
