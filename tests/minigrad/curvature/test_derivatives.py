"""Each module's derivative rules against autograd, from one table of cases (every rules class)."""
import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.backend import to_device
from minigrad.curvature.layerwise.derivatives import DERIVATIVES, Derivatives, derivatives_for
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, float64_models, host)

MODULE_CASES = [
    pytest.param(lambda: nn.Linear(3, 2), (2, 3), id="linear"),
    pytest.param(lambda: nn.Conv2d(2, 3, 2, stride=1, padding=1), (2, 2, 3, 3), id="conv"),
    pytest.param(nn.ReLU, (2, 5), id="relu"),
    pytest.param(lambda: nn.LeakyReLU(0.2), (2, 5), id="leaky_relu"),
    pytest.param(nn.Sigmoid, (2, 5), id="sigmoid"),
    pytest.param(nn.Tanh, (2, 5), id="tanh"),
    pytest.param(lambda: nn.Softplus(beta=2.0), (2, 5), id="softplus"),
    pytest.param(lambda: nn.MaxPool2d(2), (2, 2, 4, 4), id="maxpool"),
    pytest.param(lambda: nn.AvgPool2d(2, stride=1), (2, 1, 3, 3), id="avgpool"),
    pytest.param(lambda: nn.AdaptiveAvgPool2d(2), (2, 2, 3, 3), id="adaptive_avgpool"),
    pytest.param(nn.Flatten, (2, 2, 2, 2), id="flatten"),
    pytest.param(nn.Identity, (2, 3), id="identity"),
    pytest.param(lambda: nn.Dropout(0.5).eval(), (2, 3), id="dropout-eval"),
    pytest.param(lambda: nn.BatchNorm1d(3).eval(), (2, 3), id="batchnorm-eval"),
    pytest.param(lambda: nn.AdaptiveMaxPool2d(2), (2, 1, 4, 4), id="adaptive_maxpool"),
    pytest.param(lambda: nn.BatchNorm2d(2).eval(), (2, 2, 2, 2), id="batchnorm2d-eval"),
]
IDS = [case.id for case in MODULE_CASES]


def _module_case(name):
    index = IDS.index(name)
    build, shape = MODULE_CASES[index].values
    with float64_models(index):
        module = build()
    return module, _inputs(shape, index)


def _jacobians(module, x):
    """(N, out, in) per-sample Jacobians by one grad call per output entry."""
    leaf = minigrad.Tensor(x.data, requires_grad=True)
    flat = module(leaf).reshape(x.shape[0], -1)
    n, out = flat.shape
    rows = [host(minigrad.grad(flat[s, k], [leaf], retain_graph=True)[0].data)[s].ravel()
            for s in range(n) for k in range(out)]
    return numpy.array(rows).reshape(n, out, -1)


@pytest.mark.parametrize("name", IDS)
def test_jacobian_products_and_kfra_step(name):
    index = IDS.index(name)
    module, x = _module_case(name)
    rules = derivatives_for(module)
    out, recorded = rules.record_forward(module, x.data)
    J = _jacobians(module, x)
    n, out_size, in_size = J.shape
    rng = numpy.random.default_rng(index)
    M_in = rng.standard_normal((3, n, in_size))
    M_out = rng.standard_normal((3, n, out_size))
    forward = rules.jac_mat_prod(recorded, x.data, out, to_device(M_in).reshape((3,) + x.shape))
    numpy.testing.assert_allclose(host(forward).reshape(3, n, -1),
                                  numpy.einsum("noi,vni->vno", J, M_in), atol=1e-12)
    backward = rules.jac_t_mat_prod(recorded, x.data, out, to_device(M_out).reshape((3,) + out.shape))
    numpy.testing.assert_allclose(host(backward).reshape(3, n, -1),
                                  numpy.einsum("noi,vno->vni", J, M_out), atol=1e-12)
    G = rng.standard_normal((out_size, out_size))
    expected = numpy.einsum("noi,op,npj->ij", J, G, J) / n
    numpy.testing.assert_allclose(host(rules.average_sandwich(recorded, x.data, out, to_device(G))),
                                  expected, atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_residual_is_second_derivative_times_gradient(name):
    module, x = _module_case(name)
    rules = derivatives_for(module)
    g = _inputs(x.shape, 99)
    leaf = minigrad.Tensor(x.data, requires_grad=True)
    (first,) = minigrad.grad((module(leaf) * g).sum(), [leaf], create_graph=True)
    (second,) = minigrad.grad(first.sum(), [leaf])
    assert not rules.hessian_is_zero(module)
    numpy.testing.assert_allclose(host(rules.second_derivative_term(module, x.data, g.data)), host(second.data),
                                  atol=1e-12)


@pytest.mark.parametrize("name", ["linear", "conv", "batchnorm-eval"])
def test_parameter_jacobian_products(name):
    module, x = _module_case(name)
    rules = derivatives_for(module)
    out = module(x)
    flat = out.reshape(x.shape[0], -1)
    rng = numpy.random.default_rng(1)
    for param_name in rules.param_names(module):
        param = getattr(module, param_name)
        J = numpy.array([[host(minigrad.grad(flat[s, k], [param], retain_graph=True)[0].data).ravel()
                          for k in range(flat.shape[1])] for s in range(x.shape[0])])
        M = rng.standard_normal((2,) + tuple(out.shape))
        expected = numpy.einsum("nop,vno->vnp", J, M.reshape(2, x.shape[0], -1))
        result = rules.param_jac_t_mat_prod(module, x.data, out.data, to_device(M), param_name)
        numpy.testing.assert_allclose(host(result).reshape(expected.shape), expected, atol=1e-12)
        summed = rules.param_jac_t_mat_prod(module, x.data, out.data, to_device(M), param_name,
                                            sum_samples=True)
        numpy.testing.assert_allclose(host(summed).reshape(2, -1), expected.sum(1), atol=1e-12)
        V_p = rng.standard_normal((2,) + param.shape)
        forward = rules.param_jac_mat_prod(module, x.data, out.data, to_device(V_p), param_name)
        numpy.testing.assert_allclose(host(forward).reshape(2, x.shape[0], -1),
                                      numpy.einsum("nop,vp->vno", J, V_p.reshape(2, -1)),
                                      atol=1e-12)


def _second_derivative_term_by_double_backward(module, x, g):
    """(N·D, N·D): the Hessian in x of Σ g ⊙ module(x), by differentiating its gradient again."""
    leaf = minigrad.Tensor(x.data, requires_grad=True)
    (first,) = minigrad.grad((module(leaf) * g).sum(), [leaf], create_graph=True)
    size = x.data.size
    if not first.requires_grad:
        return numpy.zeros((size, size))
    flat = first.reshape(-1)
    rows = []
    for i in range(size):
        (row,) = minigrad.grad(flat[i], [leaf], retain_graph=True, allow_unused=True)
        rows.append(numpy.zeros(size) if row is None else host(row.data).ravel())
    return numpy.array(rows)


@pytest.mark.parametrize("name", IDS)
def test_second_derivative_term_against_double_backward(name):
    module, x = _module_case(name)
    rules = derivatives_for(module)
    out, recorded = rules.record_forward(module, x.data)
    g = _inputs(out.shape, 99)
    expected = _second_derivative_term_by_double_backward(module, x, g)
    if rules.hessian_is_zero(module):
        numpy.testing.assert_allclose(expected, 0.0, atol=1e-12)
        return
    term = host(rules.second_derivative_term(recorded, x.data, g.data)).ravel()
    numpy.testing.assert_allclose(expected, numpy.diag(term), atol=1e-12)


def test_every_rules_class_is_in_the_table():
    covered = {type(derivatives_for(_module_case(name)[0])) for name in IDS}
    assert covered == {type(rules) for rules in DERIVATIVES.values()}


def test_a_rules_class_without_hessian_is_zero_is_refused():
    with pytest.raises(TypeError, match="SquareDerivatives must declare hessian_is_zero"):
        class SquareDerivatives(Derivatives):
            def jac_mat_prod(self, module, x, out, M):
                return 2 * x * M

            jac_t_mat_prod = jac_mat_prod


def test_dropout_in_training_is_the_recorded_mask():
    module, x = nn.Dropout(0.5), _inputs((3, 4), 0)
    rules = derivatives_for(module)
    out, frozen = rules.record_forward(module, x.data)
    numpy.testing.assert_allclose(host(out), host(x.data * frozen.scale))
    M = _inputs((2, 3, 4), 1).data
    numpy.testing.assert_allclose(host(rules.jac_t_mat_prod(frozen, x.data, out, M)),
                                  host(M * frozen.scale))
