"""Kronecker factors of an ``nn.Embedding`` table (``layerwise/embedding_factors.py``), float64,
against their definitions and the dense Gauss-Newton matrix of the autodiff half
(``ggn_operator``):

* the factors from a loop over the samples: ``A = count / (N·S)`` (padding not counted), ``G``
  from the per-sample output gradients; ``A ⊗ G`` over ``W.ravel()``;
* KFLR is the exact block for Embedding → Linear with one squared error per token (any N, S),
  and for one sample at one position under cross-entropy;
* EKFAC is ``Q diag(diag(Qᵀ F Q)) Qᵀ`` (``Q = I ⊗ Q_G``), never farther from ``F`` than KFLR;
* ``approx="reduce"`` gives the table no factors; the optimizers precondition the table.
"""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from minigrad.curvature import EmbeddingFactors
from optim.kronecker import damped_inverses
from tests.helpers import float64_default

N, S, VOCABULARY, WIDTH, OUT = 4, 3, 6, 3, 2
PADDING = 1


def host(a):
    return minigrad.to_host(a)


def token_model(tanh=False, positions=S, seed=0):
    """Embedding → Linear per token, or with ``tanh`` Embedding → Tanh → Flatten → Linear
    (logits per sample, for cross-entropy)."""
    with float64_default():
        nn.manual_seed(seed)
        head = ([nn.Tanh(), nn.Flatten(), nn.Linear(positions * WIDTH, OUT)] if tanh
                else [nn.Linear(WIDTH, OUT)])
        return nn.Sequential(nn.Embedding(VOCABULARY, WIDTH, padding_idx=PADDING), *head)


def tokens(batch=N, positions=S, seed=0):
    """Indices (batch, positions) with a repeated index and a padding position."""
    indices = numpy.random.default_rng(seed).integers(0, VOCABULARY, (batch, positions))
    indices.flat[0] = PADDING
    if indices.size > 2:
        indices.flat[2] = indices.flat[1]
    return minigrad.tensor(indices)


def dense_block(model, loss, x, y, p):
    """The exact GGN block of Parameter ``p`` from GGN-vector products with unit vectors."""
    operator = curvature.ggn_operator(model, loss, x, y)
    start = 0
    for q in model.parameters():
        if q is p:
            break
        start += q.numel()
    size = operator.shape[0]
    return numpy.stack([host(operator.matvec(operator.xp.asarray(e)))[start:start + p.numel()]
                        for e in numpy.eye(size)[start:start + p.numel()]], axis=1)


def test_factors_follow_their_definitions():
    model = token_model(tanh=True)
    x, y = tokens(), numpy.random.default_rng(1).integers(0, OUT, N)
    loss = nn.CrossEntropyLoss()
    table = model[0]
    hidden = minigrad.Tensor(table(x).data, requires_grad=True)
    logits = model[3](model[2](model[1](hidden)))
    rows = []
    for n in range(N):
        sample = loss(logits[n:n + 1], y[n:n + 1])
        rows.append(host(minigrad.grad(sample, [hidden], retain_graph=True)[0].data)[n])
    rows = numpy.concatenate(rows)
    expected_G = rows.T @ rows / N
    indices = host(x.data).ravel()
    expected_A = numpy.bincount(indices[indices != PADDING], minlength=VOCABULARY) / (N * S)
    factors = curvature.kfac(model, loss, x, y, fisher_type="empirical")[0]
    assert isinstance(factors, EmbeddingFactors)
    assert factors.A.shape == (VOCABULARY,) and factors.G.shape == (WIDTH, WIDTH)
    assert factors.shape == (VOCABULARY * WIDTH,) * 2
    assert host(factors.A)[PADDING] == 0
    numpy.testing.assert_allclose(host(factors.A), expected_A, rtol=1e-14)
    numpy.testing.assert_allclose(host(factors.G), expected_G, rtol=1e-10, atol=1e-14)


def test_block_is_a_kron_g_over_the_table_ravel():
    factors = curvature.kflr(token_model(), nn.MSELoss(), tokens(),
                             minigrad.tensor(numpy.ones((N, S, OUT))))[0]
    A, G = host(factors.A), host(factors.G)
    dense = host(factors.to_dense())
    table = numpy.arange(VOCABULARY * WIDTH).reshape(VOCABULARY, WIDTH)
    for r in range(VOCABULARY):
        for c in range(WIDTH):
            row = dense[table[r, c]].reshape(VOCABULARY, WIDTH)
            numpy.testing.assert_allclose(row, numpy.outer(numpy.eye(VOCABULARY)[r] * A[r], G[c]))
    v = numpy.random.default_rng(0).standard_normal((VOCABULARY * WIDTH, 2))
    numpy.testing.assert_allclose(host(factors @ minigrad.backend.to_device(v)), dense @ v,
                                  rtol=1e-12, atol=1e-14)
    gradient = numpy.random.default_rng(1).standard_normal((VOCABULARY, WIDTH))
    layout = factors.to_matrix([gradient])
    assert layout.shape == (WIDTH, VOCABULARY)
    numpy.testing.assert_array_equal(factors.matrix_to_vector(layout), gradient.ravel())
    numpy.testing.assert_array_equal(factors.from_matrix(layout)[0], gradient)


def test_kflr_is_the_exact_block_for_a_squared_error_per_token():
    model = token_model()
    x = tokens()
    y = minigrad.tensor(numpy.random.default_rng(2).standard_normal((N, S, OUT)))
    loss = nn.MSELoss()
    factors = curvature.kflr(model, loss, x, y)[0]
    exact = dense_block(model, loss, x, y, model[0].weight)
    assert abs(exact).max() > 1e-3
    numpy.testing.assert_allclose(host(factors.to_dense()), exact, rtol=1e-10,
                                  atol=1e-12 * abs(exact).max())


def test_kflr_is_exact_for_one_sample_at_one_position_under_cross_entropy():
    model = token_model(tanh=True, positions=1)
    x, y = minigrad.tensor(numpy.array([[4]])), numpy.array([1])
    loss = nn.CrossEntropyLoss()
    exact = dense_block(model, loss, x, y, model[0].weight)
    factors = curvature.kflr(model, loss, x, y)[0]
    numpy.testing.assert_allclose(host(factors.to_dense()), exact, rtol=1e-10,
                                  atol=1e-12 * abs(exact).max())


def test_ekfac_is_the_exact_block_rescaled_in_the_kronecker_eigenbasis():
    model = token_model(tanh=True)
    x, y = tokens(), numpy.random.default_rng(3).integers(0, OUT, N)
    loss = nn.CrossEntropyLoss()
    F = dense_block(model, loss, x, y, model[0].weight)
    block = curvature.ekfac(model, loss, x, y, fisher_type="type-2")[0]
    assert block.QA is None
    Q = numpy.kron(numpy.eye(VOCABULARY), host(block.QG))
    expected = Q @ numpy.diag(numpy.diag(Q.T @ F @ Q)) @ Q.T
    E = host(block.to_dense())
    numpy.testing.assert_allclose(E, expected, rtol=1e-10, atol=1e-12 * abs(F).max())
    kfac = host(curvature.kflr(model, loss, x, y)[0].to_dense())
    assert numpy.linalg.norm(E - F) < numpy.linalg.norm(kfac - F)
    assert numpy.linalg.norm(kfac - F) > 1e-3 * numpy.linalg.norm(F)
    v = numpy.random.default_rng(4).standard_normal(F.shape[0])
    numpy.testing.assert_allclose(host(block.solve(minigrad.backend.to_device(v), 0.1)),
                                  numpy.linalg.solve(E + 0.1 * numpy.eye(F.shape[0]), v),
                                  rtol=1e-10)
    basis = curvature.ekfac(model, loss, x, y, fisher_type="type-2")
    x2, y2 = tokens(seed=6), numpy.random.default_rng(6).integers(0, OUT, N)
    F2 = dense_block(model, loss, x2, y2, model[0].weight)
    kept = curvature.ekfac(model, loss, x2, y2, fisher_type="type-2", basis=basis)[0]
    numpy.testing.assert_allclose(host(kept.to_dense()),
                                  Q @ numpy.diag(numpy.diag(Q.T @ F2 @ Q)) @ Q.T, rtol=1e-10,
                                  atol=1e-12 * abs(F2).max())


def test_reduce_gives_the_table_no_factors():
    model = token_model()
    x, y = tokens(), minigrad.tensor(numpy.zeros((N, S, OUT)))
    for kind in (curvature.kflr, curvature.kfac):
        expand = kind(model, nn.MSELoss(), x, y)
        reduce = kind(model, nn.MSELoss(), x, y, approx="reduce")
        assert [type(f).__name__ for f in expand] == ["EmbeddingFactors", "KroneckerFactors"]
        assert [f.params[0] for f in reduce] == [model[1].weight]


@pytest.mark.parametrize("optimizer", ["KFAC", "EKFAC"])
def test_optimizers_precondition_the_table(optimizer):
    model = token_model(tanh=True)
    x, y = tokens(), numpy.random.default_rng(5).integers(0, OUT, N)
    loss = nn.CrossEntropyLoss()
    closure = curvature.Closure(model, loss, x, y)
    table = model[0].weight
    lr, damping = 0.5, 0.1
    if optimizer == "KFAC":
        factors = closure.kronecker_factors("kfac", mc_samples=1, seed=7)[0]
        A_inverse, G_inverse, _ = damped_inverses(factors.A, factors.G, damping)
        closure()
        gradient = host(table.grad.data)
        direction = (host(G_inverse) @ gradient.T * host(A_inverse)).T
        step = optim.KFAC(model.parameters(), lr=lr, damping=damping, seed=7)
    else:
        block = closure.ekfac_factors("mc", 1, 7)[0]
        closure()
        gradient = host(table.grad.data)
        direction = host(block.solve(table.grad.data.ravel(), damping)).reshape(gradient.shape)
        step = optim.EKFAC(model.parameters(), lr=lr, damping=damping, seed=7)
    before = host(table.data).copy()
    step.step(closure)
    moved = (before - host(table.data)) / lr
    numpy.testing.assert_allclose(moved, direction, rtol=1e-10, atol=1e-14)
    assert not numpy.allclose(moved, gradient, rtol=1e-2)
    numpy.testing.assert_array_equal(moved[PADDING], 0)
