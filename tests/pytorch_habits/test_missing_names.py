"""Names ordinary PyTorch scripts use: ``flatten stack clamp where gather sort topk`` at top
level, ``view_as expand repeat`` methods, ``minigrad.device``, ``nn.Identity``.

Each differentiable op is checked against a NumPy expression, by finite differences
(``gradcheck``) and at second order (``gradgradcheck``).
"""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import check_op, random_tensor


def test_top_level_names_exist():
    for name in ("flatten", "stack", "clamp", "where", "gather", "sort", "topk", "cat", "device"):
        assert callable(getattr(minigrad, name)), name


def test_stack_along_any_axis():
    a, b = random_tensor((2, 3), 1), random_tensor((2, 3), 2)
    for dim in (0, 1, 2, -1, -3):
        check_op(lambda a, b: minigrad.stack([a, b], dim), [a, b],
                 lambda a, b: numpy.stack([a, b], dim))


def test_stack_of_different_shapes_is_refused():
    with pytest.raises(ValueError, match="stack expects each tensor to be equal size"):
        minigrad.stack([minigrad.zeros(2), minigrad.zeros(3)])


def test_where_with_tensors_and_numbers():
    x, y = random_tensor((3, 4), 3), random_tensor((4,), 4)
    condition = x > 0
    check_op(lambda x, y: minigrad.where(condition, x, y), [x, y],
             lambda x, y: numpy.where(x > 0, x, y))
    check_op(lambda x: minigrad.where(condition, x * x, 0.5), [x],
             lambda x: numpy.where(x > 0, x * x, 0.5))
    assert minigrad.where(condition, x.float(), 0.0).dtype == numpy.float32


def test_where_refuses_a_non_boolean_condition():
    with pytest.raises(TypeError, match="condition to be a boolean tensor"):
        minigrad.where(minigrad.ones(2), minigrad.ones(2), 0.0)


def test_gather_along_each_axis_and_its_errors():
    x = random_tensor((3, 4), 5)
    index = minigrad.tensor([[0, 3, 3], [1, 0, 2]])
    rows, _ = numpy.indices((2, 3))
    check_op(lambda x: minigrad.gather(x, 1, index), [x], lambda x: x[rows, index.numpy()])
    down = minigrad.tensor([[0, 2, 1, 2], [2, 0, 0, 1]])
    _, cols = numpy.indices((2, 4))
    check_op(lambda x: x.gather(0, down), [x], lambda x: x[down.numpy(), cols])
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        minigrad.gather(x, 1, minigrad.tensor([[4]]))
    with pytest.raises(TypeError, match="integer tensor"):
        minigrad.gather(x, 1, minigrad.tensor([1, 2]))


def test_sort_and_topk_return_values_and_indices():
    x = random_tensor((3, 5), 6)
    values, indices = minigrad.sort(x, dim=1)
    numpy.testing.assert_array_equal(indices.numpy(), numpy.argsort(x.numpy(), axis=1))
    check_op(lambda x: minigrad.sort(x, 0, descending=True).values, [x],
             lambda x: -numpy.sort(-x, axis=0))
    top = minigrad.topk(x, 2)
    numpy.testing.assert_array_equal(top.indices.numpy(),
                                     numpy.argsort(-x.numpy(), axis=1)[:, :2])
    check_op(lambda x: x.topk(3, dim=0, largest=False).values, [x],
             lambda x: numpy.sort(x, axis=0)[:3])
    with pytest.raises(ValueError, match=r"topk: k \(6\) must be an int in \[0, 5\]"):
        minigrad.topk(x, 6)


def test_clamp_function_and_method():
    x = random_tensor((4, 3), 7)
    check_op(lambda x: minigrad.clamp(x, -0.5, 0.5), [x], lambda x: numpy.clip(x, -0.5, 0.5))
    check_op(lambda x: x.clamp(min=0.1), [x], lambda x: numpy.maximum(x, 0.1))
    check_op(lambda x: x.clamp(max=0.1), [x], lambda x: numpy.minimum(x, 0.1))
    with pytest.raises(ValueError, match="at least one of min and max"):
        minigrad.clamp(x)


def test_clamp_passes_the_gradient_at_the_bounds_as_pytorch():
    x = minigrad.tensor(numpy.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    minigrad.clamp(x, 0.0, 1.0).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 0.0])


def test_flatten_view_as_expand_repeat():
    x = random_tensor((2, 1, 3), 8)
    check_op(lambda x: minigrad.flatten(x, 1), [x], lambda x: x.reshape(2, 3))
    check_op(lambda x: x.view_as(minigrad.zeros(3, 2)), [x], lambda x: x.reshape(3, 2))
    check_op(lambda x: x.expand(4, 2, -1, 3), [x], lambda x: numpy.broadcast_to(x, (4, 2, 1, 3)))
    check_op(lambda x: x.repeat(2, 3, 1), [x], lambda x: numpy.tile(x, (2, 3, 1)))
    check_op(lambda x: x.repeat(2, 1, 2, 2), [x], lambda x: numpy.tile(x, (2, 1, 2, 2)))
    with pytest.raises(ValueError, match="expanded size of the tensor"):
        x.expand(2, 2, 4)
    with pytest.raises(ValueError, match="number of repeat dims"):
        x.repeat(2, 2)


def test_device_objects_as_pytorch():
    cuda, cpu = minigrad.device("cuda"), minigrad.device("cpu")
    assert (cuda.type, cuda.index, cpu.type) == ("cuda", None, "cpu")
    assert repr(minigrad.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert str(minigrad.device("cuda:0")) == "cuda:0"
    x = minigrad.zeros(2, device=cpu)
    assert x.device == cpu and x.device.type == "cpu" and x.to(cpu) is x
    model = nn.Linear(2, 2).to(cpu)
    assert model.weight.device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'mps'"):
        minigrad.device("mps")


def test_identity_ignores_its_arguments():
    x = minigrad.ones(2)
    assert nn.Identity(54, unused_argument=0.1)(x) is x
