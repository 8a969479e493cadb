"""Each loss's gradient, Hessian, square roots and batch-averaged Hessian against double backward."""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.backend import to_device
from minigrad.curvature.layerwise.losses import loss_derivatives_for
from tests.minigrad.curvature.layerwise_reference import _inputs, _labels, _unit_targets, host


LOSS_CASES = {
    "ce": lambda: (nn.CrossEntropyLoss(), _inputs((3, 4), 0), _labels(3, 4, 1)),
    "mse": lambda: (nn.MSELoss(), _inputs((3, 4), 0), _inputs((3, 4), 1)),
    "bce": lambda: (nn.BCEWithLogitsLoss(), _inputs((3, 4), 0), _unit_targets((3, 4), 1)),
    "bce-sum": lambda: (nn.BCEWithLogitsLoss(reduction="sum"), _inputs((3, 4), 0),
                        _unit_targets((3, 4), 1)),
    "bce-batchmean": lambda: (nn.BCEWithLogitsLoss(reduction="batchmean"), _inputs((3, 4), 0),
                              _unit_targets((3, 4), 1)),
    "mse-batchmean": lambda: (nn.MSELoss(reduction="batchmean"), _inputs((3, 4), 0),
                              _inputs((3, 4), 1)),
}


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_loss_hessians_and_square_roots(name):
    loss, z, y = LOSS_CASES[name]()
    rules = loss_derivatives_for(loss)
    n = z.shape[0]
    scale = 1.0 if loss.reduction == "sum" else 1.0 / n
    leaf = minigrad.Tensor(z.data, requires_grad=True)
    (gradient,) = minigrad.grad(loss(leaf, y), [leaf], create_graph=True)
    flat = gradient.reshape(-1)
    H = numpy.array([host(minigrad.grad(flat[i], [leaf], retain_graph=True)[0].data).ravel()
                     for i in range(flat.shape[0])]).reshape(n, 4, n, 4)
    per_sample = numpy.stack([H[s, :, s] for s in range(n)]) / scale
    numpy.testing.assert_allclose(host(rules.gradient(loss, z.data, y)),
                                  host(gradient.data) / scale, atol=1e-12)
    numpy.testing.assert_allclose(host(rules.hessian(loss, z.data, y)), per_sample, atol=1e-12)
    S = host(rules.sqrt_hessian(loss, z.data, y))
    numpy.testing.assert_allclose(numpy.einsum("vni,vnj->nij", S, S), per_sample, atol=1e-12)
    numpy.testing.assert_allclose(host(rules.average_hessian(loss, z.data, y)), per_sample.mean(0),
                                  atol=1e-12)
    M = numpy.random.default_rng(2).standard_normal((2, n, 4))
    numpy.testing.assert_allclose(host(rules.hessian_mat_prod(loss, z.data, y, to_device(M))),
                                  numpy.einsum("nij,vnj->vni", per_sample, M), atol=1e-12)
    sampled = host(rules.sqrt_hessian_sampled(loss, z.data, y, 20000, 0))
    estimate = numpy.einsum("vni,vnj->nij", sampled, sampled)
    assert numpy.abs(estimate - per_sample).max() < 0.05 * numpy.abs(per_sample).max()


def test_unsupported_loss_is_named():
    with pytest.raises(TypeError, match="L1"):
        class L1(nn.Module):
            reduction = "mean"
        loss_derivatives_for(L1())
