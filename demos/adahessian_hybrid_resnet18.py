"""ResNet-18 on 2% of MNIST: SGD, SGD with momentum, Adam, AdaHessian and the Hybrid.

Reproduces Attias, Cadei & Novaković, "Discussion on the viability of a modern
second order method in non-convex optimization training a deep convolutional
neural network" (adahessian-hybrid-resnet18-mnist.txt), Section III:

* ResNet-18 (``models.resnet18(in_channels=1, num_classes=10)``, 11,175,370
  parameters) trained from the same initial weights by every optimizer;
* 1,200 training, 200 validation (both drawn from the MNIST training split)
  and 200 test images; batch size 100; cross-entropy, no regularisation;
* the paper's tuned hyper-parameters: SGD lr = 0.01; SGD momentum lr = 0.005,
  β = 0.9; Adam lr = 0.001, β = (0.9, 0.999); AdaHessian lr = 0.1,
  β = (0.9, 0.999); Hybrid t_l = 1.0, lr¹ = 0.005, β¹ = 0.9, lr² = 0.001,
  β² = (0.9, 0.999) (``optim.Hybrid``: SGD with momentum until the validation
  loss first falls below t_l, AdaHessian after);
* Table I (train / validation / test accuracy, mean ± std over seeds),
  Table II (training time, mean ± std), Figures 1–2 (validation loss and
  accuracy against epoch).

Each run is ``minigrad.train.train`` (the library's training loop): it
validates after every epoch and reports the validation loss to the optimizer
(the Hybrid's switch). "Train" accuracy is the running accuracy over the
batches of the last epoch; training time is the sum of the epoch times
(validation excluded). The paper runs 15 epochs and 10 seeds (``--full``); the
default runs 4 epochs (the Hybrid switches once the validation loss
falls below 1, typically after epoch 3) and one seed, so that it finishes in
minutes on a CPU.
"""
import pathlib
import sys

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402

from demos import common  # noqa: E402
from minigrad import train as training  # noqa: E402

NAME = "adahessian_hybrid_resnet18"
CONFIGURATIONS = {
    "sgd": ("SGD (β = 0)", dict(optim="sgd", lr=0.01)),
    "sgd-momentum": ("SGD (β = 0.9)", dict(optim="sgd", lr=0.005, momentum=0.9)),
    "adam": ("Adam", dict(optim="adam", lr=0.001, optim_args=dict(betas=(0.9, 0.999)))),
    "adahessian": ("AdaHessian", dict(optim="adahessian", lr=0.1,
                                      optim_args=dict(betas=(0.9, 0.999)))),
    "hybrid": ("Hybrid", dict(optim="hybrid", lr=0.001,
                              optim_args=dict(threshold=1.0, sgd_lr=0.005, momentum=0.9,
                                              betas=(0.9, 0.999)))),
}
PAPER_TABLE_I = {"sgd": (100, 87.55, 87.45), "sgd-momentum": (100, 94.5, 93.5),
                 "adam": (99.95, 93.85, 93.35), "adahessian": (100, 93.625, 93),
                 "hybrid": (100, 94.1, 94.2)}
PAPER_TABLE_II = {"sgd": 14.57, "sgd-momentum": 13.79, "adam": 11.30, "adahessian": 14.26,
                  "hybrid": 17.43}
PRESETS = {
    "quick": dict(epochs=1, seeds=1, train_size=10, val_size=10, test_size=10, batch_size=10,
                  optimizers="sgd-momentum,adahessian"),
    "default": dict(epochs=4, seeds=1, train_size=1200, val_size=200, test_size=200,
                    batch_size=100, optimizers=",".join(CONFIGURATIONS)),
    "full": dict(epochs=15, seeds=10, train_size=1200, val_size=200, test_size=200,
                 batch_size=100, optimizers=",".join(CONFIGURATIONS)),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (paper: 15)")
    p.add_argument("--seeds", type=int, default=None, help="runs per optimizer (paper: 10)")
    p.add_argument("--train-size", type=int, default=None, help="paper: 1200")
    p.add_argument("--val-size", type=int, default=None, help="paper: 200")
    p.add_argument("--test-size", type=int, default=None, help="paper: 200")
    p.add_argument("--batch-size", type=int, default=None, help="paper: 100")
    p.add_argument("--optimizers", default=None,
                   help=f"comma-separated subset of {','.join(CONFIGURATIONS)}")
    args = common.parse(p, argv, PRESETS)
    args.optimizers = args.optimizers.split(",")
    unknown = [name for name in args.optimizers if name not in CONFIGURATIONS]
    if unknown:
        p.error(f"unknown optimizers {unknown}; choose from {list(CONFIGURATIONS)}")
    return args


def data_name(args):
    """``"mnist"`` when it is available (or downloaded), else ``"synthetic"``."""
    return common.load_dataset("mnist", "test", args.data_root, args.download)[2]


def run(args, key, seed, data):
    label, config = CONFIGURATIONS[key]
    common.log(f"{label}, seed {seed}")
    metrics = training.train(model="resnet18", data=data, epochs=args.epochs,
                             batch_size=args.batch_size, train_size=args.train_size,
                             val_size=args.val_size, test_size=args.test_size, seed=seed,
                             root=args.data_root, log=common.log, log_every=0, **config)
    history = metrics["history"]
    return {"train_accuracy": 100 * history["train_accuracy"][-1],
            "val_accuracy": 100 * history["val_accuracy"][-1],
            "test_accuracy": 100 * metrics["test_accuracy"],
            "training_time": float(sum(history["epoch_seconds"])),
            "val_loss_curve": history["val_loss"],
            "val_accuracy_curve": [100 * a for a in history["val_accuracy"]]}


def mean_std(values):
    values = numpy.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summarise(runs):
    """Per optimizer, mean and std over seeds of every scalar and mean curves."""
    summary = {}
    for key, seeds in runs.items():
        entry = {name: mean_std([r[name] for r in seeds])
                 for name in ("train_accuracy", "val_accuracy", "test_accuracy", "training_time")}
        for curve in ("val_loss_curve", "val_accuracy_curve"):
            entry[curve] = numpy.mean([r[curve] for r in seeds], axis=0).tolist()
        summary[key] = entry
    return summary


def tables(summary, seeds, epochs):
    show = lambda pair: f"{pair[0]:.2f} ± {pair[1]:.2f}"  # noqa: E731
    rows_i, rows_ii = [], []
    for key, entry in summary.items():
        label = CONFIGURATIONS[key][0]
        paper = PAPER_TABLE_I[key]
        rows_i.append([label, show(entry["train_accuracy"]), show(entry["val_accuracy"]),
                       show(entry["test_accuracy"]), f"{paper[0]} / {paper[1]} / {paper[2]}"])
        rows_ii.append([label, show(entry["training_time"]), PAPER_TABLE_II[key]])
    table_i = common.markdown_table(
        ["optimizer", "train %", "validation %", "test %", "paper train / val / test %"], rows_i)
    table_ii = common.markdown_table(
        ["optimizer", f"training time (s, {epochs} epochs)", "paper (s, 15 epochs, K80 GPU)"],
        rows_ii)
    return (f"Table I: accuracy after {epochs} epochs, mean ± std over {seeds} seed(s)\n\n"
            f"{table_i}\n\nTable II: training time, mean ± std over {seeds} seed(s)\n\n{table_ii}")


def figures(summary, out):
    paths = []
    for number, (curve, ylabel) in enumerate((("val_loss_curve", "validation cross-entropy"),
                                              ("val_accuracy_curve", "validation accuracy (%)")),
                                             start=1):
        fig, axes = common.figure()
        ax = axes[0, 0]
        for index, (key, entry) in enumerate(summary.items()):
            values = entry[curve]
            ax.plot(range(1, len(values) + 1), values, marker="o",
                    linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)],
                    label=CONFIGURATIONS[key][0])
        common.epoch_axis(ax)
        ax.set_ylabel(ylabel)
        ax.set_title(f"Figure {number}: ResNet-18 on 2% of MNIST")
        ax.legend()
        paths.append(str(common.save_figure(fig, out / f"figure{number}_{curve}.png")))
    return paths


def main(argv=None):
    args = arguments(argv)
    data = data_name(args)
    runs = {key: [run(args, key, args.seed + s, data) for s in range(args.seeds)]
            for key in args.optimizers}
    summary = summarise(runs)
    results = {"data": data, "epochs": args.epochs, "seeds": args.seeds, "runs": runs,
               "summary": summary, "figures": figures(summary, args.out)}
    return common.finish(args, NAME, results, tables(summary, args.seeds, args.epochs))


if __name__ == "__main__":
    main()
