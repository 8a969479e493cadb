"""Device timings of the papers' workloads that the demos could not afford on a CPU.

    python demos/gpu_workloads.py --device cuda --out OUT/workloads.json
                                  [--size full|small|tiny] [--repeats R] [--workloads a,b]
                                  [--torch-device cuda|cpu] [--no-torch]

``demos/gpu_check.sh`` runs it as its ``workloads`` step and copies the JSON
into ``summary.json``. Each workload is one update of a demo's method on fixed
random data of the demo's shapes (float32; the times do not depend on the
values), at the scale of the paper (``--size full``):

    kfac, kfra, kflr     the MNIST autoencoder 784-1000-500-250-30-…-784 (sparse
                         initialisation, summed Bernoulli cross-entropy), batch 1000,
                         the hyper-parameters of ``gauss_newton_autoencoder.py``;
                         three parts: ``factors`` (``closure.kronecker_factors``),
                         ``inversion`` (the damped inverses of every layer's factors,
                         ``optim.kronecker.damped_inverses``) and ``update`` (one
                         whole ``optimizer.step``: gradient, factors, inversion,
                         preconditioned step)
    trust-region, arc    the 784-1000-500-250-30-…-784 autoencoder of
                         ``adaptive_norms_trust_region.py`` (``--full``), batch 512,
                         spherical norm, at most 10 CG / Lanczos iterations; the
                         Hessian-vector products per iteration are recorded
    class-subspace       ``optim.ClassSubspaceNewton`` (eq. 6, δ = 1) on ResNet-9,
                         CIFAR-10 shapes 3×32×32, batch 128 (``class_gradient_subspace.py``)
    resnet9-sgd          one SGD step of ResNet-9, 3×32×32, batch 512
    resnet18-adahessian  one AdaHessian step of ResNet-18 on 1×28×28, batch 100
                         (``adahessian_hybrid_resnet18.py``)

Against PyTorch where it has the same computation (``benchmark_torch.py``: the
same network with copies of the same weights, eager, float32, TF32 off):
``resnet9-sgd``, ``resnet18-adahessian`` and the ``inversion`` parts
(``torch.linalg.inv`` of the same damped factors). PyTorch has no Kronecker
factors, trust-region, ARC or class-subspace update, so those parts are timed
in minigrad only. Each part is timed ``--repeats`` times after one warm-up
(which also compiles CuPy's kernels), the frameworks interleaved and
alternating which goes first, the device synchronised before each clock
reading (``benchmark.timed``); the JSON holds every repeat, the medians and the
median of the per-repeat ratios minigrad / PyTorch. A workload that raises is
recorded with its error and the others still run; the JSON is rewritten after
every workload, so a run cut short keeps what it measured (and lists the rest
as ``"pending"``); the exit status is 1 if any workload failed.

``--size small`` (the rehearsal on the CPU stand-in, about 2 minutes of CPU
time) keeps the networks and shrinks the batches; ``--size tiny`` (the test,
seconds) also shrinks the autoencoders to 784-32-8-32-784 and ResNet-9's
images to 8×8, and takes the class-subspace step on the demo's 426-parameter
CNN. ``--torch-device cpu`` runs the PyTorch side on the CPU where CUDA is
absent (the rehearsal), recorded as ``torch_device``.

How long it takes on an H100 — an estimate, as nothing here has yet run on a
GPU: by FLOP counts at a sustained 20 TFLOP/s in float32 (a third of the
peak without TF32), a KFLR update is ≈ 8 TFLOP (784 back-propagated columns
per image through layers up to 1000 wide, and their Gram matrices), ≈ 0.4 s;
a KFAC or KFRA update is bound by its 16 inversions of up to 1001×1001 (a few
ms each on cuSOLVER), ≈ 0.1 s; a trust-region or ARC iteration (a gradient
and ≤ 10 Hessian-vector products at batch 512, ≈ 0.15 TFLOP) ≈ 0.1 s with
the kernel launches; a class-subspace step (11 backward passes of ResNet-9,
0.76 GFLOP per 3×32×32 image forward, at batch 128, ≈ 2.2 TFLOP) ≈ 0.15 s; a
ResNet-9 SGD step at batch 512 (≈ 1.2 TFLOP) ≈ 0.1 s; a ResNet-18 AdaHessian
step at batch 100 ≈ 0.1 s. That is about 2 s per round of all eight with
PyTorch's parts, 8 s for the warm-up and 3 repeats; with CUDA start-up,
building the networks and their twins, and first-use compilation of CuPy's
kernels (most already cached by the suite step), the step should take about
a minute, under the 180 s ``gpu_check.sh`` gives it. ``gpu_check.sh`` then
fits its 570 s budget: parity (≤ 120 s), the suite (≤ 240 s), this step
(≈ 60 s, ≤ 180 s) and the benchmark (the rest) — under 10 minutes with the
start-up. On this repository's 2-core CPU a KFLR update
at the full batch of 1000 took 45 s on two threads, averaged over the 200 updates
of ``demos/results/gauss_newton_autoencoder_kflr``, its factors alone 42.9 s in
``bench_curvature`` with the recursion's savings on this network and 100.6 s without
them.
"""
import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from demos import adaptive_norms_trust_region as trust_region_demo  # noqa: E402
from demos import benchmark, common, gauss_newton_autoencoder  # noqa: E402
from minigrad import backend, nn  # noqa: E402
from minigrad.curvature import Closure  # noqa: E402
from optim.kronecker import damped_inverses  # noqa: E402

WORKLOADS = ("kfac", "kfra", "kflr", "trust-region", "arc", "class-subspace", "resnet9-sgd",
             "resnet18-adahessian")
SIZES = {
    "full": dict(repeats=3, autoencoder="paper", kronecker_batch=1000, trust_region_batch=512,
                 class_subspace_network="resnet9", class_subspace_batch=128, resnet9_batch=512,
                 resnet9_side=32, resnet18_batch=100),
    "small": dict(repeats=1, autoencoder="paper", kronecker_batch=8, trust_region_batch=32,
                  class_subspace_network="resnet9", class_subspace_batch=8, resnet9_batch=8,
                  resnet9_side=32, resnet18_batch=4),
    "tiny": dict(repeats=1, autoencoder="tiny", kronecker_batch=4, trust_region_batch=4,
                 class_subspace_network="small-cnn", class_subspace_batch=4, resnet9_batch=2,
                 resnet9_side=8, resnet18_batch=2),
}
AUTOENCODER_LAYERS = {"paper": [784, 1000, 500, 250, 30], "tiny": [784, 32, 8]}
CLASS_SUBSPACE = dict(lr=0.05, damping=1.0)


def arguments(argv):
    p = argparse.ArgumentParser(prog="demos/gpu_workloads.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cuda",
                   help="cuda: minigrad on CuPy (the stand-in under MINIGRAD_BACKEND=cupy "
                        "with tests/cupy_standin on the path)")
    p.add_argument("--torch-device", choices=("cpu", "cuda"), default=None,
                   help="where the PyTorch side runs (default: --device)")
    p.add_argument("--no-torch", action="store_true", help="time minigrad only")
    p.add_argument("--size", choices=tuple(SIZES), default="full")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats after one warm-up (default: 3 at full, else 1)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    p.add_argument("--threads", type=int, default=None, help="BLAS threads of both frameworks")
    p.add_argument("--out", required=True, help="the JSON file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    args = p.parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        p.error(f"--out {args.out} already holds a run; pass --force to overwrite it")
    args.workloads = benchmark._subset(p, args.workloads, WORKLOADS, "--workloads")
    args.torch_device = args.torch_device or args.device
    if args.repeats is None:
        args.repeats = SIZES[args.size]["repeats"]
    if args.repeats < 1:
        p.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def _device_batch(size, shape, pixels=False):
    x, y = benchmark.random_batch(size, shape, pixels=pixels)
    return minigrad.tensor(backend.to_device(x)), minigrad.tensor(backend.to_device(y))


def kronecker(name, size, frameworks, devices):
    """``{part: {framework: step}}`` of a KFAC/KFRA/KFLR update of the MNIST autoencoder."""
    kind, hyper = gauss_newton_autoencoder.METHODS[name.upper()]
    model = gauss_newton_autoencoder.build_model(
        argparse.Namespace(seed=0, width=size["autoencoder"]))
    loss_fn = models.reconstruction_loss("mnist", reduction="batchmean")
    x, _ = _device_batch(size["kronecker_batch"], (784,), pixels=True)
    optimizer = optim.create(kind, model.parameters(), **hyper)
    layers = Closure(model, loss_fn, x, x).kronecker_factors(kind, seed=0)
    damping = hyper["damping"]
    parts = {"factors": {"minigrad": lambda: Closure(model, loss_fn, x, x).kronecker_factors(
                 kind, seed=0)},
             "inversion": {"minigrad": lambda: [damped_inverses(layer.A, layer.G, damping)
                                                for layer in layers]},
             "update": {"minigrad": lambda: optimizer.step(Closure(model, loss_fn, x, x))}}
    if "torch" in frameworks:
        parts["inversion"]["torch"] = _torch_inversion(layers, damping, devices["torch"])
    return parts


def _torch_inversion(layers, damping, device):
    """PyTorch's inversion of the same damped factors ``A + π√γ I`` and ``G + π⁻¹√γ I``."""
    import torch
    pairs = []
    for layer in layers:
        pi = float(minigrad.to_host(damped_inverses(layer.A, layer.G, damping)[2]))
        pairs += [(torch.from_numpy(minigrad.to_host(layer.A)).to(device), pi * damping ** 0.5),
                  (torch.from_numpy(minigrad.to_host(layer.G)).to(device), damping ** 0.5 / pi)]

    def inversion():
        return [torch.linalg.inv(m + shift * torch.eye(m.shape[0], dtype=m.dtype, device=device))
                for m, shift in pairs]
    return inversion


def regularized_newton(name, size, counts):
    """``{"iteration": {"minigrad": step}}`` of a trust-region or ARC iteration; the closure
    counts its Hessian-vector products into ``counts``."""
    method = {"trust-region": "tr-spherical", "arc": "arc-spherical"}[name]
    _, kind, hyper = trust_region_demo.METHODS[method]
    nn.init.manual_seed(0)
    model, loss_fn = trust_region_demo.autoencoder(
        AUTOENCODER_LAYERS[size["autoencoder"]]), nn.BCEWithLogitsLoss()
    x, _ = _device_batch(size["trust_region_batch"], (784,), pixels=True)
    optimizer = optim.create(kind, model.parameters(), **hyper)

    def iteration():
        return optimizer.step(common.CountingClosure(Closure(model, loss_fn, x, x), counts))
    return {"iteration": {"minigrad": iteration}}


def class_subspace(size):
    """``{"step": {"minigrad": step}}`` of ``ClassSubspaceNewton`` on ResNet-9 (the small CNN
    of the demo's Figure 2 at ``tiny``)."""
    nn.init.manual_seed(0)
    side = size["resnet9_side"]
    model, shape = {"resnet9": (models.resnet9, (3, side, side)),
                    "small-cnn": (models.small_cnn, (1, 28, 28))}[size["class_subspace_network"]]
    model, loss_fn = model(), nn.CrossEntropyLoss()
    x, y = _device_batch(size["class_subspace_batch"], shape)
    optimizer = optim.create("class-subspace", model.parameters(), **CLASS_SUBSPACE)
    return {"step": {"minigrad": lambda: optimizer.step(Closure(model, loss_fn, x, y))}}


def paired_step(build, batch, shape, work, frameworks, devices):
    """``{"step": {framework: step}}`` of ``benchmark``'s ``work`` on the network ``build()``
    (cross-entropy), the PyTorch twin holding copies of the same weights."""
    nn.init.manual_seed(0)
    model, loss_fn = build(), nn.CrossEntropyLoss()
    x, y = benchmark.random_batch(batch, shape)
    return {"step": {f: benchmark.paired_workloads(f, model, loss_fn, x, y, devices[f])[work]
                     for f in frameworks}}


def workload_parts(name, size, frameworks, devices, counts):
    """``{part: {framework: step}}`` of the workload ``name``."""
    if name in ("kfac", "kfra", "kflr"):
        return kronecker(name, size, frameworks, devices)
    if name in ("trust-region", "arc"):
        return regularized_newton(name, size, counts)
    if name == "class-subspace":
        return class_subspace(size)
    if name == "resnet9-sgd":
        side = size["resnet9_side"]
        return paired_step(models.resnet9, size["resnet9_batch"], (3, side, side), "sgd",
                           frameworks, devices)
    return paired_step(lambda: models.resnet18(10, 1), size["resnet18_batch"], (1, 28, 28),
                       "adahessian", frameworks, devices)


def time_parts(parts, devices, repeats):
    """``{part: {framework: [seconds per repeat]}}``: one warm-up, then ``repeats`` rounds of
    every part, the frameworks of a part back to back, alternating which goes first."""
    seconds = {part: {f: [] for f in steps} for part, steps in parts.items()}
    for repeat in range(repeats + 1):
        for part, steps in parts.items():
            order = list(steps) if repeat % 2 == 0 else list(steps)[::-1]
            for f in order:
                elapsed = benchmark.timed(f, devices[f], steps[f])
                if repeat:
                    seconds[part][f].append(elapsed)
    return seconds


def measure(name, size, frameworks, devices, repeats):
    """The record of one workload: per part its ``benchmark.timing_row``, and for trust
    region and ARC the Hessian-vector products per iteration."""
    start = time.perf_counter()
    counts = {}
    parts = workload_parts(name, size, frameworks, devices, counts)
    setup_seconds = time.perf_counter() - start
    times = time_parts(parts, devices, repeats)
    record = {"status": "timed", "parts": {part: benchmark.timing_row(per_framework)
                                           for part, per_framework in times.items()},
              "setup_seconds": setup_seconds, "seconds": time.perf_counter() - start}
    if counts:
        record["hessian_vector_products_per_iteration"] = counts["products"] / (repeats + 1)
    return record


def configure(args):
    """Backend, threads and PyTorch settings; the frameworks timed and their devices."""
    frameworks = ["minigrad"]
    if not args.no_torch and benchmark.torch_available():
        frameworks.append("torch")
    benchmark.configure(args, frameworks, args.torch_device)
    return frameworks, {"minigrad": args.device, "torch": args.torch_device}


def main(argv=None):
    args = arguments(argv)
    frameworks, devices = configure(args)
    results = {"size": args.size, "settings": SIZES[args.size], "repeats": args.repeats,
               "device": args.device, "torch_device": args.torch_device if "torch" in frameworks
               else None, "backend": backend.backend_name(), "frameworks": frameworks,
               "workloads": {name: {"status": "pending"} for name in args.workloads}}
    common.write_json(args.out, results)
    for name in args.workloads:
        try:
            results["workloads"][name] = measure(name, SIZES[args.size], frameworks, devices,
                                                 args.repeats)
        except Exception as err:  # one failing workload must not stop the others
            results["workloads"][name] = {"status": "error",
                                          "error": f"{type(err).__name__}: {err}",
                                          "traceback": traceback.format_exc()}
        print(f"{name}: {_line(results['workloads'][name])}", flush=True)
        common.write_json(args.out, results)
    failed = failed_workloads(results)
    print(f"written {args.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return results


def failed_workloads(results):
    """The names of the workloads of ``results`` that were not timed."""
    return [name for name, record in results["workloads"].items() if record["status"] != "timed"]


def _line(record):
    """One printed line of a workload's record."""
    if record["status"] != "timed":
        return record["error"]
    cells = []
    for part, row in record["parts"].items():
        cell = f"{part} {row['minigrad_ms']:.1f} ms"
        if "ratio" in row:
            cell += f" (PyTorch {row['torch_ms']:.1f} ms, ratio {row['ratio']:.2f})"
        cells.append(cell)
    return ", ".join(cells)


if __name__ == "__main__":
    sys.exit(1 if failed_workloads(main()) else 0)
