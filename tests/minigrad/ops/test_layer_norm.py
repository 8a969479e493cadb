"""``layer_norm``: values vs a NumPy formula, gradcheck and gradgradcheck through the statistics,
with and without the affine parameters, and refused shapes naming the caller."""
import numpy
import pytest

from minigrad import ops
from tests.helpers import check_op, random_tensor


def numpy_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    centred = x - x.mean(axes, keepdims=True)
    y = centred / numpy.sqrt((centred ** 2).mean(axes, keepdims=True) + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


@pytest.mark.parametrize("shape,normalized_shape", [((3, 4), (4,)), ((2, 3, 4), (4,)),
                                                    ((2, 3, 4), (3, 4))])
def test_layer_norm_with_affine_parameters(shape, normalized_shape):
    inputs = [random_tensor(shape, 1), random_tensor(normalized_shape, 2),
              random_tensor(normalized_shape, 3)]
    check_op(lambda x, w, b: ops.layer_norm(x, normalized_shape, w, b), inputs,
             lambda x, w, b: numpy_layer_norm(x, normalized_shape, w, b))


def test_layer_norm_without_affine_parameters_and_an_int_shape():
    check_op(lambda x: ops.layer_norm(x, 5, eps=1e-3), [random_tensor((3, 5), 4)],
             lambda x: numpy_layer_norm(x, (5,), eps=1e-3))


def test_normalized_shape_must_match_the_input():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(5,\)\): normalized_shape \(5,\) must "
                                         r"equal the last 1 dimensions of the input, got input "
                                         r"of shape \(3, 4\)"):
        ops.layer_norm(random_tensor((3, 4)), (5,), caller="LayerNorm((5,))")
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape \(4,\), got "
                                         r"\(3,\)"):
        ops.layer_norm(random_tensor((3, 4)), 4, random_tensor((3,)))
