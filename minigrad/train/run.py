"""``train(...)``: one training run from Python, with the settings of the training command.

It checks the settings (``settings.check``, before any data is loaded), resolves
``data="auto"`` through the one data fallback (``minigrad.data.choose_source``:
MNIST when found, else the synthetic digits, saying which), prepares the run
folder (``run_folder.prepare``: refuses a folder holding a run unless
``resume`` or ``force``), sets the dtype, backend and BLAS thread count for the
run (restoring them afterwards), loads and splits the data and runs the
``Trainer``. Lines go to ``log`` and to ``OUT/log.txt``.

With ``ranks`` (``ranks.Ranks`` of the MPI job) every rank runs ``train`` with the same
arguments: ``batch_size`` is the global batch (divisible by the number of ranks), only
rank 0 prepares the run folder and writes to it, and ``ranks.settle()`` ends the setup
before the model is distributed (``Trainer.distribute``). ``sync_batch_norm`` (MPI only)
normalises with the statistics of the global batch instead of each rank's shard.
"""
import os

import numpy

from .. import backend
from ..data import choose_source
from ..threads import get_num_threads, set_num_threads
from .errors import UsageError
from .inputs import run_data
from .progress import Progress
from .ranks import REFUSED_OPTIMIZERS
from .run_folder import LOG_FILE, prepare
from .settings import AUTO_DATA, check, check_root
from .trainer import Trainer


def _set_threads(threads):
    if threads is None:
        return
    try:
        set_num_threads(threads)
    except (RuntimeError, ValueError) as err:
        raise UsageError(f"--threads {threads}: {err}") from err


def _check_ranks(config, ranks, sync_batch_norm):
    """Refuse what data-parallel training cannot do, naming the flag."""
    if ranks is None:
        if sync_batch_norm:
            raise UsageError("--sync-batch-norm synchronises batch norm across MPI ranks: start "
                             "the run with mpirun -n K")
        return
    if config["batch_size"] % ranks.size:
        raise UsageError(f"--batch-size {config['batch_size']} is the global batch and must be "
                         f"divisible by the {ranks.size} MPI ranks; choose a multiple of "
                         f"{ranks.size}")
    if config["optim"] in REFUSED_OPTIMIZERS:
        raise UsageError(f"--optim {config['optim']} cannot run data-parallel under mpirun: "
                         f"{REFUSED_OPTIMIZERS[config['optim']]}")


def train(model="mlp", data=AUTO_DATA, optim="sgd", epochs=2, batch_size=128, lr=None,
          momentum=None, weight_decay=None, optim_args=None, lr_schedule="constant",
          warmup_steps=0, hidden=(128,), train_size=None,
          val_size=None, test_size=None, seed=0, out=None, resume=False, force=False,
          dtype="float32", device="cpu", log_every=100, checkpoint_every=None, threads=None,
          root=None, download=False, check_md5=True, quiet=False, progress_bar=False,
          log=print, ranks=None, sync_batch_norm=False):
    """Train ``model`` on ``data`` with ``optim``; returns the metrics dict.

    Arguments mirror the command-line options. ``lr=None`` uses the optimizer's own default;
    ``optim_args`` are further keyword arguments of ``optim.create``; ``momentum`` and
    ``weight_decay`` are passed only when given, and ``seed`` also seeds optimizers that
    draw random numbers. ``lr_schedule="cosine"`` warms up over ``warmup_steps`` optimizer
    steps and anneals to 0 at the end (``schedule.py``). ``out=None`` writes no files
    (``resume`` needs ``out``). ``log`` receives the progress lines (printed by default).
    Raises ``UsageError`` for a bad setting, ``NonFiniteLossError`` when training diverges
    and ``TrainingInterrupted`` on Ctrl-C. ``ranks`` and ``sync_batch_norm``: data-parallel
    training on MPI (see the module docstring).
    """
    config = dict(model=model, data=data, optim=optim, epochs=epochs, batch_size=batch_size,
                  lr=lr, momentum=momentum, weight_decay=weight_decay,
                  optim_args=dict(optim_args or {}), lr_schedule=lr_schedule,
                  warmup_steps=warmup_steps, hidden=[int(h) for h in hidden],
                  train_size=train_size, val_size=val_size, test_size=test_size, seed=seed,
                  dtype=str(numpy.dtype(dtype)), device=device)
    if resume and out is None:
        raise UsageError("train: resume=True needs out, the folder holding the checkpoint")
    if not isinstance(log_every, int) or log_every < 0:
        raise UsageError(f"--log-every must be an integer ≥ 0, got {log_every!r}")
    if checkpoint_every is not None and (not isinstance(checkpoint_every, int)
                                         or checkpoint_every < 1):
        raise UsageError(f"--checkpoint-every must be an integer ≥ 1, got {checkpoint_every!r}")
    check(config)
    check_root(root)
    _check_ranks(config, ranks, sync_batch_norm)
    out = None if out is None else os.fspath(out)
    writes = ranks is None or ranks.writes
    if out is not None and writes:
        prepare(out, resume, force, log)
    progress = Progress(log, None if out is None else os.path.join(out, LOG_FILE), quiet,
                        progress_bar, log_every) if writes else \
        Progress(log=None, quiet=True, log_every=log_every)
    if config["data"] == AUTO_DATA:
        config["data"] = choose_source("mnist", root, download, progress.line, check_md5)
    previous = backend.get_default_dtype(), backend.backend_name(), get_num_threads()
    try:
        backend.set_default_dtype(dtype)
        backend.use("cupy" if device == "cuda" else "numpy")
        if ranks is not None and device == "cuda":
            from ..distributed import use_local_gpu
            use_local_gpu(ranks.comm)
        _set_threads(threads)
        run_data_ = run_data(config, root, download, check_md5, progress.line)
        trainer = Trainer(config, out, run_data_, progress, {"threads": get_num_threads()},
                          checkpoint_every, writes=writes)
        if resume:
            trainer.restore()
        elif out is not None and writes:
            trainer.save()
        if ranks is not None:
            ranks.settle()
            trainer.distribute(ranks, sync_batch_norm)
        return trainer.run()
    finally:
        backend.set_default_dtype(previous[0])
        backend.use(previous[1])
        if threads is not None and previous[2] is not None:
            set_num_threads(previous[2])
