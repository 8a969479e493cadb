"""Reductions (sum, mean, var, max, min, sum_to) and argmax/argmin: values and derivatives."""
import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                         (-1, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "max"])
def test_reductions(name, dim, keepdim):
    a = random_tensor((3, 4, 5))
    reference = {"sum": numpy.sum, "mean": numpy.mean, "max": numpy.max,
                 "var": lambda x, axis, keepdims: numpy.var(x, axis=axis, keepdims=keepdims,
                                                            ddof=1)}[name]
    axis = dim if not isinstance(dim, list) else tuple(dim)
    check_op(lambda x: getattr(ops, name)(x, dim, keepdim), [a],
             lambda x: reference(x, axis=axis, keepdims=keepdim))


def test_var_biased_batch_of_one_row():
    a = random_tensor((1, 6))
    check_op(lambda x: ops.var(x, 1, unbiased=False), [a], lambda x: x.var(axis=1))


def test_max_gradient_goes_to_first_maximum_on_ties():
    a = minigrad.tensor(numpy.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    ops.max(a, 1).sum().backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("source,target", [((2, 3, 4), (3, 1)), ((3, 4), (1, 4)), ((5,), ())])
def test_sum_to_sums_over_broadcast_axes(source, target):
    def reference(a):
        lead = a.ndim - len(target)
        summed = a.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, n in enumerate(target) if n == 1)
        return summed.sum(axis=axes, keepdims=True).reshape(target)

    check_op(lambda t: ops.sum_to(t, target), [random_tensor(source, seed=5)], reference)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False)])
def test_min_is_the_minimum_with_its_derivatives(dim, keepdim):
    check_op(lambda x: ops.min(x, dim, keepdim), [random_tensor((3, 4, 5))],
             lambda x: numpy.min(x, axis=dim, keepdims=keepdim))


@pytest.mark.parametrize("method,reduce,arg", [("max", numpy.max, numpy.argmax),
                                               ("min", numpy.min, numpy.argmin)])
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, False), (-1, True)])
def test_max_and_min_over_a_dim_return_values_and_indices(method, reduce, arg, dim, keepdim):
    x = random_tensor((3, 4, 5))
    result = getattr(x, method)(dim, keepdim=keepdim)
    values, indices = result
    assert result.values is values and result.indices is indices
    expected_indices = arg(x.numpy(), axis=dim)
    if keepdim:
        expected_indices = numpy.expand_dims(expected_indices, dim)
    numpy.testing.assert_array_equal(indices.numpy(), expected_indices)
    assert indices.dtype == numpy.int64 and not indices.requires_grad
    numpy.testing.assert_array_equal(values.numpy(), reduce(x.numpy(), axis=dim, keepdims=keepdim))
    check_op(lambda t: getattr(t, method)(dim, keepdim=keepdim).values, [x])


def test_max_over_a_dim_gives_predicted_classes():
    logits = minigrad.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 3.0]])
    _, pred = logits.max(1)
    assert pred.tolist() == [1, 0] and logits.argmax(1).tolist() == [1, 0]
    assert (pred == minigrad.tensor([1, 2])).sum().item() == 1
    assert logits.max().item() == 3.0 and logits.min().item() == -1.0
    assert logits.argmax().item() == 3 and logits.argmin(dim=1, keepdim=True).tolist() == [[2], [1]]


@pytest.mark.parametrize("call", [lambda x: x.max((0, 1)), lambda x: x.min(3),
                                  lambda x: x.argmax(dim=-4)], ids=["tuple", "min-3", "argmax-4"])
def test_max_over_a_bad_dim_names_the_shape(call):
    with pytest.raises(ValueError, match=r"dim must be one int .* shape \(3, 4, 5\)"):
        call(random_tensor((3, 4, 5)))
