"""Cost of layerwise curvature quantities as multiples of one gradient (a benchmark, not a test).

Part 1: MLP 784-512-256-10, sigmoid, cross-entropy, batch 128, float32 on the CPU, synthetic
inputs in [0, 1) and random labels (timings do not depend on the values). Each quantity is
timed as the median of ``--repeats`` runs, and divided by the median time of one gradient
(forward + backward with ``minigrad.grad``) measured in the same run, before and after the
quantities; the smaller of the two medians is used (the stricter ratio).

Part 2: the MNIST autoencoder 784-1000-500-250-30-250-500-1000-784 (sigmoid, BCE on logits)
at batch 1000: time and memory peak (``tracemalloc``, NumPy allocations) of one exact
block-Hessian-vector product of its first 784×1000 layer (``block_hessian(dense=False)``),
and of its KFRA and KFLR factors.

Before timing, one 32 MiB block is allocated and freed (``settle_allocator``): glibc's malloc
hands freed memory back to the OS whenever more than twice the largest block freed so far
sits free at the top of the heap, so without it every repeat of a quantity that allocates a
few MiB (Kronecker factors, the graph of a double backward) is also charged for faulting in
fresh zeroed pages, about 1 µs per 4 KiB page, which a long-running process reuses instead.
The gradient allocates too little to be affected. ``--cold-allocator`` skips the step.

    python demos/bench_curvature.py [--repeats 7] [--skip-autoencoder] [--cold-allocator]
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy  # noqa: E402

import minigrad  # noqa: E402
from minigrad import curvature, nn  # noqa: E402


def median_seconds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def settle_allocator():
    """Allocate and free one block just under glibc's 32 MiB cap on the adaptive mmap threshold,
    which raises the threshold for giving freed heap memory back to the OS to its maximum."""
    numpy.empty(32 * 2 ** 20 - 2 ** 16, dtype=numpy.uint8)


def mlp_table(repeats):
    minigrad.set_default_dtype(numpy.float32)
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.Sigmoid(), nn.Linear(512, 256), nn.Sigmoid(),
                          nn.Linear(256, 10))
    loss = nn.CrossEntropyLoss()
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.random((128, 784)), dtype=numpy.float32)
    y = rng.integers(0, 10, 128)
    params = list(model.parameters())
    v = curvature.arrays_to_vector([rng.standard_normal(p.shape).astype(numpy.float32)
                                    for p in params])

    def gradient():
        return minigrad.grad(loss(model(x), y), params)

    quantities = [
        ("KFAC (1 sample)", lambda: curvature.kfac(model, loss, x, y, seed=0), 2.0),
        ("KFRA", lambda: curvature.kfra(model, loss, x, y), 3.0),
        ("diag GN (exact)", lambda: curvature.diag_ggn(model, loss, x, y), 3.5),
        ("KFLR", lambda: curvature.kflr(model, loss, x, y), 8.0),
        ("diag Hessian (exact)", lambda: curvature.diag_hessian(model, loss, x, y), 30.0),
        ("HVP", lambda: curvature.hvp(model, loss, x, y, v), 3.0),
    ]
    before = median_seconds(gradient, repeats)
    timings = [median_seconds(fn, repeats) for _, fn, _ in quantities]
    after = median_seconds(gradient, repeats)
    base = min(before, after)
    print(f"MLP 784-512-256-10, sigmoid, cross-entropy, batch 128, float32 CPU; "
          f"median of {repeats}")
    print(f"one gradient: {base * 1e3:.2f} ms (medians {before * 1e3:.2f} before and "
          f"{after * 1e3:.2f} after the quantities)")
    print(f"{'quantity':<24}{'ms':>10}{'× gradient':>12}{'target':>10}")
    for (name, _, target), seconds in zip(quantities, timings):
        ratio = seconds / base
        flag = "" if ratio <= target else "  (above target)"
        print(f"{name:<24}{seconds * 1e3:>10.2f}{ratio:>12.2f}{'≤ ' + str(target):>10}{flag}")


def measured(fn):
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def autoencoder_costs():
    minigrad.set_default_dtype(numpy.float32)
    nn.manual_seed(0)
    try:
        from models import autoencoder, reconstruction_loss
        model, loss = autoencoder("mnist"), reconstruction_loss("mnist")
    except ImportError:
        sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(fan_in, fan_out))
            if i not in (3, len(sizes) - 2):
                layers.append(nn.Sigmoid())
        model, loss = nn.Sequential(*layers), nn.BCEWithLogitsLoss()
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.random((1000, 784)), dtype=numpy.float32)
    operator = curvature.block_hessian(model, loss, x, x, dense=False, chunk_size=250)[0]
    v = rng.standard_normal(operator.shape[0]).astype(numpy.float32)
    print("\nMNIST autoencoder, batch 1000, float32 CPU, first layer 784×1000 (+ bias)")
    print(f"{'quantity':<42}{'seconds':>10}{'peak MiB':>10}")
    rows = [("exact block-Hessian-vector product", lambda: operator @ v),
            ("KFRA factors (all layers)", lambda: curvature.kfra(model, loss, x, x)),
            ("KFLR factors (all layers, 784 columns)",
             lambda: curvature.kflr(model, loss, x, x, chunk_size=100))]
    for name, fn in rows:
        _, seconds, peak = measured(fn)
        print(f"{name:<42}{seconds:>10.2f}{peak / 2 ** 20:>10.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-autoencoder", action="store_true")
    parser.add_argument("--cold-allocator", action="store_true",
                        help="time without settling the allocator first (see above)")
    args = parser.parse_args(argv)
    if not args.cold_allocator:
        settle_allocator()
    mlp_table(args.repeats)
    if not args.skip_autoencoder:
        autoencoder_costs()


if __name__ == "__main__":
    main()
