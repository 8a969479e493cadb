"""Test doubles of the curvature closure (``minigrad.curvature.Closure``'s contract).

``QuadraticClosure``: ``f(θ) = ½ θᵀAθ − bᵀθ`` over parameters of given shapes
(θ is their row-major concatenation), with exact products ``hvp(v) = A v`` and
``ggnvp(v) = G v`` (G = A unless given), served as the operators of
``hessian_product()`` / ``gauss_newton_product()``, and a switch that makes the
loss non-finite. ``FunctionClosure``: any smooth function given by its value,
gradient and Hessian as NumPy callables. ``LinearRegressionClosure``: a real
``nn.Linear`` with ``nn.MSELoss`` (a ``ModelClosure``); its Kronecker factors are computed here
independently with NumPy (``Ā = (1/N) Σ ã ãᵀ`` with ``ã = [a, 1]`` and
``Ḡ = (2/out) I``, the per-sample Hessian of PyTorch's ``MSELoss`` mean
over outputs), so for this model ``Ḡ ⊗ Ā`` is the exact Gauss-Newton matrix.
``tanh_classifier_closure`` is a real ``Closure`` of a small float64 tanh classifier, and
``gradient_at`` its flat gradient at given flat parameters, for finite differences.
"""
import collections
import re

import numpy
import pytest

import minigrad
from minigrad import curvature, nn
from minigrad.curvature import KroneckerFactors
from optim.parameter_vectors import arrays_to_vector, vector_to_arrays

SHAPES = [(2, 3), (4,)]


class FunctionClosure:
    """A closure for ``f(θ)`` given by NumPy callables ``value``, ``gradient``, ``hessian``."""

    def __init__(self, value, gradient, hessian, theta, shapes=None):
        theta = numpy.asarray(theta, dtype=numpy.float64)
        shapes = shapes or [theta.shape]
        self.params = [nn.Parameter(minigrad.tensor(piece.copy()))
                       for piece in vector_to_arrays(theta, shapes)]
        self.value, self.gradient, self.hessian = value, gradient, hessian
        self.diverged = False
        self.calls = collections.Counter()

    @property
    def theta(self):
        return arrays_to_vector([p.data for p in self.params])

    def _value(self):
        return numpy.nan if self.diverged else float(self.value(self.theta))

    def __call__(self):
        self.calls["gradient"] += 1
        for p, piece in zip(self.params, vector_to_arrays(self.gradient(self.theta),
                                                   [p.shape for p in self.params])):
            p.grad = minigrad.tensor(piece.copy())
        return minigrad.tensor(self._value())

    def loss_value(self):
        self.calls["loss_value"] += 1
        return self._value()

    def _product(self, matrix, vectors):
        self.calls["product"] += 1
        return vector_to_arrays(matrix @ arrays_to_vector(vectors), [p.shape for p in self.params])

    def hvp(self, vectors):
        return self._product(self.hessian(self.theta), vectors)

    def ggnvp(self, vectors):
        return self._product(self.hessian(self.theta), vectors)

    def _operator(self, multiply, backward):
        return ListProduct(multiply, self() if backward else minigrad.tensor(self._value()))

    def hessian_product(self, backward=True):
        return self._operator(self.hvp, backward)

    def gauss_newton_product(self, backward=True):
        return self._operator(self.ggnvp, backward)


class ListProduct:
    """The curvature operator of a test closure: ``apply`` is one of its product methods."""

    def __init__(self, multiply, loss):
        self.multiply, self.loss = multiply, loss

    def apply(self, vectors, retain_graph=True):
        return self.multiply(vectors)


class QuadraticClosure(FunctionClosure):
    """``f(θ) = ½ θᵀAθ − bᵀθ``; ``ggnvp`` multiplies by ``G`` (default A)."""

    def __init__(self, A, b, theta, shapes=None, G=None):
        self.A, self.b = A, b
        self.G = A if G is None else G
        super().__init__(lambda t: 0.5 * t @ A @ t - b @ t, lambda t: A @ t - b, lambda t: A,
                         theta, shapes)

    def ggnvp(self, vectors):
        return self._product(self.G, vectors)


class ModelClosure:
    """An ``nn`` model, a loss and fixed data: ``__call__`` (loss and grads) and ``loss_value``."""

    def __init__(self, model, loss_fn, inputs, targets):
        self.model, self.loss_fn = model, loss_fn
        self.x, self.y = minigrad.tensor(inputs), minigrad.tensor(targets)
        self.params = list(model.parameters())

    @property
    def theta(self):
        return arrays_to_vector([p.data for p in self.params])

    def __call__(self):
        for p in self.params:
            p.grad = None
        output = self.model(self.x)
        loss = self.loss_fn(output, self.y)
        loss.backward()
        self.latest_output = output.detach()
        return loss

    def loss_value(self):
        with minigrad.no_grad():
            return float(self.loss_fn(self.model(self.x), self.y).item())


class LinearRegressionClosure(ModelClosure):
    """``nn.Linear(in, out)`` with ``nn.MSELoss`` on fixed data; exact NumPy Kronecker factors."""

    def __init__(self, inputs, targets, seed=0, bias=True):
        nn.init.manual_seed(seed)
        model = nn.Linear(inputs.shape[1], targets.shape[1], bias=bias)
        for p in model.parameters():
            p.data = p.data.astype(numpy.float64)
        super().__init__(model, nn.MSELoss(), inputs, targets)
        self.bias = bias

    def with_data(self, inputs, targets):
        """A closure on other data sharing this one's model and parameters."""
        other = object.__new__(LinearRegressionClosure)
        other.__dict__.update(self.__dict__)
        other.x, other.y = minigrad.tensor(inputs), minigrad.tensor(targets)
        return other

    def kronecker_factors(self, kind, mc_samples=1, seed=None):
        a = self.x.numpy()
        if self.bias:
            a = numpy.concatenate([a, numpy.ones((a.shape[0], 1))], axis=1)
        out = self.y.shape[1]
        return [KroneckerFactors(self.params, a.T @ a / a.shape[0], 2.0 / out * numpy.eye(out))]


def least_squares(x, y):
    """``(W, b)`` minimising the mean squared error of ``x Wᵀ + b`` against ``y`` (NumPy lstsq)."""
    design = numpy.concatenate([x, numpy.ones((len(x), 1))], axis=1)
    solution = numpy.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1].T, solution[-1]


def assert_one_step_solves_least_squares(make_optimizer, seed, rtol=1e-8, atol=0.0):
    """One step over a real ``minigrad.curvature.Closure`` of linear MSE lands on the lstsq solution."""
    from minigrad.curvature import Closure
    rng = numpy.random.default_rng(seed)
    x, y = rng.standard_normal((12, 3)), rng.standard_normal((12, 2))
    model = LinearRegressionClosure(x, y).model
    closure = Closure(model, nn.MSELoss(), minigrad.tensor(x), minigrad.tensor(y))
    make_optimizer(closure.params).step(closure)
    weight, bias = least_squares(x, y)
    numpy.testing.assert_allclose(model.weight.numpy(), weight, rtol=rtol, atol=atol)
    numpy.testing.assert_allclose(model.bias.numpy(), bias, rtol=rtol, atol=atol)


def spd_quadratic(seed=0, n=10):
    """``(A, b, θ₀)``: a random symmetric positive definite A (eigenvalues ≥ 0.3) and vectors."""
    rng = numpy.random.default_rng(seed)
    q = rng.standard_normal((n, n))
    return q @ q.T / n + 0.3 * numpy.eye(n), rng.standard_normal(n), rng.standard_normal(n)


def assert_rejects_argument(optimizer_class, kwargs, argument):
    """Building ``optimizer_class`` with ``kwargs`` raises ``ValueError`` naming ``argument``."""
    closure = QuadraticClosure(numpy.eye(2), numpy.ones(2), numpy.zeros(2))
    with pytest.raises(ValueError, match=re.escape(f"invalid {argument}=")):
        optimizer_class(closure.params, **kwargs)


def rosenbrock(theta):
    x, y = theta[0::2], theta[1::2]
    return float(numpy.sum((1 - x) ** 2 + 100 * (y - x ** 2) ** 2))


def rosenbrock_gradient(theta):
    x, y = theta[0::2], theta[1::2]
    grad = numpy.empty_like(theta)
    grad[0::2] = -2 * (1 - x) - 400 * x * (y - x ** 2)
    grad[1::2] = 200 * (y - x ** 2)
    return grad


def rosenbrock_hessian(theta):
    x, y = theta[0::2], theta[1::2]
    hessian = numpy.zeros((theta.size, theta.size))
    even = numpy.arange(0, theta.size, 2)
    hessian[even, even] = 2 - 400 * (y - x ** 2) + 800 * x ** 2
    hessian[even, even + 1] = hessian[even + 1, even] = -400 * x
    hessian[even + 1, even + 1] = 200
    return hessian


def rosenbrock_closure(theta=(-1.2, 1.0, -0.5, 0.8), shapes=((2,), (2,))):
    """Extended Rosenbrock (pairs (x, y)): minimum 0 at all ones, Hessian indefinite in places."""
    return FunctionClosure(rosenbrock, rosenbrock_gradient, rosenbrock_hessian, theta,
                           [tuple(s) for s in shapes])


def assert_decreases_rosenbrock(make_optimizer, steps, factor=1e-2):
    """``steps`` steps from ``rosenbrock_closure()`` bring the loss below ``factor`` × its start."""
    closure = rosenbrock_closure()
    start = rosenbrock(closure.theta)
    optimizer = make_optimizer(closure.params)
    for _ in range(steps):
        optimizer.step(closure)
    assert rosenbrock(closure.theta) < factor * start


def quadratic_finite_only_near(A, b, theta, distance, outside):
    """``½ θᵀAθ − bᵀθ`` within ``distance`` (max-norm) of ``theta``, ``outside`` (NaN/inf) beyond."""
    def value(t):
        return 0.5 * t @ A @ t - b @ t if numpy.abs(t - theta).max() < distance else outside
    return FunctionClosure(value, lambda t: A @ t - b, lambda t: A, theta)


def assert_state_dict_round_trip(make_closure, make_optimizer, steps=3):
    """Saving after ``steps`` steps and loading into a fresh optimizer reproduces the next steps."""
    closure = make_closure()
    optimizer = make_optimizer(closure.params)
    for _ in range(steps):
        optimizer.step(closure)
    saved_theta = closure.theta.copy()
    saved_state = optimizer.state_dict()
    expected = []
    for _ in range(steps):
        optimizer.step(closure)
        expected.append(closure.theta.copy())
    resumed = make_closure()
    for p, piece in zip(resumed.params, vector_to_arrays(saved_theta, [p.shape for p in resumed.params])):
        p.data = piece.copy()
    fresh = make_optimizer(resumed.params)
    fresh.load_state_dict(saved_state)
    for want in expected:
        fresh.step(resumed)
        numpy.testing.assert_array_equal(resumed.theta, want)
    assert expected[-1].tolist() != saved_theta.tolist(), "the optimizer did not move"


class ClassificationClosure(ModelClosure):
    """A small ``nn`` classifier with cross-entropy; ``class_gradients`` by autodiff.

    Row k of ``class_gradients()`` is ``c_k = (1/|D_k|) Σ_{μ∈D_k} ∇z_k^μ``
    (Tuddenham, Prügel-Bennett & Hare 2020, eq. 1) over the batch examples of class
    k (zero for a class absent from the batch).
    """

    def __init__(self, model, inputs, labels):
        super().__init__(model, nn.CrossEntropyLoss(), inputs, labels)

    def class_gradients(self):
        logits = self.model(self.x)
        labels = self.y.numpy()
        rows = []
        for k in range(logits.shape[1]):
            members = numpy.flatnonzero(labels == k)
            if members.size == 0:
                rows.append(numpy.zeros(sum(p.numel() for p in self.params)))
                continue
            selected = logits[members.tolist(), k].mean()
            grads = minigrad.grad(selected, self.params, retain_graph=True)
            rows.append(arrays_to_vector([g.data for g in grads]))
        return numpy.stack(rows)


class CountingModel(nn.Module):
    """``model`` with a count of its forward passes (``forwards``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.forwards = 0

    def forward(self, x):
        self.forwards += 1
        return self.model(x)


def counted_batch_norm_closure(seed=0, n=12):
    """A real ``Closure`` over a float64 MLP with batch norm in training mode, forwards counted."""
    from minigrad.curvature import Closure
    nn.init.manual_seed(0)
    model = CountingModel(nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Tanh(),
                                        nn.Linear(6, 3)))
    for p in model.parameters():
        p.data = p.data.astype(numpy.float64)
    return Closure(model, nn.CrossEntropyLoss(), *classification_batch(seed, n))


def classification_batch(seed, n=12):
    rng = numpy.random.default_rng(seed)
    return minigrad.tensor(rng.standard_normal((n, 4))), minigrad.tensor(numpy.arange(n) % 3)


def running_statistics(model):
    return [minigrad.to_host(b).copy() for _, b in model.named_buffers()]


def assert_one_forward_per_evaluation(make_optimizer, curvature_batch=False):
    """One step costs one forward for gradient and curvature, plus one for the trial loss.

    Batch-norm running statistics move exactly as after one ``closure()``; a
    curvature closure on another batch costs one more forward and leaves the
    grads and the buffers alone.
    """
    from minigrad.curvature import Closure
    closure = counted_batch_norm_closure()
    reference = counted_batch_norm_closure()
    reference()
    step_arguments = {}
    if curvature_batch:
        step_arguments["curvature_closure"] = Closure(closure.model, closure.loss_fn,
                                                      *classification_batch(seed=1))
    make_optimizer(closure.params).step(closure, **step_arguments)
    assert closure.model.forwards == (3 if curvature_batch else 2)
    for mine, want in zip(running_statistics(closure.model), running_statistics(reference.model)):
        numpy.testing.assert_allclose(mine, want, rtol=1e-14)


def tanh_classifier_closure(model_seed, data_seed, hidden, n=12):
    """``Closure`` of a float64 ``Linear(4, hidden) → Tanh → Linear(hidden, 3)`` with
    cross-entropy on ``n`` standard-normal inputs labelled ``i mod 3``."""
    nn.init.manual_seed(model_seed)
    model = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 3))
    for p in model.parameters():
        p.data = p.data.astype(numpy.float64)
    rng = numpy.random.default_rng(data_seed)
    return curvature.Closure(model, nn.CrossEntropyLoss(), minigrad.tensor(
        rng.standard_normal((n, 4))), minigrad.tensor(numpy.arange(n) % 3))


def gradient_at(closure, theta):
    """The flat gradient of ``closure`` at the flat parameters ``theta`` (left set to them)."""
    offset = 0
    for p in closure.params:
        p.data = theta[offset:offset + p.numel()].reshape(p.shape).copy()
        offset += p.numel()
    closure()
    return numpy.concatenate([p.grad.numpy().ravel() for p in closure.params])
