"""Cost of the class gradients c_k (Tuddenham et al. 2020, eq. 1): per-class against full-batch.

``curvature.class_gradients`` back-propagates each class's own samples (``x[y = k]``), about
one forward and one backward pass of the batch in all; before, it back-propagated the
logits of the whole batch once per class (C backward passes of the batch), which
``class_gradient_rows(..., labels=None, ...)`` still does for models that couple samples.
This script times both on the small CNN of ``class_gradient_subspace.py`` (426 parameters,
MNIST-sized 28×28 inputs, 10 classes, float32, one BLAS thread), interleaved, ``--repeats``
times each, and reports the medians and their ratio (full-batch / per-class), and the
largest difference between the two results (float32 rounding only).

    python demos/bench_class_gradients.py [--batch-size 128] [--repeats 15]
"""
import pathlib
import statistics
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
from demos import common  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.curvature import class_gradients  # noqa: E402
from minigrad.curvature.class_gradients import class_gradient_rows, class_weights  # noqa: E402
from minigrad.curvature.flat import parameter_list  # noqa: E402

NAME = "bench_class_gradients"
PRESETS = {"quick": dict(batch_size=16, repeats=2), "default": dict(batch_size=128, repeats=15),
           "full": dict(batch_size=128, repeats=15)}


def full_batch(model, x, labels):
    """The former computation: the batch's logits back-propagated once per class."""
    with minigrad.enable_grad():
        logits = model(x)
        weights = class_weights(labels, numpy.bincount(labels, minlength=logits.shape[1]))
        return class_gradient_rows(model, parameter_list(model), x, None, weights, logits)


def main(argv=None):
    p = common.parser(NAME, __doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--repeats", type=int, default=None)
    args = common.parse(p, argv, PRESETS)
    rng = numpy.random.default_rng(args.seed)
    x = minigrad.tensor(rng.standard_normal((args.batch_size, 1, 28, 28)), dtype=numpy.float32)
    labels = rng.integers(0, 10, size=args.batch_size)
    nn.manual_seed(args.seed)
    model = models.small_cnn()
    methods = {"full batch (C backward passes of the batch)": lambda: full_batch(model, x, labels),
               "per class (each class's own samples)": lambda: class_gradients(model, x, labels)}
    difference = float(numpy.abs(minigrad.to_host(methods["full batch (C backward passes of "
                                                           "the batch)"]())
                                 - minigrad.to_host(class_gradients(model, x, labels))).max())
    times = {name: [] for name in methods}
    for _ in range(args.repeats):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    old, new = medians.values()
    rows = [[name, f"{1000 * m:.1f}"] for name, m in medians.items()]
    table = (f"Class gradients of the small CNN (426 parameters), batch {args.batch_size}, 28×28, "
             f"10 classes: median of {args.repeats} interleaved runs each (ms), on a machine "
             f"shared with other work\n\n" + common.markdown_table(["computation", "ms"], rows)
             + f"\n\nfull batch / per class: {old / new:.2f}×; largest difference of the two "
               f"results: {difference:.2g} (float32)")
    return common.finish(args, NAME, {"seconds_per_call": medians, "ratio": old / new,
                                      "max_difference": difference, "times": times}, table)


if __name__ == "__main__":
    main()
