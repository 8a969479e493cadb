"""Wrong dtypes are refused by Linear, Conv2d and the losses, naming the layer, dtypes and fix."""
import numpy
import pytest

import minigrad
from minigrad import nn

BAD_INPUT_DTYPES = [numpy.int64, numpy.uint8, numpy.bool_, numpy.complex128]


def _input(shape, dtype):
    return minigrad.tensor(numpy.ones(shape).astype(dtype))


@pytest.mark.parametrize("dtype", BAD_INPUT_DTYPES, ids=lambda d: numpy.dtype(d).name)
@pytest.mark.parametrize("layer, shape, name", [
    (lambda: nn.Linear(3, 2), (4, 3), r"Linear\(in_features=3, out_features=2\)"),
    (lambda: nn.Conv2d(1, 2, 3), (2, 1, 5, 5), r"Conv2d\(1, 2, kernel_size=\(3, 3\)"),
], ids=["Linear", "Conv2d"])
def test_non_floating_input_to_a_layer_is_refused(layer, shape, name, dtype):
    with pytest.raises(TypeError, match=rf"{name}.*: input has dtype {numpy.dtype(dtype)} "
                                        r".*floating dtype is needed; convert it with "
                                        r"input\.float\(\)"):
        layer()(_input(shape, dtype))


@pytest.mark.parametrize("layer, shape", [(lambda: nn.Linear(3, 2), (4, 3)),
                                          (lambda: nn.Conv2d(1, 2, 3), (2, 1, 5, 5))],
                         ids=["Linear", "Conv2d"])
def test_float64_input_to_float32_weights_is_refused(layer, shape):
    module = layer().to(numpy.float32)
    with pytest.raises(TypeError, match=r"input dtype float64 differs from weight dtype float32 "
                                        r".*input\.to\(float32\) or the layer with "
                                        r"\.to\(float64\)"):
        module(_input(shape, numpy.float64))
    assert module(_input(shape, numpy.float32)).dtype == numpy.float32


def test_functional_linear_names_itself():
    with pytest.raises(TypeError, match="linear: input dtype float32 differs from weight dtype "
                                        "float64"):
        nn.functional.linear(_input((2, 3), numpy.float32), _input((4, 3), numpy.float64))
    with pytest.raises(ValueError, match=r"linear got input of shape \(2, 5\): its last "
                                         r"dimension must be 3 \(weight shape \(4, 3\)\)"):
        nn.functional.linear(_input((2, 5), numpy.float64), _input((4, 3), numpy.float64))


@pytest.mark.parametrize("loss, target", [
    (nn.CrossEntropyLoss(), numpy.array([0, 1, 2])), (nn.MSELoss(), numpy.zeros((3, 4))),
    (nn.BCEWithLogitsLoss(), numpy.zeros((3, 4))),
], ids=["CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss"])
def test_integer_logits_to_a_loss_are_refused(loss, target):
    with pytest.raises(TypeError, match=rf"{type(loss).__name__}\(reduction='mean'\): input has "
                                        r"dtype int64"):
        loss(_input((3, 4), numpy.int64), target)


@pytest.mark.parametrize("loss, target", [
    (nn.CrossEntropyLoss(), numpy.zeros(0, dtype=numpy.int64)),
    (nn.MSELoss(), numpy.zeros((0, 4))), (nn.BCEWithLogitsLoss(), numpy.zeros((0, 4))),
], ids=["CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss"])
def test_an_empty_batch_to_a_loss_is_refused(loss, target):
    with pytest.raises(ValueError, match=rf"{type(loss).__name__}\(reduction='mean'\): the batch "
                                         r"is empty \(input shape \(0, 4\)\)"):
        loss(_input((0, 4), numpy.float64), target)


@pytest.mark.parametrize("op, target", [
    (nn.functional.cross_entropy, numpy.zeros(0, dtype=numpy.int64)),
    (nn.functional.nll_loss, numpy.zeros(0, dtype=numpy.int64)),
    (nn.functional.mse_loss, numpy.zeros((0, 4))),
    (nn.functional.binary_cross_entropy_with_logits, numpy.zeros((0, 4))),
], ids=lambda value: getattr(value, "__name__", "target"))
def test_an_empty_batch_to_a_functional_loss_is_refused(op, target):
    with pytest.raises(ValueError, match=rf"{op.__name__}: the batch is empty"):
        op(_input((0, 4), numpy.float64), target)
