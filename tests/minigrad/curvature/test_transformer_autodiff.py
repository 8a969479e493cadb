"""The autodiff half of ``minigrad.curvature`` on a 2-layer transformer encoder (float64):
exact HVPs, GGN-vector products, dense Hessian and GGN, Hutchinson's estimates and Lanczos
eigenvalues against independent references (finite differences of the gradient, ``Jᵀ H_z J``
from the explicit output Jacobian and the closed-form cross-entropy Hessian, NumPy's
``eigvalsh``)."""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.curvature import (ggn_operator, ggnvp, hessian, hessian_operator,
                                hutchinson_diag, hutchinson_trace, hvp, hvp_fd, top_eigen)
from minigrad.random import rademacher
from tests.helpers import float64_default
from tests.minigrad.curvature.matrix_free_cases import (loss_hessian, output_jacobian,
                                                        random_direction, relative_error)

BATCH, TOKENS, FEATURES, WIDTH, CLASSES = 3, 3, 3, 4, 3
SIZE = 327


@pytest.fixture(scope="module")
def case():
    """A 2-layer pre-norm GELU encoder with 2 heads between a token embedding and a head."""
    rng = numpy.random.default_rng(0)
    with float64_default():
        nn.manual_seed(0)
        layer = nn.TransformerEncoderLayer(WIDTH, 2, 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        model = nn.Sequential(nn.Linear(FEATURES, WIDTH), nn.TransformerEncoder(layer, 2),
                              nn.Flatten(), nn.Linear(TOKENS * WIDTH, CLASSES))
        for p in model.parameters():  # away from the zero biases and unit norms of the init
            p.data = p.data + p.xp.asarray(0.3 * rng.standard_normal(p.shape), dtype=p.dtype)
        x = minigrad.tensor(rng.standard_normal((BATCH, TOKENS, FEATURES)), dtype=numpy.float64)
    y = rng.integers(0, CLASSES, BATCH)
    dense = minigrad.to_host(hessian(model, nn.CrossEntropyLoss(), x, y))
    return model, nn.CrossEntropyLoss(), x, y, dense


def test_hvp_matches_central_differences_of_the_gradient(case):
    model, loss_fn, x, y, _ = case
    v = random_direction(model)
    assert relative_error(hvp(model, loss_fn, x, y, v), hvp_fd(model, loss_fn, x, y, v)) < 1e-6


def test_dense_hessian_matches_finite_differences_of_the_gradient(case):
    """Symmetric, and every 12th column (some of every layer) is the central difference of the
    gradient along that coordinate."""
    model, loss_fn, x, y, dense = case
    assert dense.shape == (SIZE, SIZE)
    assert relative_error(dense, dense.T) < 1e-12
    columns = range(0, SIZE, 12)
    differences = numpy.stack([minigrad.to_host(hvp_fd(model, loss_fn, x, y, e))
                               for e in numpy.eye(SIZE)[list(columns)]], axis=1)
    assert relative_error(dense[:, columns], differences) < 1e-6


def test_ggn_products_and_dense_ggn_match_the_jacobian_reference(case):
    model, loss_fn, x, y, _ = case
    jacobian, z = output_jacobian(model, x)
    reference = jacobian.T @ loss_hessian(loss_fn, z) @ jacobian
    v = random_direction(model)
    assert relative_error(ggnvp(model, loss_fn, x, y, v), reference @ minigrad.to_host(v)) < 1e-10
    operator = ggn_operator(model, loss_fn, x, y)
    dense = numpy.stack([minigrad.to_host(operator.matvec(operator.xp.asarray(e)))
                         for e in numpy.eye(SIZE)], axis=1)
    assert relative_error(dense, reference) < 1e-10


def test_hutchinson_averages_the_exact_probe_products(case):
    model, loss_fn, x, y, dense = case
    probes = [minigrad.to_host(rademacher(numpy.random.default_rng(5), SIZE, numpy,
                                          numpy.float64))]
    operator = hessian_operator(model, loss_fn, x, y)
    diagonal = hutchinson_diag(operator, 1, seed=5).estimate
    assert relative_error(diagonal, probes[0] * (dense @ probes[0])) < 1e-10
    rng = numpy.random.default_rng(6)
    samples = [z @ dense @ z for z in (rademacher(rng, SIZE, numpy, numpy.float64)
                                      for _ in range(4))]
    assert hutchinson_trace(operator, 4, seed=6).estimate == pytest.approx(numpy.mean(samples),
                                                                           rel=1e-10)


def test_lanczos_finds_the_extreme_eigenvalues_of_the_dense_hessian(case):
    model, loss_fn, x, y, dense = case
    exact = numpy.linalg.eigvalsh(dense)
    operator = hessian_operator(model, loss_fn, x, y)
    largest, _ = top_eigen(operator, k=2, iters=120, seed=0)
    smallest, _ = top_eigen(operator, k=1, which="smallest", iters=120, seed=0)
    numpy.testing.assert_allclose(numpy.sort(minigrad.to_host(largest)), exact[-2:], rtol=1e-8)
    numpy.testing.assert_allclose(minigrad.to_host(smallest), exact[:1], rtol=1e-8)
