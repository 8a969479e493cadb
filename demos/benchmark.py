"""Step times of minigrad against PyTorch on the same work, interleaved in one run.

    python demos/benchmark.py [--threads N] [--device cpu|cuda] [--repeats R]
                              [--cases autoencoder,lenet5,resnet18,vit]
                              [--works sgd,adahessian,hvp,newton-cg,kfac] [--no-memory]
                              [--out DIR]
    python demos/benchmark.py --profile [--threads N] [--cases ...] [--works ...]

Cases (float32, fixed random data of the right shapes; step times do not
depend on the values): the MNIST autoencoder 784-1000-500-250-30-…-784
(batch 1000, sigmoid cross-entropy on the logits), LeNet-5 (batch 128,
cross-entropy), ResNet-18 on 1×28×28 (batch 100, batch norm in training
mode) and the Vision Transformer ``models.vit`` (batch 128, 2 pre-norm encoder layers of
width 64, 4 heads; PyTorch runs its own ``TransformerEncoder`` with the same weights, through
its default attention kernel for the SGD step and its "math" kernel, the one it can
differentiate twice, for the second-order work). Work per case: one SGD step, one AdaHessian
step (gradient with ``create_graph`` and one Hutchinson probe), one Hessian-vector product
(forward, gradient graph, double backward) and one Newton-CG step (Gauss-Newton
products, 10 CG iterations, one trial forward); the ``vit`` case also times one
``optim.KFAC`` step (``approx="expand"``, fresh factors and inverses every step, one
Monte-Carlo column). PyTorch has no KFAC: the ``kfac`` row times PyTorch's SGD step of the
same model in its place, so its ratio is KFAC step / PyTorch SGD step, the price of the
Kronecker-factored step in units of a plain PyTorch step. PyTorch, when installed, runs
the same networks from the same weights (``benchmark_torch.py``); each repeat
times every (case, work) in both frameworks back to back, alternating which
goes first; the table reports the medians of each framework and the median
of the per-repeat ratios (robust to load that changes between repeats). Before
timing, one block just under 32 MiB is allocated and freed so that glibc keeps
freed memory for reuse, as a long training run does (``bench_curvature.py``
explains why). A square
2048×2048 float32 matrix product is timed in the same loop: the autoencoder's
SGD step is also given in GFLOP/s (its GEMM flops, ``6·N·in·out`` per layer
less the first layer's input gradient) and as a fraction of that GEMM rate.

Peak memory: each (framework, case, work) runs once more in a fresh process
(``--probe``), and the peak resident set of its first step above the resident
set before it is reported (Linux ``VmHWM`` − ``VmRSS``); on CUDA the peak of
the memory pool (CuPy's pool bytes, ``torch.cuda.max_memory_allocated``).

``--threads N`` pins the BLAS/OpenMP threads of both frameworks (1 gives the
most stable ratios on a shared machine). ``--device cuda`` runs minigrad on
CuPy and PyTorch on CUDA with TF32 off. Results go to
``DIR/<device>-threads<N>.json`` (default ``demos/results/benchmark/``) and the
table is printed in markdown, as in the README.

``--profile`` prints, instead, where minigrad's time goes: for each (case,
work), the functions with the most own time under cProfile over ``--repeats``
steps, as shares of the total.

Where the time goes (``--profile --threads 1`` on the NumPy backend; the
output is kept in ``demos/results/benchmark/profile-threads1.txt``): a
ResNet-18 SGD step (batch 100) is about 60% GEMM, 12% the copies that make
the GEMM operands (``im2col`` into channels-last rows, padding) and the rest
batch norm, elementwise ops, the SGD update and the engine (about 800 nodes:
creating them, the topological sort, accumulating gradients: a few per
cent). LeNet-5's SGD step (17 ms) is a third GEMM, 15% copies and 9%
``col2im`` (the 6 → 16 convolution's input gradient): its 1-, 6- and
16-channel layers make thin GEMMs and short copies, and the fixed cost of its
70 or so ops weighs more. The autoencoder's SGD step is 70% GEMM and elementwise passes for the rest
(sigmoid, the loss's softplus). PyTorch's oneDNN convolutions run blocked
direct kernels that read the input in place, which NumPy cannot express.
Earlier profiles of the same steps found, and ``conv.py`` and ``pooling.py``
no longer have: a per-kernel-offset ``col2im`` loop (a fifth of a ResNet-18
step); the 3×3 kernels of layer 4 multiplying padding on its 1×1 maps (a
fifth of the GEMM flops; ``conv2d`` leaves those offsets out); ``im2col``
gathering runs of ``out_w`` = 1–7 entries in the NCHW layout (a quarter of
the step; the channels-last rows copy runs of ``kw·C``); max pooling's
window copy and ``argmax`` along a short axis; and 80 MiB of saved
convolution columns. A Hessian-vector product costs about three gradients in
both frameworks; a Newton-CG step is one forward, one gradient graph and ten
Gauss-Newton products of three backward passes each.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy  # noqa: E402

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from minigrad import backend, nn  # noqa: E402
from demos.bench_curvature import settle_allocator  # noqa: E402
from minigrad.curvature import Closure  # noqa: E402
from optim.adahessian import rademacher_probes  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
CASES = {
    "autoencoder": dict(batch=1000, shape=(784,), build=lambda: models.autoencoder("mnist"),
                        loss=lambda: models.reconstruction_loss("mnist")),
    "lenet5": dict(batch=128, shape=(1, 28, 28), build=models.lenet5, loss=nn.CrossEntropyLoss),
    "resnet18": dict(batch=100, shape=(1, 28, 28), build=lambda: models.resnet18(10, 1),
                     loss=nn.CrossEntropyLoss),
    "vit": dict(batch=128, shape=(1, 28, 28), build=models.vit, loss=nn.CrossEntropyLoss,
                works=("kfac",)),
}
WORKS = ("sgd", "adahessian", "hvp", "newton-cg", "kfac")
CASE_WORKS = ("kfac",)
"""Works timed only on the cases whose ``works`` name them."""
TORCH_STAND_IN = {"kfac": "sgd"}
"""minigrad works PyTorch has no counterpart of: the PyTorch work timed in their place."""
GEMM_SIZE = 2048
NEWTON_CG_ITERATIONS = 10


def arguments(argv):
    p = argparse.ArgumentParser(prog="demos/benchmark.py", description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads of both frameworks (default: the libraries' own)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats (after one warm-up)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of "
                                                            f"{', '.join(CASES)}")
    p.add_argument("--works", default=",".join(WORKS), help=f"subset of {', '.join(WORKS)}")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    p.add_argument("--no-torch", action="store_true", help="time minigrad only")
    p.add_argument("--profile", action="store_true",
                   help="print minigrad's cProfile per case and work instead of timing")
    p.add_argument("--out", default=str(REPOSITORY / "demos" / "results" / "benchmark"))
    p.add_argument("--probe", nargs=3, metavar=("FRAMEWORK", "CASE", "WORK"),
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.cases = _subset(p, args.cases, CASES, "--cases")
    args.works = _subset(p, args.works, WORKS, "--works")
    if not any(case_works(case, args.works) for case in args.cases):
        p.error(f"--works {','.join(args.works)} runs on none of --cases "
                f"{','.join(args.cases)}: kfac is timed on the vit case only")
    if args.threads is not None and args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    return args


def _subset(parser, text, known, flag):
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"{flag}: unknown {unknown or text!r}; choose from {', '.join(known)}")
    return names


def case_works(case, works):
    """The works of ``works`` that ``case`` times: all but those of ``CASE_WORKS`` it does not
    name in its ``works``."""
    return [w for w in works if w not in CASE_WORKS or w in CASES[case].get("works", ())]


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def batch(case, seed=0):
    """Fixed inputs and targets of ``case`` as host arrays (pixels in [0, 1] for the autoencoder)."""
    spec = CASES[case]
    return random_batch(spec["batch"], spec["shape"], seed, pixels=case == "autoencoder")


def random_batch(size, shape, seed=0, pixels=False):
    """``size`` fixed float32 inputs of ``shape`` and their targets as host arrays: with
    ``pixels``, uniform values in [0, 1] that are their own targets, else standard normal
    inputs with class labels in 0..9."""
    rng = numpy.random.default_rng(seed)
    if pixels:
        x = rng.uniform(0, 1, (size,) + tuple(shape)).astype(numpy.float32)
        return x, x
    x = rng.standard_normal((size,) + tuple(shape)).astype(numpy.float32)
    return x, rng.integers(0, 10, size)


def minigrad_workloads(model, loss_fn, x, y, seed=0):
    """The timed steps in minigrad, as an ``optim`` user writes them."""
    params = list(model.parameters())
    sgd = optim.SGD(params, lr=0.01)
    kfac = optim.KFAC(params, lr=0.01, damping=0.1, approx="expand", seed=seed)
    adahessian = optim.AdaHessian(params, lr=0.01, seed=seed)
    newton = optim.NewtonCG(params, max_cg_iter=NEWTON_CG_ITERATIONS, cg_tol=1e-12)
    generator = numpy.random.default_rng(seed)

    def sgd_step():
        sgd.zero_grad()
        loss_fn(model(x), y).backward()
        sgd.step()

    def hvp():
        product = Closure(model, loss_fn, x, y).hessian_product(backward=False)
        return product.apply(rademacher_probes(generator, params), retain_graph=False)

    return {"sgd": sgd_step, "adahessian": lambda: adahessian.step(Closure(model, loss_fn, x, y)),
            "hvp": hvp, "newton-cg": lambda: newton.step(Closure(model, loss_fn, x, y)),
            "kfac": lambda: kfac.step(Closure(model, loss_fn, x, y))}


def setup(framework, case, device, seed=0):
    """``{work: step}`` for ``framework`` on ``case``; both frameworks get the same weights."""
    spec = CASES[case]
    nn.init.manual_seed(seed)
    model, loss_fn = spec["build"](), spec["loss"]()
    x, y = batch(case, seed)
    return paired_workloads(framework, model, loss_fn, x, y, device, seed)


def paired_workloads(framework, model, loss_fn, x, y, device, seed=0):
    """``{work: step}`` of the minigrad ``model`` on the host batch ``(x, y)`` in ``framework``;
    PyTorch steps a twin holding copies of ``model``'s weights as they are now, with its
    ``TORCH_STAND_IN`` work under the name of a work it has no counterpart of."""
    if framework == "minigrad":
        return minigrad_workloads(model, loss_fn, minigrad.tensor(backend.to_device(x)),
                                  minigrad.tensor(backend.to_device(y)), seed)
    import torch
    from demos import benchmark_torch
    twin = benchmark_torch.mirror(model, device)
    steps = benchmark_torch.workloads(twin, benchmark_torch.mirror_loss(loss_fn),
                                      torch.from_numpy(x).to(device),
                                      torch.from_numpy(numpy.asarray(y)).to(device), seed)
    return {**steps, **{work: steps[stand_in] for work, stand_in in TORCH_STAND_IN.items()}}


def synchronize(framework, device):
    if device != "cuda":
        return
    if framework == "minigrad":
        import cupy
        cupy.cuda.Device().synchronize()
    else:
        from demos import benchmark_torch
        benchmark_torch.synchronize(device)


def timed(framework, device, step):
    synchronize(framework, device)
    start = time.perf_counter()
    step()
    synchronize(framework, device)
    return time.perf_counter() - start


def gemm_step(framework, device):
    """One square float32 product of ``GEMM_SIZE`` in ``framework`` (same inputs for both)."""
    a = numpy.random.default_rng(1).standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(numpy.float32)
    if framework == "minigrad":
        a = backend.to_device(a)
        return lambda: a @ a
    import torch
    t = torch.from_numpy(a).to(device)
    return lambda: t @ t


def autoencoder_gemm_flops():
    """GEMM flops of one autoencoder SGD step: ``6 N in out`` per Linear, less ``2 N in out`` of
    the first layer (no gradient for the input)."""
    layers = [m for m in models.autoencoder("mnist") if isinstance(m, nn.Linear)]
    n = CASES["autoencoder"]["batch"]
    flops = sum(6 * n * m.in_features * m.out_features for m in layers)
    return flops - 2 * n * layers[0].in_features * layers[0].out_features


def profile(args, top=15, out=sys.stdout):
    """Print, per (case, work), the ``top`` functions by own time over ``args.repeats``
    profiled minigrad steps (after one warm-up), as shares of the profiled total."""
    import cProfile
    import pstats
    for case in args.cases:
        steps = setup("minigrad", case, args.device)
        for work in case_works(case, args.works):
            steps[work]()
            profiler = cProfile.Profile()
            profiler.runcall(lambda: [steps[work]() for _ in range(args.repeats)])
            stats = pstats.Stats(profiler)
            rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]
            print(f"\n{case} {work}: {1e3 * stats.total_tt / args.repeats:.1f} ms per step "
                  f"under cProfile", file=out)
            for (path, line, function), (_, _, own, _, _) in rows:
                where = f"{pathlib.Path(path).name}:{line}" if line else "builtin"
                print(f"  {100 * own / stats.total_tt:5.1f}%  {function}  ({where})", file=out)


def measure_times(args, frameworks):
    """``{(case, work): {framework: [seconds per repeat]}}`` and the GEMM times, interleaved."""
    if args.device == "cpu":
        settle_allocator()
    steps = {f: {case: setup(f, case, args.device) for case in args.cases} for f in frameworks}
    gemms = {f: gemm_step(f, args.device) for f in frameworks}
    times = {(case, work): {f: [] for f in frameworks}
             for case in args.cases for work in case_works(case, args.works)}
    gemm_times = {f: [] for f in frameworks}
    for repeat in range(args.repeats + 1):
        order = frameworks if repeat % 2 == 0 else frameworks[::-1]
        for f in order:
            seconds = timed(f, args.device, gemms[f])
            if repeat:
                gemm_times[f].append(seconds)
        for (case, work), per_framework in times.items():
            for f in order:
                seconds = timed(f, args.device, steps[f][case][work])
                if repeat:
                    per_framework[f].append(seconds)
        print(f"repeat {repeat}/{args.repeats} done", file=sys.stderr, flush=True)
    return times, gemm_times


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def probe_memory(framework, case, work, device):
    """Peak bytes of the first ``work`` step of ``case`` in this (fresh) process."""
    step = setup(framework, case, device)[work]
    if device == "cuda":
        if framework == "minigrad":
            import cupy
            pool = cupy.get_default_memory_pool()
            before = pool.total_bytes()
            step()
            cupy.cuda.Device().synchronize()
            return pool.total_bytes() - before
        from demos import benchmark_torch
        benchmark_torch.reset_device_memory(device)
        before = __import__("torch").cuda.memory_allocated()
        step()
        return benchmark_torch.peak_device_memory(device) - before
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    step()
    return (_status_kib("VmHWM") - before) * 1024


def measure_memory(args, frameworks):
    """``{(case, work): {framework: peak bytes}}``, each from a fresh process."""
    memory = {}
    for case in args.cases:
        for work in case_works(case, args.works):
            for f in frameworks:
                command = [sys.executable, __file__, "--probe", f, case, work,
                           "--device", args.device]
                if args.threads is not None:
                    command += ["--threads", str(args.threads)]
                output = subprocess.run(command, check=True, capture_output=True, text=True,
                                        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                                            [str(REPOSITORY), os.environ.get("PYTHONPATH", "")])))
                memory.setdefault((case, work), {})[f] = json.loads(output.stdout)["peak_bytes"]
    return memory


def configure(args, frameworks, torch_device=None):
    """minigrad's backend (CuPy for ``args.device == "cuda"``) and both frameworks' threads;
    PyTorch's settings for ``torch_device`` (default ``args.device``)."""
    if args.device == "cuda":
        backend.use("cupy")
    if args.threads is not None:
        minigrad.set_num_threads(args.threads)
    if "torch" in frameworks:
        from demos import benchmark_torch
        benchmark_torch.configure(torch_device or args.device, args.threads)


def _ms(seconds):
    return 1e3 * statistics.median(seconds)


def timing_row(per_framework):
    """``{f"{f}_ms": median, f"{f}_seconds": repeats}`` per framework of ``{framework:
    [seconds per repeat]}``, and with both frameworks the median of the per-repeat ratios
    minigrad / PyTorch as ``ratio``."""
    row = {}
    for f, seconds in per_framework.items():
        row[f"{f}_ms"] = _ms(seconds)
        row[f"{f}_seconds"] = seconds
    if {"minigrad", "torch"} <= set(per_framework):
        row["ratio"] = statistics.median(
            a / b for a, b in zip(per_framework["minigrad"], per_framework["torch"]))
    return row


def _mib(value):
    return "—" if value is None else f"{value / 2 ** 20:.0f}"


def _ratio(a, b):
    return "—" if a is None or b is None or b <= 0 else f"{a / b:.2f}"


def stand_in_note(work):
    """The line under the table for a ``TORCH_STAND_IN`` work: what its ratio divides."""
    stand_in = TORCH_STAND_IN[work]
    return (f"{work}: PyTorch has no {work.upper()}; the PyTorch columns of its row are "
            f"PyTorch's {stand_in} step of the same model, timed in the same repeats, so its "
            f"ratio is {work.upper()} step / PyTorch {stand_in.upper()} step.")


def table(results):
    """The markdown table of ``results`` (rows per case and work), with a note under it for
    each row whose PyTorch time is a stand-in (``TORCH_STAND_IN``)."""
    torch_run = "torch" in results["frameworks"]
    headers = ["case", "step", "minigrad ms"]
    headers += ["PyTorch ms", "ratio"] if torch_run else []
    headers += ["minigrad peak MiB"] + (["PyTorch peak MiB", "memory ratio"] if torch_run else [])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in results["rows"]:
        mine, theirs = row["minigrad_ms"], row.get("torch_ms")
        cells = [row["case"], row["work"], f"{mine:.1f}"]
        if torch_run:
            cells += [f"{theirs:.1f}", f"{row['ratio']:.2f}"]
        cells.append(_mib(row.get("minigrad_peak_bytes")))
        if torch_run:
            cells += [_mib(row.get("torch_peak_bytes")),
                      _ratio(row.get("minigrad_peak_bytes"), row.get("torch_peak_bytes"))]
        lines.append("| " + " | ".join(cells) + " |")
    notes = sorted({row["work"] for row in results["rows"] if "torch_work" in row})
    return "\n".join(lines + ([""] if notes else []) + [stand_in_note(work) for work in notes])


def summary(results):
    lines = [f"device {results['device']}, threads {results['threads']}, "
             f"{results['repeats']} repeats (medians), load average {results['load_average']}"]
    for f, rate in results["gemm_gflops"].items():
        lines.append(f"{f}: {GEMM_SIZE}² float32 GEMM {rate:.1f} GFLOP/s")
    if "autoencoder_sgd_gflops" in results:
        lines.append(f"autoencoder SGD step: {results['autoencoder_sgd_gflops']:.1f} GFLOP/s = "
                     f"{100 * results['autoencoder_sgd_gemm_fraction']:.0f}% of minigrad's GEMM "
                     f"rate")
    return "\n".join(lines)


def run(args):
    frameworks = ["minigrad"] + ([] if args.no_torch or not torch_available() else ["torch"])
    configure(args, frameworks)
    times, gemm_times = measure_times(args, frameworks)
    memory = {} if args.no_memory else measure_memory(args, frameworks)
    rows = []
    for (case, work), per_framework in times.items():
        row = {"case": case, "work": work, **timing_row(per_framework)}
        if work in TORCH_STAND_IN and "torch" in frameworks:
            row["torch_work"] = TORCH_STAND_IN[work]
        for f in frameworks:
            if memory:
                row[f"{f}_peak_bytes"] = memory[(case, work)][f]
        rows.append(row)
    flops = 2 * GEMM_SIZE ** 3
    results = {"device": args.device, "threads": minigrad.get_num_threads(),
               "threads_requested": args.threads, "repeats": args.repeats,
               "frameworks": frameworks, "rows": rows,
               "gemm_gflops": {f: flops / statistics.median(gemm_times[f]) / 1e9
                               for f in frameworks},
               "load_average": " ".join(f"{v:.2f}" for v in os.getloadavg()),
               "numpy": numpy.__version__, "python": platform.python_version(),
               "machine": platform.machine(), "cpus": os.cpu_count()}
    if "torch" in frameworks:
        import torch
        results["torch"] = torch.__version__
    if ("autoencoder", "sgd") in times:
        seconds = statistics.median(times[("autoencoder", "sgd")]["minigrad"])
        results["autoencoder_sgd_gflops"] = autoencoder_gemm_flops() / seconds / 1e9
        results["autoencoder_sgd_gemm_fraction"] = (results["autoencoder_sgd_gflops"]
                                                    / results["gemm_gflops"]["minigrad"])
    results["table"] = table(results)
    results["summary"] = summary(results)
    return results


def main(argv=None):
    args = arguments(argv)
    if args.probe:
        framework, case, work = args.probe
        configure(args, [framework])
        print(json.dumps({"peak_bytes": probe_memory(framework, case, work, args.device)}))
        return None
    if args.profile:
        configure(args, ["minigrad"])
        profile(args)
        return None
    results = run(args)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{args.device}-threads{args.threads if args.threads else 'default'}"
    from demos import common
    common.write_json(out / f"{name}.json", results)
    print(f"\n{results['summary']}\n\n{results['table']}\n\nwritten {out / name}.json")
    return results


if __name__ == "__main__":
    main()
