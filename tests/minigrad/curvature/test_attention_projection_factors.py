"""Kronecker factors of a self-attention's packed in-projection
(``layerwise/attention_projection.py``) on a token model (Embedding → 1-layer transformer
encoder → LayerNorm → Linear), float64, against their definitions and the dense Gauss-Newton
matrix of the autodiff half (``ggn_operator``):

* ``A`` from the attention's input rows, ``G`` from the per-sample gradients at the packed
  (N, L, 3E) output (a loop over the samples); ``G ⊗ A`` over ``[in_proj_weight.ravel(),
  in_proj_bias]``, for ``approx="expand"`` and ``"reduce"``;
* KFLR is the exact block for one sample of one token;
* EKFAC is ``Q diag(diag(Qᵀ F Q)) Qᵀ``, never farther from ``F`` than KFLR;
* cross-attention (query, key, value that differ) is refused naming the module;
* ``optim.KFAC`` and ``optim.EKFAC`` precondition the in-projection and the Embedding, and give
  the LayerNorm its plain gradient.
"""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from optim.kronecker import damped_inverses
from tests.helpers import float64_default

N, L, VOCABULARY, WIDTH, CLASSES = 2, 3, 5, 4, 3


def host(a):
    return minigrad.to_host(a)


def encoder_model(tokens=L, seed=0):
    rng = numpy.random.default_rng(seed)
    with float64_default():
        nn.manual_seed(seed)
        layer = nn.TransformerEncoderLayer(WIDTH, 2, 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        model = nn.Sequential(nn.Embedding(VOCABULARY, WIDTH), nn.TransformerEncoder(layer, 1),
                              nn.LayerNorm(WIDTH), nn.Flatten(),
                              nn.Linear(tokens * WIDTH, CLASSES))
        for p in model.parameters():
            p.data = p.data + p.xp.asarray(0.3 * rng.standard_normal(p.shape), dtype=p.dtype)
    return model


def attention_of(model):
    return model[1].layers[0].self_attn


def batch(n=N, tokens=L, seed=1):
    rng = numpy.random.default_rng(seed)
    return minigrad.tensor(rng.integers(0, VOCABULARY, (n, tokens))), rng.integers(0, CLASSES, n)


def dense_block(model, loss, x, y, params):
    """The exact GGN block of the contiguous Parameters ``params``, from GGN-vector products."""
    operator = curvature.ggn_operator(model, loss, x, y)
    offsets, start = {}, 0
    for p in model.parameters():
        offsets[id(p)] = start
        start += p.numel()
    first = offsets[id(params[0])]
    stop = first + sum(p.numel() for p in params)
    return numpy.stack([host(operator.matvec(operator.xp.asarray(e)))[first:stop]
                        for e in numpy.eye(operator.shape[0])[first:stop]], axis=1)


def packed_gradients(model, loss, x, y):
    """``(rows, δ)``: the in-projection's input rows (N, L, E) and the gradients
    (N, L, 3E) of each sample's loss ``ℓ_n`` at the packed output."""
    attention = attention_of(model)
    seen = []
    handle = attention.in_proj.register_forward_hook(
        lambda module, args, output: seen.append((args[0], output)))
    with minigrad.enable_grad():
        logits = model(x)
    handle.remove()
    ((inputs, packed),) = seen
    gradients = [host(minigrad.grad(loss(logits[n:n + 1], y[n:n + 1]), [packed],
                                    retain_graph=True)[0].data)[n] for n in range(x.shape[0])]
    return host(inputs.data), numpy.stack(gradients)


@pytest.mark.parametrize("approx", ["expand", "reduce"])
def test_factors_follow_their_definitions(approx):
    model, loss = encoder_model(), nn.CrossEntropyLoss()
    x, y = batch()
    inputs, gradients = packed_gradients(model, loss, x, y)
    rows = numpy.concatenate([inputs, numpy.ones((N, L, 1))], axis=2)
    if approx == "expand":
        rows, gradients = rows.reshape(N * L, -1), gradients.reshape(N * L, -1)
    else:
        rows, gradients = rows.mean(axis=1), gradients.sum(axis=1)
    factors = curvature.kfac(model, loss, x, y, fisher_type="empirical", approx=approx)
    attention = attention_of(model)
    (block,) = [f for f in factors if f.params[0] is attention.in_proj_weight]
    assert [p is q for p, q in zip(block.params, [attention.in_proj_weight,
                                                  attention.in_proj_bias])] == [True, True]
    assert block.A.shape == (WIDTH + 1, WIDTH + 1) and block.G.shape == (3 * WIDTH, 3 * WIDTH)
    numpy.testing.assert_allclose(host(block.A), rows.T @ rows / rows.shape[0], rtol=1e-10)
    numpy.testing.assert_allclose(host(block.G), gradients.T @ gradients / N, rtol=1e-10,
                                  atol=1e-14)


def test_factors_are_listed_in_module_order():
    model, loss = encoder_model(), nn.CrossEntropyLoss()
    factors = curvature.kflr(model, loss, *batch())
    attention = attention_of(model)
    layer = model[1].layers[0]
    assert [f.params[0] for f in factors] == [
        model[0].weight, attention.in_proj_weight, attention.out_proj.weight,
        layer.linear1.weight, layer.linear2.weight, model[4].weight]


def test_kflr_is_the_exact_block_for_one_sample_of_one_token():
    model, loss = encoder_model(tokens=1), nn.CrossEntropyLoss()
    x, y = batch(n=1, tokens=1)
    attention = attention_of(model)
    params = [attention.in_proj_weight, attention.in_proj_bias]
    exact = dense_block(model, loss, x, y, params)
    assert abs(exact).max() > 1e-3
    (block,) = [f for f in curvature.kflr(model, loss, x, y) if f.params[0] is params[0]]
    numpy.testing.assert_allclose(host(block.to_dense()), exact, rtol=1e-10,
                                  atol=1e-12 * abs(exact).max())


def test_ekfac_is_the_exact_block_rescaled_in_the_kronecker_eigenbasis():
    model, loss = encoder_model(), nn.CrossEntropyLoss()
    x, y = batch()
    attention = attention_of(model)
    F = dense_block(model, loss, x, y, [attention.in_proj_weight, attention.in_proj_bias])
    (block,) = [b for b in curvature.ekfac(model, loss, x, y, fisher_type="type-2")
                if b.params[0] is attention.in_proj_weight]
    layout = block.kronecker
    P = F.shape[0]
    order = host(layout.matrix_to_vector(numpy.arange(P).reshape(3 * WIDTH, WIDTH + 1)))
    Q = numpy.kron(host(block.QG), host(block.QA))[order]
    expected = Q @ numpy.diag(numpy.diag(Q.T @ F @ Q)) @ Q.T
    E = host(block.to_dense())
    numpy.testing.assert_allclose(E, expected, rtol=1e-9, atol=1e-11 * abs(F).max())
    kfac = host(layout.to_dense())
    assert numpy.linalg.norm(E - F) < numpy.linalg.norm(kfac - F)


def test_cross_attention_is_refused_naming_the_module():
    class CrossAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(WIDTH, 2, batch_first=True)
            self.head = nn.Linear(WIDTH, CLASSES)

        def forward(self, x):
            return self.head(self.attention(x, 2 * x, x, need_weights=False)[0].mean(1))

    with float64_default():
        model = CrossAttention()
    x = minigrad.tensor(numpy.random.default_rng(0).standard_normal((N, L, WIDTH)))
    y = numpy.array([0, 2])
    for method in (curvature.kflr, curvature.kfac, curvature.ekfac):
        with pytest.raises(ValueError, match=r"model\.attention \(MultiheadAttention\) was "
                                             r"called with a query, key and value that are not "
                                             r"one Tensor.*diag_ggn and block_ggn"):
            method(model, nn.CrossEntropyLoss(), x, y)
    assert curvature.diag_ggn(model, nn.CrossEntropyLoss(), x, y).shape[0] > 0


@pytest.mark.parametrize("optimizer", ["KFAC", "EKFAC"])
def test_optimizers_precondition_the_in_projection_and_the_embedding(optimizer):
    model, loss = encoder_model(), nn.CrossEntropyLoss()
    x, y = batch(n=4)
    closure = curvature.Closure(model, loss, x, y)
    attention = attention_of(model)
    lr, damping = 0.5, 0.1
    if optimizer == "KFAC":
        layers = closure.kronecker_factors("kfac", mc_samples=1, seed=3)
        step = optim.KFAC(model.parameters(), lr=lr, damping=damping, seed=3)
    else:
        layers = closure.ekfac_factors("mc", 1, 3)
        step = optim.EKFAC(model.parameters(), lr=lr, damping=damping, seed=3)
    closure()
    checked = [model[0].weight, attention.in_proj_weight, attention.in_proj_bias,
               model[2].weight]
    gradients = {id(p): host(p.grad.data).copy() for p in checked}
    expected = {id(model[2].weight): gradients[id(model[2].weight)]}
    for layer in layers[:2]:
        layout = layer if optimizer == "KFAC" else layer.kronecker
        grad = layout.to_matrix([p.grad.data for p in layer.params])
        if optimizer == "KFAC":
            A_inverse, G_inverse, _ = damped_inverses(layer.A, layer.G, damping)
            update = optim.kronecker.preconditioned(G_inverse, grad, A_inverse)
        else:
            update = layout.vector_to_matrix(layer.solve(layout.matrix_to_vector(grad), damping))
        for p, direction in zip(layer.params, layout.from_matrix(update)):
            expected[id(p)] = host(direction)
    before = {id(p): host(p.data).copy() for p in checked}
    step.step(closure)
    for p in checked:
        moved = (before[id(p)] - host(p.data)) / lr
        numpy.testing.assert_allclose(moved, expected[id(p)], rtol=1e-8, atol=1e-12)
    for p in checked[:3]:
        assert not numpy.allclose(expected[id(p)], gradients[id(p)], rtol=1e-2)
