"""Losses: values vs NumPy formulas, gradcheck, gradgradcheck, loss Hessians, bad input."""
import numpy
import pytest

import minigrad
from minigrad import ops
from tests.helpers import check_op, random_tensor

REDUCTIONS = ["mean", "sum", "batchmean", "none"]
NUMPY_REDUCE = {"mean": numpy.mean, "sum": numpy.sum, "none": lambda losses: losses,
                "batchmean": lambda losses: losses.sum() / losses.shape[0]}


def labels(n, classes, seed=0):
    return numpy.random.default_rng(seed).integers(0, classes, n)


def numpy_cross_entropy(z, y):
    m = z.max(axis=1, keepdims=True)
    logsumexp = (m + numpy.log(numpy.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return logsumexp - z[numpy.arange(len(y)), y]


def numpy_bce_with_logits(z, t):
    p = 1 / (1 + numpy.exp(-z))
    return -(t * numpy.log(p) + (1 - t) * numpy.log(1 - p))


def dense_hessian(loss_of, x):
    """∂²loss/∂x² (flattened) by differentiating the gradient along each unit vector."""
    (g,) = minigrad.grad(loss_of(x), [x], create_graph=True)
    rows = []
    for k in range(x.numel()):
        e = numpy.zeros(x.numel())
        e[k] = 1.0
        unit = minigrad.tensor(e.reshape(x.shape))
        (row,) = minigrad.grad((g * unit).sum(), [x], retain_graph=True)
        rows.append(row.numpy().ravel())
    return numpy.array(rows)


@pytest.mark.parametrize("n,classes", [(1, 3), (4, 5), (6, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy(n, classes, reduction):
    y = labels(n, classes, seed=n)
    check_op(lambda z: ops.cross_entropy(z, y, reduction=reduction),
             [random_tensor((n, classes), seed=1)],
             lambda z: NUMPY_REDUCE[reduction](numpy_cross_entropy(z, y)))


@pytest.mark.parametrize("n,classes", [(1, 3), (4, 5)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(n, classes, reduction):
    y = minigrad.tensor(labels(n, classes, seed=2))
    check_op(lambda lp: ops.nll_loss(lp, y, reduction=reduction),
             [random_tensor((n, classes), seed=3)],
             lambda lp: NUMPY_REDUCE[reduction](-lp[numpy.arange(n), y.numpy()]))


def test_cross_entropy_is_nll_of_log_softmax():
    z, y = random_tensor((5, 4), seed=4), labels(5, 4, seed=4)
    numpy.testing.assert_allclose(ops.cross_entropy(z, y).numpy(),
                                  ops.nll_loss(ops.log_softmax(z, dim=1), y).numpy(), rtol=1e-14)


@pytest.mark.parametrize("shape", [(1,), (1, 3), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(shape, reduction):
    check_op(lambda x, t: ops.mse_loss(x, t, reduction=reduction),
             [random_tensor(shape, seed=5), random_tensor(shape, seed=6)],
             lambda x, t: NUMPY_REDUCE[reduction]((x - t) ** 2))


@pytest.mark.parametrize("shape", [(1,), (1, 3), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(shape, reduction):
    check_op(lambda z, t: ops.binary_cross_entropy_with_logits(z, t, reduction=reduction),
             [random_tensor(shape, seed=7), random_tensor(shape, seed=8, low=0.0, high=1.0)],
             lambda z, t: NUMPY_REDUCE[reduction](numpy_bce_with_logits(z, t)))


def test_loss_hessians_in_the_output_match_curvature_formulas():
    n, classes = 2, 3
    z, y = random_tensor((n, classes), seed=9), labels(n, classes, seed=9)
    p = numpy.exp(z.numpy()) / numpy.exp(z.numpy()).sum(axis=1, keepdims=True)
    expected = numpy.zeros((n * classes, n * classes))
    for i in range(n):
        block = slice(i * classes, (i + 1) * classes)
        expected[block, block] = (numpy.diag(p[i]) - numpy.outer(p[i], p[i])) / n
    numpy.testing.assert_allclose(dense_hessian(lambda z: ops.cross_entropy(z, y), z), expected,
                                  rtol=1e-12, atol=1e-15)

    t = random_tensor((n, classes), seed=10, low=0.0, high=1.0)
    s = 1 / (1 + numpy.exp(-z.numpy().ravel()))
    numpy.testing.assert_allclose(
        dense_hessian(lambda z: ops.binary_cross_entropy_with_logits(z, t), z),
        numpy.diag(s * (1 - s)) / z.numel(), rtol=1e-12, atol=1e-15)
    numpy.testing.assert_allclose(dense_hessian(lambda x: ops.mse_loss(x, t), z),
                                  2 * numpy.eye(z.numel()) / z.numel(), rtol=1e-12)


def test_huge_logits_give_finite_losses_and_gradients():
    z = minigrad.tensor(numpy.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]]),
                        requires_grad=True)
    loss = ops.cross_entropy(z, numpy.array([1, 1]))
    assert loss.item() == pytest.approx(1000.0)
    (g,) = minigrad.grad(loss, [z], create_graph=True)
    numpy.testing.assert_allclose(g.numpy(), [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-300)
    (gg,) = minigrad.grad(g.sum(), [z])
    assert numpy.isfinite(gg.numpy()).all()

    t = minigrad.tensor(numpy.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]]))
    loss = ops.binary_cross_entropy_with_logits(z, t, reduction="none")
    numpy.testing.assert_allclose(loss.numpy(), [[1000.0, 1000.0, numpy.log(2)],
                                                 [1000.0, 1000.0, numpy.log(2)]], rtol=1e-15)
    (g,) = minigrad.grad(loss.sum(), [z], create_graph=True)
    numpy.testing.assert_array_equal(g.numpy(), [[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0]])
    (gg,) = minigrad.grad(g.sum(), [z])
    numpy.testing.assert_array_equal(gg.numpy(), [[0.0, 0.0, 0.25], [0.0, 0.0, 0.25]])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_logits_give_nan_loss():
    z = minigrad.tensor(numpy.array([[numpy.nan, 0.0], [0.0, 1.0]]))
    assert numpy.isnan(ops.cross_entropy(z, numpy.array([1, 0])).item())
    assert numpy.isnan(ops.binary_cross_entropy_with_logits(z, z * 0).item())


@pytest.mark.parametrize("op", [ops.cross_entropy, ops.nll_loss])
def test_class_label_errors(op):
    name, x = op.__name__, random_tensor((3, 4))
    with pytest.raises(ValueError, match=rf"{name}: target label 4 is out of range \[0, 4\) "
                                         rf"for input of shape \(3, 4\)"):
        op(x, numpy.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"target label -1 is out of range \[0, 4\)"):
        op(x, numpy.array([0, -1, 1]))
    with pytest.raises(ValueError, match=rf"{name}: target must hold integer class labels, "
                                         rf"got dtype float64 \(shape \(3,\)\)"):
        op(x, minigrad.tensor(numpy.array([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=rf"{name}: target must have shape \(3,\) to match "
                                         rf"input of shape \(3, 4\), got \(2,\)"):
        op(x, numpy.array([0, 1]))
    with pytest.raises(ValueError, match=rf"{name}: input must be 2-D \(N, C\), got shape "
                                         rf"\(2, 3, 4\)"):
        op(random_tensor((2, 3, 4)), numpy.array([0, 1]))


@pytest.mark.parametrize("op", [ops.mse_loss, ops.binary_cross_entropy_with_logits])
def test_target_shape_mismatch(op):
    with pytest.raises(ValueError, match=rf"{op.__name__}: target shape \(3, 1\) must equal "
                                         rf"input shape \(3, 4\)"):
        op(random_tensor((3, 4)), random_tensor((3, 1)))


@pytest.mark.parametrize("op,args", [
    (ops.cross_entropy, (numpy.array([0, 1]),)), (ops.nll_loss, (numpy.array([0, 1]),)),
    (ops.mse_loss, (numpy.zeros((2, 3)),)),
    (ops.binary_cross_entropy_with_logits, (numpy.zeros((2, 3)),))])
def test_unknown_reduction(op, args):
    with pytest.raises(ValueError, match=rf"{op.__name__}: reduction must be one of .* 'avg'"):
        op(random_tensor((2, 3)), *args, reduction="avg")
