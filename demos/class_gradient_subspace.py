"""Class gradients span the top Hessian eigenspace; Newton in that subspace vs SGD.

Reproduces Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in the
class gradient defined high-curvature subspace"
(class-gradient-quasi-newton.txt) with the ~400-parameter CNN on MNIST
(``models.small_cnn()``, 426 parameters):

1. **Overlap.** While the CNN trains with SGD, at a few checkpoints: the class
   gradients ``c_k = (1/|D_k|) Σ_{μ∈D_k} ∇z_k^μ`` (eq. 1,
   ``minigrad.curvature.class_gradients``) of an analysis batch, the top-C
   (C = 10) Hessian eigenvectors of the mean cross-entropy on the same batch
   (``top_eigen`` of the exact Hessian operator, Lanczos), and their
   ``subspace_overlap`` (mean squared cosine of the principal angles: 1 when the
   spaces coincide, C/P ≈ 0.023 for a random C-dimensional subspace).
   At the same checkpoints, for every class present, the paper's curvature
   estimate λ_k (eq. 4) against the exact curvature along v_k = c_k/‖c_k‖,
   the Rayleigh quotient v_kᵀHv_k from one Hessian-vector product, and the
   overlap with the top-(C − 1) eigenvectors.
2. **Figure 2.** Training loss of ``optim.ClassSubspaceNewton`` (eq. 6: Newton
   in span{c_k} with the low-rank Hessian of eqs. 3–4, SGD with learning rate η
   in the complement, exponential moving averages of v_k and λ_k) and of SGD
   with the same η, from the same initial weights, at several batch sizes up
   to the full (sub)set, against the number of updates; also eq. 6 exactly as
   written (δ = 0) and eq. 6 with the measured curvature
   (``curvature="rayleigh"``, δ = 0).

The paper gives no hyper-parameters for the MNIST runs; here η = 0.1 (the paper
reports divergence above 10⁻¹) and the Newton part is damped,
``1/(λ_k + δ)`` with δ = ``--damping`` (default 1): with δ = 0 the early
``λ_k`` are tiny and the first Newton steps overflow.
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
from optim import class_subspace  # noqa: E402

NAME = "class_gradient_subspace"
RUNS = ("sgd", "class-subspace", "eq6-undamped", "measured-curvature")
PRESETS = {
    "quick": dict(train_size=32, analysis_size=16, overlap_epochs="0,1", lanczos_iters=12,
                  batch_sizes="8,32", steps=2, every=1, lr=0.1, damping=1.0),
    "default": dict(train_size=512, analysis_size=256, overlap_epochs="0,2,6,12",
                    lanczos_iters=40, batch_sizes="32,128,512", steps=60, every=10, lr=0.1,
                    damping=1.0),
    "full": dict(train_size=5000, analysis_size=1000, overlap_epochs="0,1,2,5,10,20",
                 lanczos_iters=80, batch_sizes="64,512,5000", steps=300, every=10, lr=0.1,
                 damping=1.0),
}
CLASSES = 10


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None, help="MNIST training images used")
    p.add_argument("--analysis-size", type=int, default=None,
                   help="images in the batch for class gradients and Hessian eigenvectors")
    p.add_argument("--overlap-epochs", default=None,
                   help="comma-separated SGD epochs at which the overlap is measured")
    p.add_argument("--lanczos-iters", type=int, default=None)
    p.add_argument("--batch-sizes", default=None, help="comma-separated batch sizes (Figure 2)")
    p.add_argument("--steps", type=int, default=None, help="updates per run (Figure 2)")
    p.add_argument("--every", type=int, default=None, help="updates between loss evaluations")
    p.add_argument("--lr", type=float, default=None, help="η of SGD and of the co-space")
    p.add_argument("--damping", type=float, default=None, help="δ in 1/(λ_k + δ)")
    args = common.parse(p, argv, PRESETS)
    args.overlap_epochs = [int(e) for e in str(args.overlap_epochs).split(",")]
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",")]
    return args


def prepare_data(args):
    (train,), source = common.subsets("mnist", [args.train_size], seed=args.seed,
                                      root=args.data_root, download=args.download)
    return {"x": common.standardized(train[0], source), "y": train[1], "source": source}


def build_model(args):
    nn.init.manual_seed(args.seed)
    return models.small_cnn()


def full_loss(model, loss_fn, data):
    with minigrad.no_grad():
        return float(loss_fn(model(common.tensor(data["x"])), common.tensor(data["y"])).item())


def overlap_measurement(model, loss_fn, x, y, args):
    """Overlap of span{c_k} with the top-C Hessian eigenvectors, and the top eigenvalues."""
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
    x = common.tensor(data["x"][:args.analysis_size])
    y = common.tensor(data["y"][:args.analysis_size])
    rng = numpy.random.default_rng(args.seed)
    records = []
    for epoch in range(max(args.overlap_epochs) + 1):
        if epoch in args.overlap_epochs:
            record = {"epoch": epoch, "train_loss": full_loss(model, loss_fn, data),
                      **overlap_measurement(model, loss_fn, x, y, args)}
            records.append(record)
            common.log(f"overlap epoch {epoch:3d}  loss {record['train_loss']:.4f}  overlap "
                       f"{record['overlap']:.3f} (random {record['random_overlap']:.3f})  "
                       f"λ₁ {record['top_eigenvalues'][0]:.4g}")
        if epoch == max(args.overlap_epochs):
            break
        for idx in common.batches(len(data["x"]), 32, rng):
            optimizer.step(curvature.Closure(model, loss_fn, common.tensor(data["x"][idx]),
                                             common.tensor(data["y"][idx])))
    return records


def training_run(name, batch_size, args, data):
    """Training-loss records of ``name`` at ``batch_size``: "sgd", "class-subspace" (damped
    by ``--damping``), "eq6-undamped" (eq. 6 as written, δ = 0) or "measured-curvature"
    (eq. 6, δ = 0, with λ_k = v_kᵀ H v_k from Hessian-vector products)."""
    model, loss_fn = build_model(args), nn.CrossEntropyLoss()
    hyper = {"sgd": dict(lr=args.lr), "class-subspace": dict(lr=args.lr, damping=args.damping),
             "eq6-undamped": dict(lr=args.lr, damping=0.0),
             "measured-curvature": dict(lr=args.lr, damping=0.0, curvature="rayleigh")}[name]
    optimizer = optim.create("sgd" if name == "sgd" else "class-subspace", model.parameters(),
                             **hyper)
    rng = numpy.random.default_rng(args.seed)
    queue = []

    def step(k):
        if not queue:
            queue.extend(common.batches(len(data["x"]), batch_size, rng))
        idx = queue.pop(0)
        closure = curvature.Closure(model, loss_fn, common.tensor(data["x"][idx]),
                                    common.tensor(data["y"][idx]))
        return {"batch_loss": common.check_finite(optimizer.step(closure).item(), "batch loss")}

    label = f"{name} b={batch_size}"
    initial = {"step": 0, "time": 0.0, "train_loss": full_loss(model, loss_fn, data)}
    try:
        records = common.run_loop(label, step, args.steps,
                                  lambda: {"train_loss": full_loss(model, loss_fn, data)},
                                  args.every)
        return {"records": [initial] + records, "diverged": False, "diverged_at": None}
    except FloatingPointError as err:
        common.log(f"{label} diverged: {err}")
        return {"records": [initial], "diverged": True, "diverged_at": str(err)}


def tables(overlaps, curves, args):
    overlap_rows = [[r["epoch"], r["train_loss"], r["overlap"], r["overlap_top_C_minus_1"],
                     r["random_overlap"], r["top_eigenvalues"][0], r["top_eigenvalues"][-1]]
                    for r in overlaps]
    overlap_table = common.markdown_table(
        ["SGD epoch", "train loss", "overlap(span c_k, top-10 H)", "… top-9 H",
         "random 10-dim subspace", "λ₁(H)", "λ₁₀(H)"], overlap_rows)
    curvature_rows = []
    for r in overlaps:
        present = [k for k, q in enumerate(r["rayleigh_k"]) if q is not None]
        lambdas = numpy.asarray([r["lambda_k"][k] for k in present])
        quotients = numpy.asarray([r["rayleigh_k"][k] for k in present])
        ratios = lambdas / quotients
        curvature_rows.append([r["epoch"], len(present), float(lambdas.min()),
                               float(lambdas.max()), float(quotients.min()),
                               float(quotients.max()), float(numpy.median(ratios)),
                               float(ratios.min()), float(ratios.max())])
    curvature_table = common.markdown_table(
        ["SGD epoch", "classes", "min λ_k", "max λ_k", "min v_kᵀHv_k", "max v_kᵀHv_k",
         "median λ_k / v_kᵀHv_k", "min ratio", "max ratio"], curvature_rows)
    rows = []
    for batch_size in args.batch_sizes:
        row = [batch_size]
        for name in RUNS:
            run = curves[f"{name}/{batch_size}"]
            row.append(f"diverged after {run['diverged_at']}" if run["diverged"]
                       else run["records"][-1]["train_loss"])
        rows.append(row)
    curve_table = common.markdown_table(
        ["batch size", f"SGD loss after {args.steps} updates",
         f"class-subspace Newton (δ = {args.damping})", "eq. (6) undamped (δ = 0)",
         "eq. (6), λ_k = v_kᵀHv_k, δ = 0"], rows)
    return (f"Overlap of the class-gradient span with the top-10 Hessian eigenvectors "
            f"(small CNN, {args.analysis_size} images)\n\n{overlap_table}\n\n"
            f"The paper's curvature λ_k (eq. 4) against the exact curvature along v_k = "
            f"c_k/‖c_k‖ (Rayleigh quotient from a Hessian-vector product), over the "
            f"classes present in the batch\n\n{curvature_table}\n\n"
            f"Figure 2: training loss on {args.train_size} images (η = {args.lr})\n\n"
            f"{curve_table}")


def figures(overlaps, curves, args):
    fig, axes = common.figure(columns=len(args.batch_sizes) + 1)
    ax = axes[0, 0]
    ax.plot([r["epoch"] for r in overlaps], [r["overlap"] for r in overlaps], marker="o",
            label="class gradients vs top-10 H")
    ax.plot([r["epoch"] for r in overlaps], [r["random_overlap"] for r in overlaps], "--",
            label="random subspace")
    ax.set_xlabel("SGD epoch")
    ax.set_ylabel("subspace overlap")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    for ax, batch_size in zip(axes[0, 1:], args.batch_sizes):
        for name, label in zip(RUNS, ("SGD", f"class-subspace Newton δ = {args.damping}",
                                      "eq. (6) undamped", "eq. (6), measured λ_k")):
            records = curves[f"{name}/{batch_size}"]["records"]
            ax.plot([r["step"] for r in records], [r["train_loss"] for r in records],
                    marker=".", label=label)
        start = curves[f"sgd/{batch_size}"]["records"][0]["train_loss"]
        lowest = min(r["train_loss"] for name in RUNS
                     for r in curves[f"{name}/{batch_size}"]["records"])
        ax.set_ylim(lowest - 0.02, start + 0.1)
        ax.set_title(f"batch size {batch_size} (curves above the top are off scale)",
                     fontsize=9)
        ax.set_xlabel("update")
        ax.set_ylabel("training loss")
        ax.legend(fontsize=7)
    return [str(common.save_figure(fig, args.out / "figure2_overlap_and_training.png"))]


def main(argv=None):
    args = arguments(argv)
    data = prepare_data(args)
    overlaps = overlap_experiment(args, data)
    curves = {f"{name}/{b}": training_run(name, b, args, data)
              for b in args.batch_sizes for name in RUNS}
    results = {"data": data["source"], "overlaps": overlaps, "curves": curves,
               "figures": figures(overlaps, curves, args)}
    return common.finish(args, NAME, results, tables(overlaps, curves, args))


if __name__ == "__main__":
    main()
