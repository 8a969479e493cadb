"""Tensor's Python protocol: truthiness, numbers, formatting, comparisons, hashing."""
import math

import numpy
import pytest

import minigrad


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
