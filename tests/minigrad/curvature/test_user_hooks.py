"""User forward hooks are part of the model: every layerwise quantity is exact for the hooked
model (against dense double backward) or refused naming the layer, the hook and the quantity."""
import re

import numpy
import pytest

from minigrad import curvature
from minigrad.nn.activation import Tanh
from tests.minigrad.curvature.layerwise_reference import (blocks_of, full_hessian, gauss_newton,
                                                          host, layer_parameters, mlp_case)

RTOL, ATOL = 1e-9, 1e-12


def _doubled_output(module, args, output):
    return output * 2


def _tripled_input(module, args):
    return (args[0] * 3,)


def _observer(module, args, output):
    return None


def _hooked(n=1, pre=False):
    """The MLP of the issue with ``model[2]``'s output doubled (or its input tripled)."""
    model, loss, x, y = mlp_case(Tanh, "ce", n=n)
    if pre:
        model[2].register_forward_pre_hook(_tripled_input)
    else:
        model[2].register_forward_hook(_doubled_output)
    return model, loss, x, y


@pytest.mark.parametrize("pre", [False, True], ids=["forward-hook", "pre-hook"])
def test_gauss_newton_quantities_are_exact_for_the_hooked_model(pre):
    model, loss, x, y = _hooked(n=3, pre=pre)
    G = gauss_newton(model, loss, x, y)
    layers = layer_parameters(model)
    numpy.testing.assert_allclose(host(curvature.ggn(model, loss, x, y)), G, rtol=RTOL, atol=ATOL)
    numpy.testing.assert_allclose(host(curvature.diag_ggn(model, loss, x, y)), numpy.diag(G),
                                  rtol=RTOL, atol=ATOL)
    for block, expected in zip(curvature.block_ggn(model, loss, x, y), blocks_of(G, layers)):
        numpy.testing.assert_allclose(host(block), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("pre", [False, True], ids=["forward-hook", "pre-hook"])
def test_kronecker_factors_at_batch_one_equal_the_hooked_gauss_newton_blocks(pre):
    """At N = 1 KFLR's G ⊗ A is the exact GN block of a Linear layer; the issue's hook made
    kflr and Closure.kronecker_factors differ from it by 0.75 (relative)."""
    model, loss, x, y = _hooked(n=1, pre=pre)
    expected = blocks_of(gauss_newton(model, loss, x, y), layer_parameters(model))
    closure = curvature.Closure(model, loss, x, y)
    for factors in (curvature.kflr(model, loss, x, y), closure.kronecker_factors("kflr")):
        for factor, block in zip(factors, expected):
            numpy.testing.assert_allclose(host(factor.to_dense()), block, rtol=RTOL, atol=ATOL)


def test_kfac_draws_through_the_hook():
    """``o * 2`` after model[2] is the same function as model[2] with W, b doubled: the factors
    of the other layers agree draw for draw, and model[2]'s G is 4× (its own output is z / 2)."""
    model, loss, x, y = _hooked(n=4)
    baked, _, _, _ = mlp_case(Tanh, "ce", n=4)
    for p, q in zip(model[2].parameters(), baked[2].parameters()):
        q.data[...] = 2 * p.data
    hooked = curvature.kfac(model, loss, x, y, mc_samples=3, seed=5)
    plain = curvature.kfac(baked, loss, x, y, mc_samples=3, seed=5)
    for index, (a, b) in enumerate(zip(hooked, plain)):
        scale = 4.0 if index == 1 else 1.0
        numpy.testing.assert_allclose(host(a.A), host(b.A), rtol=RTOL, atol=ATOL)
        numpy.testing.assert_allclose(host(a.G), scale * host(b.G), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("quantity", [
    lambda m, l, x, y: curvature.diag_hessian(m, l, x, y),
    lambda m, l, x, y: curvature.block_hessian(m, l, x, y),
    lambda m, l, x, y: curvature.block_hessian(m, l, x, y, dense=False),
    lambda m, l, x, y: curvature.kfra(m, l, x, y),
], ids=["diag_hessian", "block_hessian", "block_hessian(dense=False)", "kfra"])
@pytest.mark.parametrize("pre", [False, True], ids=["forward-hook", "pre-hook"])
def test_hessian_recursion_refuses_naming_layer_hook_and_quantity(quantity, pre):
    model, loss, x, y = _hooked(n=2, pre=pre)
    hook, kind = ("_tripled_input", "pre-hook") if pre else ("_doubled_output", "forward hook")
    with pytest.raises(ValueError, match=rf"model\.2 \(Linear\) has a forward {kind.split()[-1]}"
                                         rf".*{hook}") as error:
        quantity(model, loss, x, y)
    name = quantity.__code__.co_names[-1]
    assert str(error.value).startswith(name)


def test_a_hook_that_changes_nothing_keeps_the_exact_recursion():
    model, loss, x, y = mlp_case(Tanh, "ce", n=3)
    model[2].register_forward_hook(_observer)
    H = full_hessian(model, loss, x, y)
    numpy.testing.assert_allclose(host(curvature.diag_hessian(model, loss, x, y)), numpy.diag(H),
                                  rtol=RTOL, atol=ATOL)
    for block, expected in zip(curvature.block_hessian(model, loss, x, y),
                               blocks_of(H, layer_parameters(model))):
        numpy.testing.assert_allclose(host(block), expected, rtol=RTOL, atol=ATOL)


def test_the_matrix_free_products_see_the_hook():
    model, loss, x, y = _hooked(n=3)
    numpy.testing.assert_allclose(host(curvature.hessian(model, loss, x, y)),
                                  full_hessian(model, loss, x, y), rtol=RTOL, atol=ATOL)


def test_recording_leaves_no_hook_behind():
    model, loss, x, y = _hooked(n=2)
    counts = [(len(m._forward_pre_hooks), len(m._forward_hooks)) for m in model.modules()]
    curvature.diag_ggn(model, loss, x, y)
    assert [(len(m._forward_pre_hooks), len(m._forward_hooks)) for m in model.modules()] == counts


def _doubled_in_place(module, args, output):
    output.mul_(2)


def _tripled_input_in_place(module, args):
    args[0].mul_(3)


@pytest.mark.parametrize("quantity", [
    lambda m, l, x, y: curvature.ggn(m, l, x, y),
    lambda m, l, x, y: curvature.diag_ggn(m, l, x, y),
    lambda m, l, x, y: curvature.kflr(m, l, x, y),
    lambda m, l, x, y: curvature.diag_hessian(m, l, x, y),
], ids=["ggn", "diag_ggn", "kflr", "diag_hessian"])
@pytest.mark.parametrize("hook,changed", [
    ("forward", "model.2 (Linear)"), ("pre", "model.0 (Linear)")], ids=["forward-hook", "pre-hook"])
def test_an_output_changed_in_place_is_refused(quantity, hook, changed):
    """A hook that edits a layer output in place and returns None made ggn 60% wrong
    without a word; the version counter now tells, and every quantity refuses."""
    model, loss, x, y = mlp_case(Tanh, "ce", n=3)
    if hook == "forward":
        model[2].register_forward_hook(_doubled_in_place)
    else:
        model[1].register_forward_pre_hook(_tripled_input_in_place)
    with pytest.raises(RuntimeError, match=rf"the output of {re.escape(changed)} was changed in "
                                           rf"place after the layer returned it"):
        quantity(model, loss, x, y)
    numpy.testing.assert_allclose(host(curvature.hessian(model, loss, x, y)),
                                  full_hessian(model, loss, x, y), rtol=RTOL, atol=ATOL)
