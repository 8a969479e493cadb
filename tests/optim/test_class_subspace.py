"""ClassSubspaceNewton: update (6) of Tuddenham, Prügel-Bennett & Hare (2020) against NumPy."""
import numpy
import pytest

from minigrad import nn
from optim.class_subspace import ClassSubspaceNewton, one_hot
from tests.optim.curvature_doubles import ClassificationClosure, assert_state_dict_round_trip


def make_closure(seed=0, n=9, batch_seed=1):
    nn.init.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    for p in model.parameters():
        p.data = p.data.astype(numpy.float64)
    rng = numpy.random.default_rng(batch_seed)
    return ClassificationClosure(model, rng.standard_normal((n, 4)), numpy.arange(n) % 3)


def numpy_quantities(closure):
    """g, v_k and λ_k (eqs. 1–4) computed directly with NumPy."""
    closure()
    g = closure.theta * 0
    g[:] = numpy.concatenate([p.grad.numpy().ravel() for p in closure.params])
    C = closure.class_gradients()
    logits = closure.model(closure.x).numpy()
    p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = numpy.eye(3)[closure.y.numpy()]
    norms = numpy.linalg.norm(C, axis=1)
    lam = numpy.array([numpy.mean(y[:, k] * p[:, k] * (1 - p[:, k])) * norms[k] ** 2
                       for k in range(3)])
    return g, C / numpy.where(norms > 0, norms, 1)[:, None], lam


def equation_6(theta, g, v, lam, lr):
    update = theta - lr * g
    for k in range(len(lam)):
        update = update - (1 / lam[k] - lr) * (v[k] @ g) * v[k]
    return update


def test_first_step_is_equation_6():
    closure = make_closure()
    theta = closure.theta.copy()
    g, v, lam = numpy_quantities(closure)
    ClassSubspaceNewton(closure.params, lr=0.05).step(closure)
    numpy.testing.assert_allclose(closure.theta, equation_6(theta, g, v, lam, 0.05), rtol=1e-10)


def test_second_step_uses_moving_averages_of_v_and_lambda():
    closure = make_closure(seed=1)
    optimizer = ClassSubspaceNewton(closure.params, lr=0.05, beta=0.7)
    _, v1, lam1 = numpy_quantities(closure)
    optimizer.step(closure)
    theta = closure.theta.copy()
    g2, v2, lam2 = numpy_quantities(closure)
    optimizer.step(closure)
    v = 0.7 * v1 + 0.3 * v2
    v /= numpy.linalg.norm(v, axis=1, keepdims=True)
    lam = 0.7 * lam1 + 0.3 * lam2
    numpy.testing.assert_allclose(closure.theta, equation_6(theta, g2, v, lam, 0.05), rtol=1e-10)


def test_newton_in_the_subspace_sgd_in_the_complement():
    closure = make_closure(seed=2)
    theta = closure.theta.copy()
    g, v, lam = numpy_quantities(closure)
    ClassSubspaceNewton(closure.params, lr=0.1, damping=0.5).step(closure)
    step = closure.theta - theta
    q, _ = numpy.linalg.qr(v.T)
    complement = numpy.eye(len(g)) - q @ q.T
    overlap = v @ v.T
    expected_in_span = -0.1 * v @ g - overlap @ ((1 / (lam + 0.5) - 0.1) * (v @ g))
    numpy.testing.assert_allclose(v @ step, expected_in_span, rtol=1e-9)
    numpy.testing.assert_allclose(complement @ step, -0.1 * complement @ g, atol=1e-12)


def test_absent_class_is_left_out_of_the_subspace():
    closure = make_closure(seed=3)
    closure.y.data = numpy.array([0, 1, 0, 1, 0, 1, 0, 1, 0])
    theta = closure.theta.copy()
    g, v, lam = numpy_quantities(closure)
    assert lam[2] == 0
    ClassSubspaceNewton(closure.params, lr=0.05).step(closure)
    numpy.testing.assert_allclose(closure.theta, equation_6(theta, g, v[:2], lam[:2], 0.05),
                                  rtol=1e-10)


def test_one_hot_accepts_indices_and_rows():
    numpy.testing.assert_array_equal(one_hot(numpy.array([2, 0]), 3, "t"), [[0, 0, 1], [1, 0, 0]])
    rows = numpy.eye(3)[[1, 2]]
    assert one_hot(rows, 3, "t") is rows
    with pytest.raises(ValueError, match="class indices"):
        one_hot(numpy.zeros((2, 2, 2)), 3, "t")


def test_state_dict_round_trip():
    assert_state_dict_round_trip(make_closure,
                                 lambda params: ClassSubspaceNewton(params, lr=0.05, beta=0.8,
                                                                    damping=0.1))


@pytest.mark.parametrize("kwargs", [dict(lr=0), dict(beta=1.0), dict(damping=-1.0)])
def test_rejects_bad_hyper_parameters(kwargs):
    with pytest.raises(ValueError):
        ClassSubspaceNewton(make_closure().params, **kwargs)


def test_batch_norm_statistics_move_once_per_step():
    from tests.optim.curvature_doubles import counted_batch_norm_closure, running_statistics
    closure, reference = counted_batch_norm_closure(), counted_batch_norm_closure()
    reference()
    ClassSubspaceNewton(closure.params, lr=0.1, damping=1.0).step(closure)
    for mine, want in zip(running_statistics(closure.model), running_statistics(reference.model)):
        numpy.testing.assert_allclose(mine, want, rtol=1e-14)
