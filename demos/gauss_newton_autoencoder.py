"""MNIST deep autoencoder: SGD with momentum and Adam vs the Kronecker-factored KFAC, KFRA, KFLR.

Reproduces, at CPU scale, the MNIST panel of Figure 2 of Botev, Ritter &
Barber, "Practical Gauss-Newton optimisation for deep learning"
(practical-gauss-newton-kfra-kflr.txt):

* the deep autoencoder 784-1000-500-250-30-250-500-1000-784 with logistic
  sigmoids (``models.autoencoder("mnist")``, linear code and output layers);
* the loss is the Bernoulli log-likelihood of the pixels: sigmoid + binary
  cross-entropy on the output logits against the pixel intensities in [0, 1]
  (``models.reconstruction_loss("mnist")``, ``nn.BCEWithLogitsLoss``, which
  averages over the 784 pixels and the batch). The reported **training error**
  is that cross-entropy summed over the 784 pixels of an image and averaged
  over the training (sub)set, in nats per image — 784 × the optimised loss;
* first-order baselines SGD with momentum and Adam; second-order KFAC (Monte
  Carlo Fisher, one sample), KFRA (recursive approximation) and KFLR (exact
  pre-activation Gauss-Newton), ``optim.KFAC/KFRA/KFLR``, each a damped
  block-diagonal Kronecker-factored Gauss-Newton step with running averages
  of the factors (the paper's "momentum on the curvature matrix");
* the figure shows the mini-batch error (sliding window of ten, as the paper)
  per update (the paper's second row) and per second (its first row, there on
  a GPU); the table gives the final training error.

The paper runs 40,000 first-order and 5,000 second-order updates on 60,000
images (``--full`` sets that scale); the default uses 10,000 images, batch 250
and a wall-clock budget per method so that it finishes in minutes on a CPU.
Hyper-parameters are set by hand here, not by the paper's grid search: the
Kronecker-factored methods take the damped Gauss-Newton step (lr = 1, factored
Tikhonov damping γ = 10⁻², factor running-average decay 0.95), chosen from a
few 6-update trials of KFRA (γ = 10⁻³ and 10⁻⁴ were faster at first but
unstable).
"""
import pathlib
import sys

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import common  # noqa: E402
from minigrad import curvature, nn  # noqa: E402

NAME = "gauss_newton_autoencoder"
PIXELS = 784
METHODS = {
    "sgd": ("SGD momentum", "sgd", dict(lr=1.0, momentum=0.9), False),
    "adam": ("Adam", "adam", dict(lr=1e-3), False),
    "kfac": ("KFAC", "kfac", dict(lr=1.0, damping=1e-2, decay=0.95, momentum=0.0, seed=0), True),
    "kfra": ("KFRA", "kfra", dict(lr=1.0, damping=1e-2, decay=0.95, momentum=0.0), True),
    "kflr": ("KFLR", "kflr", dict(lr=1.0, damping=1e-2, decay=0.95, momentum=0.0), True),
}
PRESETS = {
    "quick": dict(train_size=64, batch_size=16, first_order_steps=3, second_order_steps=2,
                  every=1, eval_size=32, time_budget=None, width="tiny"),
    "default": dict(train_size=10000, batch_size=250, first_order_steps=2000,
                    second_order_steps=400, every=10, eval_size=2000, time_budget=60.0,
                    width="paper"),
    "full": dict(train_size=60000, batch_size=1000, first_order_steps=40000,
                 second_order_steps=5000, every=100, eval_size=10000, time_budget=None,
                 width="paper"),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None, help="MNIST training images")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--first-order-steps", type=int, default=None, help="paper: 40,000")
    p.add_argument("--second-order-steps", type=int, default=None, help="paper: 5,000")
    p.add_argument("--every", type=int, default=None, help="updates between evaluations")
    p.add_argument("--eval-size", type=int, default=None,
                   help="training images on which the training error is evaluated")
    p.add_argument("--time-budget", type=float, default=None,
                   help="seconds of updates per method (default run: 60)")
    p.add_argument("--width", choices=("paper", "tiny"), default=None,
                   help="paper: the 784-1000-500-250-30 autoencoder; tiny: a 784-32-8 "
                        "mirrored sigmoid autoencoder for smoke tests")
    p.add_argument("--methods", default=",".join(METHODS))
    args = common.parse(p, argv, PRESETS)
    args.methods = common.method_list(p, args.methods, METHODS)
    return args


def build_model(args):
    nn.init.manual_seed(args.seed)
    if args.width == "paper":
        return models.autoencoder("mnist")
    return models.mlp([PIXELS, 32, 8, 32, PIXELS], activation="sigmoid")


def training_error(model, loss_fn, x):
    """Cross-entropy summed over the pixels, averaged over the images of ``x`` (nats/image)."""
    with minigrad.no_grad():
        inputs = common.tensor(x)
        return PIXELS * float(loss_fn(model(inputs), inputs).item())


def training_run(key, args, x):
    label, name, hyper, second_order = METHODS[key]
    model, loss_fn = build_model(args), models.reconstruction_loss("mnist")
    optimizer = optim.create(name, model.parameters(), **hyper)
    rng, queue, batch_errors = numpy.random.default_rng(args.seed), [], []
    evaluation = x[:args.eval_size]

    def step(k):
        if not queue:
            queue.extend(common.batches(len(x), args.batch_size, rng))
        batch = common.tensor(x[queue.pop(0)])
        loss = optimizer.step(curvature.Closure(model, loss_fn, batch, batch))
        batch_errors.append((k, PIXELS * float(loss.item())))
        return {"batch_error": batch_errors[-1][1]}

    steps = args.second_order_steps if second_order else args.first_order_steps
    initial = {"step": 0, "time": 0.0, "error": training_error(model, loss_fn, evaluation)}
    records = common.run_loop(label, step, steps,
                              lambda: {"error": training_error(model, loss_fn, evaluation)},
                              args.every, time_budget=args.time_budget)
    seconds_per_update = records[-1]["time"] / records[-1]["step"]
    return {"label": label, "records": [initial] + records, "batch_errors": batch_errors,
            "seconds_per_update": seconds_per_update,
            "final_error": training_error(model, loss_fn, x)}


def sliding_window(values, window=10):
    """Means of ``values`` over the last ``window`` entries (fewer at the start)."""
    values = numpy.asarray(values, dtype=float)
    sums = numpy.cumsum(numpy.concatenate([[0.0], values]))
    counts = numpy.minimum(numpy.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[numpy.arange(1, len(values) + 1) - counts]) / counts


def table(runs, args):
    rows = [[run["label"], run["records"][-1]["step"], run["records"][-1]["time"],
             run["seconds_per_update"], run["records"][0]["error"], run["final_error"]]
            for run in runs.values()]
    return (f"Training error of the MNIST autoencoder (cross-entropy summed over pixels, "
            f"nats per image, on {args.train_size} training images; batch {args.batch_size})"
            f"\n\n" + common.markdown_table(
                ["method", "updates", "seconds", "s / update", "initial error",
                 "final training error"], rows))


def figure(runs, args):
    fig, axes = common.figure(columns=2)
    for index, run in enumerate(runs.values()):
        steps = [k for k, _ in run["batch_errors"]]
        smooth = sliding_window([e for _, e in run["batch_errors"]])
        style = dict(label=run["label"], marker="." if len(steps) < 20 else None,
                     linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)])
        axes[0, 0].plot(numpy.asarray(steps) * run["seconds_per_update"], smooth, **style)
        axes[0, 1].plot(steps, smooth, **style)
    for ax, x_label in zip(axes[0], ("seconds (CPU)", "updates")):
        ax.set_xlabel(x_label)
        ax.set_ylabel("mini-batch error (nats / image, window 10)")
        ax.set_xscale("log")
        ax.legend(fontsize=8, framealpha=0.6)
    fig.suptitle("MNIST autoencoder (cf. Botev et al. 2017, Figure 2)")
    return [str(common.save_figure(fig, args.out / "figure2_mnist_autoencoder.png"))]


def main(argv=None):
    args = arguments(argv)
    (train,), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                      root=args.data_root, download=args.download)
    x = common.pixels(train[0])
    runs = {key: training_run(key, args, x) for key in args.methods}
    results = {"data": source, "runs": runs, "figures": figure(runs, args)}
    return common.finish(args, NAME, results, table(runs, args))


if __name__ == "__main__":
    main()
