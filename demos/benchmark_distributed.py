"""Data-parallel throughput on MPI: 1 and 2 processes, the MNIST autoencoder and LeNet-5.

``python demos/benchmark_distributed.py [--steps 20] [--batch-size 128] [--out DIR]``
starts itself under ``mpirun`` (``minigrad.distributed.launch`` flags) in three
configurations, all on the same global batch of ``--batch-size`` samples, float32 on
the NumPy backend (CPU), SGD with momentum through ``DataParallel``:

    1 process, 1 thread     the baseline every ratio is measured against, in the same run
    1 process, all threads  one process using the whole machine (BLAS threads)
    K processes, 1 thread   data-parallel, one core per rank (K = ``--processes``, 2)

Per model and configuration it reports the training throughput (samples of the global
batch per second, steady state after ``--warmup`` steps), the time per step spent in the
gradient all-reduce (measured around each collective after a barrier, reported
separately and as a share of the step), the time a rank waits at that barrier for the
slowest one (load imbalance on a shared machine, not communication), and for the K-process run the bandwidth of the all-reduce of one flat
float32 gradient buffer of the model's size, ``bytes / seconds`` (median of 20
repetitions). The inputs are uniform pixels in [0, 1] of MNIST's shape (throughput does
not depend on the pixel values). JSON goes to ``DIR/results.json``
(``demos/results/benchmark_distributed/`` by default). The figures depend on what else
runs on the machine; the script records the core count and the one-minute load average
before and after the runs with them.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import minigrad  # noqa: E402  (the checkout's minigrad, first on the path)
import models  # noqa: E402
import optim  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.checkpoint import atomic_write  # noqa: E402
from minigrad.distributed import DataParallel, abort_on_error, world  # noqa: E402
from minigrad.distributed.communicator import Communicator  # noqa: E402
from minigrad.distributed.launch import mpirun_command  # noqa: E402

MODELS = {
    "autoencoder-mnist": (lambda: models.create("autoencoder-mnist"), nn.BCEWithLogitsLoss,
                          (784,)),
    "lenet5": (lambda: models.create("lenet5"), nn.CrossEntropyLoss, (1, 28, 28)),
}


class TimedCommunicator(Communicator):
    """A ``Communicator`` that times each all-reduce, after a barrier timed on its own.

    ``waiting`` adds the seconds a rank waits at the barrier for the slowest rank (load
    imbalance), ``seconds`` those of the all-reduce proper (the communication).
    """

    def __init__(self, comm):
        super().__init__(comm.mpi_comm, comm.mpi)
        self.seconds = self.waiting = 0.0

    def all_reduce(self, array):
        start = time.perf_counter()
        self.mpi_comm.Barrier()
        reduce_start = time.perf_counter()
        result = super().all_reduce(array)
        end = time.perf_counter()
        self.waiting += reduce_start - start
        self.seconds += end - reduce_start
        return result


def batch(name, shape, size, rng):
    x = rng.random((size,) + shape).astype(numpy.float32)
    if name == "autoencoder-mnist":
        return x, x.reshape(size, -1)
    return x, rng.integers(0, 10, size)


def throughput(name, comm, steps, warmup, batch_size):
    """Samples per second and all-reduce seconds per step of one model on ``comm``."""
    build, loss_type, shape = MODELS[name]
    nn.init.manual_seed(0)
    model, loss_fn = build(), loss_type()
    parallel = DataParallel(model, comm, seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = numpy.random.default_rng(0)
    data = [batch(name, shape, batch_size, rng) for _ in range(warmup + steps)]
    for step, (x, y) in enumerate(data):
        if step == warmup:
            comm.mpi_comm.Barrier()
            start, comm.seconds, comm.waiting = time.perf_counter(), 0.0, 0.0
        optimizer.step(parallel.closure(loss_fn, minigrad.tensor(x), y, step))
    comm.mpi_comm.Barrier()
    elapsed = time.perf_counter() - start
    step_seconds = comm.mpi_comm.allreduce(elapsed, op=comm.mpi.MAX) / steps
    communication = comm.mpi_comm.allreduce(comm.seconds, op=comm.mpi.MAX) / steps
    waiting = comm.mpi_comm.allreduce(comm.waiting, op=comm.mpi.MAX) / steps
    parameters = sum(p.numel() for p in model.parameters())
    return {"parameters": parameters, "samples_per_second": batch_size / step_seconds,
            "step_seconds": step_seconds, "allreduce_seconds_per_step": communication,
            "allreduce_share_of_step": communication / step_seconds,
            "wait_for_slowest_rank_seconds_per_step": waiting}


def bandwidth(comm, parameters, repetitions=20):
    """Median seconds and bytes/s of the all-reduce of one flat float32 buffer."""
    buffer = numpy.ones(parameters, dtype=numpy.float32)
    times = []
    for _ in range(repetitions + 2):
        comm.mpi_comm.Barrier()
        start = time.perf_counter()
        comm.all_reduce(buffer)
        times.append(comm.mpi_comm.allreduce(time.perf_counter() - start, op=comm.mpi.MAX))
    seconds = float(numpy.median(times[2:]))
    return {"bytes": buffer.nbytes, "median_seconds": seconds,
            "gigabytes_per_second": buffer.nbytes / seconds / 1e9}


def worker(args):
    minigrad.set_default_dtype(numpy.float32)
    comm = TimedCommunicator(world())
    with abort_on_error(comm):
        results = {}
        for name in MODELS:
            results[name] = throughput(name, comm, args.steps, args.warmup, args.batch_size)
            if comm.size > 1:
                results[name]["flat_gradient_allreduce"] = bandwidth(
                    comm, results[name]["parameters"])
        if comm.rank == 0:
            pathlib.Path(args.worker).write_text(json.dumps(results))


def run_configuration(args, processes, threads):
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "worker.json"
        command = mpirun_command(processes, [sys.executable, __file__, "--worker", str(out),
                                             "--steps", str(args.steps), "--warmup",
                                             str(args.warmup), "--batch-size",
                                             str(args.batch_size)])
        threads_env = {name: str(threads) for name in
                       ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        subprocess.run(command, check=True,
                       env=dict(os.environ, MINIGRAD_BACKEND="numpy", **threads_env))
        return json.loads(out.read_text())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20, help="timed steps per configuration")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--batch-size", type=int, default=128, help="global batch size")
    p.add_argument("--processes", type=int, default=2, help="ranks of the parallel run")
    p.add_argument("--out", default=str(REPOSITORY / "demos/results/benchmark_distributed"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    cores, load_before = os.cpu_count(), os.getloadavg()[0]
    configurations = {"1_process_1_thread": (1, 1), f"1_process_{cores}_threads": (1, cores),
                      f"{args.processes}_processes_1_thread": (args.processes, 1)}
    runs = {label: run_configuration(args, *setting)
            for label, setting in configurations.items()}
    baseline = runs["1_process_1_thread"]
    report = {"cores": cores, "load_average_before": load_before,
              "load_average_after": os.getloadavg()[0], "batch_size": args.batch_size,
              "steps": args.steps,
              "dtype": "float32", "optimizer": "SGD(momentum=0.9)", "runs": runs,
              "throughput_ratio_to_1_process_1_thread": {
                  label: {name: run[name]["samples_per_second"]
                          / baseline[name]["samples_per_second"] for name in MODELS}
                  for label, run in runs.items()}}
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "results.json",
                 lambda stream: stream.write(json.dumps(report, indent=1).encode()))
    print(f"{cores} cores (load average {load_before:.1f} before, "
          f"{report['load_average_after']:.1f} after), global batch {args.batch_size}, float32, "
          f"SGD with momentum")
    for label, run in runs.items():
        for name in MODELS:
            entry = run[name]
            line = (f"{label:22s} {name:18s} {entry['samples_per_second']:8.1f} samples/s  "
                    f"×{report['throughput_ratio_to_1_process_1_thread'][label][name]:.2f}  "
                    f"all-reduce {1e3 * entry['allreduce_seconds_per_step']:.2f} ms/step "
                    f"({100 * entry['allreduce_share_of_step']:.1f}%), waiting "
                    f"{1e3 * entry['wait_for_slowest_rank_seconds_per_step']:.2f} ms/step")
            if "flat_gradient_allreduce" in entry:
                bw = entry["flat_gradient_allreduce"]
                line += (f"  flat buffer {bw['bytes'] / 1e6:.1f} MB at "
                         f"{bw['gigabytes_per_second']:.2f} GB/s")
            print(line)
    return report


if __name__ == "__main__":
    main()
