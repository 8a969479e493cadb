"""In-place updates change the tensor itself, under PyTorch's graph rules.

``-= += *= /=`` and ``add_ sub_ mul_ div_ clamp_ copy_ fill_ zero_ normal_
uniform_`` write into the tensor's own array; a leaf that requires grad is
refused outside ``no_grad``; a value a backward still needs raises at backward
(version counter); updates of intermediate results are differentiable.
"""
import sys

import numpy
import pytest

import minigrad
import optim
from minigrad import nn


def leaf(values, requires_grad=True):
    return minigrad.tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=requires_grad)


def check_first_and_second_derivatives(f, sizes, seed):
    """``gradcheck`` and ``gradgradcheck`` of ``f`` at random float64 inputs of ``sizes``."""
    rng = numpy.random.default_rng(seed)
    inputs = [leaf(rng.standard_normal(n)) for n in sizes]
    minigrad.gradcheck(f, inputs)
    minigrad.gradgradcheck(f, inputs)


def test_gradient_step_under_no_grad_updates_the_parameter_itself():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    alias = p
    with minigrad.no_grad():
        p -= 0.25 * p.grad
    assert p is alias and p.requires_grad and p.is_leaf
    numpy.testing.assert_array_equal(p.numpy(), [0.5, 1.0])


def test_in_place_update_of_a_layer_weight_keeps_it_a_parameter():
    model = nn.Sequential(nn.Linear(3, 2))
    weight = model[0].weight
    before = weight.numpy().copy()
    with minigrad.no_grad():
        model[0].weight -= 1.0
        model[0].bias.zero_()
    assert model[0].weight is weight and isinstance(weight, nn.Parameter)
    assert any(p is weight for p in model.parameters())
    numpy.testing.assert_array_equal(weight.numpy(), before - 1.0)
    assert not model[0].bias.numpy().any()


CASES = {
    "add_": (lambda x: x.add_(leaf([1.0, 2.0], False), alpha=2), [3.0, 2.0]),
    "sub_": (lambda x: x.sub_(1.5), [-0.5, -3.5]),
    "mul_": (lambda x: x.mul_(leaf([2.0, -1.0], False)), [2.0, 2.0]),
    "div_": (lambda x: x.div_(4.0), [0.25, -0.5]),
    "clamp_": (lambda x: x.clamp_(-1.0, 0.5), [0.5, -1.0]),
    "copy_": (lambda x: x.copy_(leaf([7.0], False)), [7.0, 7.0]),
    "fill_": (lambda x: x.fill_(3.0), [3.0, 3.0]),
    "zero_": (lambda x: x.zero_(), [0.0, 0.0]),
    "iadd": (lambda x: x.__iadd__(1.0), [2.0, -1.0]),
    "isub": (lambda x: x.__isub__(leaf([1.0, 1.0], False)), [0.0, -3.0]),
    "imul": (lambda x: x.__imul__(3.0), [3.0, -6.0]),
    "itruediv": (lambda x: x.__itruediv__(2.0), [0.5, -1.0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_in_place_op_writes_into_the_same_array_and_returns_self(name):
    update, expected = CASES[name]
    x = leaf([1.0, -2.0], False)
    array = x.data
    assert update(x) is x
    assert x.data is array
    numpy.testing.assert_array_equal(minigrad.to_host(array), expected)


def test_random_fills_draw_from_the_seeded_generator():
    minigrad.manual_seed(3)
    x = minigrad.zeros(2000, dtype=numpy.float64).normal_(1.0, 2.0)
    y = minigrad.zeros(2000, dtype=numpy.float64).uniform_(-3.0, -1.0)
    minigrad.manual_seed(3)
    expected = numpy.random.default_rng(3).normal(1.0, 2.0, size=2000)
    numpy.testing.assert_array_equal(x.numpy(), expected)
    assert abs(x.numpy().mean() - 1.0) < 0.2 and abs(x.numpy().std() - 2.0) < 0.2
    assert y.numpy().min() >= -3.0 and y.numpy().max() < -1.0


@pytest.mark.parametrize("name", sorted(CASES) + ["normal_", "uniform_"])
def test_leaf_that_requires_grad_is_refused_outside_no_grad(name):
    update = CASES[name][0] if name in CASES else (lambda x: getattr(x, name)())
    x = leaf([1.0, -2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        update(x)
    numpy.testing.assert_array_equal(x.numpy(), [1.0, -2.0])
    with minigrad.no_grad():
        update(x)


def test_value_saved_for_backward_changed_in_place_raises_at_backward():
    x = leaf([0.5, 1.0])
    y = x * 2
    z = y * y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient "
                                           r"computation has been modified by an inplace "
                                           r"operation: .*input 0 of Mul, is at version 1; "
                                           r"expected version 0 instead \(last changed in place "
                                           r"by add_\)"):
        z.sum().backward()


def test_changing_an_input_whose_value_the_backward_does_not_read_is_harmless():
    x = leaf([0.5, 1.0])
    y = x * 3
    z = (y + 1.0).reshape(2, 1)[:, 0]
    y.add_(1.0)
    w = y * x
    (z.sum() + w.sum()).backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0 + 2 * 3 * 0.5 + 1.0, 3.0 + 2 * 3 + 1.0])


def test_saved_output_changed_in_place_raises_at_backward():
    x = leaf([0.5, 1.0])
    y = x.exp()
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 1"):
        y.sum().backward()


def test_parameter_changed_under_no_grad_before_backward_raises():
    w, a = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (w * a).sum()
    with minigrad.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="input 0 of Mul, is at version 1; expected version 0"):
        loss.backward()


@pytest.mark.skipif(getattr(sys.modules.get("cupy"), "is_standin", False),
                    reason="the CuPy stand-in's arrays do not expose .base (CuPy's do)")
def test_a_change_through_a_view_is_seen_by_the_viewed_tensor():
    w, a = leaf([1.0, 2.0, 3.0, 4.0]), leaf([[1.0, 2.0], [3.0, 4.0]])
    loss = (w.reshape(2, 2) * a).sum()
    view = a.detach().reshape(4)
    view.add_(1.0)
    with pytest.raises(RuntimeError, match="has been modified by an inplace operation"):
        loss.backward()


def test_in_place_on_an_intermediate_result_is_differentiable():
    def f(x, w):
        y = x * 1.0
        y.mul_(w)
        y.add_(x, alpha=2.0)
        y.sub_(w * w)
        y.div_(1.5)
        y.clamp_(-2.0, 2.0)
        y += x * x
        return y

    check_first_and_second_derivatives(f, [5, 5], seed=0)


def test_buffer_that_receives_a_graph_value_joins_the_graph():
    w = leaf([1.0, 2.0])
    buffer = minigrad.zeros(2, dtype=numpy.float64)
    buffer += w * w
    buffer.mul_(3.0)
    assert buffer.grad_fn is not None
    buffer.sum().backward()
    numpy.testing.assert_array_equal(w.grad.numpy(), [6.0, 12.0])


def test_overwriting_an_intermediate_result_gives_zero_gradient_to_the_old_values():
    x, src = leaf([1.0, 2.0]), leaf([5.0])
    y = x * 3.0
    y.copy_(src)
    (y * y).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    numpy.testing.assert_array_equal(src.grad.numpy(), [20.0])


def test_result_that_does_not_fit_the_tensor_is_refused_and_leaves_it_unchanged():
    x = minigrad.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"result type float64 can't be cast to the desired "
                                           r"output type int64"):
        x += 1.5
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        x.add_(minigrad.tensor([[1, 1, 1], [2, 2, 2]]))
    with pytest.raises(RuntimeError, match="value nan cannot be converted to int64"):
        x.fill_(float("nan"))
    assert x.tolist() == [1, 2, 3]
    x += 2
    assert x.tolist() == [3, 4, 5]


def test_read_only_view_is_refused():
    x = minigrad.tensor([1.0, 2.0]).reshape(1, 2)
    expanded = minigrad.tensor(numpy.broadcast_to(numpy.zeros(1), (3,)))
    expanded.data = numpy.broadcast_to(numpy.zeros(1), (3,))
    with pytest.raises(RuntimeError, match="read-only view"):
        expanded.add_(1.0)
    x.add_(1.0)


def test_optimizer_batch_norm_and_checkpoint_still_work_with_in_place_updates(tmp_path):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minigrad.randn(8, 4, dtype=numpy.float64).to(numpy.float32)
    y = minigrad.tensor([0, 1, 0, 1, 1, 0, 1, 0])
    trained = [model[0].weight, model[1].weight, model[1].bias, model[3].weight, model[3].bias]
    before = [p.numpy().copy() for p in trained]
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    assert all(not numpy.array_equal(b, p.numpy()) for b, p in zip(before, trained))
    assert minigrad.to_host(model[1].running_mean).any()
    path = tmp_path / "w.npz"
    minigrad.save(model, path)
    copy = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    copy.load_state_dict(minigrad.load(path))
    for a, b in zip(copy.state_dict().values(), model.state_dict().values()):
        numpy.testing.assert_array_equal(minigrad.to_host(getattr(a, "data", a)),
                                         minigrad.to_host(getattr(b, "data", b)))


def test_item_assignment_writes_in_place():
    x = minigrad.tensor(numpy.array([[1.0, -2.0], [3.0, -4.0]]))
    array = x.data
    x[x < 0] = 0.0
    x[0] = minigrad.tensor(numpy.array([7.0, 8.0]))
    x[:, 1] += 1.0
    assert x.data is array
    numpy.testing.assert_array_equal(x.numpy(), [[7.0, 9.0], [3.0, 1.0]])
    p = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="__setitem__: a leaf Variable that requires grad"):
        p[0] = 5.0
    with minigrad.no_grad():
        p[0] = 5.0
    numpy.testing.assert_array_equal(p.numpy(), [5.0, 2.0])


def test_item_assignment_into_an_intermediate_result_is_differentiable():
    def f(x, w):
        y = x * 1.0
        y[1:3] = w * w
        y[[0, 3]] = y[[0, 3]] * 2.0
        return y

    check_first_and_second_derivatives(f, [4, 2], seed=1)


def test_copy_into_an_integer_tensor_stays_out_of_the_graph():
    x = minigrad.zeros(3, dtype=numpy.int64)
    x.copy_(leaf([1.5, 2.5, -3.5]))
    assert x.tolist() == [1, 2, -3] and not x.requires_grad and x.grad_fn is None
