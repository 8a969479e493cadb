"""Small float64 nets and independent references for the matrix-free curvature tests.

``build(name)`` returns ``(model, loss_fn, x, y)`` for one of ``CASES``: MLPs with
sigmoid / tanh / ReLU under cross-entropy / MSE / BCE, and a tiny conv net with
batch norm in training mode. The references use no second-order machinery:

* ``finite_difference_hessian``: central differences of the gradient, column by column;
* ``output_jacobian``: ``∂z/∂θ`` row by row from reverse-mode VJPs with unit cotangents;
* ``loss_hessian``: the closed-form Hessian of the mean loss in the flat output
  (``minigrad/curvature/README.md``, the loss; ``/N`` for the mean, ``/(N·K)`` for
  elementwise means).
"""
import numpy

import minigrad
from minigrad import nn
from minigrad.curvature import flat_gradient, parameter_list
from minigrad.nn.activation import ReLU, Sigmoid, Tanh
from minigrad.nn.conv import Conv2d
from minigrad.nn.flatten import Flatten
from minigrad.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from minigrad.nn.normalization import BatchNorm2d
from tests.helpers import float64_default

BATCH = 5


def linear_mse_case(inputs, outputs=2, seed=3, batch=6):
    """One float64 ``Linear(inputs, outputs)`` under ``MSELoss``: its GN equals its Hessian."""
    rng = numpy.random.default_rng(seed)
    with float64_default():
        nn.manual_seed(seed)
        model = nn.Linear(inputs, outputs)
    x = minigrad.tensor(rng.standard_normal((batch, inputs)), dtype=numpy.float64)
    y = minigrad.tensor(rng.standard_normal((batch, outputs)), dtype=numpy.float64)
    return model, MSELoss(), x, y


def _mlp(activation, inputs=4, hidden=5, outputs=3):
    return nn.Sequential(nn.Linear(inputs, hidden), activation(), nn.Linear(hidden, outputs))


def _conv_batch_norm():
    return nn.Sequential(Conv2d(1, 2, 3), BatchNorm2d(2), Tanh(), Flatten(), nn.Linear(18, 3))


def _targets(kind, rng, outputs=3):
    if kind == "labels":
        return rng.integers(0, outputs, BATCH)
    if kind == "binary":
        return minigrad.tensor(rng.uniform(0, 1, (BATCH, outputs)), dtype=numpy.float64)
    return minigrad.tensor(rng.standard_normal((BATCH, outputs)), dtype=numpy.float64)


# name: (model factory, loss, input shape, target kind)
CASES = {
    "sigmoid_cross_entropy": (lambda: _mlp(Sigmoid), CrossEntropyLoss, (BATCH, 4), "labels"),
    "tanh_mse": (lambda: _mlp(Tanh), MSELoss, (BATCH, 4), "real"),
    "relu_bce": (lambda: _mlp(ReLU), BCEWithLogitsLoss, (BATCH, 4), "binary"),
    "conv_batch_norm_cross_entropy": (_conv_batch_norm, CrossEntropyLoss, (BATCH, 1, 5, 5),
                                      "labels"),
}


def build(name, seed=0):
    """``(model, loss_fn, x, y)`` in float64 for the case ``name`` (train mode)."""
    factory, loss, input_shape, target_kind = CASES[name]
    rng = numpy.random.default_rng(seed)
    with float64_default():
        nn.manual_seed(seed)
        model = factory()
        x = minigrad.tensor(rng.standard_normal(input_shape), dtype=numpy.float64)
    return model, loss(), x, _targets(target_kind, rng)


def random_direction(model, seed=1):
    size = sum(p.numel() for p in model.parameters())
    return minigrad.tensor(numpy.random.default_rng(seed).standard_normal(size),
                           dtype=numpy.float64).data


def relative_error(actual, expected):
    actual, expected = minigrad.to_host(actual), minigrad.to_host(expected)
    return float(abs(actual - expected).max() / max(abs(expected).max(), 1e-300))


def finite_difference_hessian(model, loss_fn, x, y, eps=1e-5):
    """``(P, P)``: column ``k`` is ``(∇L(θ + ε e_k) − ∇L(θ − ε e_k)) / 2ε``."""
    params = parameter_list(model)
    originals = [p.data.copy() for p in params]
    columns = []
    for p, original in zip(params, originals):
        for index in numpy.ndindex(*p.shape):
            grads = []
            for sign in (1.0, -1.0):
                shifted = original.copy()
                shifted[index] += sign * eps
                p.data = shifted
                grads.append(minigrad.to_host(flat_gradient(model, loss_fn, x, y)))
            p.data = original
            columns.append((grads[0] - grads[1]) / (2 * eps))
    return numpy.stack(columns, axis=1)


def output_jacobian(model, x):
    """``(N·K, P)`` Jacobian of the flat output, one reverse-mode row per output entry."""
    params = parameter_list(model)
    z = model(x)
    rows = []
    for index in numpy.ndindex(*z.shape):
        unit = z.xp.zeros(z.shape, dtype=z.dtype)
        unit[index] = 1
        grads = minigrad.grad(z, params, grad_outputs=minigrad.Tensor(unit), retain_graph=True)
        rows.append(numpy.concatenate([g.numpy().ravel() for g in grads]))
    return numpy.stack(rows), z.numpy()


def loss_hessian(loss_fn, z):
    """Closed-form ``∂²L/∂z²`` of the mean loss over the flat output ``z (N, K)``."""
    n, k = z.shape
    if isinstance(loss_fn, CrossEntropyLoss):
        p = numpy.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        blocks = [numpy.diag(row) - numpy.outer(row, row) for row in p]
        hessian = numpy.zeros((n * k, n * k))
        for i, block in enumerate(blocks):
            hessian[i * k:(i + 1) * k, i * k:(i + 1) * k] = block
        return hessian / n
    if isinstance(loss_fn, MSELoss):
        return 2 * numpy.eye(n * k) / (n * k)
    if isinstance(loss_fn, BCEWithLogitsLoss):
        s = 1 / (1 + numpy.exp(-z.ravel()))
        return numpy.diag(s * (1 - s)) / (n * k)
    raise ValueError(f"no closed-form Hessian for {loss_fn!r}")


def symmetric_matrix(eigenvalues, seed=0):
    """A dense float64 ``Q diag(eigenvalues) Qᵀ`` with a random orthogonal ``Q``, on the backend."""
    size = len(eigenvalues)
    q, _ = numpy.linalg.qr(numpy.random.default_rng(seed).standard_normal((size, size)))
    matrix = (q * numpy.asarray(eigenvalues, dtype=numpy.float64)) @ q.T
    return minigrad.tensor((matrix + matrix.T) / 2, dtype=numpy.float64).data
