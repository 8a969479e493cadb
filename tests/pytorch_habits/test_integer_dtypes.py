"""Integer dtypes where PyTorch refuses: random draws, unrepresentable fill values, integer
tensors that require grad, modules cast to integers."""
import numpy
import pytest

import minigrad
from minigrad import nn


@pytest.mark.parametrize("factory", ["rand", "randn"])
@pytest.mark.parametrize("dtype", [numpy.int64, numpy.int32, numpy.bool_])
def test_random_draws_refuse_integer_dtypes(factory, dtype):
    with pytest.raises(RuntimeError, match=f"{factory}: draws real numbers and needs a floating "
                                           f"dtype, got dtype {numpy.dtype(dtype)}"):
        getattr(minigrad, factory)(3, dtype=dtype)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 2.0 ** 63])
def test_full_refuses_values_an_integer_dtype_cannot_hold(value):
    with pytest.raises(RuntimeError, match="full: value cannot be converted to type int64 "
                                           "without overflow"):
        minigrad.full((2,), value, dtype=numpy.int64)


def test_full_keeps_representable_values():
    assert minigrad.full((2,), 1.5, dtype=numpy.int64).tolist() == [1, 1]
    assert minigrad.full((2,), -128.0, dtype=numpy.int8).tolist() == [-128, -128]
    assert minigrad.full((1,), 7).dtype == numpy.int64


@pytest.mark.parametrize("cast", [lambda t: t.to(numpy.int64), lambda t: t.to(dtype=numpy.int32),
                                  lambda t: t.to("cpu", numpy.bool_)])
def test_cast_to_an_integer_dtype_leaves_the_graph(cast):
    x = minigrad.tensor([1.5, 2.0], requires_grad=True)
    y = cast(x)
    assert not y.requires_grad and y.grad_fn is None and y.dtype.kind in "biu"
    assert x.to(numpy.float64).requires_grad


@pytest.mark.parametrize("dtype", [numpy.int64, numpy.bool_])
def test_module_cast_to_an_integer_dtype_is_refused(dtype):
    layer = nn.Linear(2, 2)
    before = layer.weight.data
    with pytest.raises(TypeError, match=r"Linear.to only accepts floating point or complex "
                                        rf"dtypes, but got desired dtype={numpy.dtype(dtype)}"):
        layer.to(dtype)
    assert layer.weight.data is before
    assert layer.to(numpy.float64).weight.dtype == numpy.float64
