"""Benchmark: LeNet-5 trained with SGD + momentum for 2 epochs on all 60,000 MNIST
training images, then evaluated on the 10,000 test images.

    python demos/train_lenet5_mnist.py [--device cuda] [--epochs 2] [--batch-size 64]
                                       [--lr 0.03] [--out DIR]

Settings: batch size 64, learning rate 0.03, momentum 0.9, float32, seed 0,
no validation split (every training image is used). Prints the test accuracy
and the wall time; the run folder (a new ``runs/lenet5-mnist[-N]`` unless ``--out`` is
given) holds ``metrics.json``, ``curves.png`` and the checkpoint. It needs MNIST (found by
``minigrad.data.load`` or downloaded).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from minigrad.train import train  # noqa: E402


def main(argv=None):
    """Run the benchmark; returns ``{"test_accuracy", "wall_seconds", "samples_per_second"}``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--out", default=None,
                        help="run folder (default: a new runs/lenet5-mnist[-N])")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    metrics = train(model="lenet5", data="mnist", optim="sgd", epochs=args.epochs,
                    batch_size=args.batch_size, lr=args.lr, momentum=0.9, train_size=60000,
                    val_size=0, seed=0, out=args.out, device=args.device, log_every=100)
    result = {"test_accuracy": metrics["test_accuracy"],
              "wall_seconds": time.perf_counter() - start,
              "samples_per_second": metrics["history"]["samples_per_second"][-1]}
    print(f"LeNet-5 on MNIST, {args.epochs} epochs of SGD (momentum 0.9) on {args.device}: "
          f"test accuracy {result['test_accuracy']:.4f}, wall time {result['wall_seconds']:.0f} s "
          f"({result['samples_per_second']:.0f} training samples/s)")
    return result


if __name__ == "__main__":
    main()
