"""A run's ``curves.png``: the training loss per batch (smoothed) and the losses and
accuracies per epoch.

Left panel: every batch's training loss against the epoch (batch ``b`` of epoch
``e`` at ``e − 1 + b / B``) as a faint line, its exponential moving average
(``s_t = 0.9 s_{t−1} + 0.1 ℓ_t``, started at ``ℓ_1``) as a solid line, and the
per-epoch mean training and validation losses as points. Right panel (only for
classifiers; an autoencoder has no accuracy): training and validation accuracy
per epoch. The title names model, data (with "synthetic" spelled out for the
synthetic digits) and optimizer. Drawn on an Agg canvas, with no global pyplot
state.
"""
from ..atomic import atomic_write

SMOOTHING = 0.9


def smoothed(values, factor=SMOOTHING):
    """The exponential moving average of ``values`` (same length)."""
    result, average = [], None
    for value in values:
        average = value if average is None else factor * average + (1 - factor) * value
        result.append(average)
    return result


def write_curves(path, metrics, batches_per_epoch, classifier):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    history, config = metrics["history"], metrics["config"]
    figure = Figure(figsize=(9 if classifier else 5, 3.5))
    FigureCanvasAgg(figure)
    loss_axes = figure.add_subplot(1, 2 if classifier else 1, 1)
    losses = [v for v in metrics["batch_loss"] if v is not None]
    steps = [(i + 1) / batches_per_epoch for i in range(len(losses))]
    if losses:
        loss_axes.plot(steps, losses, color="C0", alpha=0.25, linewidth=0.8)
        loss_axes.plot(steps, smoothed(losses), color="C0", label="train (per batch, smoothed)")
    for phase, color in (("train", "C0"), ("val", "C1")):
        points = [(e, v) for e, v in zip(history["epoch"], history[f"{phase}_loss"])
                  if v is not None]
        if points:
            loss_axes.plot(*zip(*points), "o", color=color, label=f"{phase} (epoch mean)")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("loss")
    if loss_axes.lines:
        loss_axes.legend(fontsize="small")
    if classifier:
        axes = figure.add_subplot(1, 2, 2)
        for phase in ("train", "val"):
            points = [(e, v) for e, v in zip(history["epoch"], history[f"{phase}_accuracy"])
                      if v is not None]
            if points:
                axes.plot(*zip(*points), marker="o", label=phase)
        axes.set_xlabel("epoch")
        axes.set_ylabel("accuracy")
        if axes.lines:
            axes.legend(fontsize="small")
    data = config["data"]
    shown = "synthetic digits (synthetic data)" if data == "synthetic" else data
    figure.suptitle(f"{config['model']} on {shown} ({config['optim']})")
    figure.tight_layout()
    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
