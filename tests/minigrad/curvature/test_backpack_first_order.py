"""Optional reference (skipped without PyTorch and BackPACK): the per-sample quantities and the
exact GGN square root against BackPACK's extensions on the same convolution network, float64."""
import numpy
import pytest

from minigrad import curvature
from minigrad import nn
from tests.minigrad.curvature.layerwise_reference import _inputs, _labels, host
from tests.minigrad.curvature.test_backpack_conventions import _twin_models

torch = pytest.importorskip("torch")
backpack = pytest.importorskip("backpack")

QUANTITIES = {
    "batch_grad": ("BatchGrad", "grad_batch", curvature.batch_grad),
    "batch_l2_grad": ("BatchL2Grad", "batch_l2", curvature.batch_l2_grad),
    "sum_grad_squared": ("SumGradSquared", "sum_grad_squared", curvature.sum_grad_squared),
    "variance": ("Variance", "variance", curvature.variance),
    "sqrt_ggn": ("SqrtGGNExact", "sqrt_ggn_exact", curvature.sqrt_ggn),
}


@pytest.mark.parametrize("name", sorted(QUANTITIES))
def test_agrees_with_backpack_to_1e_10(name):
    extension, attribute, quantity = QUANTITIES[name]
    model, twin = _twin_models()
    x, y = _inputs((4, 1, 4, 4), 3), _labels(4, 3, 4)
    twin = backpack.extend(twin)
    twin_loss = backpack.extend(torch.nn.CrossEntropyLoss())
    inputs = torch.from_numpy(host(x.data)).requires_grad_()
    value = twin_loss(twin(inputs), torch.from_numpy(host(y)).long())
    with backpack.backpack(getattr(backpack.extensions, extension)()):
        value.backward()
    mine = quantity(model, nn.CrossEntropyLoss(), x, y)
    for ours, p in zip(mine, twin.parameters(), strict=True):
        numpy.testing.assert_allclose(host(ours), getattr(p, attribute).numpy(), rtol=1e-10,
                                      atol=1e-13)
