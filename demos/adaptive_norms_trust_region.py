"""Trust region and ARC with spherical and ellipsoidal norms on five problems; diagonal dominance.

Reproduces, at CPU scale, Adolphs, Kohler & Lucchi, "Adaptive norms for deep
learning with regularized Newton methods" (2019):

1. **Section 5 and Appendix I (Figures 3, 9–11).** The stochastic trust-region
   method (``optim.TrustRegion``: Steihaug-Toint CG on the exact Hessian, at
   most 10 CG iterations, CG tolerance 0.1, as in the paper's Table 1) with the
   spherical norm and the RMSProp and Adagrad ellipsoids (``norm=``), and
   adaptive cubic regularisation (``optim.CubicRegularization``, Lanczos
   subproblem, at most 10 Krylov iterations) with the spherical and the RMSProp
   norm, against SGD, Adagrad, RMSProp and Adam at batch 32 (the paper's
   first-order batch size), on five problems:

   * ``mlp``: a 784-H-10 tanh MLP with cross-entropy on an MNIST subset
     (second-order batch 512, the paper's);
   * ``autoencoder``: a sigmoid autoencoder 784-E₁-…-E_k-…-784 (sigmoid in all
     but the code and the output layer, the layout of Hinton & Salakhutdinov
     2006 that the paper uses, narrower), PyTorch's default initialisation,
     binary cross-entropy on the logits averaged over pixels and images
     (``nn.BCEWithLogitsLoss()``) on an MNIST subset (second-order batch 512);
     it starts at about 0.70, and a method that descends first reaches a plateau
     (the paper's saddle case), which it then leaves or not; the table gives the
     backpropagations each run took to get below 0.25 (the values themselves where
     not every seed got there);
   * ``cnn``: a two-convolution ReLU CNN with cross-entropy on a CIFAR-10
     subset (second-order batch 128, the paper's batch for its CIFAR-10 ResNet);
   * ``cifar-mlp``: the paper's CIFAR-10 MLP row, a 3072-H-10 tanh MLP (H as
     the MNIST MLP's) with cross-entropy on the CIFAR-10 subset (second-order
     batch 512);
   * ``cifar-autoencoder``: the paper's CIFAR-10 autoencoder row, the
     convolutional autoencoder it names (github.com/jellycsc/PyTorch-CIFAR-10-autoencoder):
     Conv2d(3→12→24→48, 4×4, stride 2, padding 1, ReLU) and
     ConvTranspose2d(48→24→12→3, same geometry, ReLU but after the last), binary
     cross-entropy of the logits against the pixels in [0, 1], averaged
     (``nn.BCEWithLogitsLoss()``, the reference's Sigmoid + ``BCELoss`` in one), on the
     CIFAR-10 subset (second-order batch 512).

   The paper's Fashion-MNIST rows are not run: the data this project reads has no
   Fashion-MNIST (``--data-root`` with ``--download`` would fetch it, but no problem here
   uses it).

   Within a seed every method starts from the same weights
   (``nn.init.manual_seed(seed)`` before the model is built) and sees the same
   data subset; seeds differ in data subset, weights and batch order. Progress
   is counted in backpropagations: a gradient is one, every Hessian-vector
   product one more (Pearlmutter's product costs about one backward pass);
   loss-only trial evaluations are forward passes and not counted. Every method
   gets the same budget of backpropagations; the training loss (on a fixed
   evaluation subset of the training set) and the test metric are measured
   ``--evaluations`` times per run, evenly spaced. Tables give mean ± sample std over the
   seeds where there are at least 3 (the values themselves for fewer); figures the mean
   over seeds against backpropagations and against seconds with a ± std band (each
   seed's curve interpolated onto the common backpropagation grid).
2. **Section 3.2 / Figure 2.** The diagonal share of the absolute Hessian,
   ``δ(H) = Σ|H_ii| / Σ|H_ij|`` (``minigrad.curvature.diagonal_dominance``),
   of a small CNN and a small tanh MLP on MNIST batches of several sizes n, at
   initialisation and after Adam training, against its baselines at the same
   dimension d: a Gaussian Wigner matrix, ``1/d`` (Prop. 1), and the OLS
   Hessian with n random inputs, ``1/(1 + (d − 1)√(2/(πn)))`` (Prop. 2). The
   Hessian is assembled densely from d products, so the nets are small (the
   paper's are 62k and 411k weights).

Problems and seeds may run as separate processes (``--problems mlp --seeds-from
S --seeds N``; ``--problems dominance`` for part 2): each adds its runs
(``"runs"``, keyed ``"PROBLEM/SEED/METHOD"``) and measurements to the run of
the same settings in ``--out``; ``"per_seed"``, ``"curves"`` (keyed
``"PROBLEM/SEED/METHOD"``, points ``[backprops, seconds, training loss]``),
the tables and the figures are rebuilt from all of them.
"""
import pathlib
import sys

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import common, records  # noqa: E402
from minigrad import curvature, nn  # noqa: E402

NAME = "adaptive_norms_trust_region"
PRESETS = {
    "quick": dict(seeds=1, mnist_train=128, cifar_train=64, eval_size=64, test_size=64,
                  mlp_hidden=8, autoencoder_sizes="784,16,4", cnn_channels="2,4", mlp_backprops=12,
                  autoencoder_backprops=12, cnn_backprops=12, cifar_mlp_backprops=12,
                  cifar_autoencoder_backprops=12, tr_batch=64, cnn_tr_batch=32,
                  first_order_batch=16, evaluations=2,
                  dominance_batches="8,16", dominance_steps=2, dominance_hidden=1,
                  dominance_nets="mlp",
                  problems="mlp,autoencoder,cnn,cifar-mlp,cifar-autoencoder,dominance"),
    "default": dict(seeds=3, mnist_train=10000, cifar_train=4000, eval_size=2000,
                    test_size=1000, mlp_hidden=64, autoencoder_sizes="784,128,32,8",
                    cnn_channels="8,16", mlp_backprops=3000, autoencoder_backprops=1500,
                    cnn_backprops=600, cifar_mlp_backprops=3000, cifar_autoencoder_backprops=240,
                    tr_batch=512, cnn_tr_batch=128, first_order_batch=32,
                    evaluations=30, dominance_batches="8,32,128,512",
                    dominance_steps=200, dominance_hidden=3, dominance_nets="cnn,mlp",
                    problems="mlp,autoencoder,cnn,cifar-mlp,cifar-autoencoder,dominance"),
    # larger than the default, not the paper's data (Fashion-MNIST) nor its nets (ResNet-18)
    # nor its budgets
    "full": dict(seeds=5, mnist_train=60000, cifar_train=4000, eval_size=10000,
                 test_size=1000, mlp_hidden=512, autoencoder_sizes="784,1000,500,250,30",
                 cnn_channels="32,64", mlp_backprops=10000, autoencoder_backprops=10000,
                 cnn_backprops=10000, cifar_mlp_backprops=10000,
                 cifar_autoencoder_backprops=10000, tr_batch=512, cnn_tr_batch=128,
                 first_order_batch=32,
                 evaluations=40, dominance_batches="8,32,128,512,2048",
                 dominance_steps=500, dominance_hidden=6, dominance_nets="cnn,mlp",
                 problems="mlp,autoencoder,cnn,cifar-mlp,cifar-autoencoder,dominance"),
}
PROBLEMS = ("mlp", "autoencoder", "cnn", "cifar-mlp", "cifar-autoencoder")
CIFAR = ("cnn", "cifar-mlp", "cifar-autoencoder")
AUTOENCODERS = ("autoencoder", "cifar-autoencoder")
TRUST_REGION = dict(radius=1.0, max_radius=100.0, eta1=0.1, eta2=0.75, gamma1=0.5, gamma2=2.0,
                    beta=0.95, max_cg_iter=10, cg_tol=0.1, curvature="hessian")
CUBIC = dict(sigma=1.0, eta1=0.1, eta2=0.9, gamma=2.0, beta=0.95, max_krylov_iter=10,
             krylov_tol=0.1, curvature="hessian")
METHODS = {
    "tr-spherical": ("TR spherical", "trust-region", dict(TRUST_REGION, norm="spherical")),
    "tr-rmsprop": ("TR RMSProp", "trust-region", dict(TRUST_REGION, norm="rmsprop")),
    "tr-adagrad": ("TR Adagrad", "trust-region", dict(TRUST_REGION, norm="adagrad")),
    "arc-spherical": ("ARC spherical", "arc", dict(CUBIC, norm="spherical")),
    "arc-rmsprop": ("ARC RMSProp", "arc", dict(CUBIC, norm="rmsprop")),
    "sgd": ("SGD", "sgd", dict(lr=0.1)),
    "adagrad": ("Adagrad", "adagrad", dict(lr=0.01)),
    "rmsprop": ("RMSProp", "rmsprop", dict(lr=1e-3)),
    "adam": ("Adam", "adam", dict(lr=1e-3)),
}
SECOND_ORDER = ("trust-region", "arc")
PLATEAU_EXIT = 0.25  # autoencoder training loss below the mean-image plateau (≈ 0.26 on MNIST)
ADAPTED = {"trust-region": "radius", "arc": "sigma"}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--problems", default=None,
                   help=f"comma-separated subset of {','.join(PROBLEMS)},dominance")
    p.add_argument("--seeds", type=int, default=None, help="seeds to run per problem")
    p.add_argument("--seeds-from", type=int, default=0, help="first seed")
    p.add_argument("--mnist-train", type=int, default=None, help="MNIST training subset")
    p.add_argument("--cifar-train", type=int, default=None, help="CIFAR-10 training subset")
    p.add_argument("--eval-size", type=int, default=None,
                   help="training images on which the training loss is measured")
    p.add_argument("--test-size", type=int, default=None)
    p.add_argument("--mlp-hidden", type=int, default=None,
                   help="hidden units of the tanh MLPs (MNIST and CIFAR-10)")
    p.add_argument("--autoencoder-sizes", default=None,
                   help="encoder layer sizes down to the code, e.g. 784,128,32,8 (mirrored)")
    p.add_argument("--cnn-channels", default=None, help="channels of the CNN's two convolutions")
    for problem in PROBLEMS:
        p.add_argument(f"--{problem}-backprops", type=int, default=None,
                       help=f"backpropagations per {problem} run (every method's budget)")
    p.add_argument("--tr-batch", type=int, default=None,
                   help="second-order batch of the MLPs and the autoencoders (paper: 512)")
    p.add_argument("--cnn-tr-batch", type=int, default=None,
                   help="second-order batch of the CNN (paper's CIFAR-10 ResNet: 128)")
    p.add_argument("--first-order-batch", type=int, default=None, help="paper: 32")
    p.add_argument("--evaluations", type=int, default=None,
                   help="measurements per run after the initial one (evenly spaced in backprops)")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--dominance-batches", default=None,
                   help="comma-separated batch sizes n whose Hessians are measured")
    p.add_argument("--dominance-steps", type=int, default=None,
                   help="Adam steps (batch 128) before the second diagonal-dominance measurement")
    p.add_argument("--dominance-hidden", type=int, default=None,
                   help="hidden units of the MLP whose dense Hessian is measured")
    p.add_argument("--dominance-nets", default=None,
                   help="comma-separated nets for the diagonal-dominance measurement: cnn, mlp")
    args = common.parse(p, argv, PRESETS, merge=True)
    args.methods = common.method_list(p, args.methods, METHODS)
    args.problems = common.method_list(p, args.problems, PROBLEMS + ("dominance",))
    return args


def sizes(text):
    return [int(v) for v in text.split(",")]


def flat(x):
    return x.reshape(len(x), -1)


def cnn(channels, in_channels=3, num_classes=10, image=32):
    """Conv(3×3) → ReLU → MaxPool(2), twice, then a linear classifier (32×32 CIFAR-10 input)."""
    first, second = channels
    side = ((image - 2) // 2 - 2) // 2
    return nn.Sequential(nn.Conv2d(in_channels, first, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(first, second, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(second * side * side, num_classes))


def cifar_autoencoder():
    """The convolutional CIFAR-10 autoencoder (3×32×32 → 48×4×4 → 3×32×32), logits out."""
    layers = []
    for fan_in, fan_out in ((3, 12), (12, 24), (24, 48)):
        layers += [nn.Conv2d(fan_in, fan_out, 4, stride=2, padding=1), nn.ReLU()]
    for fan_in, fan_out in ((48, 24), (24, 12), (12, 3)):
        layers += [nn.ConvTranspose2d(fan_in, fan_out, 4, stride=2, padding=1), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def autoencoder(encoder):
    """``encoder`` mirrored into a decoder; sigmoid after every layer but the code and output."""
    layer_sizes = encoder + encoder[-2::-1]
    code_layer = len(encoder) - 2
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i not in (code_layer, len(layer_sizes) - 2):
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def problem_data(problem, args, seed):
    """``{"x", "y", "eval_x", "eval_y", "test_x", "test_y", "source"}`` of ``problem``."""
    name, size = ("cifar10", args.cifar_train) if problem in CIFAR else \
        ("mnist", args.mnist_train)
    (train, test), source = common.subsets(name, [size], seed=seed, root=args.data_root,
                                           download=args.download, test_size=args.test_size)
    if problem in AUTOENCODERS:
        x, test_x = common.pixels(train[0]), common.pixels(test[0])
        if problem == "cifar-autoencoder":
            x, test_x = x.reshape(train[0].shape), test_x.reshape(test[0].shape)
        y, test_y = x, test_x
    else:
        x, test_x = common.standardized(train[0], source), common.standardized(test[0], source)
        y, test_y = train[1], test[1]
        if problem in ("mlp", "cifar-mlp"):
            x, test_x = flat(x), flat(test_x)
    return {"x": x, "y": y, "eval_x": x[:args.eval_size], "eval_y": y[:args.eval_size],
            "test_x": test_x, "test_y": test_y, "source": source}


def problem_model(problem, args):
    """``(model, loss)`` of ``problem`` (weights drawn from the current ``nn.init`` seed)."""
    if problem in ("mlp", "cifar-mlp"):
        inputs = 784 if problem == "mlp" else 3072
        return models.mlp([inputs, args.mlp_hidden, 10], activation="tanh"), \
            nn.CrossEntropyLoss()
    if problem == "autoencoder":
        return autoencoder(sizes(args.autoencoder_sizes)), nn.BCEWithLogitsLoss()
    if problem == "cifar-autoencoder":
        return cifar_autoencoder(), nn.BCEWithLogitsLoss()
    return cnn(sizes(args.cnn_channels)), nn.CrossEntropyLoss()


def budget_of(problem, settings):
    """Backpropagations per run of ``problem`` (from the run's settings dict)."""
    return settings[f"{problem.replace('-', '_')}_backprops"]


def second_order_batch(problem, settings):
    """The trust-region and ARC batch of ``problem`` (from the run's settings dict)."""
    return settings["cnn_tr_batch"] if problem == "cnn" else settings["tr_batch"]


def problem_label(problem, settings):
    """A title naming ``problem``'s data and net from the run's ``settings`` dict."""
    if problem == "mlp":
        return f"MNIST MLP 784-{settings['mlp_hidden']}-10 (tanh)"
    if problem == "cifar-mlp":
        return f"CIFAR-10 MLP 3072-{settings['mlp_hidden']}-10 (tanh)"
    if problem == "cifar-autoencoder":
        return "CIFAR-10 conv autoencoder 3-12-24-48-24-12-3 (ReLU)"
    if problem == "autoencoder":
        encoder = sizes(settings["autoencoder_sizes"])
        return f"MNIST autoencoder {'-'.join(map(str, encoder + encoder[-2::-1]))} (sigmoid)"
    first, second = sizes(settings["cnn_channels"])
    return f"CIFAR-10 CNN conv{first}-conv{second}-linear (ReLU)"


def test_metric(problem):
    """``(key, column header)`` of the test measurement of ``problem``."""
    return ("test_loss", "test loss") if problem in AUTOENCODERS else \
        ("test_accuracy", "test acc %")


def evaluate(model, loss_fn, x, y, chunk=1000):
    """``(mean loss, accuracy or None)`` over ``(x, y)`` in chunks, without gradients."""
    total, correct = 0.0, 0
    classify = y.ndim == 1
    with minigrad.no_grad():
        for start in range(0, len(x), chunk):
            xs, ys = x[start:start + chunk], y[start:start + chunk]
            logits = model(common.tensor(xs))
            total += float(loss_fn(logits, common.tensor(ys)).item()) * len(xs)
            if classify:
                correct += int((minigrad.to_host(logits.data).argmax(axis=1) == ys).sum())
    return total / len(x), (100.0 * correct / len(x) if classify else None)


def training_run(problem, key, args, data, seed):
    """Train ``key`` on ``problem`` from seed ``seed``'s weights; ``{"label", "records"}``."""
    label, name, hyper = METHODS[key]
    nn.init.manual_seed(seed)
    model, loss_fn = problem_model(problem, args)
    optimizer = optim.create(name, model.parameters(), **hyper)
    second_order = name in SECOND_ORDER
    batch_size = (second_order_batch(problem, vars(args)) if second_order
                  else args.first_order_batch)
    x, y = data["x"], data["y"]
    rng, queue, counts, samples = numpy.random.default_rng(seed), [], {}, [0]
    metric, _ = test_metric(problem)

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
            info[ADAPTED[name]] = optimizer.global_state[ADAPTED[name]]
        return info

    def measure():
        train_loss, _ = evaluate(model, loss_fn, data["eval_x"], data["eval_y"])
        test_loss, test_accuracy = evaluate(model, loss_fn, data["test_x"], data["test_y"])
        return {"train_loss": train_loss,
                metric: test_loss if metric == "test_loss" else test_accuracy}

    common.log(f"{problem} seed {seed}: {label}")
    budget = budget_of(problem, vars(args))
    initial = {"step": 0, "time": 0.0, "backprops": 0, "epochs": 0.0, **measure()}
    records = common.run_loop(f"{problem}/{label}", step, budget, measure,
                              budget // args.evaluations, clock="backprops")
    return {"label": label, "records": [initial] + records}


def dominance_measurements(args, seed):
    """``{"NET/STAGE/n": row}``: diagonal share of dense Hessians of a small CNN and MLP on
    MNIST batches of each size n, at initialisation and after Adam training."""
    (train,), source = common.subsets("mnist", [max(sizes(args.dominance_batches) + [128])],
                                      seed=seed, root=args.data_root, download=args.download)
    images, labels = common.standardized(train[0], source), train[1]
    nets = {"cnn": ("small CNN", models.small_cnn, lambda a: a),
            "mlp": (f"MLP 784-{args.dominance_hidden}-10",
                    lambda: models.mlp([784, args.dominance_hidden, 10], activation="tanh"), flat)}
    rows, rng = {}, numpy.random.default_rng(seed)
    for net in args.dominance_nets.split(","):
        label, build, shape = nets[net]
        nn.init.manual_seed(seed)
        model, loss_fn = build(), nn.CrossEntropyLoss()
        optimizer = optim.create("adam", model.parameters(), lr=1e-2)
        for stage in ("initialisation", f"{args.dominance_steps} Adam steps"):
            if stage != "initialisation":
                for _ in range(args.dominance_steps):
                    idx = rng.choice(len(images), size=min(128, len(images)), replace=False)
                    optimizer.step(curvature.Closure(model, loss_fn, common.tensor(shape(
                        images[idx])), common.tensor(labels[idx])))
            for n in sizes(args.dominance_batches):
                inputs, targets = common.tensor(shape(images[:n])), common.tensor(labels[:n])
                hessian = minigrad.to_host(curvature.hessian(model, loss_fn, inputs, targets))
                ratio, wigner, ols = curvature.diagonal_dominance(hessian, n_samples=n)
                rows[f"{net}/{stage}/{n}"] = {
                    "network": label, "parameters": hessian.shape[0], "stage": stage, "n": n,
                    "loss": evaluate(model, loss_fn, shape(images[:n]), labels[:n])[0],
                    "ratio": ratio, "wigner": wigner, "ols": ols}
                common.log(f"diagonal share {label}, {stage}, n = {n}: {ratio:.4f} (Wigner "
                           f"{wigner:.2e}, OLS {ols:.4f}, d = {hessian.shape[0]})")
    return rows


def run_key(problem, seed, method):
    return f"{problem}/{seed}/{method}"


def grouped_runs(runs):
    """``{problem: {method: [(seed, run), ...]}}`` in the order of PROBLEMS and METHODS."""
    grouped = {}
    for key, run in runs.items():
        problem, seed, method = key.split("/")
        grouped.setdefault(problem, {}).setdefault(method, []).append((int(seed), run))
    return {p: {m: sorted(grouped[p][m], key=lambda entry: entry[0]) for m in METHODS
                if m in grouped[p]}
            for p in PROBLEMS if p in grouped}


def summary(problem, seed, run):
    """The per-seed entry of one run: its last record's numbers."""
    last = run["records"][-1]
    metric, _ = test_metric(problem)
    entry = {"seed": seed, "train_loss": last["train_loss"], metric: last[metric],
             "backprops": last["backprops"], "updates": last["step"], "epochs": last["epochs"],
             "seconds": last["time"]}
    if problem == "autoencoder":
        entry["plateau_exit"] = next((r["backprops"] for r in run["records"]
                                      if r["train_loss"] < PLATEAU_EXIT), None)
    return entry


def exit_cell(runs):
    """Backprops until the loss left the plateau, over the seeds that left it (k of n)."""
    exits = [r["plateau_exit"] for r in runs if r["plateau_exit"] is not None]
    if not exits:
        return f"never (0 of {len(runs)})"
    if len(exits) == len(runs):
        return spread(exits, counts=True)
    return f"{', '.join(f'{e:.0f}' for e in exits)} ({len(exits)} of {len(runs)})"


def summarise(stored):
    """Fill ``per_seed`` (``"PROBLEM/METHOD"``) and ``curves`` from ``stored["runs"]``."""
    stored["per_seed"] = {f"{p}/{m}": [summary(p, s, run) for s, run in entries]
                          for p, methods in grouped_runs(stored["runs"]).items()
                          for m, entries in methods.items()}
    stored["curves"] = {key: [[r["backprops"], r["time"], r["train_loss"]]
                              for r in run["records"]] for key, run in stored["runs"].items()}


def spread(values, digits=4, counts=False):
    """``records.spread`` (``mean ± std`` only for n ≥ 3) with ``digits`` significant digits
    for a value (whole numbers when ``counts``), two for the std (whole numbers from 10 on)."""
    def show(value):
        return f"{value:.0f}" if counts else f"{value:.{digits}g}"
    return records.spread(values, show, lambda std: f"{std:.0f}" if std >= 10 else f"{std:.2g}")


def ranking_line(entries):
    """The method with the best mean final training loss and those within one std of it."""
    means = {m: numpy.mean([e["train_loss"] for e in es]) for m, es in entries.items()}
    stds = {m: numpy.std([e["train_loss"] for e in es], ddof=1) if len(es) > 1 else 0.0
            for m, es in entries.items()}
    best = min(means, key=means.get)
    close = [m for m in means if m != best and abs(means[m] - means[best]) <= max(
        stds[m], stds[best])]
    line = f"lowest mean training loss: {METHODS[best][0]} ({means[best]:.4g})"
    if close:
        line += "; within one std of it: " + ", ".join(METHODS[m][0] for m in close)
    return line


def spread_note(entries):
    """What the cells of a table over ``{method: per-seed entries}`` show."""
    if all(len(runs) == 1 for runs in entries.values()):
        return "one run per method, no spread"
    return ("mean ± sample std over the seeds of each row where 3 or more runs complete (the "
            "values themselves for fewer; a single run is marked)")


def training_table(problem, entries, settings):
    metric, header = test_metric(problem)
    plateau = problem == "autoencoder"
    rows = []
    for method, runs in entries.items():
        rows.append([METHODS[method][0], len(runs),
                     spread([r["train_loss"] for r in runs]), spread([r[metric] for r in runs])]
                    + ([exit_cell(runs)] if plateau else [])
                    + [spread([r["updates"] for r in runs], counts=True),
                       spread([r["epochs"] for r in runs], 3),
                       spread([r["seconds"] for r in runs], 3)])
    batch = second_order_batch(problem, settings)
    title = (f"{problem}: {problem_label(problem, settings)} after "
             f"{budget_of(problem, settings)} backpropagations (second-order batch {batch}, "
             f"first-order batch {settings['first_order_batch']}); {spread_note(entries)}")
    headers = (["method", "seeds", "train loss", header]
               + ([f"backprops to loss < {PLATEAU_EXIT}"] if plateau else [])
               + ["updates", "epochs", "seconds"])
    table = common.markdown_table(headers, rows)
    return f"{title}\n\n{table}\n\n{ranking_line(entries)}"


def tables(stored):
    per_problem = {}
    for key, entries in stored.get("per_seed", {}).items():
        problem, method = key.split("/")
        per_problem.setdefault(problem, {})[method] = entries
    parts = [training_table(p, per_problem[p], stored["settings"])
             for p in PROBLEMS if p in per_problem]
    dominance = stored.get("dominance", {})
    if dominance:
        rows = [[r["network"], r["parameters"], r["stage"], r["n"], r["loss"], r["ratio"],
                 r["wigner"], r["ols"]] for r in dominance.values()]
        parts.append("Diagonal share of the absolute Hessian δ(H) at batch size n\n\n"
                     + common.markdown_table(["network", "d", "stage", "n", "batch loss",
                                              "δ(H)", "Wigner 1/d", "OLS (n random inputs)"],
                                             rows))
    return "\n\n".join(parts)


def mean_curve(runs, grid):
    """``(loss mean, loss std, seconds mean)`` of the runs on the backprop ``grid`` (the
    loss interpolated in log space); std is zero for one run."""
    losses, seconds = [], []
    for _, run in runs:
        backprops = [r["backprops"] for r in run["records"]]
        losses.append(numpy.exp(numpy.interp(grid, backprops,
                                             numpy.log([r["train_loss"] for r in run["records"]]))))
        seconds.append(numpy.interp(grid, backprops, [r["time"] for r in run["records"]]))
    losses = numpy.asarray(losses)
    std = losses.std(axis=0, ddof=1) if len(losses) > 1 else numpy.zeros_like(losses[0])
    return losses.mean(axis=0), std, numpy.mean(seconds, axis=0)


def training_figure(stored, out):
    grouped = grouped_runs(stored["runs"])
    settings = stored["settings"]
    fig, axes = common.figure(columns=2, rows=len(grouped), width=5.6, height=3.8)
    for row, (problem, methods) in enumerate(grouped.items()):
        budget = budget_of(problem, settings)
        grid = numpy.linspace(0, budget, settings["evaluations"] + 1)
        for index, (method, runs) in enumerate(methods.items()):
            mean, std, seconds = mean_curve(runs, grid)
            label, name, _ = METHODS[method]
            style = dict(linestyle="-" if name in SECOND_ORDER else "--",
                         marker="o" if name == "arc" else None, markersize=3,
                         label=f"{label} (n = {len(runs)})", color=f"C{index}")
            for ax, x, shown in zip(axes[row], (grid, seconds), (slice(None), slice(1, None))):
                ax.plot(x[shown], mean[shown], **style)
                ax.fill_between(x[shown], (mean - std)[shown], (mean + std)[shown],
                                color=f"C{index}", alpha=0.15)
        for ax, x_label in zip(axes[row], ("backpropagations", "seconds (log scale, under load)")):
            ax.set_xlabel(x_label)
            ax.set_ylabel("training loss (mean ± std)")
            ax.set_yscale("log")
            ax.set_title(problem_label(problem, settings), fontsize=9)
        axes[row, 1].set_xscale("log")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5,
               fontsize=8)
    return common.save_figure(fig, out / "training_loss.png")


def dominance_figure(stored, out):
    rows = list(stored["dominance"].values())
    networks = list(dict.fromkeys(r["network"] for r in rows))
    fig, axes = common.figure(columns=len(networks), width=5.0, height=3.8)
    for ax, network in zip(axes[0], networks):
        mine = [r for r in rows if r["network"] == network]
        for index, stage in enumerate(dict.fromkeys(r["stage"] for r in mine)):
            points = sorted((r["n"], r["ratio"]) for r in mine if r["stage"] == stage)
            ax.plot(*zip(*points), marker="o", color=f"C{index}", label=f"δ(H), {stage}")
        baseline = sorted({(r["n"], r["ols"], r["wigner"]) for r in mine})
        ns = [b[0] for b in baseline]
        ax.plot(ns, [b[1] for b in baseline], "k--", label="OLS, n random inputs")
        ax.plot(ns, [b[2] for b in baseline], "k:", label="Wigner 1/d")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size n")
        ax.set_ylabel("diagonal share δ(H)")
        ax.set_title(f"{network}, d = {mine[0]['parameters']}", fontsize=10)
        ax.legend(fontsize=7, framealpha=0.7)
    fig.tight_layout()
    return common.save_figure(fig, out / "diagonal_dominance.png")


def figures(stored, out):
    paths = []
    if stored["runs"]:
        paths.append(str(training_figure(stored, out)))
    if stored.get("dominance"):
        paths.append(str(dominance_figure(stored, out)))
    return paths


def main(argv=None):
    args = arguments(argv)
    runs, dominance, sources = {}, {}, {}
    for problem in args.problems:
        for seed in range(args.seeds_from, args.seeds_from + args.seeds):
            if problem == "dominance":
                if seed == args.seeds_from:
                    dominance.update(dominance_measurements(args, seed))
                continue
            data = problem_data(problem, args, seed)
            sources[problem] = data["source"]
            runs.update({run_key(problem, seed, m): training_run(problem, m, args, data, seed)
                         for m in args.methods})
    results = {**common.run_header(args, exclude=("problems", "seeds", "seeds_from", "seed",
                                                  "methods")),
               "data": sources, "out": common.out_text(args), "scale": args.scale,
               "runs": runs, "dominance": dominance, "seconds": common.elapsed()}
    return common.finish_merged(args, NAME, results, "runs", tables, figures, summarise)


if __name__ == "__main__":
    main()
