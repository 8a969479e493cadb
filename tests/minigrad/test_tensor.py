"""Tensor's Python protocol: truthiness, numbers, formatting, comparisons, hashing."""
import math

import numpy
import pytest

import minigrad
from tests.helpers import random_tensor


def test_one_element_tensors_convert_to_python_numbers():
    loss = minigrad.tensor([0.25])
    assert float(loss) == 0.25 and isinstance(float(loss), float)
    assert int(minigrad.tensor(2.75)) == 2
    assert math.isfinite(loss) and not math.isfinite(minigrad.tensor(float("nan")))
    assert f"{loss:.3f}" == "0.250" and f"{minigrad.tensor(7):04d}" == "0007"
    assert [10, 20, 30][minigrad.tensor(2)] == 30


def test_truthiness_of_one_element_tensors_follows_the_value():
    assert not minigrad.tensor([0.0]) and minigrad.tensor(3.0)
    loss = minigrad.tensor(0.5)
    assert loss < 1 and not loss > 1


@pytest.mark.parametrize("values, message", [
    ([1.0, 2.0], "more than one value is ambiguous"),
    (numpy.zeros((0,)), "no values is ambiguous"),
], ids=["two-values", "empty"])
def test_truthiness_of_other_tensors_is_an_error(values, message):
    with pytest.raises(RuntimeError, match=message):
        bool(minigrad.tensor(values))


def test_conversions_of_many_element_tensors_are_errors():
    x = minigrad.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"only one element tensors .* shape \(2,\)"):
        float(x)
    with pytest.raises(TypeError, match="only one element tensors"):
        int(x)
    with pytest.raises(TypeError, match="format spec"):
        f"{x:.3f}"
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][minigrad.tensor(1.0)]
    with pytest.raises(TypeError, match="0-d tensor"):
        len(minigrad.tensor(1.0))


def test_comparisons_are_elementwise_boolean_tensors():
    pred, y = minigrad.tensor([0, 1, 2, 1]), minigrad.tensor([0, 1, 1, 1])
    assert (pred == y).sum().item() == 3 and (pred != y).sum().item() == 1
    for result, expected in [(pred == y, [1, 1, 0, 1]), (pred != y, [0, 0, 1, 0]),
                             (pred < y, [0, 0, 0, 0]), (pred <= y, [1, 1, 0, 1]),
                             (pred > 1, [0, 0, 1, 0]), (pred >= 1, [0, 1, 1, 1]),
                             (1 == pred, [0, 1, 0, 1]), (numpy.ones(4) > pred, [1, 0, 0, 0])]:
        assert isinstance(result, minigrad.Tensor) and result.dtype == bool
        numpy.testing.assert_array_equal(result.numpy(), numpy.array(expected, dtype=bool))
    assert pred.eq(y).tolist() == (pred == y).tolist() and pred.ne(y).tolist() == [0, 0, 1, 0]
    assert (pred == None) is False and (pred != None) is True  # noqa: E711


def test_tensors_are_hashed_by_identity():
    a, b = minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 2.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2
    assert a in table and minigrad.tensor(1.0) not in {minigrad.tensor(1.0)}


def test_any_and_all_reduce_to_boolean_tensors():
    x = minigrad.tensor([[0.0, 1.0], [0.0, 0.0]])
    assert x.any() and not x.all() and x.any(dim=1).tolist() == [True, False]


def test_clone_copies_the_data_and_passes_the_gradient():
    x = minigrad.tensor([1.0, 2.0], dtype=numpy.float64, requires_grad=True)
    y = x.clone()
    y.data[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    (y * minigrad.tensor([3.0, 4.0], dtype=numpy.float64)).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_zero_clears_in_place_and_refuses_tensors_that_require_grad():
    g = minigrad.tensor([1.0, 2.0])
    assert g.zero_() is g and g.tolist() == [0.0, 0.0]
    p = minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="zero_: a leaf Variable that requires grad"):
        p.zero_()
    with minigrad.no_grad():
        p.zero_()
    assert p.tolist() == [0.0]


def test_unsqueeze_and_squeeze_insert_and_drop_axes_of_size_one():
    x = minigrad.zeros(2, 1, 3)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3) and x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    with pytest.raises(ValueError, match=r"unsqueeze: dim must be an int in \[-4, 3\]"):
        x.unsqueeze(4)
    with pytest.raises(ValueError, match="squeeze: dim must be"):
        x.squeeze(3)


def test_to_parses_devices_dtypes_and_tensors():
    x = minigrad.tensor([1.0, 2.0], dtype=numpy.float32, requires_grad=True)
    assert x.to("cpu") is x and x.to(device="cpu", dtype=numpy.float32) is x
    double = x.to(numpy.float64)
    assert double.dtype == numpy.float64 and double.grad_fn is not None
    double.sum().backward()
    assert x.grad.dtype == numpy.float32
    assert x.to(minigrad.tensor([0], dtype=numpy.int64)).dtype == numpy.int64
    assert x.to("cpu", numpy.float64).dtype == numpy.float64


@pytest.mark.parametrize("argument, error, message", [
    ("gpu", ValueError, "unknown device 'gpu'"), ("float64", ValueError, "unknown device"),
    ("cuda:1", ValueError, "unknown device 'cuda:1'"), (3.5, TypeError, "neither a device"),
], ids=["gpu", "dtype-name", "second-gpu", "number"])
def test_to_refuses_what_is_neither_a_device_nor_a_dtype(argument, error, message):
    with pytest.raises(error, match=message):
        minigrad.tensor([1.0]).to(argument)


def test_data_can_be_reassigned_for_parameter_surgery():
    x = random_tensor((2,))
    x.data = x.data * 0 + 3.0
    (x * x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_default_dtype_switch():
    assert minigrad.tensor([1.0]).dtype == numpy.float32
    minigrad.set_default_dtype(numpy.float64)
    try:
        assert minigrad.tensor([1.0]).dtype == numpy.float64
    finally:
        minigrad.set_default_dtype(numpy.float32)
    assert minigrad.tensor([1, 2]).dtype == numpy.int64


def test_tensor_copies_its_input_like_torch_tensor():
    source = numpy.zeros(3)
    t = minigrad.tensor(source)
    t.data += 1.0
    numpy.testing.assert_array_equal(source, numpy.zeros(3))


def test_iteration_and_membership_follow_pytorch():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert 3.0 in x and 5.0 not in x
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(minigrad.tensor(1.0))
