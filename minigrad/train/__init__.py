"""Train a model on a data set from Python (``train``) or the command line
(``python -m minigrad.train``, ``main``).

One job per file:

    settings.py    the run's settings, their checks, what --resume may change
    command.py     the command line: flags, one-line errors, exit status
    run.py         train(...): settings → run folder → data → Trainer
    run_folder.py  the output folder: a new one per run, no silent overwrite
    inputs.py      the data of a run: splits, sizes, what each model takes
    trainer.py     the loop, on-device loss sums, checkpoint and exact resume, Ctrl-C
    ranks.py       the command on K MPI ranks: rank 0 writes, setup errors settled together
    metrics.py     metrics.json (strict JSON)
    plots.py       curves.png
    progress.py    progress bar or lines, log.txt, --quiet
    errors.py      how a run ends otherwise, and its exit status

Each step minimises the mean batch loss ``L(θ) = (1/N) Σ_n ℓ(f(x_n; θ), y_n)``
with ``optimizer.step(closure)`` (a ``minigrad.curvature.Closure``).
With no arguments the command trains a 784-128-10 MLP with SGD (its default
learning rate) for 2 epochs on MNIST when ``minigrad.data`` finds it locally,
else on the synthetic digits, saying which, in a new folder ``runs/mlp-DATA[-N]``.
"""
from .command import main, parser
from .errors import NonFiniteLossError, TrainingInterrupted, UsageError
from .run import train
from .trainer import Trainer

__all__ = ["NonFiniteLossError", "Trainer", "TrainingInterrupted", "UsageError", "main",
           "parser", "train"]
