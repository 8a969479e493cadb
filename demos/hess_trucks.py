"""Hess-Trucks: line-search GD and L-BFGS, the Hessian = GN + residual split and its spectra.

Reproduces the experiments sketched in Salkey, Benton & Maddox, "Hess-Trucks:
Leveraging eigenspaces for optimizing deep networks" (2019):

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
* the spectral densities of H, GN and R at the start, the middle and the end of
  each full-batch run, by stochastic Lanczos quadrature
  (``curvature.lanczos_quadrature``, the same probes for the three matrices):
  the extreme Ritz values, the quadrature's trace ``P Σ τ_j θ_j``, the
  negative mass ``Σ τ_j [θ_j < −ε]`` and the mass near zero
  ``Σ τ_j [|θ_j| ≤ ε]`` (fractions of the eigenvalues), with the resolution
  ``ε = 0.01 max|θ|``, the width of the Gaussians that broaden the densities
  in the figure (the sign of a Ritz value closer to zero than that is not
  resolved: GN's exact zeros come out as ±10⁻¹⁷, and a node standing for the
  bulk of H near zero may fall on either side);
* the exact traces of H, GN and R = H − GN beside the estimates, from the exact
  diagonals (``curvature.diag_hessian``, ``curvature.diag_ggn``: one layerwise
  pass each), with the Hutchinson estimates' standard errors;
* Newton-CG (the paper's Algorithm 5) as a third full-batch method:
  ``optim.NewtonCG`` on the exact Hessian, truncated CG that stops at the first
  direction of non-positive curvature with its current iterate (−g if that is
  the first), and Levenberg-Marquardt damping in place of Algorithm 5's line
  search (a step that raises the loss is undone and the damping raised);
* GD + Armijo against L-BFGS across network depths (hidden layers of the same
  width) and batch sizes, for the same number of epochs: with a mini-batch the
  line search is evaluated on that step's mini-batch, and L-BFGS's pair
  ``y_k = g_{k+1} − g_k`` takes its two gradients from consecutive mini-batches
  (as ``torch.optim.LBFGS`` with ``max_iter=1`` does); a run whose line search
  finds no acceptable step stops there, and the failure is recorded;
* SWA and SWAG (§3, ``optim.SWA``, ``optim.SWAG``): mini-batch SGD with
  momentum, then a constant learning rate while averaging the iterates; test
  accuracy and NLL of the last SGD iterate, the SWA average and the SWAG
  Bayesian model average (``scale`` = ½, low-rank plus diagonal covariance).

The paper's experiments section is empty, so sizes are chosen here: a
784-32-10 tanh MLP (25,450 parameters; tanh, not ReLU, because for a ReLU
network ``tr R = 0`` exactly, every logit being linear in each single layer's
weights) in float64, cross-entropy. ``--full`` trains on 10,000 images.
``--parts`` runs a subset of ``full-batch,sweep,swa`` (default all three).
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
from demos import common  # noqa: E402
from minigrad import curvature, nn  # noqa: E402
from minigrad.ops.activation import Softmax  # noqa: E402

NAME = "hess_trucks"
PRESETS = {
    "quick": dict(train_size=100, test_size=50, hidden=8, steps=4, measure_every=2,
                  curvature_size=50, top_k=2, trace_probes=3, lanczos_iters=8, sgd_epochs=2,
                  swag_samples=2, slq_probes=2, slq_iters=6, depths="1,2",
                  batch_sizes="50,full", sweep_epochs=2, sweep_seeds=2, sweep_eval_every=1),
    "default": dict(train_size=2000, test_size=1000, hidden=32, steps=150, measure_every=15,
                    curvature_size=500, top_k=3, trace_probes=20, lanczos_iters=30,
                    sgd_epochs=20, swag_samples=10, slq_probes=5, slq_iters=80,
                    depths="1,2,4", batch_sizes="100,500,full", sweep_epochs=100,
                    sweep_seeds=3, sweep_eval_every=10),
    "full": dict(train_size=10000, test_size=10000, hidden=32, steps=500, measure_every=25,
                 curvature_size=1000, top_k=5, trace_probes=50, lanczos_iters=40,
                 sgd_epochs=40, swag_samples=30, slq_probes=10, slq_iters=100,
                 depths="1,2,4", batch_sizes="100,1000,full", sweep_epochs=100,
                 sweep_seeds=3, sweep_eval_every=10),
}
RESOLUTION = 0.01
METHODS = {
    "gd-armijo": ("GD + Armijo", dict(lr=1.0, rho=0.5, c=1e-4)),
    "lbfgs": ("L-BFGS + Armijo", dict(lr=1.0, max_iter=1, history_size=10,
                                       line_search_fn="armijo")),
}
FULL_BATCH_METHODS = {**METHODS, "newton-cg": ("Newton-CG", dict(
    lr=1.0, damping=1.0, max_cg_iter=20, cg_tol=1e-2, curvature="hessian"))}
PARTS = ("full-batch", "sweep", "swa")


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
    p.add_argument("--slq-probes", type=int, default=None,
                   help="probes of the stochastic Lanczos quadrature")
    p.add_argument("--slq-iters", type=int, default=None, help="Lanczos steps per SLQ probe")
    p.add_argument("--depths", default=None,
                   help="comma-separated numbers of hidden layers of the depth/batch sweep")
    p.add_argument("--batch-sizes", default=None,
                   help="comma-separated batch sizes of the sweep ('full': the training subset)")
    p.add_argument("--sweep-epochs", type=int, default=None, help="epochs per sweep run")
    p.add_argument("--sweep-seeds", type=int, default=None,
                   help="seeds per sweep setting (weights and batch order: seed, seed + 1, …)")
    p.add_argument("--sweep-eval-every", type=int, default=None,
                   help="epochs between the sweep's training-loss evaluations")
    p.add_argument("--full-batch-methods", default=",".join(FULL_BATCH_METHODS),
                   help=f"comma-separated full-batch methods from {list(FULL_BATCH_METHODS)}")
    p.add_argument("--parts", default=",".join(PARTS),
                   help=f"comma-separated parts to run from {list(PARTS)}")
    args = common.parse(p, argv, PRESETS)
    args.parts = common.method_list(p, args.parts, PARTS)
    args.full_batch_methods = common.method_list(p, args.full_batch_methods, FULL_BATCH_METHODS)
    args.depths = _integers(p, "--depths", args.depths)
    args.batch_sizes = _integers(p, "--batch-sizes", args.batch_sizes.replace(
        "full", str(args.train_size)))
    if max(args.batch_sizes) > args.train_size:
        p.error(f"--batch-sizes {args.batch_sizes} exceed --train-size {args.train_size}")
    return args


def _integers(argument_parser, flag, text):
    """The positive integers of the comma-separated ``text`` (a usage error otherwise)."""
    try:
        values = [int(item) for item in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        argument_parser.error(f"{flag} must be comma-separated positive integers, got {text!r}")
    return values


def prepare_data(args):
    (train, test), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                           root=args.data_root, download=args.download,
                                           test_size=args.test_size)
    flat = lambda images: common.standardized(images, source, numpy.float64).reshape(  # noqa: E731
        len(images), -1)
    return {"x": flat(train[0]), "y": train[1], "test_x": flat(test[0]), "test_y": test[1],
            "source": source}


def build_model(args, depth=1, seed=None):
    """The tanh MLP 784-(hidden × depth)-10, initialised from ``seed`` (default ``--seed``)."""
    nn.init.manual_seed(args.seed if seed is None else seed)
    return models.mlp([784] + [args.hidden] * depth + [10], activation="tanh")


def evaluate(model, loss_fn, x, y):
    """``(mean cross-entropy, accuracy)`` of ``model`` on arrays ``x``, ``y`` (no graph)."""
    with minigrad.no_grad():
        logits = model(common.tensor(x))
        loss = float(loss_fn(logits, common.tensor(y)).item())
    accuracy = float((minigrad.to_host(logits.data).argmax(axis=1) == y).mean())
    return loss, accuracy


def measure_curvature(model, loss_fn, batch, args):
    """Top eigenvalues and traces (Hutchinson with standard errors, and exact) of H, GN and
    R = H − GN on the curvature batch."""
    split = curvature.residual_split(model, loss_fn, batch[0], batch[1], k=args.top_k,
                                     trace_probes=args.trace_probes, iters=args.lanczos_iters,
                                     seed=args.seed)
    record = exact_traces(model, loss_fn, batch)
    for key, summary in zip(("H", "GN", "R"), split):
        record[f"lambda1_{key}"] = float(summary.top_eigenvalues[0])
        record[f"trace_{key}"] = float(summary.trace)
        record[f"trace_error_{key}"] = float(summary.trace_standard_error)
        record[f"eigenvalues_{key}"] = [float(v) for v in summary.top_eigenvalues]
    return record


def exact_traces(model, loss_fn, batch):
    """``{"exact_trace_H", "exact_trace_GN", "exact_trace_R"}`` from the exact diagonals."""
    hessian = float(curvature.diag_hessian(model, loss_fn, batch[0], batch[1]).sum())
    gauss_newton = float(curvature.diag_ggn(model, loss_fn, batch[0], batch[1]).sum())
    return {"exact_trace_H": hessian, "exact_trace_GN": gauss_newton,
            "exact_trace_R": hessian - gauss_newton}


def spectral_quadratures(model, loss_fn, batch, args):
    """SLQ ``{"H"|"GN"|"R": {"nodes", "weights"}}`` on the curvature batch, shared probes."""
    hessian = curvature.hessian_operator(model, loss_fn, batch[0], batch[1])
    gauss_newton = curvature.ggn_operator(model, loss_fn, batch[0], batch[1])
    result = {}
    for key, op in (("H", hessian), ("GN", gauss_newton), ("R", hessian - gauss_newton)):
        nodes, weights = curvature.lanczos_quadrature(op, args.slq_probes, args.slq_iters,
                                                      seed=args.seed)
        result[key] = {"nodes": nodes.tolist(), "weights": weights.tolist()}
    return result


def spectrum_summary(quadrature, size):
    """Extreme Ritz values, the quadrature's trace, negative and near-zero mass (module
    docstring)."""
    nodes, weights = numpy.asarray(quadrature["nodes"]), numpy.asarray(quadrature["weights"])
    resolution = RESOLUTION * float(abs(nodes).max())
    return {"lambda_min": float(nodes.min()), "lambda_max": float(nodes.max()),
            "trace": size * float(weights @ nodes),
            "negative_mass": float(weights[nodes < -resolution].sum()),
            "zero_mass": float(weights[abs(nodes) <= resolution].sum())}


def density_steps(args):
    """Iterations with a spectral density: the start, the measurement nearest the middle and
    the end."""
    middle = args.measure_every * round(args.steps / 2 / args.measure_every)
    return sorted({0, min(middle, args.steps), args.steps})


def full_batch_run(key, args, data):
    label, hyper = FULL_BATCH_METHODS[key]
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    optimizer = optim.create(key, model.parameters(), **hyper)
    x, y = common.tensor(data["x"]), common.tensor(data["y"])
    batch = (common.tensor(data["x"][:args.curvature_size]),
             common.tensor(data["y"][:args.curvature_size]))
    counts, spectra, densities, wanted, current = {}, [], [], density_steps(args), [0]
    size = curvature.num_parameters(model.parameters())

    def step(k):
        current[0] = k
        before = dict(counts)
        loss = optimizer.step(common.CountingClosure(curvature.Closure(model, loss_fn, x, y),
                                                     counts))
        return {"loss": float(loss.item()),
                "backprops": counts["backprops"] - before.get("backprops", 0),
                "forwards": counts["forwards"], "products": counts.get("products", 0)}

    def measure():
        record = measure_curvature(model, loss_fn, batch, args)
        spectra.append({k: v for k, v in record.items() if k.startswith("eigenvalues")})
        if current[0] in wanted:
            quadratures = spectral_quadratures(model, loss_fn, batch, args)
            densities.append({"step": current[0], "quadratures": quadratures,
                              **{key: spectrum_summary(q, size) for key, q in
                                 quadratures.items()}})
        test_loss, test_accuracy = evaluate(model, loss_fn, data["test_x"], data["test_y"])
        return {"test_accuracy": test_accuracy,
                **{k: v for k, v in record.items() if not k.startswith("eigenvalues")}}

    initial = {"step": 0, "time": 0.0, "backprops": 0, "forwards": 0, "products": 0,
               "loss": evaluate(model, loss_fn, data["x"], data["y"])[0], **measure()}
    records = [initial] + common.run_loop(label, step, args.steps, measure, args.measure_every)
    train_loss, train_accuracy = evaluate(model, loss_fn, data["x"], data["y"])
    return {"label": label, "records": records, "spectra": spectra, "densities": densities,
            "parameters": size, "train_loss": train_loss,
            "train_accuracy": train_accuracy, "test_accuracy": records[-1]["test_accuracy"]}


def sweep_run(key, depth, batch_size, seed, args, data):
    """``--sweep-epochs`` epochs of ``key`` on the depth-``depth`` MLP with mini-batches of
    ``batch_size`` (the line search on the step's batch); one ``per_seed`` entry."""
    label, hyper = METHODS[key]
    model, loss_fn = build_model(args, depth, seed), nn.CrossEntropyLoss()
    optimizer = optim.create(key, model.parameters(), **hyper)
    rng = numpy.random.default_rng(seed)
    counts, seconds, iterations, failure = {}, 0.0, 0, None
    curve = [[0, 0.0, evaluate(model, loss_fn, data["x"], data["y"])[0]]]
    try:
        for epoch in range(1, args.sweep_epochs + 1):
            for idx in common.batches(len(data["x"]), batch_size, rng):
                closure = common.CountingClosure(curvature.Closure(
                    model, loss_fn, common.tensor(data["x"][idx]), common.tensor(data["y"][idx])),
                    counts)
                start = time.perf_counter()
                optimizer.step(closure)
                seconds += time.perf_counter() - start
                iterations += 1
            if epoch % args.sweep_eval_every == 0 or epoch == args.sweep_epochs:
                loss = evaluate(model, loss_fn, data["x"], data["y"])[0]
                curve.append([epoch, seconds, common.check_finite(
                    loss, f"{label} depth {depth} batch {batch_size} seed {seed} epoch {epoch}")])
    except optim.LineSearchError as err:
        failure = {"iteration": iterations + 1, "message": str(err)}
    train_loss, train_accuracy = evaluate(model, loss_fn, data["x"], data["y"])
    test_accuracy = evaluate(model, loss_fn, data["test_x"], data["test_y"])[1]
    entry = {"seed": seed, "depth": depth, "batch_size": batch_size, "iterations": iterations,
             "gradients": counts.get("backprops", 0), "loss_evaluations": counts.get("forwards", 0),
             "seconds": seconds, "train_loss": train_loss, "train_accuracy": train_accuracy,
             "test_accuracy": test_accuracy, "failure": failure, "curve": curve}
    common.log(f"{label:>16s} depth {depth} batch {batch_size:5d} seed {seed}  iterations "
               f"{iterations}  train loss {train_loss:.4g}  test acc {test_accuracy:.4f}  "
               f"{seconds:.1f}s" + (f"  line search failed at iteration {failure['iteration']}"
                                    if failure else ""))
    return entry


def sweep(args, data):
    """``{label: [per-seed entries]}`` over depths × batch sizes × seeds for both methods."""
    seeds = range(args.seed, args.seed + args.sweep_seeds)
    return {METHODS[key][0]: [sweep_run(key, depth, batch_size, seed, args, data)
                                 for depth in args.depths for batch_size in args.batch_sizes
                                 for seed in seeds]
            for key in METHODS}


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


def tables(runs, swa, per_seed):
    """The Markdown tables of the parts that ran (``runs``, ``per_seed``, ``swa`` may be
    empty)."""
    parts = []
    if runs:
        parts.append(f"Full-batch training and the split H = GN + R (start → end)\n\n"
                     f"{training_table(runs)}")
        if _recorded(runs, "exact_trace_R"):
            parts.append(f"Traces of H, GN and R on the curvature batch: exact (from the exact "
                         f"diagonals), Hutchinson (the same probes for the three; its standard "
                         f"error in brackets) and SLQ (the quadrature's trace)\n\n"
                         f"{trace_table(runs)}")
        parts += [f"Spectral densities (SLQ) of H, GN and R: extreme Ritz values "
                  f"[λ_min, λ_max]; % of the spectral mass below −ε and within ±ε of zero, "
                  f"ε = 1% of max |Ritz value|\n\n{density_table(runs)}"]
    if per_seed:
        parts.append(f"GD + Armijo against L-BFGS across depths and batch sizes\n\n"
                     f"{sweep_table(per_seed)}")
    if swa:
        swa_rows = [[name, nll, 100 * accuracy] for name, (nll, accuracy) in
                    (("SGD (last iterate)", swa["sgd"]),
                     (f"SWA ({swa['n_averaged']} iterates)", swa["swa"]),
                     (f"SWAG BMA ({swa['n_swag_models']} models)", swa["swag"]))]
        parts.append("SWA / SWAG after SGD with momentum\n\n" + common.markdown_table(
            ["model", "test NLL", "test acc %"], swa_rows))
    return "\n\n".join(parts)


def stored_tables(stored):
    """``tables`` of a stored results file (``python demos/tables.py --rebuild NAME``)."""
    return tables(stored["runs"], stored["swa"], stored["per_seed"])


def _recorded(runs, key):
    """Whether every record of every run holds ``key`` (older results files lack the exact
    traces and the Hutchinson standard errors)."""
    return all(key in record for run in runs.values() for record in run["records"])


def _hutchinson(record, key):
    """Hutchinson's trace of ``key`` with its standard error in brackets."""
    return f"{record[f'trace_{key}']:.3g} ({record[f'trace_error_{key}']:.2g})"


def training_table(runs):
    """One row per method: its counts, final loss and accuracy, and λ₁(H), λ₁(GN) and the
    Hutchinson traces of GN and R at the first and last record (start → end). The traces are
    shown only where their standard errors were recorded, and then with them."""
    with_traces = _recorded(runs, "trace_error_R")
    rows = []
    for run in runs.values():
        first, last = run["records"][0], run["records"][-1]
        row = [run["label"], last["step"], last["backprops"], last["forwards"],
               last.get("products", 0), run["train_loss"], 100 * run["test_accuracy"],
               f"{first['lambda1_H']:.3g} → {last['lambda1_H']:.3g}",
               f"{first['lambda1_GN']:.3g} → {last['lambda1_GN']:.3g}"]
        if with_traces:
            row += [f"{_hutchinson(first, key)} → {_hutchinson(last, key)}" for key in ("GN", "R")]
        rows.append(row)
    headers = ["method", "iterations", "gradients", "loss-only evals", "Hessian-vector products",
               "train loss", "test acc %", "λ₁(H)", "λ₁(GN)"]
    if with_traces:
        return common.markdown_table(headers + ["tr GN: Hutchinson (s.e.)",
                                                "tr R: Hutchinson (s.e.)"], rows)
    return (common.markdown_table(headers, rows) + "\n\nThe Hutchinson traces of GN and R are "
            "not shown: this run did not record their standard errors.")


def trace_table(runs):
    rows = []
    for run in runs.values():
        densities = {point["step"]: point for point in run["densities"]}
        for record in run["records"]:
            if record["step"] not in densities:
                continue
            point = densities[record["step"]]
            rows.append([run["label"], record["step"]] + [
                cell for key in ("H", "GN", "R") for cell in (
                    f"{record[f'exact_trace_{key}']:.4g}",
                    f"{record[f'trace_{key}']:.4g} ({record[f'trace_error_{key}']:.2g})",
                    f"{point[key]['trace']:.4g}")])
    return common.markdown_table(
        ["method", "iteration"] + [f"tr {key}: {kind}" for key in ("H", "GN", "R")
                                   for kind in ("exact", "Hutchinson (s.e.)", "SLQ")], rows)


def density_table(runs):
    rows = []
    for run in runs.values():
        for point in run["densities"]:
            h, gn, r = point["H"], point["GN"], point["R"]
            cells = []
            for summary in (h, gn, r):
                cells += [f"[{summary['lambda_min']:.3g}, {summary['lambda_max']:.3g}]",
                          f"{100 * summary['negative_mass']:.1f} / "
                          f"{100 * summary['zero_mass']:.1f}"]
            rows.append([run["label"], point["step"], *cells,
                         f"{h['trace']:.3g} = {gn['trace']:.3g} + {r['trace']:.3g}"])
    return common.markdown_table(["method", "iteration", "H: Ritz range", "H: % < 0 / ≈ 0",
                                  "GN: Ritz range", "GN: % < 0 / ≈ 0", "R: Ritz range",
                                  "R: % < 0 / ≈ 0", "SLQ tr H = tr GN + tr R"], rows)


def _spread(values, scale=1.0, digits=4):
    """``mean [min, max]`` of ``values`` (the value alone when they are all equal)."""
    values = [scale * v for v in values]
    mean = sum(values) / len(values)
    if min(values) == max(values):
        return f"{mean:.{digits}g}"
    return f"{mean:.{digits}g} [{min(values):.{digits}g}, {max(values):.{digits}g}]"


def sweep_settings(per_seed):
    """The ``(depth, batch size)`` settings of the sweep in run order."""
    entries = next(iter(per_seed.values()))
    return list(dict.fromkeys((e["depth"], e["batch_size"]) for e in entries))


def sweep_table(per_seed):
    rows = []
    for depth, batch_size in sweep_settings(per_seed):
        for label, entries in per_seed.items():
            runs = [e for e in entries if (e["depth"], e["batch_size"]) == (depth, batch_size)]
            failed = sum(e["failure"] is not None for e in runs)
            rows.append([depth, batch_size, label, len(runs),
                         _spread([e["iterations"] for e in runs], digits=5),
                         _spread([e["train_loss"] for e in runs], digits=3),
                         _spread([e["test_accuracy"] for e in runs], 100, digits=3),
                         _spread([e["gradients"] for e in runs], digits=5),
                         _spread([e["loss_evaluations"] for e in runs], digits=5),
                         f"{failed} of {len(runs)}"])
    return common.markdown_table(
        ["hidden layers", "batch", "method", "seeds", "iterations", "train loss", "test acc %",
         "gradients", "loss-only evals", "line search failed"], rows) + (
        "\n\nEach cell: mean [min, max] over the seeds (one value: all seeds equal); the same "
        "number of epochs for every batch size; the line search runs on the step's mini-batch; "
        "wall times in `per_seed` and the figure.")


def figures(runs, swa, per_seed, out):
    """The figures of the parts that ran."""
    paths = []
    if runs:
        paths += [curvature_figure(runs, out), density_figure(runs, out)]
    if per_seed:
        paths.append(sweep_figure(per_seed, out))
    if swa:
        paths.append(swa_figure(swa, out))
    return paths


def curvature_figure(runs, out):
    fig, axes = common.figure(columns=3)
    for run in runs.values():
        steps = [r["step"] for r in run["records"]]
        axes[0, 0].plot(steps, [r["loss"] for r in run["records"]], marker=".",
                        label=run["label"])
        for key, style in (("H", "-"), ("GN", "--")):
            axes[0, 1].plot(steps, [r[f"lambda1_{key}"] for r in run["records"]], style,
                            marker=".", label=f"λ₁({key}), {run['label']}")
        for key, style in (("H", "-"), ("GN", "--"), ("R", ":")):
            axes[0, 2].plot(steps, [r.get(f"exact_trace_{key}", r[f"trace_{key}"])
                                    for r in run["records"]], style,
                            marker=".", label=f"tr {key}, {run['label']}")
    titles = ("training loss", "top eigenvalue", "trace (exact)")
    labels = ("full-batch training loss", "largest eigenvalue λ₁", "trace")
    for ax, title, label in zip(axes[0], titles, labels):
        ax.set_xlabel("iteration")
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.legend(fontsize=7, framealpha=0.8, loc="upper right")
    axes[0, 0].set_yscale("log")
    axes[0, 2].set_ylim(top=1.6 * max(r.get("exact_trace_H", r["trace_H"])
                                      for run in runs.values() for r in run["records"]))
    return str(common.save_figure(fig, out / "curvature_during_training.png"))


def swa_figure(swa, out):
    fig, axes = common.figure()
    ax = axes[0, 0]
    ax.plot([h["epoch"] for h in swa["history"]],
            [100 * h["test_accuracy"] for h in swa["history"]], marker=".", label="SGD iterate")
    ax.axhline(100 * swa["swa"][1], color="C1", label="SWA")
    ax.axhline(100 * swa["swag"][1], color="C2", linestyle="--", label="SWAG BMA")
    common.epoch_axis(ax)
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    return str(common.save_figure(fig, out / "swa_swag.png"))


DENSITY_GRID = numpy.linspace(-1.1, 1.1, 2201)


def density_figure(runs, out):
    """SLQ densities of H, GN and R (columns) per method (rows), eigenvalues scaled by the
    largest |Ritz value| of each curve, broadened by 1% of it, on a log density axis."""
    fig, axes = common.figure(columns=3, rows=len(runs), width=4.6, height=3.4)
    for row, run in zip(axes, runs.values()):
        for ax, key in zip(row, ("H", "GN", "R")):
            peak = 0.0
            for point, style in zip(run["densities"], common.LINE_STYLES):
                nodes = numpy.asarray(point["quadratures"][key]["nodes"])
                scale = float(abs(nodes).max())
                _, density = curvature.quadrature_density(
                    nodes / scale, point["quadratures"][key]["weights"], grid=DENSITY_GRID,
                    sigma=RESOLUTION)
                peak = max(peak, float(density.max()))
                ax.semilogy(DENSITY_GRID, density, linestyle=style,
                            label=f"iteration {point['step']} (max|λ| {scale:.2g})")
            ax.set_ylim(1e-5, 10 * peak)
            ax.set_xlabel("eigenvalue / max |Ritz value|")
            ax.set_ylabel("spectral density")
            ax.set_title(f"{key}, {run['label']}")
            ax.legend(fontsize=7, framealpha=0.8, loc="upper left")
    fig.tight_layout()
    return str(common.save_figure(fig, out / "spectral_densities.png"))


def sweep_figure(per_seed, out):
    """Final training loss and test accuracy against batch size, one column per depth
    (every seed a marker, the mean a line), and the first seed's training loss against
    seconds of steps."""
    settings = sweep_settings(per_seed)
    depths = list(dict.fromkeys(depth for depth, _ in settings))
    batch_sizes = sorted({batch for _, batch in settings})
    fig, axes = common.figure(columns=len(depths), rows=3, width=4.2, height=3.4)
    metrics = (("train_loss", "final training loss", 1.0), ("test_accuracy", "test accuracy (%)",
                                                            100.0))
    for column, depth in enumerate(depths):
        for row, (metric, label, scale) in enumerate(metrics):
            ax = axes[row, column]
            for color, (method, entries) in enumerate(per_seed.items()):
                chosen = [e for e in entries if e["depth"] == depth]
                ax.scatter([e["batch_size"] for e in chosen], [scale * e[metric] for e in chosen],
                           color=f"C{color}", alpha=0.5, s=14)
                means = [numpy.mean([scale * e[metric] for e in chosen if e["batch_size"] == b])
                         for b in batch_sizes]
                ax.plot(batch_sizes, means, color=f"C{color}", marker="o", label=method)
            ax.set_xscale("log")
            ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
            ax.minorticks_off()
            ax.set_xlabel("batch size (largest = full batch)")
            ax.set_ylabel(label)
            ax.set_title(f"{depth} hidden layer{'s' if depth > 1 else ''}")
            ax.legend(fontsize=7, framealpha=0.8)
        axes[0, column].set_yscale("log")
        ax = axes[2, column]
        for color, (method, entries) in enumerate(per_seed.items()):
            first_seed = min(e["seed"] for e in entries)
            for batch_size, style in zip(batch_sizes, common.LINE_STYLES):
                entry = next(e for e in entries if (e["depth"], e["batch_size"], e["seed"]) ==
                             (depth, batch_size, first_seed))
                ax.plot([point[1] for point in entry["curve"]],
                        [point[2] for point in entry["curve"]], color=f"C{color}",
                        linestyle=style, label=f"{method}, batch {batch_size}")
        ax.set_yscale("log")
        ax.set_xlabel("seconds of steps (wall time under load)")
        ax.set_ylabel(f"training loss (seed {first_seed})")
        ax.set_title(f"{depth} hidden layer{'s' if depth > 1 else ''}, loss against time")
        ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    return str(common.save_figure(fig, out / "depth_batch_sweep.png"))


def main(argv=None):
    args = arguments(argv)
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype("float64")
    try:
        data = prepare_data(args)
        runs = ({key: full_batch_run(key, args, data) for key in args.full_batch_methods}
                if "full-batch" in args.parts else {})
        per_seed = sweep(args, data) if "sweep" in args.parts else {}
        swa = swa_run(args, data) if "swa" in args.parts else {}
    finally:
        minigrad.set_default_dtype(previous)
    curves = {run["label"]: [[r["step"], r["time"], r["loss"]] for r in run["records"]]
              for run in runs.values()}
    results = {"data": data["source"], "runs": runs, "curves": curves, "per_seed": per_seed,
               "swa": swa, "figures": figures(runs, swa, per_seed, args.out)}
    return common.finish(args, NAME, results, tables(runs, swa, per_seed))


if __name__ == "__main__":
    main()
