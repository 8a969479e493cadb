"""Independent references for the layerwise curvature tests, built only from ``minigrad.grad``.

``full_hessian``: every row by differentiating one gradient coordinate again (double
backward). ``gauss_newton``: ``Jᵀ H_z J`` with the Jacobian of the network output from one
``grad`` call per output coordinate and ``H_z``, the Hessian of the batch loss in the output,
by double backward. Plus the small float64 networks the tests share (``LAYERWISE_CASES``: name → builder of
``(model, loss, x, y)``).
"""
import contextlib

import numpy

import minigrad
from minigrad import nn
from minigrad.nn.activation import ReLU, Sigmoid, Tanh
from minigrad.backend import to_device, to_host
from tests.helpers import float64_default


def _flat_rows(grads, params):
    return numpy.concatenate([numpy.zeros(p.numel()) if g is None else g.numpy().ravel()
                              for g, p in zip(grads, params)])


def full_hessian(model, loss, x, y):
    params = list(model.parameters())
    value = loss(model(x), y)
    gradient = minigrad.grad(value, params, create_graph=True)
    rows = []
    for g in gradient:
        flat = g.reshape(-1)
        for k in range(flat.shape[0]):
            rows.append(_flat_rows(minigrad.grad(flat[k], params, retain_graph=True,
                                                 allow_unused=True), params))
    return numpy.array(rows)


def output_jacobian(model, x):
    """(N·K, P): row (n, k) is ∂z_n,k/∂θ."""
    params = list(model.parameters())
    z = model(x)
    flat = z.reshape(-1)
    return numpy.array([_flat_rows(minigrad.grad(flat[i], params, retain_graph=True,
                                                 allow_unused=True), params)
                        for i in range(flat.shape[0])]), z.detach()


def output_hessian(loss, z, y):
    """(N·K, N·K): the Hessian of the batch loss in the network output, by double backward."""
    leaf = minigrad.Tensor(z.data, requires_grad=True)
    (g,) = minigrad.grad(loss(leaf, y), [leaf], create_graph=True)
    flat = g.reshape(-1)
    return numpy.array([minigrad.grad(flat[i], [leaf], retain_graph=True)[0].numpy().ravel()
                        for i in range(flat.shape[0])])


def gauss_newton(model, loss, x, y):
    J, z = output_jacobian(model, x)
    return J.T @ output_hessian(loss, z, y) @ J


def blocks_of(matrix, model_layers):
    """Diagonal blocks of ``matrix`` for consecutive parameter groups (lists of Parameters)."""
    blocks, start = [], 0
    for params in model_layers:
        size = sum(p.numel() for p in params)
        blocks.append(matrix[start:start + size, start:start + size])
        start += size
    return blocks


def host(array):
    """A backend array as a NumPy array."""
    return to_host(array)


def _inputs(shape, seed):
    return minigrad.tensor(numpy.random.default_rng(seed).standard_normal(shape),
                           dtype=numpy.float64)


def _labels(n, classes, seed):
    return numpy.random.default_rng(seed).integers(0, classes, n)


def _unit_targets(shape, seed):
    return minigrad.tensor(numpy.random.default_rng(seed).uniform(0, 1, shape),
                           dtype=numpy.float64)


@contextlib.contextmanager
def float64_models(seed):
    """Build models in float64 from ``nn.manual_seed(seed)``; the default dtype is restored."""
    with float64_default():
        nn.manual_seed(seed)
        yield


def mlp_case(activation, loss_name, seed=0, n=5):
    with float64_models(seed):
        model = nn.Sequential(nn.Linear(4, 5), activation(), nn.Linear(5, 4), activation(),
                              nn.Linear(4, 3))
    x = _inputs((n, 4), seed + 1)
    if loss_name == "ce":
        return model, nn.CrossEntropyLoss(), x, _labels(n, 3, seed + 2)
    if loss_name == "mse":
        return model, nn.MSELoss(), x, _inputs((n, 3), seed + 2)
    return model, nn.BCEWithLogitsLoss(), x, _unit_targets((n, 3), seed + 2)


def cnn_case(seed=0, n=3):
    """Conv → Tanh → MaxPool → Flatten → Linear, cross-entropy."""
    with float64_models(seed):
        model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(18, 3))
    return model, nn.CrossEntropyLoss(), _inputs((n, 1, 6, 6), seed + 1), _labels(n, 3, seed + 2)


def cnn_norm_case(seed=0, n=3):
    """Conv (stride 2) → BatchNorm2d (eval) → Sigmoid → AvgPool → Flatten → Dropout (eval) → Linear."""
    with float64_models(seed):
        norm = nn.BatchNorm2d(2)
        model = nn.Sequential(nn.Conv2d(2, 2, 3, stride=2, padding=1), norm, nn.Sigmoid(),
                              nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 2))
    rng = numpy.random.default_rng(seed + 3)
    norm.running_mean[...] = to_device(rng.standard_normal(2))
    norm.running_var[...] = to_device(rng.uniform(0.5, 2.0, 2))
    norm.weight.data[...] = to_device(rng.uniform(0.5, 1.5, 2))
    norm.bias.data[...] = to_device(rng.standard_normal(2))
    model.eval()
    return model, nn.MSELoss(), _inputs((n, 2, 8, 8), seed + 1), _inputs((n, 2), seed + 2)


def residual_case(seed=0, n=4):
    """Linear → Residual(Tanh → Linear → Sigmoid → Linear, shortcut Linear) → Softplus → Linear."""
    with float64_models(seed):
        branch = nn.Sequential(nn.Tanh(), nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 4))
        model = nn.Sequential(nn.Linear(3, 4), nn.Residual(branch, nn.Linear(4, 4)),
                              nn.Softplus(), nn.Linear(4, 2))
    return model, nn.CrossEntropyLoss(), _inputs((n, 3), seed + 1), _labels(n, 2, seed + 2)


def no_kronecker_case():
    """BatchNorm1d (eval) → Tanh with MSE: parameters, but no Linear or Conv2d layer."""
    with float64_models(0):
        model = nn.Sequential(nn.BatchNorm1d(3), nn.Tanh())
    model.eval()
    rng = numpy.random.default_rng(0)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    return model, nn.MSELoss(), minigrad.tensor(x), minigrad.tensor(y)


LAYERWISE_CASES = {
    "sigmoid-ce": lambda: mlp_case(Sigmoid, "ce"),
    "tanh-mse": lambda: mlp_case(Tanh, "mse"),
    "relu-bce": lambda: mlp_case(ReLU, "bce"),
    "cnn-maxpool": cnn_case,
    "cnn-batchnorm-avgpool": cnn_norm_case,
    "residual": residual_case,
}


def layer_parameters(model):
    """Parameter groups per parameterised leaf module, in ``parameters()`` order."""
    groups = []
    for module in model.modules():
        own = [p for p in module._parameters.values() if p is not None]
        if own:
            groups.append(own)
    return groups
