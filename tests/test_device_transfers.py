"""Device→host transfers per optimizer step, curvature call and training epoch, on the CuPy stand-in.

Curvature products, matrices, blocks, diagonals and Kronecker factors make none.

First-order optimizers, AdaHessian and the Kronecker-factored ones make no
device→host transfer in a step. The others read on the host exactly what their
algorithm decides there: loss values and gradient norms for non-finite checks,
line-search acceptance, trust-region and damping ratio tests, CG stopping and
negative-curvature tests, the Lanczos coefficients of the cubic subproblem's
small eigenproblem, L-BFGS curvature-pair and convergence tests, and the class
labels and the finiteness of the class gradients in the class-subspace Newton
step; their bound grows with the iterations,
never with the number of parameters or elements.

Runs with ``MINIGRAD_BACKEND=cupy-standin``; skipped otherwise.
"""
import sys

import numpy
import pytest

import minigrad
import models
import optim
from minigrad import curvature, nn

cupy = sys.modules.get("cupy")
pytestmark = pytest.mark.skipif(not getattr(cupy, "is_standin", False),
                                reason="needs MINIGRAD_BACKEND=cupy-standin")

WITHOUT_HOST_DECISIONS = {
    "sgd": dict(lr=0.1, momentum=0.9), "adam": dict(lr=1e-3), "adamw": dict(lr=1e-3),
    "rmsprop": dict(lr=1e-3), "adagrad": dict(lr=1e-2), "adahessian": dict(lr=0.1),
    "hybrid": {}, "kfac": dict(lr=0.1), "kfra": dict(lr=0.1), "kflr": dict(lr=0.1)}

ITERATIONS = 4
WITH_HOST_DECISIONS = {
    "gd-armijo": ({}, 2 + 2 * 30),
    "lbfgs": (dict(max_iter=ITERATIONS), 6 * ITERATIONS),
    "newton-cg": (dict(max_cg_iter=ITERATIONS), 8 + 2 * ITERATIONS),
    "trust-region": (dict(max_cg_iter=ITERATIONS), 8 + 4 * ITERATIONS),
    "arc": (dict(max_krylov_iter=ITERATIONS),
            8 + 3 * ITERATIONS + ITERATIONS * (ITERATIONS - 1)),
    "class-subspace": ({}, 2),
}


def _second_step_transfers(name, hyper):
    """Transfers of the second step (after state is set up) on a small classifier."""
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((16, 8)).astype(numpy.float32))
    y = minigrad.tensor(rng.integers(0, 4, 16))
    nn.init.manual_seed(0)
    model = models.mlp([8, 6, 4], activation="sigmoid")
    optimizer = optim.create(name, model.parameters(), **hyper)
    closure = curvature.Closure(model, nn.CrossEntropyLoss(), x, y)
    optimizer.step(closure)
    with cupy._transfers.counting() as counts:
        optimizer.step(closure)
    return counts


# Host data copied to the device in a step: AdaHessian's Rademacher probes (one per
# parameter) and KFAC's Monte-Carlo uniforms come from seeded host generators, so that
# both backends draw the same numbers.
HOST_TO_DEVICE = {"adahessian": 4, "kfac": 1}


@pytest.mark.parametrize("name", sorted(WITHOUT_HOST_DECISIONS))
def test_step_makes_no_device_to_host_transfer(name):
    counts = _second_step_transfers(name, WITHOUT_HOST_DECISIONS[name])
    assert counts == {"device_to_host": 0, "host_to_device": HOST_TO_DEVICE.get(name, 0)}


@pytest.mark.parametrize("name", sorted(WITH_HOST_DECISIONS))
def test_step_transfers_only_its_host_decisions(name):
    hyper, bound = WITH_HOST_DECISIONS[name]
    assert _second_step_transfers(name, hyper)["device_to_host"] <= bound


def test_training_epoch_transfers_at_log_intervals_not_per_batch():
    from minigrad.train import train
    batches, log_every = 40, 20
    with cupy._transfers.counting() as counts:
        train(data="synthetic", train_size=batches * 10, val_size=10, test_size=10,
              batch_size=10, hidden=(16,), epochs=1, lr=0.05, device="cuda",
              log_every=log_every, dtype="float64", log=lambda line: None)
    assert counts["device_to_host"] <= batches // log_every + 3


def test_tensors_from_device_arrays_and_scalar_operands_make_no_transfer():
    data = cupy.ones((2, 3))
    with cupy._transfers.counting() as counts:
        x = minigrad.tensor(data, requires_grad=True)
        (x * 2 + 1.5).sum().backward()
    assert counts == {"host_to_device": 0, "device_to_host": 0}


def test_device_labels_are_range_checked_without_a_transfer():
    logits = minigrad.tensor(numpy.zeros((3, 4)), requires_grad=True)
    labels = minigrad.tensor(numpy.array([0, 3, 1]))
    with cupy._transfers.counting() as counts:
        loss = nn.CrossEntropyLoss()(logits, labels)
    assert counts["device_to_host"] == 0
    assert loss.item() == pytest.approx(numpy.log(4))
    outside = minigrad.tensor(numpy.array([0, -1, 1]))
    assert numpy.isnan(nn.CrossEntropyLoss()(logits, outside).item())


CURVATURE = {
    "hvp": lambda m, l, x, y, v: curvature.hvp(m, l, x, y, v),
    "ggnvp": lambda m, l, x, y, v: curvature.ggnvp(m, l, x, y, v),
    "hessian": lambda m, l, x, y, v: curvature.hessian(m, l, x, y),
    "ggn": lambda m, l, x, y, v: curvature.ggn(m, l, x, y),
    "block_hessian": lambda m, l, x, y, v: curvature.block_hessian(m, l, x, y),
    "block_ggn": lambda m, l, x, y, v: curvature.block_ggn(m, l, x, y),
    "diag_hessian": lambda m, l, x, y, v: curvature.diag_hessian(m, l, x, y),
    "diag_ggn": lambda m, l, x, y, v: curvature.diag_ggn(m, l, x, y),
    "kflr": lambda m, l, x, y, v: curvature.kflr(m, l, x, y),
    "kfac": lambda m, l, x, y, v: curvature.kfac(m, l, x, y, seed=0),
    "kfra": lambda m, l, x, y, v: curvature.kfra(m, l, x, y),
}


@pytest.mark.parametrize("name", sorted(CURVATURE))
def test_curvature_of_a_convnet_makes_no_device_to_host_transfer(name):
    rng = numpy.random.default_rng(0)
    nn.init.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(18, 5), nn.Sigmoid(), nn.Linear(5, 3))
    x = minigrad.tensor(rng.standard_normal((6, 1, 8, 8)).astype(numpy.float32))
    y = minigrad.tensor(rng.integers(0, 3, 6))
    v = minigrad.backend.to_device(
        rng.standard_normal(sum(p.numel() for p in model.parameters())).astype(numpy.float32))
    with cupy._transfers.counting() as counts:
        CURVATURE[name](model, nn.CrossEntropyLoss(), x, y, v)
    assert counts["device_to_host"] == 0
