# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---


# %% [markdown]
# # 7. The same code on a GPU and on several processes
#
# Nothing in the earlier tutorials named a device. Ops take the array module (NumPy or
# CuPy) from their inputs, so `minigrad.use("cupy")` — or `with minigrad.backend.using("cupy"):`
# for one block — runs the same code on an NVIDIA GPU; and the training command runs
# data-parallel on K MPI processes with `mpirun` (`python -m minigrad.distributed.launch`
# adds the project's flags). Where there is no GPU or no MPI, the cells below say so and skip.

# %%
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import minigrad
import models
from minigrad import backend, curvature, nn
from minigrad.data import load_or_synthetic

minigrad.set_default_dtype(np.float64)
images, labels, source = load_or_synthetic("mnist", "test")
x_host = images[:256].reshape(256, -1) / 255.0
y_host = labels[:256]

# %% [markdown]
# ## The same Hessian-vector product on NumPy and on CuPy

# %%
def hvp_of(weights, direction):
    """H v (flat, on the host) of a 784-32-10 network with ``weights`` on the active backend."""
    nn.manual_seed(0)
    model = models.mlp([784, 32, 10], activation="tanh")
    for p, w in zip(model.parameters(), weights):
        p.data = backend.to_device(w) if backend.backend_name() == "cupy" else w
    x, y = minigrad.tensor(x_host), minigrad.tensor(y_host)
    v = backend.to_device(direction) if backend.backend_name() == "cupy" else direction
    return backend.to_host(curvature.hvp(model, nn.CrossEntropyLoss(), x, y, v))


nn.manual_seed(0)
weights = [p.numpy() for p in models.mlp([784, 32, 10], activation="tanh").parameters()]
direction = np.random.default_rng(0).standard_normal(sum(w.size for w in weights))  # flat (P,)
on_cpu = hvp_of(weights, direction)
try:
    with backend.using("cupy"):
        on_gpu = hvp_of(weights, direction)
except Exception as missing:                      # no CuPy, or no GPU: the message says which
    print(f"GPU part skipped: {missing}")
    on_gpu = None
if on_gpu is not None:
    error = np.abs(on_cpu - on_gpu).max()
    print(f"largest difference between the CPU and GPU products: {error:.1e}")
    assert error < 1e-8

fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(on_cpu, bins=60, alpha=0.7, label="NumPy")
if on_gpu is not None:
    ax.hist(on_gpu, bins=60, histtype="step", label="CuPy")
ax.set_title("entries of H v")
ax.legend()
plt.show()

# %% [markdown]
# ## Data-parallel training on two processes
#
# The training command on 2 MPI ranks takes each global batch of 64 as two shards of 32,
# all-reduces the gradients and the loss in one buffer, and so takes the steps of one
# process on the whole batch. We train a 784-32-10 network for one epoch on 512 digits both ways and compare
# the per-batch losses from the two `metrics.json` files.

# %%
def train(folder, ranks):
    command = [sys.executable, "-m", "minigrad.train", "--train-size", "512", "--val-size", "64",
               "--test-size", "64", "--hidden", "32", "--epochs", "1",
               "--batch-size", "64", "--lr", "0.1", "--quiet", "--out", str(folder)]
    if ranks > 1:
        command = [sys.executable, "-m", "minigrad.distributed.launch", "-n", str(ranks)] + command
    subprocess.run(command, check=True, timeout=240)
    return json.loads((folder / "metrics.json").read_text())


try:
    import mpi4py  # noqa: F401
    mpi_missing = None if shutil.which("mpirun") else "the mpirun program is not on PATH"
except ImportError:
    mpi_missing = 'mpi4py is not installed (pip install -e ".[mpi]" and an MPI library)'
if mpi_missing:
    print(f"MPI part skipped: {mpi_missing}")
else:
    with tempfile.TemporaryDirectory() as scratch:
        one = train(pathlib.Path(scratch) / "one", 1)
        two = train(pathlib.Path(scratch) / "two", 2)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(one["batch_loss"], "o-", label="1 process")
    ax.plot(two["batch_loss"], "x--", label="2 MPI ranks")
    ax.set_xlabel("batch")
    ax.set_ylabel("training loss")
    ax.legend()
    plt.show()
    gap = np.abs(np.array(one["batch_loss"]) - np.array(two["batch_loss"])).max()
    print(f"largest difference between the per-batch losses: {gap:.1e} (float32 rounding)")
    assert gap < 1e-4

# %% [markdown]
# ## Exercise
#
# **Exercise 1.** Why can two processes reproduce one process's steps exactly, but not
# bitwise? (The sum of the two shards' mean gradients, each over 32 samples, is added in a
# different order than the mean over 64.) Write `shard_mean(values, shards)`: the mean of
# `values` computed as the mean of the per-shard means. The check compares it with the
# mean over all values.

# %%
def shard_mean(values, shards):
    ...  # your answer: a float


# %%
from exercises import answer

values = np.random.default_rng(1).standard_normal(64)
assert np.isclose(answer(shard_mean, "devices", values, 2), values.mean())

# %% [markdown]
# **Exercise 2.** Write `to_host_all(arrays)`: every array of a list as a NumPy array,
# whatever the backend (`minigrad.backend.to_host`). The check runs it on the NumPy arrays
# of the HVP above, cut into the parameters' pieces.

# %%
def to_host_all(arrays):
    ...  # your answer: a list of NumPy arrays


# %%
pieces = np.split(on_cpu, np.cumsum([w.size for w in weights])[:-1])
hosted = answer(to_host_all, "devices", pieces)
assert all(isinstance(a, np.ndarray) and np.array_equal(a, b) for a, b in zip(hosted, pieces))
