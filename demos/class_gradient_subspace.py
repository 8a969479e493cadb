"""Class gradients span the top Hessian eigenspace; Newton in that subspace vs SGD.

Reproduces Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in the
class gradient defined high-curvature subspace" (2020) on two models
(``--model``):

* ``small-cnn`` (Figure 2): the ~400-parameter CNN (``models.small_cnn()``, 426
  parameters) on an MNIST subset small enough for full-batch training;
* ``resnet9`` (Figure 1): ``models.resnet9()`` (6,573,130 parameters) on the
  CIFAR-10 subset, at a scale a CPU affords (results in
  ``demos/results/class_gradient_subspace_resnet9``).

1. **Overlap.** While the model trains with SGD (batch ``--overlap-batch``), at
   the SGD updates ``--overlap-updates``: the class gradients
   ``c_k = (1/|D_k|) Σ_{μ∈D_k} ∇z_k^μ`` (eq. 1, ``curvature.class_gradients``)
   of a class-balanced analysis batch, the top-C (C = 10) Hessian eigenvectors
   of the mean cross-entropy on the same batch (``top_eigen``, Lanczos on the
   exact Hessian), and their ``subspace_overlap`` (mean squared cosine of the
   principal angles: 1 when the spaces coincide, C/P for a random
   C-dimensional subspace), also against the top-(C − 1) eigenvectors and for a
   random subspace. For every class k: the paper's curvature estimate λ_k
   (eq. 4) against the exact curvature along v_k = c_k/‖c_k‖, the Rayleigh
   quotient v_kᵀHv_k from one Hessian-vector product.
2. **Training.** ``optim.ClassSubspaceNewton`` against SGD with the same η, from
   the same initial weights and the same batches, at each batch size of
   ``--batch-sizes``; every ``--every`` updates the loss on the whole training
   (sub)set (``small-cnn``) or on held-out test images (``resnet9``, the
   paper's validation loss; batch-norm layers use the evaluated chunk's
   statistics). Runs (``--runs``): ``sgd``; ``class-subspace``
   (eq. 6 with the paper's λ_k, damped: 1/(λ_k + δ)); ``eq6-undamped`` (eq. 6
   exactly as written, δ = 0); ``measured-curvature`` (eq. 6 with
   λ_k = v_kᵀHv_k, δ = 0); ``subspace-newton`` (Newton's step with the exact
   Hessian projected on span{v_k}, δ = ``--subspace-damping``). The crossover
   of each run with SGD is the first evaluated update from which SGD's loss
   stays below the run's to the end.

The paper gives no hyper-parameters; here η = 0.1 for the CNN (the paper
reports divergence above 10⁻¹) and the damping of ``class-subspace`` is
δ = ``--damping``.
"""
import pathlib
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402
from matplotlib import ticker  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import common  # noqa: E402
from minigrad import curvature, nn  # noqa: E402
from minigrad.curvature.evaluation import preserved_buffers  # noqa: E402
from minigrad.ops.activation import Softmax  # noqa: E402
from optim import class_subspace  # noqa: E402

NAME = "class_gradient_subspace"
MODELS = ("small-cnn", "resnet9")
RUNS = ("sgd", "class-subspace", "eq6-undamped", "measured-curvature", "subspace-newton")
LABELS = {"sgd": "SGD", "class-subspace": "eq. (6), λ_k of eq. 4, δ = {damping}",
          "eq6-undamped": "eq. (6) as written (δ = 0)",
          "measured-curvature": "eq. (6), λ_k = v_kᵀHv_k, δ = 0",
          "subspace-newton": "Newton in span{{v_k}}, exact Hessian, δ = {subspace_damping}"}
PRESETS = {
    "small-cnn": {
        "quick": dict(train_size=32, test_size=0, analysis_size=20, overlap_updates="0,1",
                      overlap_batch=32, lanczos_iters=12, batch_sizes="8,32", steps=2, every=1,
                      lr=0.1, damping=1.0, subspace_damping=1.0, runs=",".join(RUNS)),
        "default": dict(train_size=256, test_size=0, analysis_size=250,
                        overlap_updates="0,32,96,192", overlap_batch=32, lanczos_iters=40,
                        batch_sizes="32,128,256", steps=150, every=10, lr=0.1, damping=1.0,
                        subspace_damping=1.0, runs=",".join(RUNS)),
        "full": dict(train_size=5000, test_size=0, analysis_size=1000,
                     overlap_updates="0,160,320,800,1600", overlap_batch=32, lanczos_iters=80,
                     batch_sizes="64,512,5000", steps=1000, every=10, lr=0.1, damping=1.0,
                     subspace_damping=1.0, runs=",".join(RUNS)),
    },
    "resnet9": {
        "quick": dict(train_size=20, test_size=8, analysis_size=10, image_size=8,
                      overlap_updates="0", overlap_batch=8, lanczos_iters=10, batch_sizes="8",
                      steps=1, every=1, lr=0.05, damping=1.0, subspace_damping=1.0,
                      runs="sgd,class-subspace"),
        "default": dict(train_size=4000, test_size=128, analysis_size=20,
                        overlap_updates="0,20", overlap_batch=16, lanczos_iters=12,
                        batch_sizes="16", steps=20, every=5, lr=0.05, damping=1.0,
                        subspace_damping=1.0, runs="sgd,class-subspace"),
        "full": dict(train_size=4000, test_size=1000, analysis_size=100,
                     overlap_updates="0,125,250,625", overlap_batch=128, lanczos_iters=60,
                     batch_sizes="128,512", steps=500, every=25, lr=0.05, damping=1.0,
                     subspace_damping=1.0, runs=",".join(RUNS)),
    },
}
CLASSES = 10


def arguments(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    model = _chosen_model(argv)
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--model", choices=MODELS, default="small-cnn",
                   help="small-cnn on MNIST (Figure 2) or resnet9 on the CIFAR-10 subset "
                        "(Figure 1)")
    if model == "resnet9":
        p.set_defaults(out=str(common.REPOSITORY / ("runs/quick" if "--quick" in argv else
                                                    "demos/results") / f"{NAME}_resnet9"))
    p.add_argument("--train-size", type=int, default=None, help="training images used")
    p.add_argument("--test-size", type=int, default=None,
                   help="held-out test images for the validation loss (0: the training loss)")
    p.add_argument("--analysis-size", type=int, default=None,
                   help="images (class-balanced) for class gradients and Hessian eigenvectors")
    p.add_argument("--overlap-updates", default=None,
                   help="comma-separated SGD updates at which the overlap is measured")
    p.add_argument("--overlap-batch", type=int, default=None,
                   help="batch size of the SGD run of the overlap measurement")
    p.add_argument("--lanczos-iters", type=int, default=None)
    p.add_argument("--batch-sizes", default=None, help="comma-separated batch sizes (training)")
    p.add_argument("--steps", type=int, default=None, help="updates per training run")
    p.add_argument("--every", type=int, default=None, help="updates between loss evaluations")
    p.add_argument("--lr", type=float, default=None, help="η of SGD and of the co-space")
    p.add_argument("--damping", type=float, default=None,
                   help="δ in 1/(λ_k + δ) of the class-subspace run")
    p.add_argument("--subspace-damping", type=float, default=None,
                   help="δ of the subspace-newton run")
    p.add_argument("--runs", default=None, help=f"comma-separated runs from {list(RUNS)}")
    p.add_argument("--image-size", type=int, default=None,
                   help="centre crop of this side (default: the whole image)")
    args = common.parse(p, argv, PRESETS[model])
    args.overlap_updates = [int(u) for u in str(args.overlap_updates).split(",")]
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",")]
    args.runs = common.method_list(p, args.runs, RUNS)
    if "sgd" not in args.runs:
        p.error("--runs must include sgd (every run is compared with it)")
    return args


def _chosen_model(argv):
    """The ``--model`` given in ``argv`` (its presets and default folder depend on it)."""
    for i, item in enumerate(argv):
        if item == "--model" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in MODELS else "small-cnn"
        if item.startswith("--model="):
            return item.split("=", 1)[1] if item.split("=", 1)[1] in MODELS else "small-cnn"
    return "small-cnn"


def prepare_data(args):
    name = "mnist" if args.model == "small-cnn" else "cifar10"
    pieces, source = common.subsets(name, [args.train_size], seed=args.seed, root=args.data_root,
                                    download=args.download,
                                    test_size=args.test_size or None)
    result = {"x": centre_crop(common.standardized(pieces[0][0], source), args.image_size),
              "y": pieces[0][1], "source": source}
    if args.test_size:
        result["test_x"] = centre_crop(common.standardized(pieces[1][0], source),
                                       args.image_size)
        result["test_y"] = pieces[1][1]
    return result


def centre_crop(images, side):
    """The central ``side × side`` pixels of ``(N, C, H, W)`` images (all of them for None)."""
    if side is None:
        return images
    top, left = (images.shape[2] - side) // 2, (images.shape[3] - side) // 2
    return numpy.ascontiguousarray(images[:, :, top:top + side, left:left + side])


def balanced(labels, size):
    """Indices of ``size // C`` images of each class (in data order), for the analysis batch."""
    per_class = size // CLASSES
    chosen = [numpy.flatnonzero(labels == k)[:per_class] for k in range(CLASSES)]
    return numpy.sort(numpy.concatenate(chosen))


def build_model(args):
    nn.init.manual_seed(args.seed)
    return models.small_cnn() if args.model == "small-cnn" else models.resnet9()


def evaluation_loss(model, loss_fn, data):
    """Mean cross-entropy on the held-out images if any, else on the training set, in chunks
    of 256 with the chunk's batch-norm statistics (running statistics left unchanged: after
    a few dozen updates they are still far from the data's)."""
    x, y = (data["test_x"], data["test_y"]) if "test_x" in data else (data["x"], data["y"])
    total = 0.0
    with minigrad.no_grad(), preserved_buffers(model):
        for i in range(0, len(x), 256):
            total += float(loss_fn(model(common.tensor(x[i:i + 256])),
                                   common.tensor(y[i:i + 256])).item()) * len(x[i:i + 256])
    return total / len(x)


def overlap_measurement(model, loss_fn, x, y, args):
    """Overlap of span{c_k} with the top-C Hessian eigenvectors, and the curvature along v_k."""
    class_gradients = minigrad.to_host(curvature.class_gradients(model, x, y))
    hessian = curvature.hessian_operator(model, loss_fn, x, y)
    values, vectors = curvature.top_eigen(hessian, k=CLASSES, iters=args.lanczos_iters,
                                          seed=args.seed)
    vectors = minigrad.to_host(vectors)
    overlap = curvature.subspace_overlap(class_gradients.T, vectors)
    overlap_below = curvature.subspace_overlap(class_gradients.T, vectors[:, :CLASSES - 1])
    rng = numpy.random.default_rng(args.seed)
    random_overlap = curvature.subspace_overlap(
        rng.standard_normal(class_gradients.T.shape), vectors)
    norms = numpy.linalg.norm(class_gradients, axis=1)
    return {"overlap": overlap, "overlap_top_C_minus_1": overlap_below,
            "random_overlap": random_overlap,
            "top_eigenvalues": [float(v) for v in minigrad.to_host(values)],
            "class_gradient_norms": norms.tolist(),
            "lambda_k": paper_eigenvalues(model, x, y, norms).tolist(),
            "rayleigh_k": [rayleigh_quotient(hessian, c) if n > 0 else None
                           for c, n in zip(class_gradients, norms)]}


def paper_eigenvalues(model, x, y, norms):
    """The paper's curvature estimates λ_k = (1/|B|) Σ_μ y_k^μ p_k^μ (1 − p_k^μ) ‖c_k‖² (eq. 4)."""
    with minigrad.no_grad():
        logits = minigrad.to_host(model(x).data)
    targets = class_subspace.one_hot(minigrad.to_host(y.data), CLASSES, NAME)
    return class_subspace.class_eigenvalues(norms, Softmax().forward(logits, 1), targets)


def rayleigh_quotient(hessian, vector):
    """``vᵀ H v / vᵀ v`` with one exact Hessian-vector product."""
    product = minigrad.to_host(hessian.matvec(minigrad.backend.to_device(
        vector.astype(hessian.dtype))))
    return float(vector @ product / (vector @ vector))


def overlap_experiment(args, data):
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    optimizer = optim.create("sgd", model.parameters(), lr=args.lr)
    chosen = balanced(data["y"], args.analysis_size)
    x, y = common.tensor(data["x"][chosen]), common.tensor(data["y"][chosen])
    rng = numpy.random.default_rng(args.seed)
    queue, records = [], []
    for update in range(max(args.overlap_updates) + 1):
        if update in args.overlap_updates:
            start = time.perf_counter()
            record = {"update": update, "loss": evaluation_loss(model, loss_fn, data),
                      **overlap_measurement(model, loss_fn, x, y, args)}
            record["seconds"] = time.perf_counter() - start
            records.append(record)
            common.log(f"overlap update {update:4d}  loss {record['loss']:.4f}  overlap "
                       f"{record['overlap']:.3f} (random {record['random_overlap']:.3f})  "
                       f"λ₁ {record['top_eigenvalues'][0]:.4g}  ({record['seconds']:.0f} s)")
        if update == max(args.overlap_updates):
            break
        if not queue:
            queue.extend(common.batches(len(data["x"]), args.overlap_batch, rng))
        idx = queue.pop(0)
        optimizer.step(curvature.Closure(model, loss_fn, common.tensor(data["x"][idx]),
                                         common.tensor(data["y"][idx])))
    return records


def optimizer_for(name, model, args):
    """SGD, or ``ClassSubspaceNewton`` configured as the run ``name`` (module docstring)."""
    if name == "sgd":
        return optim.create("sgd", model.parameters(), lr=args.lr)
    hyper = {"class-subspace": dict(damping=args.damping),
             "eq6-undamped": dict(damping=0.0),
             "measured-curvature": dict(damping=0.0, curvature="rayleigh"),
             "subspace-newton": dict(damping=args.subspace_damping, curvature="subspace")}[name]
    return optim.create("class-subspace", model.parameters(), lr=args.lr, **hyper)


def training_run(name, batch_size, args, data, loss_name):
    """``{"curve": [[update, seconds, loss], ...], "diverged_at": update or None}`` of the run
    ``name`` at ``batch_size``; a run stops at the first non-finite batch or evaluation loss."""
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    optimizer = optimizer_for(name, model, args)
    rng = numpy.random.default_rng(args.seed)
    queue, seconds = [], 0.0
    curve = [[0, 0.0, evaluation_loss(model, loss_fn, data)]]
    label = f"{name} b={batch_size}"
    for update in range(1, args.steps + 1):
        if not queue:
            queue.extend(common.batches(len(data["x"]), batch_size, rng))
        idx = queue.pop(0)
        closure = curvature.Closure(model, loss_fn, common.tensor(data["x"][idx]),
                                    common.tensor(data["y"][idx]))
        start = time.perf_counter()
        try:
            common.check_finite(optimizer.step(closure).item(), "batch loss")
            seconds += time.perf_counter() - start
            if update % args.every == 0 or update == args.steps:
                loss = common.check_finite(evaluation_loss(model, loss_fn, data), loss_name)
                curve.append([update, seconds, loss])
                common.log(f"{label:>24s} update {update:4d}  loss {loss:.4f}  {seconds:.1f} s")
        except FloatingPointError as err:
            common.log(f"{label} diverged at update {update}: {err}")
            return {"curve": curve, "diverged_at": update}
    return {"curve": curve, "diverged_at": None}


def crossover(curve, sgd_curve):
    """The first evaluated update from which SGD's loss stays below ``curve``'s to the end of
    the run (both evaluated at the same updates), or ``None`` when SGD does not end below."""
    sgd = dict((step, loss) for step, _, loss in sgd_curve)
    result = None
    for step, _, loss in curve[1:]:
        if sgd[step] < loss:
            result = step if result is None else result
        else:
            result = None
    return result


def lead_changes(curve, sgd_curve):
    """The evaluated updates at which the lower of the two losses changes hands."""
    sgd = dict((step, loss) for step, _, loss in sgd_curve)
    ahead = [(step, loss < sgd[step]) for step, _, loss in curve[1:]]
    return [step for (step, now), (_, before) in zip(ahead[1:], ahead) if now != before]


def summary(run, sgd_run, args):
    """Final loss, lead over SGD after the first evaluation and the crossover of one run."""
    curve, sgd_curve = run["curve"], sgd_run["curve"]
    if run["diverged_at"] is not None:
        return {"final": None, "diverged_at": run["diverged_at"], "crossover": None,
                "first_lead": None, "lead_changes": None}
    return {"final": curve[-1][2], "diverged_at": None, "crossover": crossover(curve, sgd_curve),
            "first_lead": sgd_curve[1][2] - curve[1][2],
            "lead_changes": lead_changes(curve, sgd_curve)}


def label(name, args):
    return LABELS[name].format(damping=args.damping, subspace_damping=args.subspace_damping)


def overlap_tables(overlaps, args, loss_name):
    size = args.analysis_size // CLASSES * CLASSES
    rows = [[r["update"], r["loss"], r["overlap"], r["overlap_top_C_minus_1"],
             r["random_overlap"], r["top_eigenvalues"][0], r["top_eigenvalues"][-1],
             r["seconds"]] for r in overlaps]
    overlap_table = common.markdown_table(
        ["SGD update", loss_name, "overlap(span c_k, top-10 H)", "… top-9 H",
         "random 10-dim subspace", "λ₁(H)", "λ₁₀(H)", "seconds"], rows)
    curvature_rows = []
    for r in overlaps:
        present = [k for k, q in enumerate(r["rayleigh_k"]) if q is not None]
        lambdas = numpy.asarray([r["lambda_k"][k] for k in present])
        quotients = numpy.asarray([r["rayleigh_k"][k] for k in present])
        ratios = lambdas / quotients
        curvature_rows.append([r["update"], len(present), float(lambdas.min()),
                               float(lambdas.max()), float(quotients.min()),
                               float(quotients.max()), float(numpy.median(ratios)),
                               float(ratios.min()), float(ratios.max())])
    curvature_table = common.markdown_table(
        ["SGD update", "classes", "min λ_k", "max λ_k", "min v_kᵀHv_k", "max v_kᵀHv_k",
         "median λ_k / v_kᵀHv_k", "min ratio", "max ratio"], curvature_rows)
    return (f"Overlap of the class-gradient span with the top-10 Hessian eigenvectors "
            f"({args.model}, {size} class-balanced images, {args.lanczos_iters} Lanczos "
            f"iterations; SGD η = {args.lr}, batch {args.overlap_batch})\n\n{overlap_table}\n\n"
            f"The paper's curvature λ_k (eq. 4) against the exact curvature along v_k = "
            f"c_k/‖c_k‖ (Rayleigh quotient from a Hessian-vector product), over the "
            f"classes present in the batch\n\n{curvature_table}")


def training_table(curves, summaries, args, loss_name):
    rows = []
    for batch_size in args.batch_sizes:
        sgd = curves[f"sgd/{batch_size}"]
        for name in args.runs:
            s = summaries[f"{name}/{batch_size}"]
            seconds = curves[f"{name}/{batch_size}"]["curve"][-1][1]
            if s["diverged_at"] is not None:
                rows.append([batch_size, label(name, args), f"diverged at update "
                             f"{s['diverged_at']}", "—", "—", "—", f"{seconds:.1f}"])
                continue
            ahead = "—" if name == "sgd" else f"{s['first_lead']:+.4f}"
            cross = ("—" if name == "sgd" else "none (ahead at the end)" if s["crossover"] is None
                     else "SGD ahead throughout" if s["crossover"] == sgd["curve"][1][0]
                     else f"update {s['crossover']}")
            changes = ("—" if name == "sgd" else
                       ", ".join(str(step) for step in s["lead_changes"]) or "none")
            rows.append([batch_size, label(name, args), s["final"], ahead, cross, changes,
                         f"{seconds:.1f}"])
    table = common.markdown_table(
        ["batch size", "run", f"{loss_name} after {args.steps} updates",
         f"lead over SGD after {args.every} updates", "SGD ahead from",
         "lead changes hands at updates", "seconds (steps)"], rows)
    return (f"Training: {loss_name} every {args.every} updates, η = {args.lr}, same initial "
            f"weights and batches for every run ({args.train_size} training images)\n\n{table}")


def figures(overlaps, curves, args, loss_name):
    fig, axes = common.figure(columns=len(args.batch_sizes) + 1)
    ax = axes[0, 0]
    updates = [r["update"] for r in overlaps]
    ax.plot(updates, [r["overlap"] for r in overlaps], marker="o", markersize=8,
            label="span c_k vs top-10 H")
    ax.plot(updates, [r["overlap_top_C_minus_1"] for r in overlaps], "--", marker="s",
            markerfacecolor="none", label="span c_k vs top-9 H")
    ax.plot(updates, [r["random_overlap"] for r in overlaps], ":", label="random vs top-10 H")
    ax.set_xlabel("SGD update")
    ax.set_ylabel("subspace overlap")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    for ax, batch_size in zip(axes[0, 1:], args.batch_sizes):
        start = curves[f"sgd/{batch_size}"]["curve"][0][2]
        losses = [point[2] for name in args.runs for point in curves[f"{name}/{batch_size}"]
                  ["curve"]]
        for name, style in zip(args.runs, common.LINE_STYLES):
            run = curves[f"{name}/{batch_size}"]
            text = label(name, args) + (f" (diverged at {run['diverged_at']})"
                                        if run["diverged_at"] is not None else "")
            ax.plot([p[0] for p in run["curve"]], [p[2] for p in run["curve"]],
                    linestyle=style, label=text)
        if max(losses) > 2 * start:
            ax.set_yscale("log")
        else:
            ax.set_ylim(min(losses) - 0.02, max(start + 0.1, max(losses)))
        ax.set_title(f"batch size {batch_size}", fontsize=9)
        ax.set_xlabel("update")
        ax.set_ylabel(loss_name)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    paths = [str(common.save_figure(fig, args.out / "overlap_and_training.png"))]
    fig, axes = common.figure()
    ax = axes[0, 0]
    for r in overlaps:
        present = [k for k, q in enumerate(r["rayleigh_k"]) if q is not None and q > 0]
        ax.loglog([r["rayleigh_k"][k] for k in present], [r["lambda_k"][k] for k in present],
                  "o", label=f"SGD update {r['update']}")
    low, high = ax.get_xlim()
    ax.loglog([low, high], [low, high], "k:", label="λ_k = v_kᵀHv_k")
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("exact curvature along v_k, v_kᵀHv_k")
    ax.set_ylabel("eq. 4 estimate λ_k")
    ax.legend(fontsize=7)
    paths.append(str(common.save_figure(fig, args.out / "eq4_against_exact_curvature.png")))
    return paths


def main(argv=None):
    args = arguments(argv)
    data = prepare_data(args)
    loss_name = "test loss" if args.test_size else "training loss"
    overlaps = overlap_experiment(args, data)
    curves = {f"{name}/{b}": training_run(name, b, args, data, loss_name)
              for b in args.batch_sizes for name in args.runs}
    summaries = {key: summary(run, curves[f"sgd/{key.split('/')[1]}"], args)
                 for key, run in curves.items()}
    table = (f"{overlap_tables(overlaps, args, loss_name)}\n\n"
             f"{training_table(curves, summaries, args, loss_name)}")
    results = {"data": data["source"], "overlaps": overlaps,
               "curves": {key: run["curve"] for key, run in curves.items()},
               "diverged_at": {key: run["diverged_at"] for key, run in curves.items()},
               "summaries": summaries,
               "figures": figures(overlaps, curves, args, loss_name)}
    name = NAME if args.model == "small-cnn" else f"{NAME}_resnet9"
    return common.finish(args, name, results, table)


if __name__ == "__main__":
    main()
