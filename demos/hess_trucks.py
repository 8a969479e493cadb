"""Hess-Trucks: line-search GD and L-BFGS training, SWA/SWAG, and the Hessian = GN + residual split.

Reproduces the experiments sketched in Salkey, Benton & Maddox, "Hess-Trucks:
Leveraging eigenspaces for optimizing deep networks"
(hess-trucks-line-search-lbfgs.txt):

* full-batch training (the paper assumes gradients "without stochasticity") of
  a tanh MLP on an MNIST subset by gradient descent with backtracking Armijo
  line search (Algorithms 1–2, ``optim.GradientDescentLineSearch``, α₀ = 1,
  ρ = 0.5, c = 10⁻⁴) and by L-BFGS with the same line search (Algorithms 3–4,
  ``optim.LBFGS``, history m = 10);
* the Hessian split of §2, ``H = GN + R`` with ``GN = Jᵀ H_z J`` and the
  residual ``R = Σ_z (∂L/∂z) ∇²z`` (``minigrad.curvature.residual_split``):
  the top eigenvalues of H, GN and R (Lanczos) and their traces (Hutchinson,
  shared probes) on a fixed curvature batch, every few iterations — the paper's
  hypothesis is that GN's eigenvalues grow (explaining the growth of H's) while
  the residual's trace decays;
* SWA and SWAG (§3, ``optim.SWA``, ``optim.SWAG``): mini-batch SGD with
  momentum, then a constant learning rate while averaging the iterates; test
  accuracy and NLL of the last SGD iterate, the SWA average and the SWAG
  Bayesian model average (``scale`` = ½, low-rank plus diagonal covariance).

The paper's experiments section is empty, so sizes are chosen here: a
784-32-10 tanh MLP (25,450 parameters; tanh, not ReLU, because for a ReLU
network ``tr R = 0`` exactly, every logit being linear in each single layer's
weights) in float64, cross-entropy. ``--full`` trains on 10,000 images.
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
from minigrad.ops.activation import Softmax  # noqa: E402

NAME = "hess_trucks"
PRESETS = {
    "quick": dict(train_size=100, test_size=50, hidden=8, steps=4, measure_every=2,
                  curvature_size=50, top_k=2, trace_probes=3, lanczos_iters=8, sgd_epochs=2,
                  swag_samples=2),
    "default": dict(train_size=2000, test_size=1000, hidden=32, steps=150, measure_every=15,
                    curvature_size=500, top_k=3, trace_probes=20, lanczos_iters=30,
                    sgd_epochs=20, swag_samples=10),
    "full": dict(train_size=10000, test_size=10000, hidden=32, steps=500, measure_every=25,
                 curvature_size=1000, top_k=5, trace_probes=50, lanczos_iters=40,
                 sgd_epochs=40, swag_samples=30),
}
FULL_BATCH = {
    "gd-armijo": ("GD + Armijo", dict(lr=1.0, rho=0.5, c=1e-4)),
    "lbfgs": ("L-BFGS + Armijo", dict(lr=1.0, max_iter=1, history_size=10,
                                       line_search_fn="armijo")),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None)
    p.add_argument("--test-size", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None, help="hidden units of the tanh MLP")
    p.add_argument("--steps", type=int, default=None, help="full-batch iterations per method")
    p.add_argument("--measure-every", type=int, default=None,
                   help="iterations between curvature measurements")
    p.add_argument("--curvature-size", type=int, default=None,
                   help="training images in the fixed curvature batch")
    p.add_argument("--top-k", type=int, default=None, help="eigenvalues per matrix")
    p.add_argument("--trace-probes", type=int, default=None, help="Hutchinson probes")
    p.add_argument("--lanczos-iters", type=int, default=None)
    p.add_argument("--sgd-epochs", type=int, default=None, help="epochs of the SGD/SWA run")
    p.add_argument("--swag-samples", type=int, default=None, help="SWAG model-average samples")
    return common.parse(p, argv, PRESETS)


def prepare_data(args):
    (train, test), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                           root=args.data_root, download=args.download,
                                           test_size=args.test_size)
    flat = lambda images: common.standardized(images, source, numpy.float64).reshape(  # noqa: E731
        len(images), -1)
    return {"x": flat(train[0]), "y": train[1], "test_x": flat(test[0]), "test_y": test[1],
            "source": source}


def build_model(args):
    nn.init.manual_seed(args.seed)
    return models.mlp([784, args.hidden, 10], activation="tanh")


def evaluate(model, loss_fn, x, y):
    """``(mean cross-entropy, accuracy)`` of ``model`` on arrays ``x``, ``y`` (no graph)."""
    with minigrad.no_grad():
        logits = model(common.tensor(x))
        loss = float(loss_fn(logits, common.tensor(y)).item())
    accuracy = float((minigrad.to_host(logits.data).argmax(axis=1) == y).mean())
    return loss, accuracy


def measure_curvature(model, loss_fn, batch, args):
    """Top eigenvalues and traces of H, GN and R = H − GN on the curvature batch."""
    split = curvature.residual_split(model, loss_fn, batch[0], batch[1], k=args.top_k,
                                     trace_probes=args.trace_probes, iters=args.lanczos_iters,
                                     seed=args.seed)
    record = {}
    for key, summary in zip(("H", "GN", "R"), split):
        record[f"lambda1_{key}"] = float(summary.top_eigenvalues[0])
        record[f"trace_{key}"] = float(summary.trace)
        record[f"eigenvalues_{key}"] = [float(v) for v in summary.top_eigenvalues]
    return record


def full_batch_run(key, args, data):
    label, hyper = FULL_BATCH[key]
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    optimizer = optim.create(key, model.parameters(), **hyper)
    x, y = common.tensor(data["x"]), common.tensor(data["y"])
    batch = (common.tensor(data["x"][:args.curvature_size]),
             common.tensor(data["y"][:args.curvature_size]))
    counts, spectra = {}, []

    def step(k):
        before = dict(counts)
        loss = optimizer.step(common.CountingClosure(curvature.Closure(model, loss_fn, x, y),
                                                     counts))
        return {"loss": float(loss.item()),
                "backprops": counts["backprops"] - before.get("backprops", 0),
                "forwards": counts["forwards"]}

    def measure():
        record = measure_curvature(model, loss_fn, batch, args)
        spectra.append({k: v for k, v in record.items() if k.startswith("eigenvalues")})
        test_loss, test_accuracy = evaluate(model, loss_fn, data["test_x"], data["test_y"])
        return {"test_accuracy": test_accuracy,
                **{k: v for k, v in record.items() if not k.startswith("eigenvalues")}}

    initial = {"step": 0, "time": 0.0, "backprops": 0, "forwards": 0,
               "loss": evaluate(model, loss_fn, data["x"], data["y"])[0], **measure()}
    records = [initial] + common.run_loop(label, step, args.steps, measure, args.measure_every)
    train_loss, train_accuracy = evaluate(model, loss_fn, data["x"], data["y"])
    return {"label": label, "records": records, "spectra": spectra, "train_loss": train_loss,
            "train_accuracy": train_accuracy, "test_accuracy": records[-1]["test_accuracy"]}


def swa_run(args, data):
    """SGD with momentum, then SWA averaging and SWAG collection at a constant learning rate."""
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    batch_size = 128
    steps_per_epoch = -(-len(data["x"]) // batch_size)
    swa_start = steps_per_epoch * (args.sgd_epochs // 2)
    optimizer = optim.SWA(optim.create("sgd", model.parameters(), lr=0.05, momentum=0.9),
                          swa_start=swa_start, swa_freq=steps_per_epoch, swa_lr=0.02)
    swag = optim.SWAG(model.parameters(), max_num_models=20, seed=args.seed)
    rng = numpy.random.default_rng(args.seed)
    history = []
    for epoch in range(1, args.sgd_epochs + 1):
        for idx in common.batches(len(data["x"]), batch_size, rng):
            closure = curvature.Closure(model, loss_fn, common.tensor(data["x"][idx]),
                                        common.tensor(data["y"][idx]))
            optimizer.step(closure)
        if optimizer.step_counter > swa_start:
            swag.collect()
        test_loss, test_accuracy = evaluate(model, loss_fn, data["test_x"], data["test_y"])
        history.append({"epoch": epoch, "test_loss": test_loss, "test_accuracy": test_accuracy})
        common.log(f"{'SGD + SWA':>14s} epoch {epoch:3d}  test loss {test_loss:.4f}  "
                   f"acc {test_accuracy:.4f}  averaged {optimizer.n_averaged}")
    last = evaluate(model, loss_fn, data["test_x"], data["test_y"])
    current = [p.data.copy() for p in model.parameters()]
    optimizer.swap_swa_sgd()
    averaged = evaluate(model, loss_fn, data["test_x"], data["test_y"])
    optimizer.swap_swa_sgd()
    swag_result = swag_model_average(model, swag, data, args)
    for p, value in zip(model.parameters(), current):
        p.data = value
    return {"history": history, "sgd": last, "swa": averaged, "swag": swag_result,
            "n_averaged": optimizer.n_averaged, "n_swag_models": swag.n_models}


def swag_model_average(model, swag, data, args):
    """``(NLL, accuracy)`` of the mean predictive distribution over SWAG samples."""
    probabilities = 0
    for s in range(args.swag_samples):
        swag.sample(scale=0.5, cov=swag.n_models >= 2, seed=args.seed + s)
        with minigrad.no_grad():
            logits = minigrad.to_host(model(common.tensor(data["test_x"])).data)
        probabilities = probabilities + Softmax().forward(logits, 1)
    probabilities = probabilities / args.swag_samples
    labels = data["test_y"]
    nll = float(-numpy.log(probabilities[numpy.arange(len(labels)), labels] + 1e-12).mean())
    return nll, float((probabilities.argmax(axis=1) == labels).mean())


def tables(runs, swa):
    rows = []
    for run in runs.values():
        first, last = run["records"][0], run["records"][-1]
        rows.append([run["label"], last["step"], last["backprops"], last["forwards"],
                     run["train_loss"], 100 * run["test_accuracy"],
                     f"{first['lambda1_H']:.3g} → {last['lambda1_H']:.3g}",
                     f"{first['lambda1_GN']:.3g} → {last['lambda1_GN']:.3g}",
                     f"{first['trace_GN']:.3g} → {last['trace_GN']:.3g}",
                     f"{first['trace_R']:.3g} → {last['trace_R']:.3g}"])
    curvature_table = common.markdown_table(
        ["method", "iterations", "gradients", "extra loss evals", "train loss", "test acc %",
         "λ₁(H)", "λ₁(GN)", "tr GN", "tr R"], rows)
    swa_rows = [[name, nll, 100 * accuracy] for name, (nll, accuracy) in
                (("SGD (last iterate)", swa["sgd"]), (f"SWA ({swa['n_averaged']} iterates)",
                                                      swa["swa"]),
                 (f"SWAG BMA ({swa['n_swag_models']} models)", swa["swag"]))]
    swa_table = common.markdown_table(["model", "test NLL", "test acc %"], swa_rows)
    return (f"Full-batch training and the split H = GN + R (start → end)\n\n{curvature_table}"
            f"\n\nSWA / SWAG after SGD with momentum\n\n{swa_table}")


def figures(runs, swa, out):
    fig, axes = common.figure(columns=3)
    for run in runs.values():
        steps = [r["step"] for r in run["records"]]
        axes[0, 0].plot(steps, [r["loss"] for r in run["records"]], marker=".",
                        label=run["label"])
        for key, style in (("H", "-"), ("GN", "--")):
            axes[0, 1].plot(steps, [r[f"lambda1_{key}"] for r in run["records"]], style,
                            marker=".", label=f"λ₁({key}), {run['label']}")
        for key, style in (("H", "-"), ("GN", "--"), ("R", ":")):
            axes[0, 2].plot(steps, [r[f"trace_{key}"] for r in run["records"]], style,
                            marker=".", label=f"tr {key}, {run['label']}")
    titles = ("training loss", "top eigenvalue", "trace (Hutchinson)")
    labels = ("full-batch training loss", "largest eigenvalue λ₁", "trace")
    for ax, title, label in zip(axes[0], titles, labels):
        ax.set_xlabel("iteration")
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.legend(fontsize=7, framealpha=0.8, loc="upper right")
    axes[0, 0].set_yscale("log")
    axes[0, 2].set_ylim(top=1.6 * max(r["trace_H"] for run in runs.values()
                                      for r in run["records"]))
    paths = [str(common.save_figure(fig, out / "curvature_during_training.png"))]
    fig, axes = common.figure()
    ax = axes[0, 0]
    ax.plot([h["epoch"] for h in swa["history"]],
            [100 * h["test_accuracy"] for h in swa["history"]], marker=".", label="SGD iterate")
    ax.axhline(100 * swa["swa"][1], color="C1", label="SWA")
    ax.axhline(100 * swa["swag"][1], color="C2", linestyle="--", label="SWAG BMA")
    common.epoch_axis(ax)
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    paths.append(str(common.save_figure(fig, out / "swa_swag.png")))
    return paths


def main(argv=None):
    args = arguments(argv)
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype("float64")
    try:
        data = prepare_data(args)
        runs = {key: full_batch_run(key, args, data) for key in FULL_BATCH}
        swa = swa_run(args, data)
    finally:
        minigrad.set_default_dtype(previous)
    results = {"data": data["source"], "runs": runs, "swa": swa,
               "figures": figures(runs, swa, args.out)}
    return common.finish(args, NAME, results, tables(runs, swa))


if __name__ == "__main__":
    main()
