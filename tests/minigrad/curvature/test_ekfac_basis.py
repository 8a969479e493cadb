"""``ekfac(basis=...)``, George et al.'s amortised eigenbasis: the blocks of batch 1 rescaled on
batch 2 are ``Q diag(diag(Qᵀ F₂ Q)) Qᵀ`` with ``Q`` from batch 1 and ``F₂`` the dense block of
the same curvature on batch 2 (the references of ``test_ekfac.py``)."""
import numpy
import pytest

from minigrad import curvature
from minigrad.nn.activation import Sigmoid, Tanh
from tests.minigrad.curvature.layerwise_reference import (cnn_case, host, mlp_case,
                                                          residual_case)
from tests.minigrad.curvature.test_ekfac import SAMPLES, SEED, dense_blocks, eigenbasis

CASES = {
    "mlp-ce": lambda seed: mlp_case(Sigmoid, "ce", seed=seed),
    "mlp-mse": lambda seed: mlp_case(Tanh, "mse", seed=seed),
    "cnn-maxpool": lambda seed: cnn_case(seed=seed),
    "residual": lambda seed: residual_case(seed=seed),
}


def two_batches(name):
    """``(model, loss, (x₁, y₁), (x₂, y₂))``: the case's batch and one of another seed."""
    model, loss, x, y = CASES[name](0)
    _, _, x2, y2 = CASES[name](7)
    return model, loss, (x, y), (x2, y2)


def ekfac_of(model, loss, batch, fisher_type, basis=None):
    return curvature.ekfac(model, loss, *batch, fisher_type=fisher_type, mc_samples=SAMPLES,
                           seed=SEED, basis=basis)


@pytest.mark.parametrize("fisher_type", ["type-2", "mc", "empirical"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_kept_basis_gives_the_new_batch_diagonal_in_the_old_basis(name, fisher_type):
    model, loss, first, second = two_batches(name)
    earlier = ekfac_of(model, loss, first, fisher_type)
    kept = ekfac_of(model, loss, second, fisher_type, basis=earlier)
    for block, old, F2 in zip(kept, earlier, dense_blocks(model, loss, *second, fisher_type),
                              strict=True):
        assert block.kronecker is old.kronecker and block.QG is old.QG and block.QA is old.QA
        E, K = host(block.to_dense()), host(old.kronecker.to_dense())
        Q = eigenbasis(old)
        numpy.testing.assert_allclose(E, Q @ numpy.diag(numpy.diag(Q.T @ F2 @ Q)) @ Q.T,
                                      rtol=1e-9, atol=1e-12)
        numpy.testing.assert_allclose(E @ K, K @ E, rtol=1e-9, atol=1e-12)
    fresh = ekfac_of(model, loss, second, fisher_type)
    assert any(not numpy.allclose(host(a.to_dense()), host(b.to_dense()))
               for a, b in zip(kept, fresh))


@pytest.mark.parametrize("fisher_type", ["type-2", "empirical"])
def test_the_basis_of_the_same_batch_gives_the_plain_blocks(fisher_type):
    model, loss, first, _ = two_batches("residual")
    plain = ekfac_of(model, loss, first, fisher_type)
    again = ekfac_of(model, loss, first, fisher_type, basis=plain)
    for a, b in zip(plain, again, strict=True):
        numpy.testing.assert_allclose(host(b.scaling), host(a.scaling), rtol=1e-12, atol=1e-15)
        numpy.testing.assert_allclose(host(b.to_dense()), host(a.to_dense()), rtol=1e-12,
                                      atol=1e-15)


def test_a_basis_of_another_model_or_layer_set_is_refused():
    model, loss, first, _ = two_batches("mlp-ce")
    twin, _, _, _ = CASES["mlp-ce"](0)
    other, other_loss, other_batch, _ = two_batches("cnn-maxpool")
    with pytest.raises(ValueError, match=r"another model's Parameters"):
        ekfac_of(model, loss, first, "type-2", basis=ekfac_of(twin, loss, first, "type-2"))
    with pytest.raises(ValueError, match=r"\(2, 1, 3, 3\) & \(2,\).*\(5, 4\) & \(5,\)"):
        ekfac_of(model, loss, first, "type-2",
                 basis=ekfac_of(other, other_loss, other_batch, "type-2"))
    with pytest.raises(ValueError, match=r"parameter shapes \['\(5, 4\) & \(5,\)'\]"):
        ekfac_of(model, loss, first, "type-2", basis=ekfac_of(model, loss, first, "type-2")[:1])
    with pytest.raises(TypeError, match="list of EKFACFactors.*KroneckerFactors"):
        ekfac_of(model, loss, first, "type-2", basis=curvature.kflr(model, loss, *first))
