"""The command line ``python -m minigrad.train``: flags, their checks and the exit status.

``main(argv)`` parses the flags, and on ``--resume`` reads the run's settings
from ``OUT/checkpoint.npz`` (a flag given with it may change only what
``settings.SAFE_ON_RESUME`` allows). Every user error — an unknown model,
optimizer or data set, a bad ``--optim-arg``, a size or count out of range,
CUDA without CuPy, a folder that already holds a run, a missing, corrupt, damaged or
oversized checkpoint, a missing or corrupt data file, an MLP too large for the memory —
prints one line ``error: …`` naming the flag or file and returns 2, before any data is
loaded where the error does not depend on the data. A diverging run returns 1, and so
does a failed write (a full disk: one line naming the file; the previous checkpoint is
kept), Ctrl-C 130 (after writing a checkpoint that ``--resume`` continues exactly), a
finished run 0.

Under ``mpirun -n K`` (``minigrad.distributed.launched_by_mpi``) every rank runs the
command data-parallel (``ranks.py``): the same flags, exit statuses and one-line errors
(printed once), rank 0 printing and writing; a rank that raises otherwise ends the job
with a message naming it.
"""
import argparse
import ast
import os
import sys

import models
import optim

from .. import checkpoint
from ..data import DataFormatError, choose_source
from ..distributed import launched_by_mpi
from .errors import (INTERRUPTED_STATUS, NON_FINITE_STATUS, USAGE_STATUS, WRITE_FAILED_STATUS,
                     NonFiniteLossError, TrainingInterrupted, UsageError)
from .ranks import FailedElsewhere, Ranks
from .run import train
from .run_folder import CHECKPOINT_FILE, new_folder
from .schedule import LR_SCHEDULES
from .settings import AUTO_DATA, DEFAULTS, check, check_root, resumed, with_schedule_defaults


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line and exit status 2."""

    def error(self, message):
        self.exit(USAGE_STATUS, f"{self.prog}: error: {message} (see --help)\n")


def _key_value(text):
    """``KEY=VALUE`` with VALUE a Python literal (number, bool, tuple) or else a string."""
    key, equals, value = text.partition("=")
    if not equals or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY a name, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _sizes(text):
    try:
        return [int(s) for s in text.split(",") if s]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 256,128, got {text!r}") from None


def parser():
    """The command-line parser of ``python -m minigrad.train``."""
    p = _Parser(prog="python -m minigrad.train",
                description="Train a model on a data set; see README.md, 'The training command'.",
                epilog=f"models: {', '.join(models.MODELS)}. "
                       f"optimizers: {', '.join(optim.OPTIMIZERS)}.",
                argument_default=argparse.SUPPRESS)
    setting = p.add_argument_group("run settings (on --resume: read from the checkpoint)")
    setting.add_argument("--model", help=f"one of: {', '.join(models.MODELS)} (default: mlp)")
    setting.add_argument("--data", help="mnist, fashion-mnist, cifar10, synthetic, or auto: MNIST "
                                        "if found locally, else synthetic (default: auto)")
    setting.add_argument("--optim", help=f"one of: {', '.join(optim.OPTIMIZERS)} (default: sgd)")
    setting.add_argument("--epochs", type=int,
                         help="passes over the training set; may be raised on --resume, "
                              "except under --lr-schedule cosine (default: 2)")
    setting.add_argument("--batch-size", type=int, help="samples per step (default: 128)")
    setting.add_argument("--lr", type=float,
                         help="learning rate (default: the optimizer's own default)")
    setting.add_argument("--momentum", type=float, help="passed only when given")
    setting.add_argument("--weight-decay", type=float, help="passed only when given")
    setting.add_argument("--optim-arg", type=_key_value, action="append", dest="optim_args",
                         metavar="KEY=VALUE", help="further optimizer hyper-parameter "
                                                   "(repeatable)")
    setting.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                         help="constant: --lr throughout; cosine: K warm-up steps at lr/K, "
                              "2·lr/K, …, lr, then a half cosine from lr down to 0 at the end "
                              "of the run's epochs × batches-per-epoch steps, the rate set at "
                              "every optimizer step (default: constant)")
    setting.add_argument("--warmup-steps", type=int, metavar="K",
                         help="optimizer steps of linear warm-up of --lr-schedule cosine, "
                              "fewer than the run's steps (default: 0)")
    setting.add_argument("--hidden", type=_sizes,
                         help="MLP hidden sizes, e.g. 256,128 (default: 128)")
    setting.add_argument("--train-size", type=int,
                         help="training samples (default: all but the validation ones)")
    setting.add_argument("--val-size", type=int,
                         help="validation samples (default: 10%% of the train split)")
    setting.add_argument("--test-size", type=int,
                         help="test samples (default: the whole test split)")
    setting.add_argument("--seed", type=int, help="seed of the splits, initialisation, "
                                                  "shuffling, dropout and the optimizer's "
                                                  "random draws (default: 0)")
    setting.add_argument("--dtype", help="float32 or float64 (default: float32)")
    setting.add_argument("--device", help="cpu (NumPy) or cuda (CuPy) (default: cpu)")
    run = p.add_argument_group("this invocation")
    run.add_argument("--out", help="run folder (default: a new runs/MODEL-DATA[-N])")
    run.add_argument("--resume", action="store_true", default=False,
                     help="continue the run in --out from its checkpoint.npz")
    run.add_argument("--force", action="store_true", default=False,
                     help="start a new run in an --out that holds one, deleting its files")
    run.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                     help="also write the checkpoint every N batches")
    run.add_argument("--log-every", type=int, default=100,
                     help="batches between progress lines (default: 100; 0: epoch ends only)")
    run.add_argument("--quiet", action="store_true", default=False,
                     help="print only errors (log.txt still gets every line)")
    run.add_argument("--threads", type=int, default=None,
                     help="BLAS threads (default: the BLAS library's own choice)")
    run.add_argument("--root", default=None, help="the folder holding the data files (searched "
                                                  "alone; default: the usual places)")
    run.add_argument("--download", action="store_true", default=False,
                     help="download the data set when it is not found")
    run.add_argument("--no-md5-check", action="store_true", default=False,
                     help="read local data files whose MD5 differs from the published one")
    run.add_argument("--sync-batch-norm", action="store_true", default=False,
                     help="under mpirun: batch norm with the statistics of the global batch "
                          "(default: each rank's shard, as PyTorch's DistributedDataParallel)")
    return p


INVOCATION_KEYS = ("out", "resume", "force", "checkpoint_every", "log_every", "quiet", "threads",
                   "root", "download", "no_md5_check", "sync_batch_norm")
USAGE_ERRORS = (UsageError, checkpoint.CheckpointError, NotADirectoryError, DataFormatError,
                FileNotFoundError)


def _settings(given, out, resume):
    """The run's settings: the defaults (or the checkpoint's) with the ``given`` flags."""
    if "optim_args" in given:
        given["optim_args"] = dict(given["optim_args"])
    if not resume:
        return {**DEFAULTS, **given}
    if out is None:
        raise UsageError("--resume needs --out, the folder of the run to continue")
    path = os.path.join(out, CHECKPOINT_FILE)
    if not os.path.isfile(path):
        raise UsageError(f"--resume: no checkpoint at {path}")
    state = with_schedule_defaults(checkpoint.load(path))
    checkpoint.require(state, ["metrics"], path)
    checkpoint.require(state["metrics"], ["config"], path)
    saved = state["metrics"]["config"]
    checkpoint.require(saved, list(DEFAULTS), path)
    config = resumed(saved, given, path)
    try:
        check(config)
    except (TypeError, AttributeError, KeyError) as err:
        raise checkpoint.CheckpointError(f"checkpoint {path} holds settings this trainer cannot "
                                         f"use ({type(err).__name__}: {err}); it is damaged "
                                         f"or from another program") from err
    return config


def _run(args, ranks=None):
    flags = vars(args)
    invocation = {key: flags.pop(key, None) for key in INVOCATION_KEYS}
    config = _settings(flags, invocation["out"], invocation["resume"])
    check(config)
    check_root(invocation["root"])
    out = invocation["out"]
    if out is None:
        data = config["data"]
        if data == AUTO_DATA:
            data = choose_source("mnist", invocation["root"], invocation["download"],
                                 lambda line: None, not invocation["no_md5_check"])
        out = new_folder(config["model"], data)
    quiet = invocation["quiet"]
    writes = ranks is None or ranks.writes
    metrics = train(**config, out=out, resume=invocation["resume"], force=invocation["force"],
                    log_every=invocation["log_every"],
                    checkpoint_every=invocation["checkpoint_every"],
                    threads=invocation["threads"], root=invocation["root"],
                    download=invocation["download"], check_md5=not invocation["no_md5_check"],
                    quiet=quiet, progress_bar=writes and sys.stderr.isatty(),
                    log=lambda line: print(line, flush=True), ranks=ranks,
                    sync_batch_norm=invocation["sync_batch_norm"])
    if not quiet and writes:
        print(f"done in {metrics['elapsed_seconds']:.1f}s; results in {out}", flush=True)


def _main_on_ranks(args):
    """The command on every MPI rank; returns this rank's exit status."""
    from ..distributed import abort_on_error, world
    ranks = Ranks(world())
    with abort_on_error(ranks.comm):
        try:
            _run(args, ranks)
        except FailedElsewhere as err:
            return err.status
        except USAGE_ERRORS as err:
            if ranks.settled:
                raise
            if ranks.settle(USAGE_STATUS):
                print(f"error: {err}", file=sys.stderr)
            return USAGE_STATUS
        except NonFiniteLossError as err:
            if ranks.writes:
                print(f"error: {err}", file=sys.stderr)
            return NON_FINITE_STATUS
    return 0


def main(argv=None):
    """Run ``python -m minigrad.train`` with ``argv``; returns the exit status."""
    args = parser().parse_args(argv)
    if launched_by_mpi():
        return _main_on_ranks(args)
    try:
        _run(args)
    except USAGE_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return USAGE_STATUS
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return NON_FINITE_STATUS
    except TrainingInterrupted as err:
        print(str(err), file=sys.stderr)
        return INTERRUPTED_STATUS
    except OSError as err:
        print(f"error: {err} (the files written before, the last checkpoint among them, are "
              f"kept as they were)", file=sys.stderr)
        return WRITE_FAILED_STATUS
    except KeyboardInterrupt:
        print("interrupted outside the training loop; the checkpoint the run wrote before, if "
              "any, is kept", file=sys.stderr)
        return INTERRUPTED_STATUS
    return 0
