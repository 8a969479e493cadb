"""ClassSubspaceNewton(curvature="rayleigh"): λ_k = v_kᵀ H v_k, checked by finite differences."""
import numpy
import pytest

import minigrad
from optim.class_subspace import ClassSubspaceNewton
from tests.optim.curvature_doubles import gradient_at, tanh_classifier_closure


def make_closure():
    return tanh_classifier_closure(model_seed=3, data_seed=2, hidden=6)


def test_rayleigh_curvature_is_the_hessian_along_each_class_direction():
    closure = make_closure()
    theta = numpy.concatenate([p.numpy().ravel() for p in closure.params])
    class_gradients = minigrad.to_host(closure.class_gradients())
    expected = []
    for c in class_gradients:
        v = c / numpy.linalg.norm(c)
        eps = 1e-5
        hv = (gradient_at(closure, theta + eps * v) - gradient_at(closure, theta - eps * v)) / (
            2 * eps)
        expected.append(v @ hv)
    gradient_at(closure, theta)
    optimizer = ClassSubspaceNewton(closure.params, lr=0.1, curvature="rayleigh")
    optimizer.step(closure)
    measured = optimizer.state[closure.params[0]]["eigenvalues"]
    numpy.testing.assert_allclose(measured, expected, rtol=1e-6, atol=1e-9)
    # The paper's eq. 4 estimate differs from it: the option changes the step.
    other = make_closure()
    eq4 = ClassSubspaceNewton(other.params, lr=0.1)
    eq4.step(other)
    assert not numpy.allclose(eq4.state[other.params[0]]["eigenvalues"], expected, rtol=1e-2)


def test_unknown_curvature_is_refused():
    with pytest.raises(ValueError, match="ClassSubspaceNewton: invalid curvature='exact'"):
        ClassSubspaceNewton(make_closure().params, curvature="exact")


def unit(rows):
    return rows / numpy.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.skipif(minigrad.backend_name() != "numpy",
                    reason="host-only test: its reference computes with NumPy")
def test_second_step_measures_along_the_averaged_direction():
    closure = make_closure()
    optimizer = ClassSubspaceNewton(closure.params, lr=0.1, beta=0.6, curvature="rayleigh")
    first_rows = minigrad.to_host(closure.class_gradients())
    optimizer.step(closure)
    first = optimizer.state[closure.params[0]]["eigenvalues"].copy()
    theta = numpy.concatenate([p.numpy().ravel() for p in closure.params])
    second_rows = minigrad.to_host(closure.class_gradients())
    averaged = unit(0.6 * unit(first_rows) + 0.4 * unit(second_rows))
    eps, measured = 1e-5, []
    for v in averaged:
        hv = (gradient_at(closure, theta + eps * v) - gradient_at(closure, theta - eps * v)) / (
            2 * eps)
        measured.append(v @ hv)
    gradient_at(closure, theta)
    optimizer.step(closure)
    numpy.testing.assert_allclose(optimizer.state[closure.params[0]]["eigenvalues"],
                                  0.6 * first + 0.4 * numpy.asarray(measured), rtol=1e-6,
                                  atol=1e-9)
