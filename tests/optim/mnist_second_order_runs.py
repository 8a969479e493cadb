"""Measure the accuracies behind ``test_mnist_second_order``: repeated runs, and the margin.

    python -m tests.optim.mnist_second_order_runs [--repeats 2] [--threads 1 2] [--only arc ...]

Runs every optimizer of ``BUDGETS`` (or those named by ``--only``) in the test's setting ``--repeats`` times for each BLAS
thread count and writes ``tests/optim/mnist_second_order_runs.json``: the commit, the
command, the test accuracy of every run, whether the runs with one thread count agree
bit for bit, and each optimizer's margin over the 90% threshold (smallest accuracy − 0.90).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

from minigrad.atomic import atomic_write
from tests.optim.mnist_training import train_mlp
from tests.optim.test_mnist_second_order import BUDGETS, THRESHOLD

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_second_order_runs.json")


def _commit():
    return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          cwd=os.path.dirname(RESULTS)).stdout.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--only", nargs="+", choices=sorted(BUDGETS), default=sorted(BUDGETS))
    args = parser.parse_args(argv)
    runs = {}
    for name in args.only:
        epochs, lr, hyper = BUDGETS[name]
        for threads in args.threads:
            for _ in range(args.repeats):
                started = time.perf_counter()
                metrics = train_mlp(name, epochs=epochs, lr=lr, optim_args=hyper, test_size=2000,
                                    threads=threads)
                runs.setdefault(name, {}).setdefault(str(threads), []).append(
                    {"test_accuracy": metrics["test_accuracy"],
                     "seconds": round(time.perf_counter() - started, 1)})
                print(name, threads, runs[name][str(threads)][-1], flush=True)
    summary = {name: {"smallest_accuracy": min(r["test_accuracy"] for t in per.values() for r in t),
                      "margin": min(r["test_accuracy"] for t in per.values() for r in t) - THRESHOLD,
                      "identical_per_thread_count": {
                          t: len({r["test_accuracy"] for r in rs}) == 1 for t, rs in per.items()}}
               for name, per in runs.items()}
    record = {"commit": _commit(), "command": "python -m tests.optim.mnist_second_order_runs "
              + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, loaded by other work "
                         f"(timings are not benchmarks)",
              "threshold": THRESHOLD, "summary": summary, "runs": runs}
    text = json.dumps(record, indent=1).encode("utf-8")
    atomic_write(RESULTS, lambda file: file.write(text))


if __name__ == "__main__":
    main()
