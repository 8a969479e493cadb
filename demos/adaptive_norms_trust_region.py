"""Trust region with spherical vs ellipsoidal (RMSProp, Adagrad) norms; Hessian diagonal dominance.

Reproduces, at CPU scale, Adolphs et al., "Adaptive norms for deep learning
with regularized Newton methods" (adaptive-norms-trust-region.txt):

1. **Section 5 / Fig. 3 and 9.** A tanh MLP with cross-entropy on MNIST trained
   by the stochastic second-order trust-region method (``optim.TrustRegion``:
   Steihaug-Toint CG on the exact Hessian, at most 10 CG iterations, batch 512
   as in the paper's Table 1) with the spherical norm and with the RMSProp and
   Adagrad ellipsoids (``norm=``), against SGD, Adagrad, RMSProp and Adam with
   batch 32 (the paper's first-order batch size). Progress is counted in
   backpropagations: a gradient is one, every Hessian-vector product one more
   (Pearlmutter's product costs about one backward pass); loss-only trial
   evaluations are forward passes and not counted. Epochs (samples touched by
   gradients and products, over the training set size) are reported too.
2. **Section 3.2 / Fig. 2.** The diagonal share of the absolute Hessian,
   ``δ(H) = Σ|H_ii| / Σ|H_ij|`` (``minigrad.curvature.diagonal_dominance``),
   of a small CNN and a small MLP on an MNIST batch of n images, at
   initialisation and after training, against its baselines at the same
   dimension d: a Gaussian Wigner matrix, ``1/d`` (Prop. 1), and the OLS
   Hessian with n random inputs, ``1/(1 + (d − 1)√(2/(πn)))`` (Prop. 2). The
   Hessian is assembled densely from d products, so the nets are small
   (the paper's are 62k and 411k weights).

The MLP is 784-64-10 here (paper: a larger tanh MLP on Fashion-MNIST and
CIFAR-10); first-order learning rates are common defaults, not a grid search.
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

NAME = "adaptive_norms_trust_region"
PRESETS = {
    "quick": dict(train_size=128, test_size=64, hidden=8, backprops=12, tr_batch=64,
                  first_order_batch=16, every=6, dominance_batch=8, dominance_steps=2,
                  dominance_hidden=1, dominance_nets="mlp"),
    "default": dict(train_size=10000, test_size=2000, hidden=64, backprops=600, tr_batch=512,
                    first_order_batch=32, every=50, dominance_batch=128, dominance_steps=100,
                    dominance_hidden=3, dominance_nets="cnn,mlp"),
    "full": dict(train_size=60000, test_size=10000, hidden=512, backprops=10000, tr_batch=512,
                 first_order_batch=32, every=250, dominance_batch=512, dominance_steps=500,
                 dominance_hidden=6, dominance_nets="cnn,mlp"),
}
TRUST_REGION = dict(radius=1.0, max_radius=100.0, eta1=0.1, eta2=0.75, gamma1=0.5, gamma2=2.0,
                    beta=0.95, max_cg_iter=10, cg_tol=0.1, curvature="hessian")
METHODS = {
    "tr-spherical": ("TR spherical", "trust-region", dict(TRUST_REGION, norm="spherical")),
    "tr-rmsprop": ("TR RMSProp", "trust-region", dict(TRUST_REGION, norm="rmsprop")),
    "tr-adagrad": ("TR Adagrad", "trust-region", dict(TRUST_REGION, norm="adagrad")),
    "sgd": ("SGD", "sgd", dict(lr=0.1)),
    "adagrad": ("Adagrad", "adagrad", dict(lr=0.01)),
    "rmsprop": ("RMSProp", "rmsprop", dict(lr=1e-3)),
    "adam": ("Adam", "adam", dict(lr=1e-3)),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None)
    p.add_argument("--test-size", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None, help="hidden units of the tanh MLP")
    p.add_argument("--backprops", type=int, default=None, help="budget per method")
    p.add_argument("--tr-batch", type=int, default=None, help="trust-region batch (paper: 512)")
    p.add_argument("--first-order-batch", type=int, default=None, help="paper: 32")
    p.add_argument("--every", type=int, default=None, help="backprops between evaluations")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--dominance-batch", type=int, default=None,
                   help="n, images in the batch whose Hessian is measured")
    p.add_argument("--dominance-steps", type=int, default=None,
                   help="Adam steps before the second diagonal-dominance measurement")
    p.add_argument("--dominance-hidden", type=int, default=None,
                   help="hidden units of the MLP whose dense Hessian is measured")
    p.add_argument("--dominance-nets", default=None,
                   help="comma-separated nets for the diagonal-dominance measurement: cnn, mlp")
    args = common.parse(p, argv, PRESETS)
    args.methods = common.method_list(p, args.methods, METHODS)
    return args


def prepare_data(args):
    (train, test), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                           root=args.data_root, download=args.download,
                                           test_size=args.test_size)
    images = lambda a: common.standardized(a, source)  # noqa: E731
    return {"x": images(train[0]), "y": train[1], "test_x": images(test[0]),
            "test_y": test[1], "source": source}


def flat(x):
    return x.reshape(len(x), -1)


def evaluate(model, loss_fn, x, y):
    with minigrad.no_grad():
        logits = model(common.tensor(x))
        loss = float(loss_fn(logits, common.tensor(y)).item())
    return loss, float((minigrad.to_host(logits.data).argmax(axis=1) == y).mean())


def training_run(key, args, data):
    label, name, hyper = METHODS[key]
    nn.init.manual_seed(args.seed)
    model, loss_fn = models.mlp([784, args.hidden, 10], activation="tanh"), nn.CrossEntropyLoss()
    optimizer = optim.create(name, model.parameters(), **hyper)
    second_order = name == "trust-region"
    batch_size = args.tr_batch if second_order else args.first_order_batch
    x, y = flat(data["x"]), data["y"]
    rng, queue, counts = numpy.random.default_rng(args.seed), [], {}
    samples = [0]

    def step(k):
        if not queue:
            queue.extend(common.batches(len(x), batch_size, rng))
        idx = queue.pop(0)
        before = counts.get("backprops", 0) + counts.get("products", 0)
        closure = common.CountingClosure(curvature.Closure(
            model, loss_fn, common.tensor(x[idx]), common.tensor(y[idx])), counts)
        loss = optimizer.step(closure)
        used = counts["backprops"] + counts["products"] - before
        samples[0] += used * len(idx)
        info = {"batch_loss": float(loss.item()), "backprops": used,
                "epochs": samples[0] / len(x)}
        if second_order:
            info["radius"] = optimizer.global_state["radius"]
        return info

    def measure():
        train_loss, train_accuracy = evaluate(model, loss_fn, x, y)
        test_loss, test_accuracy = evaluate(model, loss_fn, flat(data["test_x"]), data["test_y"])
        return {"train_loss": train_loss, "train_accuracy": train_accuracy,
                "test_accuracy": test_accuracy}

    initial = {"step": 0, "time": 0.0, "backprops": 0, "epochs": 0.0, **measure()}
    records = common.run_loop(label, step, args.backprops, measure, args.every, clock="backprops")
    return {"label": label, "records": [initial] + records}


def dominance_measurements(args, data):
    """Diagonal share of the dense Hessian of a small CNN and MLP, at init and after training."""
    x, y = data["x"][:args.dominance_batch], data["y"][:args.dominance_batch]
    nets = {"cnn": ("small CNN", lambda: models.small_cnn(), lambda a: a),
            "mlp": (f"MLP 784-{args.dominance_hidden}-10",
                    lambda: models.mlp([784, args.dominance_hidden, 10], activation="tanh"), flat)}
    rows = []
    for key in args.dominance_nets.split(","):
        name, build, shape = nets[key]
        nn.init.manual_seed(args.seed)
        model, loss_fn = build(), nn.CrossEntropyLoss()
        optimizer = optim.create("adam", model.parameters(), lr=1e-2)
        inputs, labels = common.tensor(shape(x)), common.tensor(y)
        for stage in ("initialisation", f"{args.dominance_steps} Adam steps"):
            if stage != "initialisation":
                for _ in range(args.dominance_steps):
                    optimizer.step(curvature.Closure(model, loss_fn, inputs, labels))
            hessian = minigrad.to_host(curvature.hessian(model, loss_fn, inputs, labels))
            ratio, wigner, ols = curvature.diagonal_dominance(hessian, n_samples=len(x))
            rows.append({"network": name, "parameters": hessian.shape[0], "stage": stage,
                         "loss": evaluate(model, loss_fn, shape(x), y)[0], "ratio": ratio,
                         "wigner": wigner, "ols": ols})
            common.log(f"diagonal share {name}, {stage}: {ratio:.4f} (Wigner {wigner:.2e}, "
                       f"OLS {ols:.4f}, d = {hessian.shape[0]}, n = {len(x)})")
    return rows


def tables(runs, dominance, args):
    rows = []
    for run in runs.values():
        last = run["records"][-1]
        rows.append([run["label"], last["backprops"], last["step"], last["epochs"],
                     last["train_loss"], 100 * last["train_accuracy"],
                     100 * last["test_accuracy"], last["time"]])
    training = common.markdown_table(
        ["method", "backprops", "updates", "epochs", "train loss", "train acc %", "test acc %",
         "seconds"], rows)
    dominance_table = common.markdown_table(
        ["network", "d", "stage", "batch loss", "δ(H)", "Wigner 1/d", "OLS (n random inputs)"],
        [[r["network"], r["parameters"], r["stage"], r["loss"], r["ratio"], r["wigner"], r["ols"]]
         for r in dominance])
    return (f"Training a 784-{args.hidden}-10 tanh MLP for {args.backprops} backpropagations "
            f"(TR batch {args.tr_batch}, first-order batch {args.first_order_batch})\n\n"
            f"{training}\n\nDiagonal share of the absolute Hessian "
            f"(n = {args.dominance_batch})\n\n{dominance_table}")


def figures(runs, args):
    fig, axes = common.figure(columns=3)
    for key, run in runs.items():
        style = "-" if key.startswith("tr-") else "--"
        records = run["records"]
        for ax, x_key in zip(axes[0], ("backprops", "epochs", "time")):
            ax.plot([r[x_key] for r in records], [r["train_loss"] for r in records], style,
                    marker=".", label=run["label"])
    for ax, x_label in zip(axes[0], ("backpropagations", "epochs", "seconds")):
        ax.set_xlabel(x_label)
        ax.set_ylabel("training loss")
        ax.set_yscale("log")
    axes[0, 0].legend(fontsize=7)
    return [str(common.save_figure(fig, args.out / "training_loss.png"))]


def main(argv=None):
    args = arguments(argv)
    data = prepare_data(args)
    runs = {key: training_run(key, args, data) for key in args.methods}
    dominance = dominance_measurements(args, data)
    results = {"data": data["source"], "runs": runs, "dominance": dominance,
               "figures": figures(runs, args)}
    return common.finish(args, NAME, results, tables(runs, dominance, args))


if __name__ == "__main__":
    main()
