"""KFAC-expand, KFAC-reduce and EKFAC-expand against AdamW on a Vision Transformer (MNIST).

    python demos/kfac_transformer.py [--quick] [--updates U] [--seeds S] [--out DIR]

The ViT of ``models.vit`` (16 tokens of 7×7 patches and a class token, width 64, 4 heads,
2 pre-norm GELU encoder layers) is trained from the same initialisation per seed with AdamW
(Loshchilov & Hutter 2019) and with KFAC whose token axis is read as ``approx="expand"`` and
``approx="reduce"`` (Eschenhagen et al., "Kronecker-Factored Approximate Curvature for Modern
Neural Network Architectures", NeurIPS 2023): every ``Linear`` (patch embedding, attention
output projection, MLP, head) and each attention's packed in-projection (``in_proj_weight``,
``in_proj_bias``: one token Linear with 3·64 outputs) gets factors; the LayerNorm scales and
shifts, the class token and position embeddings get the plain gradient step of the Kronecker
optimizers. EKFAC (George et al., "Fast Approximate Natural Gradient Descent in a
Kronecker-factored Eigenbasis", 2018; ``optim.EKFAC``) takes the eigenbasis of the same layers'
expand factors and replaces the eigenvalues by the diagonal, in that basis, of each batch's
Monte-Carlo Fisher (from per-sample gradients summed over the tokens); it recomputes the
factors and the basis every ``basis_period`` = 10 updates. It has no ``approx`` argument: its
factors are always the expand ones, so there is no EKFAC-reduce. Per method and seed the test
loss and accuracy (a fixed test subset) are recorded against updates and seconds of updates;
the table gives the final values as mean ± standard deviation over the seeds and the seconds
per update, the figure the curves against updates and against seconds.
"""
import statistics

import numpy

import minigrad
import models
import optim
from minigrad import curvature, nn
from demos import common

NAME = "kfac_transformer"
METHODS = {
    "AdamW": ("adamw", dict(lr=1e-3)),
    "KFAC-expand": ("kfac", dict(lr=0.05, damping=0.1, approx="expand")),
    "KFAC-reduce": ("kfac", dict(lr=0.05, damping=0.1, approx="reduce")),
    "EKFAC-expand": ("ekfac", dict(lr=0.05, damping=0.1, basis_period=10)),
}
CLOSURE_OPTIMIZERS = ("kfac", "ekfac")
PRESETS = {
    "quick": dict(train_size=128, batch_size=32, updates=2, every=1, eval_size=64, seeds=1),
    "default": dict(train_size=54000, batch_size=64, updates=1500, every=50, eval_size=1000,
                    seeds=3),
    "full": dict(train_size=54000, batch_size=128, updates=2000, every=100, eval_size=10000,
                 seeds=3),
}


def arguments(argv):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=None, help="MNIST training images")
    p.add_argument("--batch-size", type=int, default=None, help="images per update")
    p.add_argument("--updates", type=int, default=None, help="updates per method and seed")
    p.add_argument("--every", type=int, default=None, help="updates between evaluations")
    p.add_argument("--eval-size", type=int, default=None, help="test images evaluated")
    p.add_argument("--seeds", type=int, default=None, help="seeds (initialisation, batches)")
    p.add_argument("--methods", default=",".join(METHODS))
    args = common.parse(p, argv, PRESETS)
    args.methods = common.method_list(p, args.methods, METHODS)
    return args


def evaluate(model, images, labels):
    """Test loss and accuracy of ``model`` on standardised ``images``."""
    with minigrad.no_grad():
        logits = model(common.tensor(images))
        loss = float(nn.CrossEntropyLoss()(logits, common.tensor(labels)).item())
    accuracy = float((logits.numpy().argmax(1) == labels).mean())
    return {"test_loss": loss, "test_accuracy": accuracy}


def train(method, seed, args, train_set, test_set):
    """``[{"step", "time", "test_loss", "test_accuracy", ...}]`` of one method and seed."""
    name, hyper = METHODS[method]
    nn.manual_seed(seed)
    model = models.vit()
    optimizer = optim.create(name, model.parameters(),
                             **({**hyper, "seed": seed} if name in CLOSURE_OPTIMIZERS else hyper))
    loss_fn = nn.CrossEntropyLoss()
    images, labels = train_set
    rng = numpy.random.default_rng(seed)
    order = iter(())

    def step(k):
        nonlocal order
        index = next(order, None)
        if index is None:
            order = iter(common.batches(len(images), args.batch_size, rng))
            index = next(order)
        x, y = common.tensor(images[index]), common.tensor(labels[index])
        if name in CLOSURE_OPTIMIZERS:
            loss = optimizer.step(curvature.Closure(model, loss_fn, x, y))
        else:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return {"batch_loss": float(loss.item())}

    first = {"step": 0, "time": 0.0, **evaluate(model, *test_set)}
    return [first] + common.run_loop(f"{method} s{seed}", step, args.updates,
                                     lambda: evaluate(model, *test_set), args.every)


def _mean_std(values):
    if len(values) < 3:
        return ", ".join(f"{v:.4g}" for v in values)
    return f"{statistics.mean(values):.4g} ± {statistics.stdev(values):.2g}"


def table(curves, args):
    rows = []
    for method, runs in curves.items():
        finals = [run[-1] for run in runs]
        rows.append([method, _mean_std([f["test_accuracy"] for f in finals]),
                     _mean_std([f["test_loss"] for f in finals]),
                     _mean_std([f["time"] / f["step"] for f in finals]), len(runs)])
    header = (f"ViT on MNIST, {args.updates} updates of {args.batch_size} images, test subset of "
              f"{args.eval_size}; mean ± std over seeds (values listed when fewer than 3)\n\n")
    return header + common.markdown_table(
        ["method", "test accuracy", "test loss", "s / update", "seeds"], rows)


def figure(curves, out):
    fig, axes = common.figure(columns=2, rows=2, width=5.0, height=3.4)
    for index, (method, runs) in enumerate(curves.items()):
        style = dict(color=f"C{index}", linestyle=common.LINE_STYLES[index])
        for r, run in enumerate(runs):
            label = method if r == 0 else None
            for row, key in enumerate(("test_loss", "test_accuracy")):
                values = [record[key] for record in run]
                axes[row][0].plot([rec["step"] for rec in run], values, label=label, **style)
                axes[row][1].plot([rec["time"] for rec in run], values, label=label, **style)
    for row, key in enumerate(("test loss", "test accuracy")):
        axes[row][0].set_ylabel(key)
        axes[row][0].set_xlabel("update")
        axes[row][1].set_xlabel("seconds of updates")
    axes[0][0].legend()
    return [str(common.save_figure(fig, out / "kfac_transformer.png"))]


def main(argv=None):
    args = arguments(argv)
    (train_set, test_set), source = common.subsets(
        "mnist", [args.train_size], seed=args.seed, test_size=args.eval_size,
        root=args.data_root, download=args.download)
    dtype = numpy.dtype(minigrad.get_default_dtype()).type
    train_set = (common.standardized(train_set[0], source, dtype), train_set[1])
    test_set = (common.standardized(test_set[0], source, dtype), test_set[1])
    curves = {method: [train(method, args.seed + s, args, train_set, test_set)
                       for s in range(args.seeds)] for method in args.methods}
    results = {"data": source, "curves": curves, "methods": {m: METHODS[m] for m in curves},
               "figures": figure(curves, args.out)}
    return common.finish(args, NAME, results, table(curves, args))


if __name__ == "__main__":
    main()
