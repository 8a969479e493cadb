"""Dropout: mask statistics, 1/(1 − p) scaling, eval identity, seeding, fixed-mask derivatives."""
import numpy
import pytest

import minigrad
from minigrad import ops
from minigrad.nn import init
from tests.helpers import check_op, random_tensor


def ones(shape):
    return minigrad.tensor(numpy.ones(shape), dtype=numpy.float64)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_statistics_and_scaling(p):
    init.manual_seed(0)
    out = ops.dropout(ones((200, 50)), p=p).numpy()
    kept = out != 0
    assert abs(1 - kept.mean() - p) < 4 * numpy.sqrt(p * (1 - p) / out.size)
    numpy.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-15)
    assert abs(out.mean() - 1) < 4 * numpy.sqrt(p / (1 - p) / out.size)


def test_eval_is_identity_and_p_zero_keeps_everything():
    x = random_tensor((3, 4))
    assert ops.dropout(x, p=0.5, training=False) is x
    numpy.testing.assert_array_equal(ops.dropout(x, p=0.0).numpy(), x.numpy())


def test_seed_reproduces_the_mask():
    x = ones((6, 7))
    init.manual_seed(3)
    first = ops.dropout(x, p=0.5).numpy()
    init.manual_seed(3)
    again = ops.dropout(x, p=0.5).numpy()
    other = ops.dropout(x, p=0.5).numpy()
    numpy.testing.assert_array_equal(first, again)
    assert (first != other).any()


def test_mask_follows_the_host_generator():
    init.manual_seed(11)
    expected = (numpy.random.default_rng(11).random((4, 5)) >= 0.3) / 0.7
    numpy.testing.assert_array_equal(ops.dropout(ones((4, 5)), p=0.3).numpy(), expected)


def test_output_keeps_dtype_and_array_module():
    x = minigrad.tensor(numpy.ones((2, 3)), dtype=numpy.float32)
    out = ops.dropout(x, p=0.25)
    assert out.dtype == numpy.float32 and type(out.data) is type(x.data)


@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 2)])
def test_derivatives_with_a_fixed_mask(shape):
    def fixed_mask_dropout(x):
        init.manual_seed(7)
        return ops.dropout(x, p=0.4)

    def expected(x):
        return x * (numpy.random.default_rng(7).random(x.shape) >= 0.4) / 0.6

    check_op(fixed_mask_dropout, [random_tensor(shape, seed=1)], expected)


def test_backward_multiplies_by_the_same_mask():
    x = random_tensor((5, 6), low=0.5, high=1.5)
    out = ops.dropout(x, p=0.5)
    (g,) = minigrad.grad(out.sum(), [x])
    numpy.testing.assert_allclose(g.numpy(), out.numpy() / x.numpy(), rtol=1e-15)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_invalid_p(p):
    with pytest.raises(ValueError, match=rf"dropout: p must be in \[0, 1\), got {p} "
                                         rf"\(input shape \(3, 4\)\)"):
        ops.dropout(random_tensor((3, 4)), p=p, training=False)
