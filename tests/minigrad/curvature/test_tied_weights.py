"""Tied weights: a Parameter registered at two places is one parameter (PyTorch's
``remove_duplicate=True``), and every quantity is the curvature of the tied model (the sum of
its uses, cross terms included) or refuses naming the tied Parameter."""
import numpy
import pytest

import optim
from minigrad import curvature, nn
from tests.minigrad.curvature.layerwise_reference import (_inputs, _labels, float64_models,
                                                          full_hessian, gauss_newton, host)

RTOL, ATOL = 1e-9, 1e-12


def _tied(n=4):
    with float64_models(3):
        lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    return model, nn.CrossEntropyLoss(), _inputs((n, 3), 4), _labels(n, 3, 5)


def test_parameters_yield_a_tied_parameter_once():
    model, _, _, _ = _tied()
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.modules())) == 3
    assert curvature.num_parameters(model.parameters()) == 12


def test_state_dict_lists_a_tied_parameter_under_every_name_and_loads_back():
    model, _, _, _ = _tied()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    numpy.testing.assert_array_equal(state["0.weight"], state["2.weight"])
    state["0.weight"] = state["0.weight"] + 1
    state["2.weight"] = state["0.weight"]
    model.load_state_dict(state)
    numpy.testing.assert_array_equal(host(model[2].weight.data), state["0.weight"])
    assert model[0].weight is model[2].weight


def test_sgd_takes_one_step_per_tied_parameter():
    model, loss, x, y = _tied()
    before = [host(p.data).copy() for p in model.parameters()]
    step = optim.SGD(model.parameters(), lr=0.1)
    model.zero_grad()
    loss(model(x), y).backward()
    grads = [host(p.grad.data).copy() for p in model.parameters()]
    step.step()
    for p, old, g in zip(model.parameters(), before, grads):
        numpy.testing.assert_allclose(host(p.data), old - 0.1 * g, rtol=1e-12)


def test_hessian_is_the_twelve_by_twelve_hessian_of_the_tied_model():
    model, loss, x, y = _tied()
    H = host(curvature.hessian(model, loss, x, y))
    assert H.shape == (12, 12)
    numpy.testing.assert_allclose(H, full_hessian(model, loss, x, y), rtol=RTOL, atol=ATOL)
    v = numpy.random.default_rng(0).standard_normal(12)
    numpy.testing.assert_allclose(host(curvature.hvp(model, loss, x, y, v)), H @ v, rtol=1e-9)


def test_gauss_newton_quantities_are_exact_for_the_tied_model():
    model, loss, x, y = _tied()
    G = gauss_newton(model, loss, x, y)
    numpy.testing.assert_allclose(host(curvature.ggn(model, loss, x, y)), G, rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(host(curvature.diag_ggn(model, loss, x, y)), numpy.diag(G),
                                  rtol=RTOL, atol=ATOL)
    (block,) = curvature.block_ggn(model, loss, x, y)     # one module owns both Parameters
    numpy.testing.assert_allclose(host(block), G, rtol=RTOL, atol=ATOL)
    v = numpy.random.default_rng(1).standard_normal(12)
    numpy.testing.assert_allclose(host(curvature.ggnvp(model, loss, x, y, v)), G @ v, rtol=1e-9)


@pytest.mark.parametrize("quantity", [
    lambda m, l, x, y: curvature.diag_hessian(m, l, x, y),
    lambda m, l, x, y: curvature.block_hessian(m, l, x, y),
    lambda m, l, x, y: curvature.block_ggn(m, l, x, y, dense=False),
    lambda m, l, x, y: curvature.kfra(m, l, x, y),
], ids=["diag_hessian", "block_hessian", "block_ggn(dense=False)", "kfra"])
def test_the_per_layer_recursion_refuses_a_tied_parameter(quantity):
    model, loss, x, y = _tied()
    with pytest.raises(ValueError, match=r"the Parameter 0\.weight is used by 2 calls"):
        quantity(model, loss, x, y)


def test_two_modules_sharing_one_weight_are_exact_too():
    with float64_models(6):
        first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    second.weight = first.weight
    model = nn.Sequential(first, nn.Tanh(), second)
    loss, x, y = nn.CrossEntropyLoss(), _inputs((3, 3), 7), _labels(3, 3, 8)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    G = gauss_newton(model, loss, x, y)
    numpy.testing.assert_allclose(host(curvature.ggn(model, loss, x, y)), G, rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(host(curvature.diag_ggn(model, loss, x, y)), numpy.diag(G),
                                  rtol=RTOL, atol=ATOL)
    blocks = curvature.block_ggn(model, loss, x, y)
    numpy.testing.assert_allclose(host(blocks[0]), G[:12, :12], rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(host(blocks[1]), G[12:, 12:], rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match=r"0\.weight is used by 2 calls"):
        curvature.diag_hessian(model, loss, x, y)


def test_flat_vectors_and_the_closure_count_a_tied_parameter_once():
    model, loss, x, y = _tied()
    closure = curvature.Closure(model, loss, x, y)
    assert len(closure.params) == 2
    product = closure.hessian_product()
    H = full_hessian(model, loss, x, y)
    v = [numpy.ones((3, 3)), numpy.zeros(3)]
    flat = numpy.concatenate([numpy.ones(9), numpy.zeros(3)])
    numpy.testing.assert_allclose(host(curvature.arrays_to_vector(product.apply(v))), H @ flat,
                                  rtol=1e-9)
    assert curvature.flat_gradient(model, loss, x, y).shape == (12,)
