"""Exact Hessian- and Gauss-Newton-vector products against independent references (float64).

* ``hvp`` vs central differences of the gradient, and the dense ``hessian`` vs
  the finite-difference Hessian (relative error < 1e-6);
* ``hessian`` is symmetric and its columns are ``hvp(e_k)``;
* ``ggnvp`` vs ``Jᵀ H_z J`` assembled from the explicit output Jacobian and the
  closed-form loss Hessian (< 1e-10), including batch norm in training mode;
* GN = Hessian for one linear layer under MSE; the products leave buffers alone.
"""
import numpy
import pytest

import minigrad
from minigrad.curvature import (GaussNewtonProduct, HessianProduct, arrays_to_vector,
                                flat_gradient, ggnvp, hessian, hvp, hvp_fd, num_parameters,
                                vector_to_arrays)
from tests.minigrad.curvature.matrix_free_cases import (CASES, build, finite_difference_hessian,
                                                        linear_mse_case, loss_hessian,
                                                        output_jacobian, random_direction,
                                                        relative_error)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hvp_matches_central_differences_of_the_gradient(name):
    model, loss_fn, x, y = build(name)
    v = random_direction(model)
    assert relative_error(hvp(model, loss_fn, x, y, v), hvp_fd(model, loss_fn, x, y, v)) < 1e-6


@pytest.mark.parametrize("name", sorted(CASES))
def test_dense_hessian_matches_finite_difference_hessian(name):
    model, loss_fn, x, y = build(name)
    exact = hessian(model, loss_fn, x, y)
    assert relative_error(exact, finite_difference_hessian(model, loss_fn, x, y)) < 1e-6


def test_hessian_is_symmetric_and_its_columns_are_hvps():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    dense = minigrad.to_host(hessian(model, loss_fn, x, y))
    assert relative_error(dense, dense.T) < 1e-12
    for k in (0, 7, dense.shape[0] - 1):
        unit = numpy.zeros(dense.shape[0])
        unit[k] = 1.0
        column = hvp(model, loss_fn, x, y, minigrad.tensor(unit, dtype=numpy.float64).data)
        assert relative_error(column, dense[:, k]) < 1e-10


@pytest.mark.parametrize("name", sorted(CASES))
def test_ggnvp_matches_explicit_jacobian_sandwich(name):
    model, loss_fn, x, y = build(name)
    jacobian, z = output_jacobian(model, x)
    gauss_newton = jacobian.T @ loss_hessian(loss_fn, z) @ jacobian
    v = random_direction(model)
    expected = gauss_newton @ minigrad.to_host(v)
    assert relative_error(ggnvp(model, loss_fn, x, y, v), expected) < 1e-10


def test_gauss_newton_equals_hessian_for_a_linear_model_with_mse():
    model, loss_fn, x, y = linear_mse_case(4)
    for seed in range(3):
        v = random_direction(model, seed)
        assert relative_error(ggnvp(model, loss_fn, x, y, v), hvp(model, loss_fn, x, y, v)) < 1e-12


def test_a_product_object_reuses_its_graph_for_many_vectors():
    model, loss_fn, x, y = build("conv_batch_norm_cross_entropy")
    hessian_product = HessianProduct(model, loss_fn, x, y)
    gauss_newton_product = GaussNewtonProduct(model, loss_fn, x, y)
    for seed in range(3):
        v = random_direction(model, seed)
        assert relative_error(hessian_product(v), hvp(model, loss_fn, x, y, v)) < 1e-12
        assert relative_error(gauss_newton_product(v), ggnvp(model, loss_fn, x, y, v)) < 1e-12


def test_apply_takes_and_returns_parameter_shaped_lists():
    model, loss_fn, x, y = build("tanh_mse")
    params = list(model.parameters())
    v = random_direction(model)
    pieces = HessianProduct(model, loss_fn, x, y).apply(vector_to_arrays(v, params))
    assert [piece.shape for piece in pieces] == [p.shape for p in params]
    assert relative_error(arrays_to_vector(pieces), hvp(model, loss_fn, x, y, v)) < 1e-12


def test_products_leave_batch_norm_running_statistics_unchanged():
    model, loss_fn, x, y = build("conv_batch_norm_cross_entropy")
    before = [minigrad.to_host(b).copy() for _, b in model.named_buffers()]
    v = random_direction(model)
    hvp(model, loss_fn, x, y, v)
    ggnvp(model, loss_fn, x, y, v)
    flat_gradient(model, loss_fn, x, y)
    after = [minigrad.to_host(b) for _, b in model.named_buffers()]
    assert all(numpy.array_equal(a, b) for a, b in zip(before, after))
    model(x)
    assert not numpy.array_equal(minigrad.to_host(model[1].running_mean), before[0])


def test_flatten_and_unflatten_round_trip_in_row_major_order():
    model, _, _, _ = build("tanh_mse")
    params = list(model.parameters())
    flat = arrays_to_vector(params)
    assert num_parameters(params) == 4 * 5 + 5 + 5 * 3 + 3
    assert flat.shape == (num_parameters(params),)
    assert numpy.array_equal(minigrad.to_host(flat[:params[0].numel()]),
                             minigrad.to_host(params[0].data).ravel())
    for piece, p in zip(vector_to_arrays(flat, params), params):
        assert numpy.array_equal(minigrad.to_host(piece), minigrad.to_host(p.data))


def test_wrong_vector_shapes_are_rejected_with_the_shapes_named():
    model, loss_fn, x, y = build("tanh_mse")
    with pytest.raises(ValueError, match=r"shape \(\d+,\)"):
        hvp(model, loss_fn, x, y, numpy.zeros(3))
    with pytest.raises(ValueError, match="parameter 0"):
        HessianProduct(model, loss_fn, x, y).apply([p.data[:1] for p in model.parameters()])
