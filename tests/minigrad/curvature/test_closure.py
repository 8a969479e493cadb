"""The Closure contract: grads as minigrad.grad, loss_value, products in parameter shapes."""
import numpy
import pytest

import minigrad
from minigrad.curvature import (Closure, arrays_to_vector, class_gradients, ggn_operator, ggnvp,
                                hvp, vector_to_arrays)
from tests.minigrad.curvature.matrix_free_cases import build, random_direction, relative_error


@pytest.fixture
def closure():
    return Closure(*build("conv_batch_norm_cross_entropy"))


def test_attributes_hold_the_batch_and_the_parameters_in_model_order():
    model, loss_fn, x, y = build("tanh_mse")
    closure = Closure(model, loss_fn, x, y)
    assert closure.params == list(model.parameters())
    assert (closure.model, closure.loss_fn, closure.x, closure.y) == (model, loss_fn, x, y)


def test_call_fills_the_grads_with_minigrad_grad_and_returns_the_loss(closure):
    model, params = closure.model, closure.params
    loss = closure.loss_fn(model(closure.x), closure.y)
    expected = minigrad.grad(loss, params)
    for p in params:
        p.grad = minigrad.tensor(numpy.ones(p.shape), dtype=numpy.float64)
    returned = closure()
    assert returned.numel() == 1
    assert returned.item() == pytest.approx(loss.item(), rel=1e-14)
    for p, g in zip(params, expected):
        assert relative_error(p.grad.data, g.data) < 1e-14


def test_loss_value_reads_the_current_parameters_without_side_effects(closure):
    expected = closure.loss_fn(closure.model(closure.x), closure.y).item()
    buffers = [minigrad.to_host(b).copy() for _, b in closure.model.named_buffers()]
    assert closure.loss_value() == pytest.approx(expected, rel=1e-14)
    assert all(numpy.array_equal(before, minigrad.to_host(after))
               for before, (_, after) in zip(buffers, closure.model.named_buffers()))
    weight = closure.params[-1]
    weight.data = weight.data * 0
    assert closure.loss_value() != pytest.approx(expected)
    assert isinstance(closure.loss_value(), float)


def test_products_take_and_return_parameter_shaped_lists(closure):
    v = random_direction(closure.model)
    vectors = vector_to_arrays(v, closure.params)
    for method, reference in ((closure.hvp, hvp), (closure.ggnvp, ggnvp)):
        result = method(vectors)
        assert [r.shape for r in result] == [p.shape for p in closure.params]
        expected = reference(closure.model, closure.loss_fn, closure.x, closure.y, v)
        assert relative_error(arrays_to_vector(result), expected) < 1e-12


def test_class_gradients_use_the_batch_labels(closure):
    expected = class_gradients(closure.model, closure.x, closure.y)
    assert relative_error(closure.class_gradients(), expected) == 0.0


def test_unknown_kronecker_kind_is_rejected(closure):
    with pytest.raises(ValueError, match="kfac"):
        closure.kronecker_factors("shampoo")


@pytest.mark.parametrize("kind", ["kflr", "kfra"])
def test_kronecker_factors_equal_the_exact_gauss_newton_blocks_at_batch_size_one(kind):
    model, loss_fn, x, y = build("tanh_mse")
    x, y = x[:1].detach(), y[:1].detach()
    closure = Closure(model, loss_fn, x, y)
    dense = minigrad.to_host(ggn_operator(model, loss_fn, x, y).to_dense())
    blocks = closure.kronecker_factors(kind)
    assert len(blocks) == 2
    start = 0
    for block in blocks:
        size = sum(p.numel() for p in block.params)
        expected = dense[start:start + size, start:start + size]
        assert relative_error(block.to_dense(), expected) < 1e-10
        start += size
    assert start == dense.shape[0]


def test_kfac_factors_are_forwarded_with_samples_and_seed():
    closure = Closure(*build("sigmoid_cross_entropy"))
    first = closure.kronecker_factors("kfac", mc_samples=2, seed=5)
    again = closure.kronecker_factors("kfac", mc_samples=2, seed=5)
    other = closure.kronecker_factors("kfac", mc_samples=2, seed=6)
    assert [b.params for b in first] == [b.params for b in again]
    for a, b, c in zip(first, again, other):
        assert relative_error(a.G, b.G) == 0.0 and relative_error(a.A, b.A) == 0.0
        assert relative_error(a.G, c.G) > 1e-6


def test_closure_keeps_the_outputs_of_its_first_call():
    import numpy
    import minigrad
    from minigrad import nn
    from minigrad.curvature import Closure
    model = nn.Linear(3, 2)
    x = minigrad.tensor(numpy.ones((4, 3)), dtype=model.weight.dtype)
    closure = Closure(model, nn.MSELoss(), x, minigrad.tensor(numpy.zeros((4, 2))))
    closure()
    first = closure.output.numpy().copy()
    model.weight.data = model.weight.data + 1.0
    closure()
    numpy.testing.assert_allclose(closure.output.numpy(), first)
    numpy.testing.assert_allclose(first, model(x).numpy() - 3.0, rtol=1e-6)


@pytest.mark.parametrize("kind", ["hessian_product", "gauss_newton_product"])
def test_product_operators_are_the_closures_evaluation_from_one_forward(kind):
    model, loss_fn, x, y = build("conv_batch_norm_cross_entropy")
    reference = Closure(model, loss_fn, x, y)
    buffers = [minigrad.to_host(b).copy() for _, b in model.named_buffers()]
    loss = reference()
    gradients = [p.grad.data.copy() for p in reference.params]
    moved = [minigrad.to_host(b).copy() for _, b in model.named_buffers()]
    for (_, b), value in zip(model.named_buffers(), buffers):
        b[...] = value
    closure = Closure(model, loss_fn, x, y)
    product = getattr(closure, kind)()
    assert product.loss.item() == pytest.approx(loss.item(), rel=1e-14)
    for p, g in zip(closure.params, gradients):
        assert relative_error(p.grad.data, g) < 1e-13
    for (_, b), want in zip(model.named_buffers(), moved):
        numpy.testing.assert_array_equal(minigrad.to_host(b), want)
    numpy.testing.assert_array_equal(closure.latest_output.numpy(), closure.output.numpy())
    for (_, b), value in zip(model.named_buffers(), buffers):
        b[...] = value
    one_off = {"hessian_product": closure.hvp, "gauss_newton_product": closure.ggnvp}[kind]
    for seed in (0, 1):
        vectors = vector_to_arrays(random_direction(model, seed), closure.params)
        assert relative_error(arrays_to_vector(product.apply(vectors)),
                              arrays_to_vector(one_off(vectors))) < 1e-12


def test_a_curvature_batch_product_leaves_grads_and_buffers_alone(closure):
    buffers = [minigrad.to_host(b).copy() for _, b in closure.model.named_buffers()]
    product = closure.hessian_product(backward=False)
    assert all(p.grad is None for p in closure.params) and closure.latest_output is None
    assert all(numpy.array_equal(before, minigrad.to_host(after))
               for before, (_, after) in zip(buffers, closure.model.named_buffers()))
    assert product.loss.item() == pytest.approx(closure.loss_value(), rel=1e-14)
