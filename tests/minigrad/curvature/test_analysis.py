"""Class gradients, subspace overlap, diagonal dominance and the H = GN + R split."""
import math

import numpy
import pytest

import minigrad
from minigrad.curvature import (class_gradients, diagonal_dominance, hessian, residual_split,
                                subspace_overlap)
from tests.minigrad.curvature.matrix_free_cases import (build, linear_mse_case, loss_hessian,
                                                        output_jacobian, relative_error)


def _explicit_class_gradients(model, x, labels, classes):
    """Row k: the average over samples μ of class k of ∇z_k^μ, one backward pass per sample."""
    params = list(model.parameters())
    batch = x.shape[0]
    rows = []
    for k in range(classes):
        members = [m for m in range(batch) if labels is None or labels[m] == k]
        total = numpy.zeros(sum(p.numel() for p in params))
        for m in members:
            logit = model(x)[m, k]
            total += numpy.concatenate([g.numpy().ravel() for g in minigrad.grad(logit, params)])
        rows.append(total / max(len(members), 1))
    return numpy.stack(rows)


def test_class_gradients_average_logit_gradients_over_each_class():
    model, _, x, _ = build("sigmoid_cross_entropy")
    labels = numpy.array([0, 2, 0, 0, 2])
    computed = class_gradients(model, x, labels)
    expected = _explicit_class_gradients(model, x, labels, 3)
    assert computed.shape == expected.shape
    assert relative_error(computed, expected) < 1e-12
    assert numpy.abs(minigrad.to_host(computed)[1]).max() == 0.0


def test_class_gradients_without_labels_average_over_the_whole_batch_with_batch_norm():
    model, _, x, _ = build("conv_batch_norm_cross_entropy")
    expected = _explicit_class_gradients(model, x, None, 3)
    assert relative_error(class_gradients(model, x), expected) < 1e-12


def test_subspace_overlap_of_a_subspace_with_itself_and_with_its_complement():
    rng = numpy.random.default_rng(0)
    basis, _ = numpy.linalg.qr(rng.standard_normal((12, 12)))
    u = minigrad.tensor(rng.standard_normal((12, 3)), dtype=numpy.float64).data
    assert subspace_overlap(u, u) == pytest.approx(1.0, abs=1e-12)
    mixed = u @ minigrad.tensor(rng.standard_normal((3, 3)), dtype=numpy.float64).data
    assert subspace_overlap(u, mixed) == pytest.approx(1.0, abs=1e-12)
    span = minigrad.tensor(basis[:, :4], dtype=numpy.float64).data
    complement = minigrad.tensor(basis[:, 4:], dtype=numpy.float64).data
    assert subspace_overlap(span, complement) == pytest.approx(0.0, abs=1e-12)
    half = minigrad.tensor(basis[:, [0, 4]], dtype=numpy.float64).data
    assert subspace_overlap(span[:, :2], half) == pytest.approx(0.5, abs=1e-12)


def test_subspace_overlap_uses_the_numerical_rank():
    rng = numpy.random.default_rng(1)
    u = rng.standard_normal((8, 2))
    assert subspace_overlap(numpy.hstack([u, u[:, :1] * 2]), u) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="spans no subspace"):
        subspace_overlap(numpy.zeros((8, 2)), u)


def test_diagonal_dominance_of_a_diagonal_matrix_is_one():
    result = diagonal_dominance(numpy.diag([1.0, -2.0, 3.0, 0.5]), n_samples=16)
    assert result.ratio == pytest.approx(1.0)
    assert result.wigner == pytest.approx(0.25)
    assert result.ols == pytest.approx(1 / (1 + 3 * math.sqrt(2 / (math.pi * 16))))
    assert diagonal_dominance(numpy.ones((4, 4))).ratio == pytest.approx(0.25)
    assert diagonal_dominance(numpy.eye(3)).ols is None


def test_baselines_match_monte_carlo_expected_absolute_matrices():
    rng = numpy.random.default_rng(2)
    d, n, draws = 6, 400, 300
    gaussian = rng.standard_normal((draws, d, d))
    wigner = numpy.triu(gaussian) + numpy.triu(gaussian, 1).transpose(0, 2, 1)
    assert diagonal_dominance(numpy.abs(wigner).mean(axis=0)).ratio == pytest.approx(1 / d,
                                                                                       rel=0.05)
    samples = rng.standard_normal((draws, n, d))
    ols = numpy.abs(samples.transpose(0, 2, 1) @ samples).mean(axis=0)
    assert diagonal_dominance(ols).ratio == pytest.approx(diagonal_dominance(ols, n).ols, rel=0.05)


def test_residual_split_matches_dense_hessian_and_gauss_newton():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    dense_hessian = minigrad.to_host(hessian(model, loss_fn, x, y))
    jacobian, z = output_jacobian(model, x)
    dense_gauss_newton = jacobian.T @ loss_hessian(loss_fn, z) @ jacobian
    split = residual_split(model, loss_fn, x, y, k=3, seed=0)
    for summary, dense in ((split.hessian, dense_hessian), (split.gauss_newton, dense_gauss_newton),
                           (split.residual, dense_hessian - dense_gauss_newton)):
        top = numpy.linalg.eigvalsh((dense + dense.T) / 2)[::-1][:3]
        numpy.testing.assert_allclose(summary.top_eigenvalues, top, rtol=1e-6, atol=1e-10)
        assert summary.trace == pytest.approx(numpy.trace(dense), rel=1e-10, abs=1e-12)
        assert summary.trace_standard_error == 0.0
    assert abs(split.residual.trace) > 1e-6


def test_residual_split_hutchinson_traces_add_up_and_vanish_for_a_linear_model():
    model, loss_fn, x, y = linear_mse_case(3)
    split = residual_split(model, loss_fn, x, y, k=2, trace_probes=10, seed=0)
    assert split.residual.trace == pytest.approx(split.hessian.trace - split.gauss_newton.trace,
                                                 abs=1e-12)
    assert abs(split.residual.trace) < 1e-12
    numpy.testing.assert_allclose(split.residual.top_eigenvalues, 0.0, atol=1e-12)
