"""Function: apply wraps scalars and arrays, records inputs only when needed, release frees."""
import numpy
import pytest

import minigrad
from minigrad.autograd.function import Function
from tests.helpers import random_tensor


class Scale(Function):
    saves_output = True

    def forward(self, a, b, factor):
        return a * b * factor

    def backward(self, g):
        a, b = self.inputs
        return (g * b * 2.0 if self.needs_input_grad[0] else None,
                g * a * 2.0 if self.needs_input_grad[1] else None)


def test_apply_wraps_plain_inputs_on_the_dtype_of_the_tensor_input():
    x = random_tensor((3,))
    out = Scale.apply(x, 3.0, factor=2.0)
    assert out.dtype == numpy.float64 and out.grad_fn.output is out
    assert out.grad_fn.needs_input_grad == (True, False)
    numpy.testing.assert_allclose(out.numpy(), 6.0 * x.numpy())
    out.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full(3, 6.0))


def test_without_inputs_that_require_grad_no_node_is_recorded():
    out = Scale.apply(minigrad.tensor([1.0]), numpy.array([2.0]), factor=1.0)
    assert out.grad_fn is None and not out.requires_grad


def test_release_frees_the_saved_buffers():
    x = random_tensor((2,))
    out = Scale.apply(x, x, factor=1.0)
    node = out.grad_fn
    out.sum().backward()
    assert node.inputs is None and not hasattr(node, "output")
    with pytest.raises(RuntimeError, match="a second time"):
        out.sum().backward()


def test_a_function_without_forward_or_backward_names_itself():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match="Empty.forward"):
        Empty.apply(random_tensor((1,)))
