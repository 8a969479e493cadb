"""Benchmark: LeNet-5 trained with SGD + momentum for 2 epochs on all 60,000 MNIST
training images, then evaluated on the 10,000 test images.

    python demos/train_lenet5_mnist.py [--device cuda] [--epochs 2] [--out runs/lenet5-mnist]

Settings: batch size 128, learning rate 0.05, momentum 0.9, float32, seed 0,
no validation split (every training image is used); the test accuracy
expected after 2 epochs is about 98–99%. Prints the test accuracy and the wall
time; the run folder holds ``metrics.json``, ``curves.png`` and the checkpoint.
It needs MNIST (found by ``minigrad.data.load`` or downloaded). Slow on a CPU:
several minutes on two cores.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from minigrad.train import train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default=os.path.join("runs", "lenet5-mnist"))
    args = parser.parse_args()
    start = time.perf_counter()
    metrics = train(model="lenet5", data="mnist", optim="sgd", epochs=args.epochs,
                    batch_size=128, lr=0.05, momentum=0.9, train_size=60000, val_size=0,
                    seed=0, out=args.out, device=args.device, log_every=100)
    wall = time.perf_counter() - start
    print(f"LeNet-5 on MNIST, {args.epochs} epochs of SGD (momentum 0.9) on {args.device}: "
          f"test accuracy {metrics['test_accuracy']:.4f}, wall time {wall:.0f} s "
          f"({metrics['history']['samples_per_second'][-1]:.0f} training samples/s)")


if __name__ == "__main__":
    main()
