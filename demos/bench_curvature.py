"""Cost of layerwise curvature quantities as multiples of one gradient (a benchmark, not a test).

Part 1: MLP 784-512-256-10, sigmoid, cross-entropy, batch 128, float32 on the CPU, synthetic
inputs in [0, 1) and random labels (timings do not depend on the values). Each quantity is
timed as the median of ``--repeats`` runs, and divided by the median time of one gradient
(forward + backward with ``minigrad.grad``) measured in the same run, before and after the
quantities; the smaller of the two medians is used (the stricter ratio).

Part 2: the MNIST autoencoder 784-1000-500-250-30-250-500-1000-784 (sigmoid, BCE on logits)
at batch 1000: time and memory peak (``tracemalloc``, NumPy allocations) of one exact
block-Hessian-vector product of its first 784×1000 layer (``block_hessian(dense=False)``),
and of its KFRA and KFLR factors; KFLR also without the recursion's savings (the output's
unit columns: through the last ``Linear`` without a GEMM and a diagonal G without a Gram;
the columns compressed below the code layer, ``recursion.fewer_columns``), their baseline.

Part 3 (``--quantities``): the per-sample quantities, the Monte-Carlo GN diagonal, square
roots of the GN, the empirical Fisher's diagonal and EKFAC on the MLP of part 1, each as a
multiple of one gradient in the same run (interleaved: every round times the gradient and each
quantity once; medians over the rounds). ``batch_grad`` writes N × P numbers, so the time to
write N × P float32 numbers into fresh arrays (``numpy.full``) is measured beside it. EKFAC is
timed twice: with a fresh eigenbasis (factors and their eigendecompositions, paid once per
``basis_period`` steps of ``optim.EKFAC``) and with the basis of another batch kept
(``ekfac(basis=...)``: the corrected eigenvalues of a new batch only, paid at every step). When
PyTorch and BackPACK are installed the same model is built in PyTorch (float32, the same
shapes) and BackPACK's extension for each quantity is timed as a multiple of PyTorch's own
``loss.backward()`` in the same rounds.

Before timing, one 32 MiB block is allocated and freed (``settle_allocator``): glibc's malloc
hands freed memory back to the OS whenever more than twice the largest block freed so far
sits free at the top of the heap, so without it every repeat of a quantity that allocates a
few MiB (Kronecker factors, the graph of a double backward) is also charged for faulting in
fresh zeroed pages, about 1 µs per 4 KiB page, which a long-running process reuses instead.
The gradient allocates too little to be affected. ``--cold-allocator`` skips the step.

    python demos/bench_curvature.py [--repeats 7] [--skip-autoencoder] [--cold-allocator]
    python demos/bench_curvature.py --quantities [--repeats 7]

``--threads N`` pins the BLAS thread count. The output starts with the command, the commit,
the thread count and the load average, and ends with the load average, so that a committed
output records how it was made.
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy  # noqa: E402

import minigrad  # noqa: E402
from minigrad import curvature, nn  # noqa: E402
from minigrad.curvature.layerwise import recursion  # noqa: E402
from demos import records  # noqa: E402


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
            ("KFLR factors (784 columns, 30 below code)",
             lambda: curvature.kflr(model, loss, x, x, chunk_size=100)),
            ("KFLR factors, 784 dense columns throughout", lambda: plain_kflr(model, loss, x))]
    seconds = {}
    for name, fn in rows:
        _, seconds[name], peak = measured(fn)
        print(f"{name:<42}{seconds[name]:>10.2f}{peak / 2 ** 20:>10.1f}")
    compressed, throughout = (seconds[name] for name, _ in rows[2:])
    print(f"KFLR with unit output columns and compressed below the code: "
          f"{compressed / throughout:.2f} × the recursion without these savings")


def plain_kflr(model, loss, x):
    """KFLR's factors without the recursion's savings: ``recursion.fewer_columns`` replaced
    by the identity (all 784 columns at every layer) and the output columns not marked as
    unit columns (``RecordedBatch.output_group`` without ``unit_root``: the last ``Linear``
    multiplies them by a GEMM and their Gram is formed). The same factors up to rounding:
    the baseline of the savings."""
    def dense_output_group(batch, mc_samples=None, seed=None):
        return recursion.ColumnGroup(batch.output_columns(mc_samples, seed))

    with mock.patch.object(recursion, "fewer_columns", lambda state: state), \
            mock.patch.object(recursion.RecordedBatch, "output_group", dense_output_group):
        return curvature.kflr(model, loss, x, x, chunk_size=100)


def mlp_case():
    """The MLP of part 1 (784-512-256-10, sigmoid, cross-entropy) and a batch of 128."""
    minigrad.set_default_dtype(numpy.float32)
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.Sigmoid(), nn.Linear(512, 256), nn.Sigmoid(),
                          nn.Linear(256, 10))
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.random((128, 784)), dtype=numpy.float32)
    return model, nn.CrossEntropyLoss(), x, rng.integers(0, 10, 128)


def backpack_quantities(x, y):
    """``(gradient, {name: fn})`` for BackPACK's extensions on the same MLP in PyTorch; None
    without PyTorch or BackPACK."""
    try:
        import torch
        from backpack import backpack, extend, extensions
    except ImportError:
        return None
    torch.manual_seed(0)
    model = extend(torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.Sigmoid(),
                                       torch.nn.Linear(512, 256), torch.nn.Sigmoid(),
                                       torch.nn.Linear(256, 10)))
    loss_fn = extend(torch.nn.CrossEntropyLoss())
    inputs = torch.tensor(numpy.asarray(x.data), dtype=torch.float32)
    labels = torch.tensor(numpy.asarray(y), dtype=torch.int64)

    def backward(*extension):
        model.zero_grad()
        loss = loss_fn(model(inputs), labels)
        if extension:
            with backpack(*extension):
                loss.backward()
        else:
            loss.backward()

    named = {"batch_grad": extensions.BatchGrad(), "batch_l2_grad": extensions.BatchL2Grad(),
             "sum_grad_squared": extensions.SumGradSquared(), "variance": extensions.Variance(),
             "diag_ggn_mc (1 sample)": extensions.DiagGGNMC(mc_samples=1),
             "sqrt_ggn (1 MC sample)": extensions.SqrtGGNMC(mc_samples=1),
             "KFAC (1 sample)": extensions.KFAC(mc_samples=1)}
    return backward, {name: (lambda e=e: backward(e)) for name, e in named.items()}


def interleaved_medians(functions, repeats):
    """Median seconds of each function, timed once per round in turn (after one warm-up)."""
    for fn in functions:
        fn()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for found, fn in zip(times, functions):
            start = time.perf_counter()
            fn()
            found.append(time.perf_counter() - start)
    return [statistics.median(found) for found in times]


def quantities_table(repeats):
    model, loss, x, y = mlp_case()
    params = list(model.parameters())
    n, size = x.shape[0], sum(p.numel() for p in params)

    def gradient():
        return minigrad.grad(loss(model(x), y), params)

    def write_n_by_p():
        return [numpy.full((n,) + tuple(p.shape), 1.0, dtype=numpy.float32) for p in params]

    rng = numpy.random.default_rng(1)
    other_batch = (minigrad.tensor(rng.random(tuple(x.shape)), dtype=numpy.float32),
                   rng.integers(0, 10, n))
    basis = curvature.ekfac(model, loss, x, y, seed=0)

    quantities = [
        ("batch_grad", lambda: curvature.batch_grad(model, loss, x, y), None),
        ("batch_l2_grad", lambda: curvature.batch_l2_grad(model, loss, x, y), 1.5),
        ("sum_grad_squared", lambda: curvature.sum_grad_squared(model, loss, x, y), 1.5),
        ("variance", lambda: curvature.variance(model, loss, x, y), 1.5),
        ("diag_ggn_mc (1 sample)",
         lambda: curvature.diag_ggn_mc(model, loss, x, y, mc_samples=1, seed=0), 1.5),
        ("sqrt_ggn (1 MC sample)",
         lambda: curvature.sqrt_ggn(model, loss, x, y, mc_samples=1, seed=0), None),
        ("diag_empirical_fisher", lambda: curvature.diag_empirical_fisher(model, loss, x, y),
         None),
        ("KFAC (1 sample)", lambda: curvature.kfac(model, loss, x, y, seed=0), None),
        ("EKFAC (1 sample)", lambda: curvature.ekfac(model, loss, x, y, seed=0), None),
        ("EKFAC, basis kept (1 sample)",
         lambda: curvature.ekfac(model, loss, *other_batch, seed=1, basis=basis), None),
    ]
    reference = backpack_quantities(x, y)
    functions = [gradient, write_n_by_p] + [fn for _, fn, _ in quantities]
    if reference is not None:
        functions += [reference[0]] + list(reference[1].values())
    medians = interleaved_medians(functions, repeats)
    base, write = medians[0], medians[1]
    mine = dict(zip([name for name, _, _ in quantities], medians[2:2 + len(quantities)]))
    theirs = {}
    if reference is not None:
        torch_base = medians[2 + len(quantities)]
        theirs = {name: seconds / torch_base for name, seconds in
                  zip(reference[1], medians[3 + len(quantities):])}
    print(f"MLP 784-512-256-10, sigmoid, cross-entropy, batch 128, float32 CPU; median of "
          f"{repeats} interleaved rounds")
    print(f"one gradient: {base * 1e3:.2f} ms; writing N × P = {n} × {size} float32 numbers: "
          f"{write * 1e3:.2f} ms ({write / base:.2f} × gradient)")
    if reference is not None:
        print(f"PyTorch loss.backward(): {torch_base * 1e3:.2f} ms (BackPACK's column is a "
              f"multiple of it)")
    print(f"{'quantity':<30}{'ms':>9}{'× gradient':>12}{'BackPACK ×':>12}  target")
    for name, _, target in quantities:
        ratio = mine[name] / base
        if name == "batch_grad":
            goal = f"≤ 2 × the N × P write ({mine[name] / write:.2f} × it)"
        elif name == "EKFAC (1 sample)":
            goal = (f"{mine[name] / mine['KFAC (1 sample)']:.2f} × KFAC, once per "
                    f"basis_period")
        elif name == "EKFAC, basis kept (1 sample)":
            kfac_ratio = mine[name] / mine["KFAC (1 sample)"]
            goal = f"≤ 2 × KFAC ({kfac_ratio:.2f} × it)" + ("" if kfac_ratio <= 2
                                                             else " (above target)")
        else:
            goal = "" if target is None else f"≤ {target}" + ("" if ratio <= target
                                                            else " (above target)")
        other = f"{theirs[name]:.2f}" if name in theirs else "-"
        print(f"{name:<30}{mine[name] * 1e3:>9.2f}{ratio:>12.2f}{other:>12}  {goal}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-autoencoder", action="store_true")
    parser.add_argument("--cold-allocator", action="store_true",
                        help="time without settling the allocator first (see above)")
    parser.add_argument("--quantities", action="store_true",
                        help="time only the per-sample quantities, GN roots and EKFAC (part 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (default: the library's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        minigrad.set_num_threads(args.threads)
    given = sys.argv[1:] if argv is None else argv
    print(" ".join(["# command: python demos/bench_curvature.py", *given]))
    print(f"# commit {records.commit()}, {minigrad.get_num_threads()} BLAS thread(s), "
          f"{os.cpu_count()} CPUs, load average {load_average()} at the start")
    try:
        run_parts(args)
    finally:
        print(f"# load average {load_average()} at the end")


def load_average():
    """The 1-, 5- and 15-minute load averages, as ``a b c``."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def run_parts(args):
    """Part 3 alone with ``--quantities``; otherwise part 1, then part 2 unless skipped."""
    if not args.cold_allocator:
        settle_allocator()
    if args.quantities:
        quantities_table(args.repeats)
        return
    mlp_table(args.repeats)
    if not args.skip_autoencoder:
        autoencoder_costs()


if __name__ == "__main__":
    main()
