"""Activations: values vs NumPy formulas, gradcheck, gradgradcheck; f', f'' vs finite differences."""
import numpy
import pytest

import minigrad
from minigrad import ops
from minigrad.ops.activation import LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from tests.helpers import check_op, random_tensor

SHAPES = [(1,), (1, 4), (3, 4), (2, 3, 4)]


def away_from_zero(shape, seed=0):
    """Entries with |x| uniform in [0.1, 2] and random signs (clear of the kink at 0)."""
    rng = numpy.random.default_rng(seed)
    values = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return minigrad.tensor(values, dtype=numpy.float64, requires_grad=True)


def numpy_sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def numpy_tanh(x):
    return (numpy.exp(x) - numpy.exp(-x)) / (numpy.exp(x) + numpy.exp(-x))


def numpy_softplus(x, beta=1.0, threshold=20.0):
    return numpy.where(beta * x > threshold, x, numpy.log(1 + numpy.exp(beta * x)) / beta)


SOFTPLUS_BELOW_AND_ABOVE = numpy.array([-30.0, -5.0, -0.5, 0.3, 4.0, 19.0, 21.0, 30.0])
SOFTPLUS_SMALL_THRESHOLD = numpy.array([-3.0, -1.0, 0.2, 1.2, 1.6, 3.0])  # β = 2, threshold 3

ELEMENTWISE = [
    ("relu", ops.relu, lambda x: numpy.maximum(x, 0)),
    ("leaky_relu", ops.leaky_relu, lambda x: numpy.where(x > 0, x, 0.01 * x)),
    ("leaky_relu_0.2", lambda x: ops.leaky_relu(x, negative_slope=0.2),
     lambda x: numpy.where(x > 0, x, 0.2 * x)),
    ("sigmoid", ops.sigmoid, numpy_sigmoid),
    ("tanh", ops.tanh, numpy_tanh),
    ("softplus", ops.softplus, numpy_softplus),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,op,reference", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_activations(name, op, reference, shape):
    check_op(op, [away_from_zero(shape, seed=len(shape))], reference)


@pytest.mark.parametrize("values,beta,threshold", [
    (SOFTPLUS_BELOW_AND_ABOVE, 1.0, 20.0), (SOFTPLUS_SMALL_THRESHOLD, 2.0, 3.0)])
def test_softplus_below_and_above_threshold(values, beta, threshold):
    x = minigrad.tensor(values, dtype=numpy.float64, requires_grad=True)
    check_op(lambda x: ops.softplus(x, beta=beta, threshold=threshold), [x],
             lambda x: numpy_softplus(x, beta, threshold))
    above = beta * values > threshold
    assert above.any() and (~above).any()
    numpy.testing.assert_array_equal(ops.softplus(x, beta, threshold).numpy()[above],
                                     values[above])


DERIVATIVES = [
    (ReLU, {}, lambda x, **kw: ops.relu(x)),
    (LeakyReLU, {"negative_slope": 0.2}, ops.leaky_relu),
    (Sigmoid, {}, lambda x, **kw: ops.sigmoid(x)),
    (Tanh, {}, lambda x, **kw: ops.tanh(x)),
    (Softplus, {}, ops.softplus),
    (Softplus, {"beta": 2.0, "threshold": 3.0}, ops.softplus),
]


@pytest.mark.parametrize("cls,params,op", DERIVATIVES,
                         ids=[f"{d[0].__name__}{d[1] or ''}" for d in DERIVATIVES])
def test_first_and_second_derivative_match_finite_differences(cls, params, op):
    x = away_from_zero((3, 5), seed=4)
    if cls is Softplus:
        x = minigrad.tensor(SOFTPLUS_BELOW_AND_ABOVE if not params else SOFTPLUS_SMALL_THRESHOLD)
    h, eps = x.data, 1e-5

    def f(values):
        return op(minigrad.tensor(values), **params).data

    first = cls.derivative(h, **params)
    second = cls.second_derivative(h, **params)
    numeric_first = (f(h + eps) - f(h - eps)) / (2 * eps)
    numeric_second = (cls.derivative(h + eps, **params)
                      - cls.derivative(h - eps, **params)) / (2 * eps)
    assert first.shape == h.shape and second.shape == h.shape
    numpy.testing.assert_allclose(minigrad.to_host(first), minigrad.to_host(numeric_first),
                                  rtol=1e-7, atol=1e-9)
    numpy.testing.assert_allclose(minigrad.to_host(second), minigrad.to_host(numeric_second),
                                  rtol=1e-6, atol=1e-9)


def test_derivatives_are_the_backward_of_the_op():
    x = away_from_zero((4, 3), seed=5)
    for cls, op in [(ReLU, ops.relu), (Sigmoid, ops.sigmoid), (Tanh, ops.tanh),
                    (Softplus, ops.softplus)]:
        (g,) = minigrad.grad(op(x).sum(), [x])
        numpy.testing.assert_allclose(g.numpy(), minigrad.to_host(cls.derivative(x.data)),
                                      rtol=1e-12)


def test_derivative_from_output_equals_derivative():
    x = random_tensor((4, 3), seed=6, low=-40.0, high=40.0)
    for cls, op in [(Sigmoid, ops.sigmoid), (Tanh, ops.tanh)]:
        numpy.testing.assert_array_equal(minigrad.to_host(cls.derivative_from_output(op(x).data)),
                                         minigrad.to_host(cls.derivative(x.data)))


def test_piecewise_linear_second_derivatives_are_zero():
    x = away_from_zero((5,), seed=6)
    assert not minigrad.to_host(ReLU.second_derivative(x.data)).any()
    assert not minigrad.to_host(LeakyReLU.second_derivative(x.data, 0.3)).any()


def test_kinks_take_the_left_derivative():
    x = minigrad.tensor(numpy.array([0.0]), requires_grad=True)
    assert minigrad.grad(ops.relu(x).sum(), [x])[0].item() == 0.0
    assert minigrad.grad(ops.leaky_relu(x, 0.1).sum(), [x])[0].item() == pytest.approx(0.1)


SOFTMAX_CASES = [((1, 5), -1), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1)]


def numpy_softmax(x, axis):
    e = numpy.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_softmax(shape, dim):
    check_op(lambda x: ops.softmax(x, dim), [random_tensor(shape, seed=2)],
             lambda x: numpy_softmax(x, dim))


@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_log_softmax(shape, dim):
    check_op(lambda x: ops.log_softmax(x, dim), [random_tensor(shape, seed=3)],
             lambda x: numpy.log(numpy_softmax(x, dim)))


def test_huge_inputs_give_finite_values_and_derivatives():
    x = minigrad.tensor(numpy.array([[-1000.0, 0.0, 1000.0]]), requires_grad=True)
    sigmoid = ops.sigmoid(x)
    numpy.testing.assert_array_equal(sigmoid.numpy(), [[0.0, 0.5, 1.0]])
    (g,) = minigrad.grad(sigmoid.sum(), [x], create_graph=True)
    (gg,) = minigrad.grad(g.sum(), [x])
    numpy.testing.assert_array_equal(g.numpy(), [[0.0, 0.25, 0.0]])
    assert numpy.isfinite(gg.numpy()).all()
    log_probs = ops.log_softmax(x, dim=1)
    numpy.testing.assert_array_equal(log_probs.numpy(), [[-2000.0, -1000.0, 0.0]])
    u = minigrad.tensor(numpy.array([[1.0, 2.0, 3.0]]))
    (g,) = minigrad.grad((log_probs * u).sum(), [x], create_graph=True)
    numpy.testing.assert_allclose(g.numpy(), [[1.0, 2.0, -3.0]])
    (gg,) = minigrad.grad((g * u).sum(), [x])
    assert numpy.isfinite(gg.numpy()).all()
    for cls in (Sigmoid, Tanh, Softplus):
        assert numpy.isfinite(minigrad.to_host(cls.derivative(x.data))).all()
        assert numpy.isfinite(minigrad.to_host(cls.second_derivative(x.data))).all()


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_propagates():
    x = minigrad.tensor(numpy.array([numpy.nan, 1.0]))
    for op in (ops.relu, ops.leaky_relu, ops.sigmoid, ops.tanh, ops.softplus, ops.softmax):
        assert numpy.isnan(op(x).numpy()[0]), op.__name__


@pytest.mark.parametrize("op", [ops.softmax, ops.log_softmax])
def test_softmax_dim_out_of_range(op):
    with pytest.raises(ValueError, match=rf"{op.__name__}: dim=2 .* shape \(3, 4\)"):
        op(random_tensor((3, 4)), dim=2)


def test_tensor_methods_use_the_ops():
    x = away_from_zero((2, 3), seed=7)
    for method, op in [("relu", ops.relu), ("sigmoid", ops.sigmoid), ("tanh", ops.tanh)]:
        numpy.testing.assert_array_equal(getattr(x, method)().numpy(), op(x).numpy())
