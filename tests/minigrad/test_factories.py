"""Tensor factories: shapes, dtypes (default, int64 for integers), seeding, the *_like forms."""
import numpy
import pytest

import minigrad


@pytest.mark.parametrize("factory, fill", [(minigrad.zeros, 0.0), (minigrad.ones, 1.0)])
def test_constant_factories_take_sizes_as_arguments_or_one_tuple(factory, fill):
    for tensor in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert tensor.shape == (2, 3) and tensor.dtype == minigrad.get_default_dtype()
        numpy.testing.assert_array_equal(tensor.numpy(), numpy.full((2, 3), fill))
    assert factory(4, dtype=numpy.float64, requires_grad=True).requires_grad
    assert factory(3, dtype=numpy.int64).dtype == numpy.int64


def test_full_and_arange_follow_the_type_of_their_values():
    assert minigrad.full((2,), 7).dtype == numpy.int64
    assert minigrad.full((2,), True).dtype == numpy.bool_
    assert minigrad.full(3, 1.5).tolist() == [1.5, 1.5, 1.5]
    assert minigrad.full(3, 1.5).dtype == minigrad.get_default_dtype()
    assert minigrad.arange(4).tolist() == [0, 1, 2, 3] and minigrad.arange(4).dtype == numpy.int64
    assert minigrad.arange(1, 7, 2).tolist() == [1, 3, 5]
    halves = minigrad.arange(0, 1, 0.25, dtype=numpy.float64)
    assert halves.tolist() == [0.0, 0.25, 0.5, 0.75] and halves.dtype == numpy.float64
    assert minigrad.empty(2, 2).shape == (2, 2)


def test_random_factories_follow_manual_seed():
    minigrad.manual_seed(3)
    first = [minigrad.randn(5).numpy(), minigrad.rand(2, 2).numpy(),
             minigrad.randint(0, 10, (6,)).numpy()]
    minigrad.manual_seed(3)
    again = [minigrad.randn(5).numpy(), minigrad.rand(2, 2).numpy(),
             minigrad.randint(0, 10, (6,)).numpy()]
    for a, b in zip(first, again):
        numpy.testing.assert_array_equal(a, b)
    assert 0 <= first[1].min() and first[1].max() < 1 and first[2].dtype == numpy.int64
    assert first[2].min() >= 0 and first[2].max() < 10


def test_like_factories_copy_shape_dtype_and_device():
    x = minigrad.tensor(numpy.ones((2, 3), dtype=numpy.float64))
    for tensor, value in [(minigrad.zeros_like(x), 0.0), (minigrad.ones_like(x), 1.0),
                          (minigrad.full_like(x, 2.5), 2.5)]:
        assert tensor.shape == (2, 3) and tensor.dtype == numpy.float64
        assert tensor.device == x.device and (tensor == value).all()
    assert minigrad.zeros_like(x, dtype=numpy.float32).dtype == numpy.float32
    for tensor in (minigrad.empty_like(x), minigrad.rand_like(x), minigrad.randn_like(x)):
        assert tensor.shape == (2, 3) and tensor.dtype == numpy.float64


@pytest.mark.parametrize("call, message", [
    (lambda: minigrad.zeros(2, -1), r"zeros: size must be non-negative ints, got \(2, -1\)"),
    (lambda: minigrad.ones(2.5), "ones: size must be non-negative ints"),
    (lambda: minigrad.arange(0, 3, 0), "arange: step must be nonzero"),
    (lambda: minigrad.zeros(2, dtype=numpy.int64, requires_grad=True),
     "zeros: only floating tensors can require grad"),
    (lambda: minigrad.ones(2, device="tpu"), "ones: unknown device 'tpu'"),
    (lambda: minigrad.zeros_like(numpy.zeros(2)), "zeros_like: expected a Tensor"),
], ids=["negative", "float-size", "zero-step", "int-grad", "device", "array"])
def test_bad_factory_arguments_name_the_factory(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
