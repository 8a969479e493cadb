"""The training loop, with checkpoints that resume exactly.

Each step minimises the mean batch loss ``L(θ) = (1/N) Σ_n ℓ(f(x_n; θ), y_n)``
(``models.loss_for``: cross-entropy on labels, or an autoencoder's reconstruction
loss against its input) by ``optimizer.step(closure)`` with a
``minigrad.curvature.Closure``.

The per-batch loss, correct count and a flag "all parameters finite" stay on
the device (arrays of the active backend) as one row per batch; they are
brought to the host together, one transfer for many batches, only at reporting
points (every ``log_every`` batches), checkpoints and the end of the epoch, and
validation and test sums likewise once per pass. At each such point a
non-finite loss or parameter raises ``NonFiniteLossError`` naming the first bad
epoch and batch, before anything is saved, so the last checkpoint stays good.

A checkpoint (``checkpoint.npz``) holds the model, the optimizer, the loader (its shuffling
generator at the start of the pass and the batches handed out), the initialisation/dropout
generator, NumPy's global generator, the metrics and the time spent in the unfinished epoch,
and the learning-rate scheduler (``schedule.py``; ``None`` for the constant schedule), which
is stepped after every optimizer step. It is written before the first epoch, after every
epoch, every ``checkpoint_every`` batches and on Ctrl-C (after the batch in progress;
``TrainingInterrupted``); ``restore`` continues from it with bit-for-bit the batch losses an
uninterrupted run gives. A second Ctrl-C stops at once, saying which checkpoint the folder
holds. ``restore`` refuses a checkpoint with an entry that does not load
(``CheckpointError`` naming the file and the entry), ``--epochs`` below the epochs already
done, and other ``--epochs`` under a cosine schedule; the files of the run stay as they
were.

On K MPI ranks (``distribute``; ``ranks.py``) the step ``t = epoch·len(loader) + batch``
takes this rank's shard of the global batch by ``(seed, t)`` through ``DataParallel``, so a
resumed run on the same K continues exactly. The loader drops an epoch's last batch only
when it does not split into K equal shards. The loss is the global one on every rank and the
correct counts are summed over the ranks at each transfer point (one all-reduce for many
batches). Validation and test batches are shared out round-robin; each rank's per-batch sums
are gathered by one all-reduce into the table of all batches (the others' rows are zeros,
so the sum is exact) and added in batch order, so the numbers are bitwise those of one
process. Only the writing rank (0) saves; Ctrl-C is left to ``mpirun``, which ends the job.
"""
import math
import os
import signal
import threading
import time

import numpy

import models
import optim

from .. import backend, checkpoint, nn
from ..autograd.grad_mode import no_grad
from ..curvature import Closure
from ..data import DataLoader
from ..tensor import Tensor
from . import schedule
from .errors import NonFiniteLossError, TrainingInterrupted, UsageError
from .inputs import transform
from .metrics import HISTORY_KEYS, new_metrics, write_metrics
from .plots import write_curves
from .run_folder import CHECKPOINT_FILE, CURVES_FILE, METRICS_FILE
from .ranks import Ranks
from .settings import (RUN_KEYS, check_schedule_length, optimizer_arguments,
                       with_schedule_defaults)

NUM_CLASSES = 10
STATE_KEYS = ("epoch", "model", "optimizer", "loader", "init_generator", "numpy_global",
              "metrics", "epoch_seconds", "scheduler")


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def _step(optimizer, closure):
    """One optimizer step; returns the loss before it (a device array) and the outputs."""
    loss = optimizer.step(closure)
    if loss is None:
        raise TypeError(f"{type(optimizer).__name__}.step(closure) returned None instead of "
                        f"the loss the closure computed")
    return _array(loss), closure.output


def _batch_row(loss, output, y, parameters, reconstruction):
    """``[loss, correct, all parameters finite]`` as a float64 device array (no transfer)."""
    xp = backend.get_array_module(loss)
    finite = xp.stack([xp.isfinite(p.data).all() for p in parameters]).all()
    correct = xp.zeros(()) if reconstruction else (output.data.argmax(axis=1) == y).sum()
    return xp.stack([xp.asarray(loss, dtype=xp.float64).reshape(()),
                     xp.asarray(correct, dtype=xp.float64), finite.astype(xp.float64)])


def _set_generator_state(generator):
    """A function that sets the bit-generator state of ``generator``."""
    def set_state(state):
        generator.bit_generator.state = state
    return set_state


class StopOnSigint:
    """While active, the first SIGINT only sets ``requested`` (the loop stops after the
    batch in progress); a second one interrupts at once with ``interrupted_again()``, a
    ``TrainingInterrupted`` saying which checkpoint there is."""

    def __init__(self, line, enabled=True, interrupted_again=KeyboardInterrupt):
        self.line, self.enabled, self.requested, self._previous = line, enabled, False, None
        self.interrupted_again = interrupted_again

    def _handle(self, number, frame):
        if self.requested:
            raise self.interrupted_again()
        self.requested = True
        self.line("interrupted: stopping after this batch to save a checkpoint "
                  "(Ctrl-C again to abort without one)")

    def __enter__(self):
        if self.enabled and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    """One training run: the model, optimizer, loaders and metrics, epoch by epoch."""

    def __init__(self, config, out, data, progress, run_facts, checkpoint_every=None,
                 writes=True):
        train_set, val_set, test_set, facts = data
        self.config, self.out, self.progress = config, out, progress
        self.writes = out is not None and writes
        self.ranks, self.parallel = None, None
        self.checkpoint_every = checkpoint_every
        self.reconstruction = models.reconstructs(config["model"])
        nn.init.manual_seed(config["seed"])
        try:
            self.model = models.create(config["model"], input_shape=facts["input_shape"],
                                       num_classes=NUM_CLASSES, hidden=config["hidden"])
        except ValueError as err:
            raise UsageError(f"--model {config['model']} does not fit --data "
                             f"{config['data']}: {err}") from err
        self.optimizer = optim.create(config["optim"], self.model.parameters(),
                                      **optimizer_arguments(config))
        self.loss_fn = models.loss_for(config["model"])
        convert = transform(config["model"], config["data"], backend.get_default_dtype())
        self.loader = DataLoader(*train_set, config["batch_size"], shuffle=True,
                                 seed=config["seed"], transform=convert)
        self.evaluation = {name: DataLoader(*pair, config["batch_size"], transform=convert)
                           for name, pair in (("val", val_set), ("test", test_set))
                           if len(pair[0])}
        self.metrics = new_metrics(config, {
            **facts, **run_facts, "lr": self._learning_rate(),
            "num_parameters": sum(p.numel() for p in self.model.parameters())})
        self.scheduler, self.step_lr = None, None
        self._start_schedule()
        self.epoch, self.epoch_seconds, self.pending = 0, 0.0, []
        self.stop, self.saved_after = None, None

    def _learning_rate(self):
        """The learning rate the next optimizer step uses (its first parameter group's)."""
        return getattr(self.optimizer, "param_groups", [{}])[0].get("lr")

    def _start_schedule(self):
        """Build the scheduler for this run's length, at the step the previous one reached."""
        reached = None if self.scheduler is None else self.scheduler.state_dict()
        self.scheduler = schedule.create(self.optimizer, self.config["lr_schedule"],
                                         self.config["warmup_steps"], self.config["epochs"],
                                         len(self.loader))
        if reached is not None:
            self.scheduler.load_state_dict(reached)

    def distribute(self, ranks, sync_batch_norm=False):
        """Train data-parallel on ``ranks`` (a ``Ranks``): rank 0's model on every rank, each
        step on this rank's shard of the global batch."""
        from ..distributed import DataParallel
        if not isinstance(ranks, Ranks):
            raise TypeError(f"Trainer.distribute: ranks must be a minigrad.train.ranks.Ranks, "
                            f"got {type(ranks).__name__}")
        self.ranks = ranks
        self.parallel = DataParallel(self.model, ranks.comm, self.config["seed"],
                                     sync_batch_norm=sync_batch_norm)
        size, last = ranks.size, len(self.loader.dataset) % self.loader.batch_size
        if last % size:
            self.loader.drop_last = True
            self._start_schedule()
            self.progress.line(f"dropping the last {last} training samples of each epoch: they "
                               f"do not split into {size} equal shards")
        batch = self.config["batch_size"]
        self.progress.line(f"data-parallel on {size} MPI ranks: global batch {batch}, "
                           f"{batch // size} per rank, "
                           f"{'synchronised' if sync_batch_norm else 'per-rank'} batch norm")

    def _closure(self, x, target, step):
        """The step's closure and the targets of the samples its outputs belong to."""
        if self.parallel is None:
            return Closure(self.model, self.loss_fn, x, target), target
        closure = self.parallel.closure(self.loss_fn, x, target, step)
        return closure, closure.shard.take(target)

    @property
    def checkpoint_path(self):
        return os.path.join(self.out, CHECKPOINT_FILE)

    def save(self):
        """Write the checkpoint, ``metrics.json`` and (after a batch) ``curves.png``."""
        state = {"epoch": self.epoch, "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "loader": self.loader.state_dict(),
                 "init_generator": nn.init.generator().bit_generator.state,
                 "numpy_global": numpy.random.get_state(), "metrics": self.metrics,
                 "epoch_seconds": self.epoch_seconds,
                 "scheduler": None if self.scheduler is None else self.scheduler.state_dict()}
        checkpoint.save(state, self.checkpoint_path)
        batches = self.loader.state_dict()["batches"]
        self.saved_after = (f"epoch {self.epoch + 1}, batch {batches}" if batches
                            else f"epoch {self.epoch}")
        write_metrics(os.path.join(self.out, METRICS_FILE), self.metrics)
        if self.metrics["batch_loss"]:
            write_curves(os.path.join(self.out, CURVES_FILE), self.metrics, len(self.loader),
                         not self.reconstruction)

    def restore(self):
        """Continue from the checkpoint in ``out``, which must come from the same settings."""
        state = with_schedule_defaults(checkpoint.load(self.checkpoint_path))
        checkpoint.require(state, STATE_KEYS, self.checkpoint_path)
        checkpoint.require(state["metrics"], ["config"], self.checkpoint_path)
        saved = state["metrics"]["config"]
        differences = {k: (saved.get(k), self.config[k]) for k in RUN_KEYS
                       if saved.get(k) != self.config[k]}
        if differences:
            raise ValueError(f"resume: the checkpoint {self.checkpoint_path} was made with "
                             f"different settings (saved, requested): {differences}")
        self._check_epochs(state["epoch"])
        check_schedule_length(saved, self.config["epochs"], self.checkpoint_path)
        loads = [("model", self.model.load_state_dict),
                 ("optimizer", self.optimizer.load_state_dict),
                 ("loader", self.loader.load_state_dict),
                 ("init_generator", _set_generator_state(nn.init.generator())),
                 ("numpy_global", numpy.random.set_state)]
        if self.scheduler is not None:
            loads.append(("scheduler", self.scheduler.load_state_dict))
        for entry, load in loads:
            try:
                load(state[entry])
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
                raise checkpoint.CheckpointError(
                    f"checkpoint {self.checkpoint_path}: its '{entry}' entry cannot be loaded "
                    f"({type(err).__name__}: {err}); it is damaged or from another "
                    f"program") from err
        self.epoch, self.metrics = state["epoch"], state["metrics"]
        self.epoch_seconds = state["epoch_seconds"]
        self.metrics["config"]["epochs"] = self.config["epochs"]
        done = self.loader.state_dict()["batches"]
        where = f"epoch {self.epoch + 1}, batch {done}" if done else f"epoch {self.epoch}"
        self.progress.line(f"resumed from {self.checkpoint_path} after {where}")

    def _check_epochs(self, done):
        """Refuse ``--epochs`` below the ``done`` epochs of the checkpoint (nothing to train)."""
        if not isinstance(done, int) or isinstance(done, bool) or done < 0:
            raise checkpoint.CheckpointError(f"checkpoint {self.checkpoint_path}: its 'epoch' "
                                             f"entry {done!r} is not a count of epochs")
        if self.config["epochs"] < done:
            raise UsageError(f"--epochs {self.config['epochs']} is fewer than the {done} epochs "
                             f"already done in {self.checkpoint_path}: pass --epochs {done + 1} "
                             f"or more to train further")

    def _non_finite(self, what, where):
        kept = f"; the last good checkpoint is {self.checkpoint_path}" if self.out else ""
        lr = self.metrics["lr"] if self.config["lr"] is None else self.config["lr"]
        return NonFiniteLossError(f"non-finite {what} {where}: lower the learning rate "
                                  f"(lr={lr}){kept}")

    def flush(self):
        """Bring the pending per-batch rows to the host (one transfer) and record them."""
        if not self.pending:
            return
        numbers = [number for number, _ in self.pending]
        rows = backend.to_host(backend.get_array_module(self.pending[0][1]).stack(
            [row for _, row in self.pending]))
        self.pending = []
        if self.ranks is not None:
            correct = numpy.ascontiguousarray(rows[:, 1])
            rows[:, 1] = self.ranks.comm.all_reduce(correct)
        for number, (loss, correct, finite) in zip(numbers, rows.tolist()):
            where = f"at epoch {self.epoch + 1}, batch {number}/{len(self.loader)}"
            if not math.isfinite(loss):
                raise self._non_finite(f"loss ({loss})", where)
            if not finite:
                raise self._non_finite("parameters", where)
            self.metrics["batch_loss"].append(loss)
            self.metrics["batch_correct"].append(None if self.reconstruction else int(correct))

    def _epoch_batches(self):
        """This epoch's ``(losses, corrects, sizes)`` recorded so far."""
        first = self.epoch * len(self.loader)
        losses = self.metrics["batch_loss"][first:]
        corrects = self.metrics["batch_correct"][first:]
        n, size = len(self.loader.dataset), self.loader.batch_size
        sizes = [min(size, n - b * size) for b in range(len(losses))]
        return losses, corrects, sizes

    def _epoch_samples(self):
        """The training samples of one epoch (without a dropped last batch)."""
        n, size = len(self.loader.dataset), self.loader.batch_size
        return n - n % size if self.loader.drop_last else n

    def _running(self):
        """Mean loss and accuracy of this epoch's batches so far, and the samples seen."""
        losses, corrects, sizes = self._epoch_batches()
        seen = sum(sizes)
        loss = sum(v * s for v, s in zip(losses, sizes)) / seen
        accuracy = None if self.reconstruction else sum(corrects) / seen
        return loss, accuracy, seen

    def train_epoch(self):
        """One pass (or the rest of one) over the training set; ``(loss, accuracy, seconds)``."""
        self.model.train()
        done = self.loader.state_dict()["batches"]
        total = len(self.loader)
        started = time.perf_counter()
        parameters = list(self.model.parameters())
        self.progress.start_epoch(self.epoch + 1, total, done)
        try:
            for number, (x, y) in enumerate(self.loader, done + 1):
                closure, target = self._closure(x, x if self.reconstruction else y,
                                                self.epoch * total + number - 1)
                self.step_lr = self._learning_rate()
                loss, output = _step(self.optimizer, closure)
                if self.scheduler is not None:
                    self.scheduler.step()
                self.pending.append((number, _batch_row(loss, output, _array(target),
                                                        parameters, self.reconstruction)))
                self.progress.advance(number)
                if self.progress.due(number):
                    self.flush()
                    _, accuracy, seen = self._running()
                    self.progress.report(number, self.metrics["batch_loss"][-1], accuracy, seen,
                                         time.perf_counter() - self.run_start)
                stop = self.stop is not None and self.stop.requested
                if number < total and (stop or (self.checkpoint_every and
                                                number % self.checkpoint_every == 0)):
                    self._save_mid_epoch(started)
                    started = time.perf_counter()
                    if stop:
                        raise self._interrupted(f"epoch {self.epoch + 1}, batch {number}/{total}")
            self.flush()
        finally:
            self.progress.end_epoch()
        seconds = self.epoch_seconds + time.perf_counter() - started
        self.epoch_seconds = 0.0
        loss, accuracy, _ = self._running()
        return loss, accuracy, seconds

    def _save_mid_epoch(self, started):
        self.flush()
        self.epoch_seconds += time.perf_counter() - started
        if self.writes:
            self.metrics["elapsed_seconds"] = time.perf_counter() - self.run_start
            self.save()

    def _interrupted(self, where):
        if self.out is None:
            return TrainingInterrupted(f"interrupted after {where}; no output folder, so no "
                                       f"checkpoint was written", None)
        return TrainingInterrupted(f"interrupted after {where}; saved {self.checkpoint_path}: "
                                   f"continue with --resume --out {self.out}",
                                   self.checkpoint_path)

    def _interrupted_again(self):
        """The ``TrainingInterrupted`` of a second Ctrl-C: which checkpoint ``--out`` holds."""
        if self.out is None:
            return TrainingInterrupted("interrupted again; no output folder, so no checkpoint "
                                       "was written", None)
        if self.saved_after is None:
            return TrainingInterrupted(f"interrupted again before this run wrote a checkpoint; "
                                       f"{self.out} is as it was before the run", None)
        return TrainingInterrupted(f"interrupted again; {self.checkpoint_path} holds the "
                                   f"checkpoint written after {self.saved_after}: continue with "
                                   f"--resume --out {self.out}", self.checkpoint_path)

    def evaluate(self, name):
        """Mean loss and accuracy on the ``"val"`` or ``"test"`` set; ``(None, None)`` if empty.

        Per-batch sums stay on the device; one transfer per pass (and on K ranks one
        all-reduce of the table of batches, each rank evaluating every K-th batch)."""
        if name not in self.evaluation:
            return None, None
        self.model.eval()
        rank, size = (0, 1) if self.ranks is None else (self.ranks.rank, self.ranks.size)
        rows, count = [], 0
        with no_grad():
            for index, (x, y) in enumerate(self.evaluation[name]):
                count += len(x)
                if index % size != rank:
                    continue
                output = self.model(x)
                loss = _array(self.loss_fn(output, x if self.reconstruction else y))
                xp = backend.get_array_module(loss)
                correct = xp.zeros(()) if self.reconstruction else \
                    (output.data.argmax(axis=1) == y.data).sum()
                rows.append(xp.stack([xp.asarray(loss, dtype=xp.float64).reshape(()) * len(x),
                                      xp.asarray(correct, dtype=xp.float64)]))
        self.model.train()
        loss_sum, correct = _in_order(self._all_batches(rows, len(self.evaluation[name])))
        return loss_sum / count, (None if self.reconstruction else correct / count)

    def _all_batches(self, rows, batches):
        """The ``(batches, 2)`` host table of every batch's sums from this rank's ``rows``."""
        mine = backend.to_host(backend.get_array_module(rows[0]).stack(rows)) if rows else \
            numpy.zeros((0, 2))
        if self.ranks is None:
            return mine
        table = numpy.zeros((batches, 2))
        table[self.ranks.rank::self.ranks.size] = mine
        return self.ranks.comm.all_reduce(table)

    def _end_epoch(self, train_loss, train_accuracy, seconds):
        val_loss, val_accuracy = self.evaluate("val")
        if val_loss is not None and not math.isfinite(val_loss):
            raise self._non_finite(f"loss ({val_loss})",
                                   f"on the validation set after epoch {self.epoch + 1}")
        if val_loss is not None and hasattr(self.optimizer, "observe_validation_loss"):
            self.optimizer.observe_validation_loss(val_loss)
        self.epoch += 1
        for key, value in zip(HISTORY_KEYS, (
                self.epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds,
                self._epoch_samples() / seconds, self.step_lr)):
            self.metrics["history"][key].append(value)
        self.metrics["elapsed_seconds"] = time.perf_counter() - self.run_start
        self.progress.line(_epoch_line(self.metrics, self.reconstruction))
        if self.writes:
            self.save()

    def _test(self):
        test_loss, test_accuracy = self.evaluate("test")
        if test_loss is None:
            return
        self.metrics["test_loss"], self.metrics["test_accuracy"] = test_loss, test_accuracy
        if not math.isfinite(test_loss):
            if self.writes:
                write_metrics(os.path.join(self.out, METRICS_FILE), self.metrics)
            raise NonFiniteLossError(f"non-finite test loss ({test_loss}) after epoch "
                                     f"{self.epoch}")
        accuracy = "" if self.reconstruction else f" accuracy {test_accuracy:.4f}"
        self.progress.line(f"test: loss {test_loss:.4f}{accuracy}")

    def run(self):
        """Train up to ``config["epochs"]``, validating and saving after each; then test."""
        config = self.config
        scheduled = "" if self.scheduler is None else (
            f", {config['lr_schedule']} schedule over {config['epochs'] * len(self.loader)} "
            f"steps with {config['warmup_steps']} warm-up steps")
        self.progress.line(
            f"model: {config['model']} ({self.metrics['num_parameters']} parameters), "
            f"optimizer: {config['optim']} (lr={self.metrics['lr']}"
            f"{'' if config['lr'] is not None else ', its default'}{scheduled}), "
            f"{config['dtype']} on "
            f"{config['device']}, {self.metrics['threads']} BLAS threads")
        self.run_start = time.perf_counter() - self.metrics["elapsed_seconds"]
        with StopOnSigint(self.progress.line, self.ranks is None,
                           self._interrupted_again) as self.stop:
            while self.epoch < config["epochs"]:
                self._end_epoch(*self.train_epoch())
                if self.stop.requested:
                    raise self._interrupted(f"epoch {self.epoch}")
            self._test()
        self.metrics["elapsed_seconds"] = time.perf_counter() - self.run_start
        if self.writes:
            write_metrics(os.path.join(self.out, METRICS_FILE), self.metrics)
            self.progress.line(f"wrote {self.out}/{METRICS_FILE}, {CURVES_FILE} and "
                               f"{CHECKPOINT_FILE}")
        return self.metrics


def _in_order(table):
    """``[Σ loss sums, Σ correct]`` of the rows of ``table``, added one row after another."""
    totals = table[0]
    for row in table[1:]:
        totals = totals + row
    return totals.tolist()


def _epoch_line(metrics, reconstruction):
    h = metrics["history"]
    line = f"epoch {h['epoch'][-1]}: train loss {h['train_loss'][-1]:.4f}"
    if not reconstruction:
        line += f" acc {h['train_accuracy'][-1]:.4f}"
    if h["val_loss"][-1] is not None:
        line += f" | val loss {h['val_loss'][-1]:.4f}"
        if not reconstruction:
            line += f" acc {h['val_accuracy'][-1]:.4f}"
    if metrics["config"]["lr_schedule"] != "constant":
        line += f" | lr {h['lr'][-1]:.3g}"
    return (line + f" | {h['samples_per_second'][-1]:.0f} samples/s | "
            f"{metrics['elapsed_seconds']:.1f}s")
