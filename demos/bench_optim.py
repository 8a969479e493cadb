"""Time per step of every registered optimizer, as a multiple of one SGD step.

    python demos/bench_optim.py [--quick | --full] [--out DIR]

For the MNIST autoencoder (``models.autoencoder("mnist")``, sigmoid
cross-entropy reconstruction) and LeNet-5 (``models.lenet5()``, softmax
cross-entropy) on one fixed MNIST batch, each optimizer of ``optim.OPTIMIZERS``
starts from the same weights and takes ``warmup`` untimed steps, then
``steps`` timed steps ``optimizer.step(Closure(model, loss_fn, x, y))``; the
table reports the median CPU seconds of this process per step
(``time.process_time``, so that other load on the machine does not distort
the ratios) and its ratio to SGD's median in the same run. Second-order methods run with their defaults (Newton-CG: 50 CG
iterations at most; trust region / ARC: 10 Krylov iterations). An optimizer
that cannot run on a model (the class-subspace method needs class logits) is
reported with the reason. Writes ``DIR/results.json``. For stable ratios on a
shared machine run it single-threaded:
``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python demos/bench_optim.py``.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import common  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.curvature import Closure  # noqa: E402

PRESETS = {
    "quick": dict(batch_size=8, warmup=0, steps=1),
    "default": dict(batch_size=32, warmup=1, steps=3),
    "full": dict(batch_size=128, warmup=2, steps=10),
}
HYPER_PARAMETERS = {"sgd": dict(lr=0.01), "trust-region": dict(lr=1.0), "arc": dict(lr=1.0),
                    "newton-cg": dict(lr=1.0), "class-subspace": dict(lr=0.1, damping=3.0)}


def problems(batch_size, seed, root, download):
    """``{name: (model factory, loss, x, y)}`` on one batch of MNIST (or synthetic digits)."""
    (batch,), source = common.subsets("mnist", [batch_size], seed, root, download)
    images, labels = batch
    flat = common.tensor(common.pixels(images))
    return {
        "autoencoder-mnist": (lambda: models.autoencoder("mnist"),
                              models.reconstruction_loss("mnist"), flat, flat),
        "lenet5": (models.lenet5, nn.CrossEntropyLoss(),
                   common.tensor(common.standardized(images, source)), common.tensor(labels)),
    }


def time_optimizer(name, make_model, loss_fn, x, y, seed, warmup, steps):
    """Median seconds per step of optimizer ``name``; raises what the optimizer raises."""
    nn.init.manual_seed(seed)
    model = make_model()
    optimizer = optim.create(name, model.parameters(), **HYPER_PARAMETERS.get(name, dict(lr=1e-3)))
    durations = []
    for i in range(warmup + steps):
        start = time.process_time()
        optimizer.step(Closure(model, loss_fn, x, y))
        if i >= warmup:
            durations.append(time.process_time() - start)
    return statistics.median(durations)


def main(argv=None):
    parser = common.parser("bench_optim", __doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=None)
    args = common.parse(parser, argv, PRESETS)
    results = {}
    for problem, (make_model, loss_fn, x, y) in problems(args.batch_size, args.seed,
                                                         args.data_root, args.download).items():
        rows = {}
        for name in sorted(optim.OPTIMIZERS, key=lambda n: (n != "sgd", n)):
            try:
                seconds = time_optimizer(name, make_model, loss_fn, x, y, args.seed,
                                         args.warmup, args.steps)
                rows[name] = {"seconds": seconds}
            except (ValueError, TypeError, RuntimeError, FloatingPointError) as error:
                rows[name] = {"error": f"{type(error).__name__}: {error}"}
            common.log(f"{problem} {name}: {rows[name]}")
        sgd = rows["sgd"]["seconds"]
        for row in rows.values():
            if "seconds" in row:
                row["sgd_multiple"] = row["seconds"] / sgd
        results[problem] = rows
        table = [[name, row.get("seconds", "n/a"), row.get("sgd_multiple", row.get("error", ""))]
                 for name, row in rows.items()]
        print(f"\n{problem} (batch {args.batch_size}, median of {args.steps} steps, "
              f"{minigrad.backend_name()})\n")
        print(common.markdown_table(["optimizer", "CPU seconds/step", "× SGD step"], table))
    common.write_json(os.path.join(args.out, "results.json"),
                      {"config": {**vars(args), "out": str(args.out)}, "results": results})
    return results


if __name__ == "__main__":
    main()
