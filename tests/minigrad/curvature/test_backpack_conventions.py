"""Optional reference (skipped without PyTorch and BackPACK): the conversions of the curvature
README between minigrad's Kronecker factors and BackPACK's, on a convolution network."""
import numpy
import pytest

from minigrad import curvature, nn
from tests.minigrad.curvature.layerwise_reference import _inputs, _labels, float64_models, host

torch = pytest.importorskip("torch")
backpack = pytest.importorskip("backpack")


def _twin_models():
    with float64_models(2):
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(8, 3))
    twin = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Tanh(), torch.nn.Flatten(),
                               torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p, q in zip(model.parameters(), twin.parameters()):
            q.copy_(torch.from_numpy(host(p.data)))
    return model, twin


def test_kflr_factors_convert_to_backpack_as_the_readme_says():
    model, twin = _twin_models()
    x, y = _inputs((4, 1, 4, 4), 3), _labels(4, 3, 4)
    loss = nn.CrossEntropyLoss()
    twin = backpack.extend(twin)
    twin_loss = backpack.extend(torch.nn.CrossEntropyLoss())
    inputs = torch.from_numpy(host(x.data)).requires_grad_()
    value = twin_loss(twin(inputs), torch.from_numpy(host(y.data)).long())
    with backpack.backpack(backpack.extensions.KFLR()):
        value.backward()
    conv, _, _, dense = twin
    factors = curvature.kflr(model, loss, x, y)
    positions = 2 * 2
    G_conv, A_conv = conv.weight.kflr
    numpy.testing.assert_allclose(A_conv.numpy(), positions * host(factors[0].A[:-1, :-1]),
                                  rtol=1e-10, atol=1e-13)
    bias_block = host(curvature.block_ggn(model, loss, x, y)[0][-2:, -2:])
    numpy.testing.assert_allclose(G_conv.numpy(), bias_block, rtol=1e-10, atol=1e-13)
    numpy.testing.assert_allclose(conv.bias.kflr[0].numpy(), bias_block, rtol=1e-10, atol=1e-13)
    G_dense, A_dense = dense.weight.kflr
    numpy.testing.assert_allclose(G_dense.numpy(), host(factors[1].G), rtol=1e-10, atol=1e-13)
    numpy.testing.assert_allclose(A_dense.numpy(), host(factors[1].A[:-1, :-1]), rtol=1e-10,
                                  atol=1e-13)
