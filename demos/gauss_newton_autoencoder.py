"""MNIST deep autoencoder: SGD, Momentum, Nesterov, Adam against KFAC, KFRA (and KFLR's cost).

Reproduces the MNIST panel of Figure 2 of Botev, Ritter & Barber, "Practical
Gauss-Newton optimisation for deep learning" (2017), at the paper's protocol:

* the deep autoencoder 784-1000-500-250-30-250-500-1000-784 with logistic
  sigmoids (linear code and output layers), sparse initialisation
  (``models.autoencoder("mnist", init="sparse")``: 15 incoming weights per
  unit from N(0, 1), the rest and the biases zero, as Martens 2010);
* the loss is the Bernoulli log-likelihood of the pixels: sigmoid + binary
  cross-entropy on the output logits, **summed over the 784 pixels and
  averaged over the images** (``reduction="batchmean"``), in nats per image.
  Every hyper-parameter is in the units of that loss: the damping γ is added
  to the Kronecker factors of its Gauss-Newton matrix (784 × γ would be the
  same damping for ``BCEWithLogitsLoss()``, which also averages over pixels);
* the 60,000 training images in mini-batches of 1000 (``minigrad.data.DataLoader``,
  shuffled each pass), ``--updates`` (800) updates per second-order and
  ``--first-order-updates`` (800) per first-order method; ``--full`` runs the
  paper's counts, 5,000 and 40,000, evaluated every 50 updates (about 26 hours
  of steps at the seconds per update of the committed 800-update run on this
  loaded CPU, evaluations not counted);
* the error is that loss on a fixed subset of 10,000 training images, every
  10 updates; the figure plots it against updates and against seconds of
  training (evaluation excluded);
* first-order SGD, Momentum (heavy ball, μ = 0.9), Nesterov (μ = 0.9) and
  Adam; second-order KFAC (Monte-Carlo Fisher, one sample) and KFRA
  (recursive Gauss-Newton approximation), each a damped block-diagonal
  Kronecker-factored step (``optim.KFAC`` / ``optim.KFRA``) with running
  averages of the factors warmed up as ``min(1 − 1/t, decay)`` and damped
  inverses at every update for the first 20 updates, then every 5. KFLR (the
  exact pre-activation Gauss-Newton factors, one backward pass per output and
  sample) is trained for ``--kflr-updates`` updates at ``--kflr-batch-size``
  images, its factors back-propagated ``--kflr-chunk-size`` samples at a time
  (``optim.KFLR(chunk_size=)``: memory, not the result) and refreshed every
  ``--kflr-factor-period`` updates (``factor_period``; the averages are reused
  in between, as the inverses are between ``inverse_period`` updates). The
  factors of one batch of 1000 cost 42.9 s and 1.8 GB (two threads), 0.43×
  the 100.6 s of the recursion without its savings on this network (the
  columns compressed to 30 below the code layer; the output's unit columns,
  ``demos/results/bench_curvature/output.txt``).

The paper's Figure 2 has CURVES and FACES panels and dashed variants with
momentum on the curvature matrix; only the MNIST panel is reproduced here
(neither data set is on this machine), and only the running average of the
factors (``decay``), not the momentum variants.

A run takes each method's hyper-parameters from ``METHODS``, updated by the
best setting of the grid ``SWEEP`` after ``--sweep-updates`` (100) updates
when the sweep in ``--sweep-results`` holds that method (``results.json``
records which: ``"hyper_source"``). ``--sweep`` runs that grid, and the
schedule ablations ``SCHEDULE_ABLATIONS`` (KFRA without the decay warm-up,
without the inverse warm-up, with inverses every update), and writes
``demos/results/gauss_newton_autoencoder_sweep/``. Methods may run as
separate processes (``--methods``): each adds its curves to the run of the
same settings in ``--out``.

Stopping and resuming (what ``--full`` needs: it cannot finish in one
sitting). Each method's training writes ``checkpoint_<METHOD>.npz`` into
``--out`` every ``--checkpoint-every`` (50) updates, atomically
(``minigrad.checkpoint``: model, optimizer with its Kronecker factors and
inverses, the loader's pass and the generators; 63 MB for KFAC or KFRA on the
paper's autoencoder, 0.2 s to write). The process stops between two updates
on Ctrl-C (a second one aborts at once, keeping the last checkpoint), after
``--stop-after-seconds`` of wall time or after ``--stop-after-updates``
updates (all methods together); it then checkpoints the method in progress
and writes ``results.json`` with the partial curves, ending at the last
update made. ``"progress"`` holds ``{"updates", "of"}`` for every method of
the process (0 for those not started), the table and the figure label an
unfinished method ``KFAC (1,200 of 5,000 updates)``, and ``"provenance"``
gains the command and commit of every (re)start. The same command with
``--resume`` (any stop flag may change) continues each unfinished method
from its checkpoint exactly as the uninterrupted run would have gone (the
same errors at the same updates, the same parameters; the seconds are those
of the steps actually run), skips the methods ``results.json`` holds
finished and deletes a method's checkpoint once it is finished. Without
``--resume`` or ``--force`` a folder holding a checkpoint is refused, and a
checkpoint or ``results.json`` of other settings is refused even with
``--resume``. KFLR is checkpointed as the others (its batch ``--kflr-batch-size``
is part of what a checkpoint must match).

    python demos/gauss_newton_autoencoder.py --full --methods KFAC,KFRA \\
        --out runs/gauss_newton_full --stop-after-seconds 3600     # one hour
    python demos/gauss_newton_autoencoder.py --full --methods KFAC,KFRA \\
        --out runs/gauss_newton_full --resume                       # the rest
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
from minigrad import checkpoint, curvature, data, nn  # noqa: E402
from minigrad.train.trainer import StopOnSigint  # noqa: E402

NAME = "gauss_newton_autoencoder"
PIXELS = 784
KRONECKER = dict(decay=0.95, decay_warmup=True, inverse_warmup=20, inverse_period=5)
METHODS = {
    "SGD": ("sgd", dict(lr=0.01)),
    "Momentum": ("sgd", dict(lr=0.001, momentum=0.9)),
    "Nesterov": ("sgd", dict(lr=0.001, momentum=0.9, nesterov=True)),
    "Adam": ("adam", dict(lr=1e-3)),
    "KFAC": ("kfac", dict(lr=0.1, damping=3e-3, seed=0, **KRONECKER)),
    "KFRA": ("kfra", dict(lr=0.1, damping=3e-3, **KRONECKER)),
    "KFLR": ("kflr", dict(lr=0.1, damping=3e-3, **KRONECKER)),
}
SECOND_ORDER = ("KFAC", "KFRA", "KFLR")
RESUMING = ("resume", "checkpoint_every", "stop_after_seconds", "stop_after_updates")
SWEEP_RESULTS = common.REPOSITORY / "demos" / "results" / f"{NAME}_sweep"
SWEEP = {
    "SGD": [dict(lr=lr) for lr in (3e-3, 1e-2, 3e-2, 1e-1)],
    "Momentum": [dict(lr=lr) for lr in (3e-4, 1e-3, 3e-3)],
    "Nesterov": [dict(lr=lr) for lr in (3e-4, 1e-3, 3e-3)],
    "Adam": [dict(lr=lr) for lr in (3e-4, 1e-3, 3e-3)],
    "KFAC": [dict(damping=d) for d in (1e-3, 3e-3, 1e-2)],
    "KFRA": [dict(damping=d) for d in (1e-3, 3e-3, 1e-2)],
}
SCHEDULE_ABLATIONS = {
    "KFRA": [dict(inverse_warmup=0, inverse_period=1), dict(inverse_warmup=0),
             dict(decay_warmup=False)],
}
CURVE_COLUMNS = (0, 10, 20, 50, 100, 200, 400, 800, 5000, 40000)
PRESETS = {
    "quick": dict(train_size=256, batch_size=32, updates=3, first_order_updates=3, every=1,
                  eval_size=64, sweep_updates=2, kflr_updates=1, width="tiny",
                  checkpoint_every=1),
    "default": dict(train_size=60000, batch_size=1000, updates=800, first_order_updates=800,
                    every=10, eval_size=10000, sweep_updates=100, kflr_updates=2,
                    width="paper", checkpoint_every=50),
    "full": dict(train_size=60000, batch_size=1000, updates=5000, first_order_updates=40000,
                 every=50, eval_size=10000, sweep_updates=100, kflr_updates=2, width="paper",
                 checkpoint_every=50),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None, help="MNIST training images (60000)")
    p.add_argument("--batch-size", type=int, default=None, help="images per update (1000)")
    p.add_argument("--updates", type=int, default=None,
                   help="updates per second-order method (800; --full: 5000, the paper's)")
    p.add_argument("--first-order-updates", type=int, default=None,
                   help="updates per first-order method (800; --full: 40000, the paper's)")
    p.add_argument("--every", type=int, default=None, help="updates between evaluations (10)")
    p.add_argument("--eval-size", type=int, default=None,
                   help="fixed training images on which the error is evaluated (10000)")
    p.add_argument("--kflr-updates", type=int, default=None,
                   help="updates over which KFLR's cost per update is measured")
    p.add_argument("--kflr-batch-size", type=int, default=None,
                   help="batch of those KFLR updates (default: --batch-size)")
    p.add_argument("--kflr-chunk-size", type=int, default=None,
                   help="samples whose KFLR columns are back-propagated at once (memory)")
    p.add_argument("--kflr-factor-period", type=int, default=1,
                   help="updates between fresh KFLR factors (optim.KFLR factor_period)")
    p.add_argument("--width", choices=("paper", "tiny"), default=None,
                   help="paper: the 784-1000-500-250-30 autoencoder; tiny: a 784-32-8 "
                        "mirrored sigmoid autoencoder for smoke tests")
    p.add_argument("--methods", default="SGD,Momentum,Nesterov,Adam,KFAC,KFRA,KFLR")
    p.add_argument("--sweep", action="store_true",
                   help="run the hyper-parameter grid SWEEP instead (results in "
                        "demos/results/gauss_newton_autoencoder_sweep)")
    p.add_argument("--sweep-updates", type=int, default=None,
                   help="updates per setting of the sweep (100)")
    p.add_argument("--sweep-results", default=str(SWEEP_RESULTS),
                   help="folder of the sweep whose best settings a run uses (default: "
                        "demos/results/gauss_newton_autoencoder_sweep)")
    p.add_argument("--resume", action="store_true",
                   help="continue each method from its checkpoint in --out (same settings)")
    p.add_argument("--checkpoint-every", type=int, default=None,
                   help="updates between a method's checkpoints in --out (50)")
    p.add_argument("--stop-after-seconds", type=float, default=None,
                   help="stop, between updates, once this process has run that long; the "
                        "checkpoints and the partial results.json allow --resume")
    p.add_argument("--stop-after-updates", type=int, default=None,
                   help="stop once this process has made that many updates (all methods)")
    if "--sweep" in (sys.argv[1:] if argv is None else argv):
        p.set_defaults(out=str(SWEEP_RESULTS), methods=",".join(SWEEP))
    args = common.parse(p, argv, PRESETS, merge=True)
    args.methods = common.method_list(p, args.methods, SWEEP if args.sweep else METHODS)
    if args.sweep and (args.resume or args.stop_after_seconds is not None
                       or args.stop_after_updates is not None):
        p.error("--resume and --stop-after-* apply to a run, not to --sweep")
    return args


def build_model(args):
    nn.init.manual_seed(args.seed)
    if args.width == "paper":
        return models.autoencoder("mnist", init="sparse")
    model = models.mlp([PIXELS, 32, 8, 32, PIXELS], activation="sigmoid")
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.sparse_incoming_(layer, incoming=8)
    return model


def flat_pixels(images):
    """Images ``(N, 1, 28, 28)`` uint8 as ``(N, 784)`` in [0, 1] (the ``DataLoader`` transform)."""
    return common.pixels(images, dtype=numpy.dtype(minigrad.get_default_dtype()).type)


def error(model, loss_fn, x):
    """The loss (nats per image) on the images ``x`` ``(N, 784)``, without gradients."""
    with minigrad.no_grad():
        inputs = common.tensor(x)
        return float(loss_fn(model(inputs), inputs).item())


class Stop:
    """Whether this process should stop between two updates: Ctrl-C was pressed (the first
    one is caught and honoured after the update in progress; a second aborts at once), or
    ``--stop-after-seconds`` of wall time or ``--stop-after-updates`` updates are spent."""

    def __init__(self, args):
        self.seconds, self.updates = args.stop_after_seconds, args.stop_after_updates
        self.made = 0
        self.sigint = StopOnSigint(common.log)
        self.reason = None

    def __enter__(self):
        self.sigint.__enter__()
        return self

    def __exit__(self, *exc):
        self.sigint.__exit__(*exc)

    def __call__(self):
        if self.reason is None:
            self.reason = ("Ctrl-C" if self.sigint.requested else
                           f"--stop-after-seconds {self.seconds:g}" if self.seconds is not None
                           and common.elapsed() >= self.seconds else
                           f"--stop-after-updates {self.updates}" if self.updates is not None
                           and self.made >= self.updates else None)
        return self.reason is not None


def checkpoint_path(out, method):
    """The checkpoint of ``method``'s training in the run folder ``out``."""
    return pathlib.Path(out) / f"checkpoint_{method}.npz"


def train(method, hyper, updates, args, images, evaluation, batch_size=None, identity=None,
          stop=None):
    """Train ``method`` with ``hyper`` for ``updates`` updates of ``batch_size`` images
    (default ``--batch-size``); ``[[update, seconds, nats]]``, evaluated at update 0, every
    ``--every`` updates and at the last one made.

    With ``identity`` (the run's settings and ``hyper``), the model, optimizer, loader and
    generators are saved every ``--checkpoint-every`` updates, at the end and when ``stop()``
    turns true between updates (``checkpoint_path``), and ``--resume`` continues from that
    checkpoint exactly; ``stop`` ends the training early, the curve ending at the last update
    made."""
    name, _ = METHODS[method]
    model = build_model(args)
    loss_fn = models.reconstruction_loss("mnist", reduction="batchmean")
    optimizer = optim.create(name, model.parameters(), **hyper)
    loader = data.DataLoader(images, numpy.zeros(len(images)), batch_size or args.batch_size,
                             shuffle=True, seed=args.seed, transform=flat_pixels)
    passes = iter(())

    def step():
        nonlocal passes
        batch = next(passes, None)
        if batch is None:
            passes = iter(loader)
            batch = next(passes)
        x = batch[0]
        if method in SECOND_ORDER:
            return optimizer.step(curvature.Closure(model, loss_fn, x, x))
        optimizer.zero_grad()
        loss = loss_fn(model(x), x)
        loss.backward()
        optimizer.step()
        return loss

    path = None if identity is None else checkpoint_path(args.out, method)
    parts = dict(model=model, optimizer=optimizer, loader=loader)
    if path is not None and args.resume and path.exists():
        done, seconds, curve = restore(path, {**identity, "method": method}, **parts)
        common.log(f"{method:>14s} resumed from {path} at update {done}")
    else:
        done, seconds, curve = 0, 0.0, [[0, 0.0, error(model, loss_fn, evaluation)]]
    for k in range(done + 1, updates + 1):
        if stop is not None and stop():
            break
        started = time.perf_counter()
        batch_error = float(step().item())
        seconds += time.perf_counter() - started
        common.check_finite(batch_error, f"{method} update {k}: batch error")
        done = k
        if stop is not None:
            stop.made += 1
        stopping = stop is not None and stop()
        if k % args.every == 0 or k == updates or stopping:
            value = common.check_finite(error(model, loss_fn, evaluation),
                                        f"{method} update {k}: error")
            if curve[-1][0] % args.every:
                curve.pop()  # where an earlier process stopped: not on the uninterrupted curve
            curve.append([k, seconds, value])
            common.log(f"{method:>14s} update {k:5d}  seconds {seconds:.4g}  batch_error "
                       f"{batch_error:.4g}  error {value:.4g}")
        if path is not None and (k % args.checkpoint_every == 0 or k == updates or stopping):
            save(path, {**identity, "method": method}, k, seconds, curve, **parts)
    return curve


def save(path, identity, update, seconds, curve, model, optimizer, loader):
    """Write the checkpoint of a training after ``update`` updates and ``seconds`` of them
    (atomically, ``minigrad.checkpoint``): ``identity``, the ``curve`` so far, the model,
    optimizer and loader states and the generators of initialisation and NumPy."""
    checkpoint.save({"identity": identity, "update": update, "seconds": seconds,
                     "curve": curve, "model": model.state_dict(),
                     "optimizer": optimizer.state_dict(), "loader": loader.state_dict(),
                     "init_generator": nn.init.generator().bit_generator.state,
                     "numpy_global": numpy.random.get_state()}, path)


def restore(path, identity, model, optimizer, loader):
    """Load the checkpoint ``path`` written by ``save`` into the model, optimizer, loader and
    generators; returns ``(update, seconds, curve)``. A checkpoint of another method, other
    settings or other hyper-parameters is refused (``CheckpointError``)."""
    state = checkpoint.load(path)
    checkpoint.require(state, ["identity", "update", "seconds", "curve", "model", "optimizer",
                               "loader", "init_generator", "numpy_global"], path)
    if state["identity"] != identity:
        raise checkpoint.CheckpointError(
            f"checkpoint {path} was made by another run "
            f"({records.difference(state['identity'], identity)}); --out another folder, or "
            f"pass --force to start over")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    loader.load_state_dict(state["loader"])
    nn.init.generator().bit_generator.state = state["init_generator"]
    numpy.random.set_state(state["numpy_global"])
    return state["update"], state["seconds"], [list(point) for point in state["curve"]]


def data_sets(args):
    """``(training images uint8, evaluation pixels (eval_size, 784), source)``."""
    (train_set,), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                          root=args.data_root, download=args.download)
    images = train_set[0]
    return images, flat_pixels(images[:args.eval_size]), source


def value_at(curve, update):
    """The error recorded at ``update`` in ``curve``, or None."""
    return next((value for step, _, value in curve if step == update), None)


def trained_curves(stored):
    """The curves of the methods trained at the run's batch: ``"curves"`` and KFLR's from
    ``"kflr_cost"`` when its batch is ``--batch-size``."""
    return {**stored["curves"], **{
        m: cost["curve"] for m, cost in stored.get("kflr_cost", {}).items()
        if cost["batch_size"] == stored["settings"]["batch_size"]}}


def run_table(stored):
    curves, settings = stored["curves"], stored["settings"]
    columns = [c for c in CURVE_COLUMNS if any(
        value_at(curve, c) is not None for curve in [*curves.values(), *(
            cost["curve"] for cost in stored.get("kflr_cost", {}).values())])]
    trained = trained_curves(stored)
    rows = []
    for method in [m for m in METHODS if m in trained]:
        curve = trained[method]
        cells = [value_at(curve, c) for c in columns]
        rows.append([label(stored, method), _hyper_text(stored["hyper"][method]), curve[-1][0],
                     curve[-1][1] / curve[-1][0]]
                    + ["–" if c is None else float(c) for c in cells] + [float(curve[-1][2])])
    text = (f"Error of the MNIST autoencoder (binary cross-entropy summed over pixels, nats "
            f"per image, on {settings['eval_size']} fixed training images) after a given "
            f"number of updates; {settings['train_size']} training images, batch "
            f"{settings['batch_size']}, {settings['threads']} BLAS thread(s)\n\n")
    text += common.markdown_table(["method", "hyper-parameters", "updates", "s / update"]
                                  + [f"{c}" for c in columns] + ["final"], rows)
    untrained = [m for m, p in stored.get("progress", {}).items() if p["updates"] == 0]
    if untrained:
        text += (f"\n\nNot trained yet (stopped before): "
                 f"{', '.join(_progress_text(m, stored['progress'][m]) for m in untrained)}.")
    if "KFLR" in stored.get("kflr_cost", {}):
        cost = stored["kflr_cost"]["KFLR"]
        text += (f"\n\nKFLR: {cost['seconds_per_update']:.4g} s per update at batch "
                 f"{cost['batch_size']}, over {cost['updates']} update(s) (hyper-parameters "
                 f"{_hyper_text(stored['hyper']['KFLR'])}).")
    return text


def _hyper_text(hyper):
    shown = {k: v for k, v in hyper.items() if k in ("lr", "damping", "momentum", "nesterov",
                                                     "factor_period", "chunk_size")}
    return ", ".join(f"{k} {v:g}" if not isinstance(v, bool) else k for k, v in shown.items()
                     if v is not False)


def run_figure(stored, out):
    fig, axes = common.figure(columns=2, width=5.6, height=4.0)
    for index, (method, curve) in enumerate(trained_curves(stored).items()):
        if len(curve) < 3:
            continue
        steps, seconds, values = (numpy.asarray(c, dtype=float) for c in zip(*curve))
        style = dict(label=label(stored, method),
                     linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)])
        axes[0, 0].plot(steps, values, **style)
        axes[0, 1].plot(seconds, values, **style)
    for ax, x_label in zip(axes[0], ("updates", "seconds of training (CPU, evaluation excluded)")):
        ax.set_xlabel(x_label)
        ax.set_ylabel("training error (nats / image)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=8, framealpha=0.7)
    fig.suptitle(f"MNIST autoencoder, batch {stored['settings']['batch_size']} "
                 f"(cf. Botev et al. 2017, Figure 2)")
    return [str(common.save_figure(fig, out / "figure2_mnist_autoencoder.png"))]


def chosen_hyper(method, sweep_results):
    """``(hyper, source)``: ``METHODS[method]`` updated by the sweep's best setting when the
    sweep in ``sweep_results`` (a folder) holds ``method``, else ``METHODS[method]`` alone."""
    path = sweep_results / records.RESULTS
    best = records.load(sweep_results)["best"].get(method) if path.exists() else None
    if best is None:
        return METHODS[method][1], "METHODS"
    return {**METHODS[method][1], **best}, str(path)


def main_run(args, images, evaluation, source):
    header = common.run_header(args, exclude=("methods", "sweep_results", "kflr_batch_size",
                                              "kflr_chunk_size", "kflr_factor_period",
                                              *RESUMING))
    methods = claim_methods(args, header["settings"])
    chosen = {m: chosen_hyper(m, pathlib.Path(args.sweep_results)) for m in methods}
    hyper = {m: h for m, (h, _) in chosen.items()}
    hyper_source = {m: source for m, (_, source) in chosen.items()}
    if "KFLR" in hyper:
        hyper["KFLR"] = {**hyper["KFLR"], "factor_period": args.kflr_factor_period,
                         **({} if args.kflr_chunk_size is None else
                            {"chunk_size": args.kflr_chunk_size})}
    curves, seconds_per_update, kflr_cost, progress = {}, {}, {}, {}
    with Stop(args) as stop:
        for method in methods:
            planned = (args.kflr_updates if method == "KFLR" else args.updates
                       if method in SECOND_ORDER else args.first_order_updates)
            if stop():
                progress[method] = {"updates": 0, "of": planned}
                continue
            identity = {"settings": header["settings"], "hyper": hyper[method]}
            batch = None
            if method == "KFLR":
                batch = args.kflr_batch_size or args.batch_size
                identity["batch_size"] = batch
            curve = train(method, hyper[method], planned, args, images, evaluation, batch,
                          identity=identity, stop=stop)
            if curve[-1][0] > 0 and method == "KFLR":
                kflr_cost[method] = {"updates": curve[-1][0], "batch_size": batch,
                                     "seconds_per_update": curve[-1][1] / curve[-1][0],
                                     "curve": curve}
            elif curve[-1][0] > 0:
                curves[method] = curve
                seconds_per_update[method] = curve[-1][1] / curve[-1][0]
            progress[method] = {"updates": curve[-1][0], "of": planned}
    results = {**header, "data": source, "out": common.out_text(args), "curves": curves,
               "hyper": hyper, "seconds_per_update": seconds_per_update,
               "kflr_cost": kflr_cost, "hyper_source": hyper_source, "progress": progress,
               "seconds": common.elapsed()}
    # claim_methods has left to --resume only the unfinished methods of a run of these settings.
    args.force = args.force or args.resume
    stored = common.finish_merged(args, NAME, results, "hyper", run_table, run_figure,
                                  prepare=lambda merged: merged.update(
                                      progress={**merged.get("progress", {}), **progress}))
    for method in methods:
        if method not in _unfinished(progress):
            checkpoint_path(args.out, method).unlink(missing_ok=True)
    if stop.reason is not None:
        common.log(f"stopped by {stop.reason} after "
                   f"{', '.join(_progress_text(m, p) for m, p in progress.items())}; "
                   f"{args.out / records.RESULTS} holds the partial results: continue with "
                   f"the same command and --resume")
    return stored


def claim_methods(args, settings):
    """The methods of ``--methods`` to train, after refusing (before anything is computed,
    unless ``--force``) to overwrite an earlier run's work in ``--out``: a ``results.json`` of
    other ``settings``, or an unfinished method's checkpoint without ``--resume``. ``--resume``
    leaves out the methods that ``results.json`` holds finished."""
    if args.force:
        return args.methods
    for method in args.methods:
        path = checkpoint_path(args.out, method)
        if path.exists() and not args.resume:
            raise FileExistsError(f"{path} holds a checkpoint of {method}; pass --resume to "
                                  f"continue it, or --force to start over")
    if not (args.out / records.RESULTS).exists():
        return args.methods
    stored = records.load(args.out)
    if stored["settings"] != settings:
        raise FileExistsError(f"{args.out / records.RESULTS} holds a run with other settings "
                              f"({records.difference(stored['settings'], settings)}); pass "
                              f"--force to replace it, or --out another folder")
    if not args.resume:
        return args.methods
    finished = [m for m in args.methods if m in stored["hyper"]
                and m not in _unfinished(stored.get("progress", {}))]
    if finished:
        common.log(f"--resume: {', '.join(finished)} finished in {args.out / records.RESULTS}")
    return [m for m in args.methods if m not in finished]


def _unfinished(progress):
    """The methods of a ``"progress"`` dict that stopped before their count of updates."""
    return [m for m, p in progress.items() if p["updates"] < p["of"]]


def _progress_text(method, progress):
    return f"{method} {progress['updates']:,} of {progress['of']:,} updates"


def label(stored, method):
    """``method``, or ``"KFAC (1,200 of 5,000 updates)"`` when it stopped before its count."""
    progress = stored.get("progress", {})
    return (f"{method} ({progress[method]['updates']:,} of {progress[method]['of']:,} updates)"
            if method in _unfinished(progress) else method)


def sweep_table(stored):
    settings = stored["settings"]
    rows = []
    for method in [m for m in SWEEP if m in stored["sweep"]]:
        best = stored["best"][method]
        for entry in stored["sweep"][method]:
            end = entry["error"]
            setting = _sweep_text({**_shown(METHODS[method][1]), **entry["hyper"]})
            if entry.get("ablation"):
                setting = (f"{_sweep_text(_shown(METHODS[method][1]))} with "
                           f"{_sweep_text(entry['hyper'])}")
            mark = "ablation" if entry.get("ablation") else (
                "best" if entry["hyper"] == best else "")
            rows.append([method, setting, f"diverged: {entry['diverged_at']}" if end is None
                         else float(end), mark])
    return (f"Hyper-parameter sweep: error (nats per image, {settings['eval_size']} fixed "
            f"training images) after {settings['sweep_updates']} updates at batch "
            f"{settings['batch_size']}\n\n"
            + common.markdown_table(["method", "setting", "error", "chosen"], rows))


def _shown(hyper):
    """The swept hyper-parameters of ``hyper`` (learning rate and damping)."""
    return {k: v for k, v in hyper.items() if k in ("lr", "damping")}


def _sweep_text(hyper):
    return ", ".join(f"{k} {v}" for k, v in hyper.items())


def sweep_figure(stored, out):
    methods = [m for m in SWEEP if m in stored["sweep"]]
    fig, axes = common.figure(columns=min(3, len(methods)),
                              rows=(len(methods) + 2) // 3, width=4.6, height=3.8)
    for ax, method in zip(axes.flat, methods):
        for index, entry in enumerate(stored["sweep"][method]):
            if len(entry["curve"]) > 1:
                steps, _, values = zip(*entry["curve"])
                ax.plot(steps, values, label=_sweep_text(entry["hyper"]),
                        linestyle=common.LINE_STYLES[index % len(common.LINE_STYLES)])
        ax.set_title(method)
        ax.set_xlabel("updates")
        ax.set_ylabel("training error (nats / image)")
        ax.set_yscale("log")
        ax.legend(fontsize=7, framealpha=0.7)
    for ax in list(axes.flat)[len(methods):]:
        ax.axis("off")
    fig.suptitle(f"Sweep: error after each setting's updates, batch "
                 f"{stored['settings']['batch_size']}")
    fig.tight_layout()
    return [str(common.save_figure(fig, out / "sweep.png"))]


def sweep_entry(method, setting, args, images, evaluation):
    """One setting of the grid: its curve, its final error, or the update where it diverged."""
    hyper = {**METHODS[method][1], **setting}
    try:
        curve = train(method, hyper, args.sweep_updates, args, images, evaluation)
    except (FloatingPointError, numpy.linalg.LinAlgError) as err:
        common.log(f"{method} {setting}: diverged ({err})")
        return {"hyper": setting, "curve": [], "error": None, "diverged_at": str(err)}
    return {"hyper": setting, "curve": curve, "error": curve[-1][2], "diverged_at": None}


def ablation_entry(method, setting, args, images, evaluation):
    """``sweep_entry`` of a schedule ablation: ``METHODS[method]`` with ``setting`` changed."""
    return {**sweep_entry(method, setting, args, images, evaluation), "ablation": True}


def main_sweep(args, images, evaluation, source):
    sweep, best = {}, {}
    for method in args.methods:
        sweep[method] = [sweep_entry(method, s, args, images, evaluation) for s in SWEEP[method]]
        finished = [e for e in sweep[method] if e["error"] is not None]
        best[method] = min(finished, key=lambda e: e["error"])["hyper"] if finished else None
        sweep[method] += [ablation_entry(method, s, args, images, evaluation)
                          for s in SCHEDULE_ABLATIONS.get(method, ())]
    results = {**common.run_header(args, exclude=("methods", "sweep_results",
                                                  "first_order_updates", "kflr_chunk_size",
                                                  "kflr_factor_period", *RESUMING)),
               "data": source, "out": common.out_text(args), "sweep": sweep, "best": best,
               "seconds": common.elapsed()}

    return common.finish_merged(args, f"{NAME} sweep", results, "sweep", sweep_table,
                                sweep_figure)


def main(argv=None):
    args = arguments(argv)
    images, evaluation, source = data_sets(args)
    if args.sweep:
        return main_sweep(args, images, evaluation, source)
    return main_run(args, images, evaluation, source)


if __name__ == "__main__":
    main()
