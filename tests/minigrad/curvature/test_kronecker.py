"""KFAC / KFLR / KFRA factors against exact blocks and their defining formulas."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from minigrad.curvature import block_ggn, kfac, kflr, kfra
from minigrad.nn.activation import ReLU, Sigmoid, Tanh
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, _labels, cnn_case, float64_models, host, mlp_case, no_kronecker_case, output_hessian,
    residual_case)


@pytest.mark.parametrize("activation,loss_name", [(Sigmoid, "ce"), (Tanh, "mse"), (ReLU, "bce")])
@pytest.mark.parametrize("method", [kflr, kfra])
def test_batch_of_one_gives_exact_gn_blocks(activation, loss_name, method):
    model, loss, x, y = mlp_case(activation, loss_name, n=1)
    for factors, block in zip(method(model, loss, x, y), block_ggn(model, loss, x, y)):
        numpy.testing.assert_allclose(host(factors.to_dense()), host(block), rtol=0, atol=1e-12)


def test_kfra_recursion_on_batch_averages():
    model, loss, x, y = mlp_case(Sigmoid, "ce", n=6)
    W = [host(model[i].weight.data) for i in (0, 2, 4)]
    b = [host(model[i].bias.data) for i in (0, 2, 4)]
    a0 = host(x.data)
    h1 = a0 @ W[0].T + b[0]
    a1 = 1 / (1 + numpy.exp(-h1))
    h2 = a1 @ W[1].T + b[1]
    a2 = 1 / (1 + numpy.exp(-h2))
    z = a2 @ W[2].T + b[2]
    p = numpy.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    G3 = numpy.diag(p.mean(0)) - p.T @ p / 6
    d2, d1 = a2 * (1 - a2), a1 * (1 - a1)
    G2 = (W[2].T @ G3 @ W[2]) * (d2.T @ d2 / 6)
    G1 = (W[1].T @ G2 @ W[1]) * (d1.T @ d1 / 6)
    factors = kfra(model, loss, x, y)
    for factor, G, a in zip(factors, (G1, G2, G3), (a0, a1, a2)):
        numpy.testing.assert_allclose(host(factor.G), G, rtol=1e-10, atol=1e-14)
        ones = numpy.hstack([a, numpy.ones((6, 1))])
        numpy.testing.assert_allclose(host(factor.A), ones.T @ ones / 6, rtol=1e-10)


def _explicit_patches(x, kernel, padding):
    """(N, L, C·k·k) patches by loops over output positions (row-major (c, i, j))."""
    n, c, h, w = x.shape
    padded = numpy.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = []
    for yy in range(h + 2 * padding - kernel + 1):
        for xx in range(w + 2 * padding - kernel + 1):
            rows.append(padded[:, :, yy:yy + kernel, xx:xx + kernel].reshape(n, -1))
    return numpy.stack(rows, axis=1)


def test_conv_factors_follow_their_definitions():
    model, loss, x, y = cnn_case(n=3)
    conv, rest = model[0], model[1:]
    patches = _explicit_patches(host(x.data), 3, 1)
    rows = numpy.concatenate([patches, numpy.ones(patches.shape[:2] + (1,))], axis=2)
    expected_A = numpy.einsum("nli,nlj->ij", rows, rows) / (rows.shape[0] * rows.shape[1])
    h = minigrad.Tensor(conv(x).data, requires_grad=True)
    z = rest(h)
    flat = z.reshape(-1)
    J = numpy.array([host(minigrad.grad(flat[i], [h], retain_graph=True)[0].data).ravel()
                     for i in range(flat.shape[0])])
    Gpre = J.T @ output_hessian(loss, z.detach(), y) @ J
    n, channels, positions = 3, 2, 36
    Gpre = Gpre.reshape(n, channels, positions, n, channels, positions)
    expected_G = sum(numpy.einsum("atbt->ab", Gpre[s, :, :, s]) for s in range(n))
    factors = kflr(model, loss, x, y)[0]
    numpy.testing.assert_allclose(host(factors.A), expected_A, rtol=1e-10, atol=1e-14)
    numpy.testing.assert_allclose(host(factors.G), expected_G, rtol=1e-10, atol=1e-14)


def test_conv_kfra_equals_kflr_for_one_sample_and_exact_with_one_position():
    model, loss, x, y = cnn_case(n=1)
    for a, b in zip(kfra(model, loss, x, y), kflr(model, loss, x, y)):
        numpy.testing.assert_allclose(host(a.G), host(b.G), rtol=1e-10, atol=1e-14)
        numpy.testing.assert_allclose(host(a.A), host(b.A), rtol=1e-12)
    with float64_models(4):
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.Tanh(), nn.Linear(3, 2))
    x, y = _inputs((1, 2, 3, 3), 5), _labels(1, 2, 6)
    for factors, block in zip(kflr(model, nn.CrossEntropyLoss(), x, y),
                              block_ggn(model, nn.CrossEntropyLoss(), x, y)):
        numpy.testing.assert_allclose(host(factors.to_dense()), host(block), rtol=0, atol=1e-12)


def test_kfac_converges_to_kflr():
    model, loss, x, y = mlp_case(Tanh, "ce", n=4)
    exact = [host(f.G) for f in kflr(model, loss, x, y)]

    def error(samples):
        sampled = kfac(model, loss, x, y, mc_samples=samples, seed=0)
        return max(numpy.abs(host(f.G) - g).max() / numpy.abs(g).max()
                   for f, g in zip(sampled, exact))

    few, many = error(40), error(4000)
    assert many < few / 3
    assert many < 0.1


def test_kfra_refuses_residual_blocks():
    model, loss, x, y = residual_case()
    with pytest.raises(TypeError, match="feed-forward"):
        kfra(model, loss, x, y)
    assert len(kflr(model, loss, x, y)) == 5


def test_chunked_factors_equal_whole_batch_factors():
    model, loss, x, y = cnn_case(n=5)
    for whole, chunked in zip(kflr(model, loss, x, y), kflr(model, loss, x, y, chunk_size=2)):
        numpy.testing.assert_allclose(host(chunked.G), host(whole.G), rtol=1e-10, atol=1e-14)
        numpy.testing.assert_allclose(host(chunked.A), host(whole.A), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("method", [curvature.kfac, curvature.kflr])
def test_factors_of_a_model_without_linear_or_conv_layers_are_refused(method):
    model, loss, x, y = no_kronecker_case()
    with pytest.raises(ValueError, match="has no Linear, Conv2d or Embedding layer"):
        method(model, loss, x, y)


def test_kfra_average_hook_maps_every_batch_averaged_output_factor():
    model, loss, x, y = mlp_case(Tanh, "ce", n=4)
    plain = kfra(model, loss, x, y)
    seen = []

    def identity(G):
        seen.append(G.shape)
        return G

    for hooked, reference in zip(kfra(model, loss, x, y, average=identity), plain):
        numpy.testing.assert_array_equal(host(hooked.G), host(reference.G))
        numpy.testing.assert_array_equal(host(hooked.A), host(reference.A))
    assert len(seen) >= len(plain)
    zeroed = kfra(model, loss, x, y, average=lambda G: G * 0)
    assert all(not host(f.G).any() for f in zeroed)
    assert all(host(f.A).any() for f in zeroed)
