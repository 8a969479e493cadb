"""Flat parameter vectors, the curvature operator and the shared argument checks."""
import numpy
import pytest

import minigrad
from optim.line_search import cubic_interpolate
from optim.optimizer import require_positive_integer
from optim.parameter_vectors import (add_to_parameters, check_closure_parameters,
                                     curvature_operator, finite, arrays_to_vector, gradient_vector,
                                     restore, snapshot, vector_to_arrays)
from tests.optim.curvature_doubles import QuadraticClosure


def test_flatten_is_row_major_and_unflatten_inverts_it():
    arrays = [numpy.arange(6.0).reshape(2, 3), numpy.array([6.0, 7.0])]
    vector = arrays_to_vector(arrays)
    numpy.testing.assert_array_equal(vector, numpy.arange(8.0))
    for got, want in zip(vector_to_arrays(vector, [(2, 3), (2,)]), arrays):
        numpy.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="8 entries but the shapes"):
        vector_to_arrays(vector, [(2, 3)])


def test_gradient_vector_names_parameters_without_grad():
    closure = QuadraticClosure(numpy.eye(3), numpy.ones(3), numpy.zeros(3), [(2,), (1,)])
    with pytest.raises(RuntimeError, match=r"owner: parameters \[0, 1\] have no .grad"):
        gradient_vector(closure.params, "owner")
    closure()
    numpy.testing.assert_array_equal(gradient_vector(closure.params, "owner"), -numpy.ones(3))


def test_add_snapshot_restore():
    closure = QuadraticClosure(numpy.eye(3), numpy.ones(3), numpy.zeros(3), [(2,), (1,)])
    saved = snapshot(closure.params)
    add_to_parameters(closure.params, numpy.array([1.0, 2.0, 3.0]), scale=0.5)
    numpy.testing.assert_array_equal(closure.theta, [0.5, 1.0, 1.5])
    restore(closure.params, saved)
    numpy.testing.assert_array_equal(closure.theta, numpy.zeros(3))


def test_curvature_operator_multiplies_by_the_chosen_matrix():
    A, G = numpy.diag([1.0, 2.0, 3.0]), numpy.diag([4.0, 5.0, 6.0])
    closure = QuadraticClosure(A, numpy.zeros(3), numpy.ones(3), [(2,), (1,)], G=G)
    v = numpy.array([1.0, -1.0, 2.0])
    numpy.testing.assert_array_equal(curvature_operator(closure, "hessian", closure.params)(v),
                                     A @ v)
    numpy.testing.assert_array_equal(curvature_operator(closure, "ggn", closure.params)(v), G @ v)


def test_check_closure_parameters_rejects_other_parameters():
    closure = QuadraticClosure(numpy.eye(2), numpy.ones(2), numpy.zeros(2))
    other = QuadraticClosure(numpy.eye(2), numpy.ones(2), numpy.zeros(2))
    check_closure_parameters(closure, closure.params, "owner")
    with pytest.raises(ValueError, match="owner: the closure differentiates 1 parameters"):
        check_closure_parameters(closure, other.params, "owner")


def test_finite():
    assert finite(1.0) and not finite(float("nan")) and not finite(float("inf"))
    assert not finite(minigrad.tensor(numpy.inf).item())


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_require_positive_integer_rejects(value):
    with pytest.raises(ValueError, match=r"Owner: invalid count="):
        require_positive_integer("Owner", "count", value)


def test_cubic_interpolate_recovers_the_minimiser_of_a_cubic():
    """f(x) = x³ − 3x has its local minimiser at x = 1; interpolate from x = 0 and x = 2."""
    f, df = (lambda x: x ** 3 - 3 * x), (lambda x: 3 * x ** 2 - 3)
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0)) == pytest.approx(1.0)
    assert cubic_interpolate(2.0, f(2.0), df(2.0), 0.0, f(0.0), df(0.0)) == pytest.approx(1.0)
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0),
                             bounds=(1.5, 1.8)) == 1.5
