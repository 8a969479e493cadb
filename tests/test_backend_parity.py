"""The same model on NumPy and on the device backend gives the same numbers.

A model is built once on the device backend, copied to NumPy with
``load_state_dict``, and every quantity is computed on both: outputs,
gradients, Hessian- and Gauss-Newton-vector products, block Hessians and
Gauss-Newton blocks, KFAC/KFLR/KFRA factors, exact diagonals, and one step of
each optimizer family (first order, AdaHessian, Newton-CG and trust region,
Kronecker-factored, L-BFGS). float64 results agree to 1e-8 (1e-6 after a
conjugate-gradient or inverse solve), float32 to float32 rounding.

Runs when the suite is started with ``MINIGRAD_BACKEND=cupy`` (a GPU) or
``MINIGRAD_BACKEND=cupy-standin``; skipped on NumPy.
"""
import contextlib

import numpy
import pytest

import minigrad
import models
import optim
from minigrad import backend, curvature, nn

pytestmark = pytest.mark.skipif(minigrad.backend_name() == "numpy",
                                reason="needs MINIGRAD_BACKEND=cupy or cupy-standin")

FLOAT64 = dict(rtol=1e-8, atol=1e-12)
SOLVED = dict(rtol=1e-6, atol=1e-10)
FLOAT32 = dict(rtol=2e-4, atol=1e-6)


@contextlib.contextmanager
def default_dtype(dtype):
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(dtype)
    try:
        yield
    finally:
        minigrad.set_default_dtype(previous)


def convnet():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(18, 5), nn.Sigmoid(), nn.Linear(5, 3))


def sigmoid_mlp():
    return models.mlp([6, 5, 3], activation="sigmoid")


INPUT_SHAPES = {convnet: (1, 8, 8), sigmoid_mlp: (6,)}


class Pair:
    """One model, input batch and labels on the device and, copied, on NumPy."""

    def __init__(self, build, dtype=numpy.float64, n=6, seed=0):
        rng = numpy.random.default_rng(seed)
        x = rng.standard_normal((n,) + INPUT_SHAPES[build]).astype(dtype)
        y = rng.integers(0, 3, n)
        with default_dtype(dtype):
            nn.init.manual_seed(seed)
            self.device = build()
            with backend.using("numpy"):
                self.host = build()
        self.host.load_state_dict(self.device.state_dict())
        self.loss_fn = nn.CrossEntropyLoss()
        self.data = {"device": (minigrad.tensor(x), minigrad.tensor(y))}
        with backend.using("numpy"):
            self.data["host"] = (minigrad.tensor(x), minigrad.tensor(y))
        self.size = sum(p.numel() for p in self.host.parameters())

    def both(self, compute):
        """``compute(model, loss_fn, x, y)`` on each backend, results as NumPy trees."""
        results = {}
        for side, model in (("device", self.device), ("host", self.host)):
            results[side] = to_host(compute(model, self.loss_fn, *self.data[side]))
        return results["device"], results["host"]

    def vector(self, side, seed=1):
        values = numpy.random.default_rng(seed).standard_normal(self.size)
        values = values.astype(next(iter(self.host.parameters())).dtype)
        if side == "host":
            return values
        return backend.to_device(values)


def to_host(value):
    """NumPy copies of every array in ``value`` (Tensors, arrays, lists, Kronecker factors)."""
    if isinstance(value, minigrad.Tensor):
        return value.numpy()
    if isinstance(value, curvature.KroneckerFactors):
        return [to_host(value.A), to_host(value.G)]
    if isinstance(value, (list, tuple)):
        return [to_host(v) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return backend.to_host(value)
    return value


def assert_same(device, host, tolerance):
    assert type(device) is type(host)
    if isinstance(host, list):
        assert len(device) == len(host)
        for d, h in zip(device, host):
            assert_same(d, h, tolerance)
    else:
        assert isinstance(device, numpy.ndarray) and device.dtype == host.dtype
        numpy.testing.assert_allclose(device, host, **tolerance)


def test_the_device_model_lives_on_the_device():
    pair = Pair(convnet)
    assert all(p.device == "cuda" for p in pair.device.parameters())
    assert all(p.device == "cpu" for p in pair.host.parameters())


def _outputs(model, loss_fn, x, y):
    return model(x)


def _gradients(model, loss_fn, x, y):
    model.zero_grad()
    loss_fn(model(x), y).backward()
    return [p.grad for p in model.parameters()]


@pytest.mark.parametrize("dtype, tolerance", [(numpy.float64, FLOAT64),
                                              (numpy.float32, FLOAT32)], ids=["float64", "float32"])
@pytest.mark.parametrize("quantity", [_outputs, _gradients], ids=["outputs", "gradients"])
def test_outputs_and_gradients(quantity, dtype, tolerance):
    assert_same(*Pair(convnet, dtype).both(quantity), tolerance)


@pytest.mark.parametrize("dtype, tolerance", [(numpy.float64, FLOAT64),
                                              (numpy.float32, FLOAT32)], ids=["float64", "float32"])
@pytest.mark.parametrize("product", [curvature.hvp, curvature.ggnvp], ids=["hvp", "ggnvp"])
def test_curvature_vector_products(product, dtype, tolerance):
    pair = Pair(convnet, dtype)
    side = iter(("device", "host"))
    device, host = pair.both(lambda *args: product(*args, pair.vector(next(side))))
    assert_same(device, host, tolerance)


@pytest.mark.parametrize("build", [convnet, sigmoid_mlp], ids=["convnet", "mlp"])
@pytest.mark.parametrize("quantity", [
    curvature.block_hessian, curvature.block_ggn, curvature.diag_hessian, curvature.diag_ggn,
    curvature.kflr, lambda *args: curvature.kfac(*args, mc_samples=3, seed=0)],
    ids=["block_hessian", "block_ggn", "diag_hessian", "diag_ggn", "kflr", "kfac"])
def test_layerwise_curvature(quantity, build):
    assert_same(*Pair(build).both(quantity), FLOAT64)


def test_kfra_factors():
    assert_same(*Pair(sigmoid_mlp).both(curvature.kfra), FLOAT64)


OPTIMIZERS = {
    "sgd": (dict(lr=0.1, momentum=0.9), FLOAT64),
    "adam": (dict(lr=0.01), FLOAT64),
    "adahessian": (dict(lr=0.1, seed=3), FLOAT64),
    "newton-cg": ({}, SOLVED),
    "trust-region": ({}, SOLVED),
    "kfac": (dict(lr=0.1, seed=0), SOLVED),
    "kflr": (dict(lr=0.1), SOLVED),
    "lbfgs": (dict(max_iter=3), SOLVED),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_one_optimizer_step(name):
    hyper, tolerance = OPTIMIZERS[name]

    def two_steps(model, loss_fn, x, y):
        optimizer = optim.create(name, model.parameters(), **hyper)
        for _ in range(2):
            optimizer.step(curvature.Closure(model, loss_fn, x, y))
        return list(model.parameters())
    assert_same(*Pair(sigmoid_mlp).both(two_steps), tolerance)
