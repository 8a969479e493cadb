"""ResNet-18 on 2% of MNIST: SGD, SGD with momentum, Adam, AdaHessian and the Hybrid.

Reproduces Attias, Cadei & Novaković, "Discussion on the viability of a modern
second order method in non-convex optimization training a deep convolutional
neural network" (2022), Section III, at its protocol except where stated:

* ResNet-18 (``models.resnet18(in_channels=1, num_classes=10)``, 11,175,370
  parameters); its convolutions are initialised with PyTorch's generic default,
  ``kaiming_uniform_(a=√5)``, unless ``--init torchvision`` asks for torchvision's
  ``kaiming_normal_(mode="fan_out", nonlinearity="relu")``, which the paper's ResNet-18
  very probably used (the paper does not say; the choice moves the accuracies by points,
  and both are run); within a seed every optimizer starts from the same weights
  (``nn.init.manual_seed(seed)`` before the model is built) and sees the same
  data split and batch order;
* 1,200 training and 200 validation images (disjoint, from the MNIST training
  split) and 200 test images, drawn per seed; batch 100 (12 updates per
  epoch), 15 epochs; cross-entropy, no regularisation; inputs standardised;
* the paper's hyper-parameters: SGD lr = 0.01; SGD momentum lr = 0.005,
  β = 0.9; Adam lr = 0.001, β = (0.9, 0.999); AdaHessian lr = 0.1,
  β = (0.9, 0.999); Hybrid t_l = 1.0, lr¹ = 0.005, β¹ = 0.9, lr² = 0.001,
  β² = (0.9, 0.999) (``optim.Hybrid``: SGD with momentum until the validation
  loss, reported after each epoch, first falls below t_l, AdaHessian after);
  its switching epoch is recorded per seed;
* Table I: train (running accuracy over the last epoch's batches), validation
  and test accuracy after the last epoch, mean ± sample std over the seeds
  (``records.spread``: only for n ≥ 3, the values for n = 2);
  Table II: training time (sum of the epoch times, validation excluded);
  Figures 1–2: validation loss and accuracy per epoch (mean over seeds, band
  ± std); the paper's appendix: after every update, the spectral norm of the
  gradient of the first convolution (mean over its 64 filters, each a 7×7
  matrix) and of the last linear layer (a 10×512 matrix).

Seeds and optimizers may run as separate processes (``--seeds-from S --seeds N
--optimizers ...``): each adds its runs (``"runs"``, keyed ``"SEED/OPTIMIZER"``)
to the run of the same settings in ``--out``; ``"per_seed"`` and the tables
are rebuilt from all of them.
"""
import pathlib
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import common, records  # noqa: E402
from minigrad import curvature, data, nn  # noqa: E402

NAME = "adahessian_hybrid_resnet18"
CONFIGURATIONS = {
    "SGD": ("sgd", dict(lr=0.01)),
    "SGD-momentum": ("sgd", dict(lr=0.005, momentum=0.9)),
    "Adam": ("adam", dict(lr=0.001, betas=(0.9, 0.999))),
    "AdaHessian": ("adahessian", dict(lr=0.1, betas=(0.9, 0.999))),
    "Hybrid": ("hybrid", dict(lr=0.001, threshold=1.0, sgd_lr=0.005, momentum=0.9,
                              betas=(0.9, 0.999))),
}
PAPER_TABLE_I = {"SGD": (100, 87.55, 87.45), "SGD-momentum": (100, 94.5, 93.5),
                 "Adam": (99.95, 93.85, 93.35), "AdaHessian": (100, 93.625, 93),
                 "Hybrid": (100, 94.1, 94.2)}
PAPER_TABLE_II = {"SGD": 14.57, "SGD-momentum": 13.79, "Adam": 11.30, "AdaHessian": 14.26,
                  "Hybrid": 17.43}
PRESETS = {
    "quick": dict(epochs=1, seeds=1, train_size=10, val_size=10, test_size=10, batch_size=10,
                  optimizers="SGD-momentum,AdaHessian"),
    "default": dict(epochs=15, seeds=5, train_size=1200, val_size=200, test_size=200,
                    batch_size=100, optimizers=",".join(CONFIGURATIONS)),
    "full": dict(epochs=15, seeds=10, train_size=1200, val_size=200, test_size=200,
                 batch_size=100, optimizers=",".join(CONFIGURATIONS)),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (paper: 15)")
    p.add_argument("--seeds", type=int, default=None, help="seeds to run (paper: 10)")
    p.add_argument("--seeds-from", type=int, default=0, help="first seed")
    p.add_argument("--train-size", type=int, default=None, help="paper: 1200")
    p.add_argument("--val-size", type=int, default=None, help="paper: 200")
    p.add_argument("--test-size", type=int, default=None, help="paper: 200")
    p.add_argument("--batch-size", type=int, default=None, help="paper: 100")
    p.add_argument("--init", default="pytorch", choices=("pytorch", "torchvision"),
                   help="convolution initialisation: PyTorch's default kaiming_uniform_(a=√5) "
                        "or torchvision's kaiming_normal_(mode='fan_out') (models.resnet18)")
    p.add_argument("--optimizers", default=None,
                   help=f"comma-separated subset of {','.join(CONFIGURATIONS)}")
    args = common.parse(p, argv, PRESETS, merge=True)
    args.optimizers = common.method_list(p, args.optimizers, CONFIGURATIONS)
    return args


def seed_data(args, seed):
    """``(train, val, test)`` ``(images, labels)`` of ``seed`` and the data set's name."""
    (train, val, test), source = common.subsets(
        "mnist", [args.train_size, args.val_size], seed=seed, root=args.data_root,
        download=args.download, test_size=args.test_size)
    return (train, val, test), source


def spectral_norms(model):
    """``(mean over filters of ‖∇W_filter‖₂ of the first convolution, ‖∇W‖₂ of the last
    linear layer)`` from the gradients now stored; a filter ``(in, kh, kw)`` is taken as an
    ``(in·kh) × kw`` matrix (7 × 7 here)."""
    weights = [p for p in model.parameters() if p.ndim >= 2]
    first, last = weights[0].grad.numpy(), weights[-1].grad.numpy()
    filters = first.reshape(first.shape[0], -1, first.shape[-1])
    per_filter = numpy.linalg.norm(filters.astype(float), ord=2, axis=(1, 2))
    return float(per_filter.mean()), float(numpy.linalg.norm(last.astype(float), ord=2))


def evaluate(model, loader, loss_fn):
    """``(mean loss, accuracy %)`` over ``loader`` in eval mode."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with minigrad.no_grad():
        for x, y in loader:
            output = model(x)
            total += float(loss_fn(output, y).item()) * len(x)
            correct += int((output.numpy().argmax(axis=1) == y.numpy()).sum())
            count += len(x)
    model.train()
    return total / count, 100.0 * correct / count


def run(args, method, seed, sets, source):
    """Train ``method`` from seed ``seed``'s weights; its per-seed entry."""
    name, hyper = CONFIGURATIONS[method]
    common.log(f"{method}, seed {seed}")
    nn.init.manual_seed(seed)
    model = models.resnet18(in_channels=1, num_classes=10, init=args.init)
    optimizer = optim.create(name, model.parameters(), **hyper)
    loss_fn = nn.CrossEntropyLoss()
    scale = data.Normalize.for_dataset(source)
    (train_x, train_y), val, test = sets
    loader = data.DataLoader(train_x, train_y, args.batch_size, shuffle=True, seed=seed,
                             transform=scale)
    val_loader, test_loader = (data.DataLoader(*pair, args.batch_size, transform=scale)
                               for pair in (val, test))
    history = {"val_loss": [], "val_accuracy": [], "epoch_seconds": [], "train_accuracy": []}
    gradient_norms = []
    for epoch in range(1, args.epochs + 1):
        start, correct, seen = time.perf_counter(), 0, 0
        for x, y in loader:
            closure = curvature.Closure(model, loss_fn, x, y)
            loss = common.check_finite(optimizer.step(closure).item(),
                                       f"{method} seed {seed} epoch {epoch} loss")
            correct += int((closure.output.numpy().argmax(axis=1) == y.numpy()).sum())
            seen += len(x)
            gradient_norms.append([len(gradient_norms) + 1, *spectral_norms(model), loss])
        history["epoch_seconds"].append(time.perf_counter() - start)
        history["train_accuracy"].append(100.0 * correct / seen)
        val_loss, val_accuracy = evaluate(model, val_loader, loss_fn)
        common.check_finite(val_loss, f"{method} seed {seed} epoch {epoch} validation loss")
        if hasattr(optimizer, "observe_validation_loss"):
            optimizer.observe_validation_loss(val_loss)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        common.log(f"{method:>12s} seed {seed} epoch {epoch:2d}: train acc "
                   f"{history['train_accuracy'][-1]:.1f}%  val loss {val_loss:.4f} acc "
                   f"{val_accuracy:.1f}%  {history['epoch_seconds'][-1]:.1f}s")
    _, test_accuracy = evaluate(model, test_loader, loss_fn)
    return {"seed": seed, "train": history["train_accuracy"][-1],
            "val": history["val_accuracy"][-1], "test": test_accuracy,
            "seconds": float(sum(history["epoch_seconds"])),
            "switch_epoch": getattr(optimizer, "switch_epoch", None), **history,
            "gradient_norms": gradient_norms}


SUMMARY_KEYS = ("seed", "train", "val", "test", "seconds", "switch_epoch")


def per_seed(runs, keys=None):
    """``{method: [entry, ...]}`` sorted by seed, from ``{"SEED/METHOD": entry}``; with
    ``keys`` only those fields of each entry."""
    grouped = {}
    for key in sorted(runs, key=lambda k: int(k.split("/")[0])):
        entry = runs[key]
        grouped.setdefault(key.split("/", 1)[1], []).append(
            entry if keys is None else {k: entry[k] for k in keys})
    return {m: grouped[m] for m in CONFIGURATIONS if m in grouped}


def tables(stored):
    runs = per_seed(stored["runs"])
    counts = sorted({len(entries) for entries in runs.values()})
    seeds = ("one run per optimizer, no spread" if counts == [1] else
             "mean ± sample std over the n seeds of each row where n ≥ 3 (the values "
             "themselves for n = 2; a single run is marked)")
    epochs = stored["settings"]["epochs"]
    rows_i, rows_ii, rows_switch = [], [], []
    for method, entries in runs.items():
        paper = PAPER_TABLE_I[method]
        rows_i.append([method, len(entries)]
                      + [records.spread([e[k] for e in entries]) for k in ("train", "val", "test")]
                      + [f"{paper[0]} / {paper[1]} / {paper[2]}"])
        rows_ii.append([method, len(entries), records.spread([e["seconds"] for e in entries]),
                        PAPER_TABLE_II[method]])
    for entry in runs.get("Hybrid", []):
        rows_switch.append([entry["seed"], "never" if entry["switch_epoch"] is None
                            else entry["switch_epoch"]])
    best = best_lines(runs)
    text = (f"Table I: accuracy (%) after {epochs} epochs, {seeds}"
            f"\n\n" + common.markdown_table(["optimizer", "n", "train %", "validation %",
                                            "test %", "paper train / val / test %"], rows_i)
            + f"\n\n{best}\n\nTable II: training time (s, {epochs} epochs, "
            f"{stored['settings']['threads']} BLAS thread(s)), {seeds}\n\n" + common.markdown_table(
                ["optimizer", "n", "training time (s)", "paper (s, 15 epochs, K80 GPU)"],
                rows_ii))
    if rows_switch:
        text += ("\n\nHybrid: epoch after which it switched to AdaHessian (validation loss "
                 "first below t_l = 1)\n\n"
                 + common.markdown_table(["seed", "switch epoch"], rows_switch))
    return text


def best_lines(runs):
    """One line per metric naming the optimizer with the best mean (and its mean)."""
    lines = []
    for key, label in (("train", "train"), ("val", "validation"), ("test", "test")):
        means = {m: float(numpy.mean([e[key] for e in entries])) for m, entries in runs.items()}
        top = max(means.values())
        leaders = [m for m, v in means.items() if v == top]
        lines.append(f"best mean {label} accuracy: {', '.join(leaders)} ({top:.2f}%)")
    return "; ".join(lines)


def figures(stored, out):
    runs = per_seed(stored["runs"])
    paths = []
    for number, (key, ylabel) in enumerate((("val_loss", "validation cross-entropy"),
                                            ("val_accuracy", "validation accuracy (%)")),
                                           start=1):
        fig, axes = common.figure(width=6.0, height=4.2)
        ax = axes[0, 0]
        for index, (method, entries) in enumerate(runs.items()):
            curves = numpy.asarray([e[key] for e in entries], dtype=float)
            epochs = numpy.arange(1, curves.shape[1] + 1)
            mean = curves.mean(axis=0)
            line, = ax.plot(epochs, mean, marker="o", markersize=3,
                            linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)],
                            label=f"{method} (n = {len(entries)})")
            if len(entries) > 1:
                std = curves.std(axis=0, ddof=1)
                ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(),
                                alpha=0.15)
        common.epoch_axis(ax)
        ax.set_ylabel(ylabel)
        if key == "val_loss":
            ax.set_yscale("log")
        ax.set_title(f"Figure {number}: ResNet-18 on 2% of MNIST (mean ± std)")
        ax.legend(fontsize=8, framealpha=0.7)
        paths.append(str(common.save_figure(fig, out / f"figure{number}_{key}.png")))
    fig, axes = common.figure(columns=2, width=5.6, height=3.8)
    for index, (method, entries) in enumerate(runs.items()):
        norms = numpy.asarray([e["gradient_norms"] for e in entries], dtype=float).mean(axis=0)
        per_epoch = norms[:, 1:3].reshape(len(entries[0]["val_loss"]), -1, 2).mean(axis=1)
        epochs = numpy.arange(1, len(per_epoch) + 1)
        style = dict(label=method, marker="o", markersize=3,
                     linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)])
        axes[0, 0].plot(epochs, per_epoch[:, 0], **style)
        axes[0, 1].plot(epochs, per_epoch[:, 1], **style)
    for ax, title in zip(axes[0], ("first convolution (mean over 64 filters)",
                                   "last linear layer (10 × 512)")):
        common.epoch_axis(ax)
        ax.set_ylabel("spectral norm of the gradient\n(mean over the epoch's updates)")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, framealpha=0.7)
    fig.tight_layout()
    paths.append(str(common.save_figure(fig, out / "gradient_spectral_norms.png")))
    return paths


def main(argv=None):
    args = arguments(argv)
    runs = {}
    for seed in range(args.seeds_from, args.seeds_from + args.seeds):
        sets, source = seed_data(args, seed)
        runs.update({f"{seed}/{m}": run(args, m, seed, sets, source) for m in args.optimizers})
    results = {**common.run_header(args, exclude=("seeds", "seeds_from", "seed", "optimizers")),
               "data": source, "out": common.out_text(args), "runs": runs,
               "seconds": common.elapsed()}

    def summarise(stored):
        stored["per_seed"] = per_seed(stored["runs"], SUMMARY_KEYS)

    return common.finish_merged(args, NAME, results, "runs", tables, figures, summarise)


if __name__ == "__main__":
    main()
