"""Per-sample gradients and their moments (``per_sample_gradients.py``) against loops of
single-sample backward passes (``minigrad.grad`` of ``c_N ℓ_n``), on an MLP, CNNs (max
pooling; batch norm in evaluation mode), a residual net, a custom ``nn.Module`` with a
Parameter used directly in its ``forward``, and tied weights."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from tests.minigrad.curvature.layerwise_reference import (_inputs, _labels, cnn_case,
                                                          cnn_norm_case, float64_models, host,
                                                          mlp_case, residual_case)
from minigrad.nn.activation import Sigmoid, Tanh

RTOL, ATOL = 1e-10, 1e-13


class ScaledHead(nn.Module):
    """``tanh(lin(x)) * scale @ headᵀ``: a Parameter used in ``forward`` with no layer rule."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.scale = nn.Parameter(minigrad.tensor(
            numpy.linspace(0.5, 1.5, 4), dtype=numpy.float64).data)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.lin(x).tanh() * self.scale)


def custom_case(n=5):
    with float64_models(2):
        model = ScaledHead()
    return model, nn.CrossEntropyLoss(), _inputs((n, 3), 3), _labels(n, 2, 4)


def tied_case(n=4):
    with float64_models(3):
        lin = nn.Linear(3, 3)
    return nn.Sequential(lin, nn.Tanh(), lin), nn.CrossEntropyLoss(), _inputs((n, 3), 4), \
        _labels(n, 3, 5)


CASES = {
    "mlp-ce": lambda: mlp_case(Sigmoid, "ce"),
    "mlp-mse": lambda: mlp_case(Tanh, "mse"),
    "cnn-maxpool": cnn_case,
    "cnn-batchnorm-eval": cnn_norm_case,
    "residual": residual_case,
    "custom-module": custom_case,
    "tied-weights": tied_case,
}


def reference_batch_grad(model, loss, x, y):
    """(N, *p.shape) per parameter: ``c_N ∇ℓ_n`` by one backward pass per sample."""
    params = list(model.parameters())
    data = x.data if isinstance(x, minigrad.Tensor) else x
    targets = y.data if isinstance(y, minigrad.Tensor) else numpy.asarray(y)
    n = data.shape[0]
    scale = 1.0 / n if loss.reduction == "mean" else 1.0
    rows = []
    for k in range(n):
        value = loss(model(minigrad.tensor(data[k:k + 1])), minigrad.tensor(targets[k:k + 1]))
        grads = minigrad.grad(value, params, allow_unused=True)
        rows.append([numpy.zeros(p.shape) if g is None else scale * host(g.data)
                     for g, p in zip(grads, params)])
    return [numpy.stack(per_param) for per_param in zip(*rows)]


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]()


def test_batch_grad_is_the_per_sample_gradient_and_sums_to_the_batch_gradient(case):
    model, loss, x, y = case
    mine = curvature.batch_grad(model, loss, x, y)
    expected = reference_batch_grad(model, loss, x, y)
    assert [g.shape for g in mine] == [(x.shape[0],) + p.shape for p in model.parameters()]
    for g, ref in zip(mine, expected, strict=True):
        numpy.testing.assert_allclose(host(g), ref, rtol=RTOL, atol=ATOL)
    total = numpy.concatenate([host(g).sum(axis=0).ravel() for g in mine])
    numpy.testing.assert_allclose(total, host(curvature.flat_gradient(model, loss, x, y)),
                                  rtol=RTOL, atol=ATOL)


def test_moments_equal_those_of_the_per_sample_gradients(case):
    model, loss, x, y = case
    expected = reference_batch_grad(model, loss, x, y)
    n = x.shape[0]
    l2 = curvature.batch_l2_grad(model, loss, x, y)
    sgs = curvature.sum_grad_squared(model, loss, x, y)
    var = curvature.variance(model, loss, x, y)
    for ref, norms, squares, spread in zip(expected, l2, sgs, var, strict=True):
        numpy.testing.assert_allclose(host(norms), (ref ** 2).reshape(n, -1).sum(axis=1),
                                      rtol=RTOL, atol=ATOL)
        numpy.testing.assert_allclose(host(squares), (ref ** 2).sum(axis=0), rtol=RTOL,
                                      atol=ATOL)
        numpy.testing.assert_allclose(host(spread),
                                      (ref ** 2).sum(axis=0) / n - (ref.sum(axis=0) / n) ** 2,
                                      rtol=RTOL, atol=ATOL)


def test_sum_reduction_scales_by_one():
    model, _, x, y = mlp_case(Tanh, "mse")
    loss = nn.MSELoss(reduction="sum")
    for g, ref in zip(curvature.batch_grad(model, loss, x, y),
                      reference_batch_grad(model, loss, x, y), strict=True):
        numpy.testing.assert_allclose(host(g), ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("quantity", [curvature.batch_grad, curvature.batch_l2_grad,
                                      curvature.sum_grad_squared, curvature.variance])
def test_batch_norm_in_training_mode_is_refused_naming_the_layer(quantity):
    model, loss, x, y = cnn_norm_case()
    model.train()
    with pytest.raises(ValueError, match=r"model\.1 \(BatchNorm2d\).*model\.eval\(\)"):
        quantity(model, loss, x, y)


def test_batch_grad_above_the_memory_limit_is_refused_before_allocating():
    model, loss, x, y = mlp_case(Tanh, "mse")
    previous = curvature.set_memory_limit(64)
    try:
        with pytest.raises(MemoryError, match="batch_grad.*batch_l2_grad"):
            curvature.batch_grad(model, loss, x, y)
    finally:
        curvature.set_memory_limit(previous)
