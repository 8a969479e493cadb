"""``nn.init`` initialisers with PyTorch's formulas, and ``nn.utils.clip_grad_norm_`` /
``clip_grad_value_`` with PyTorch's semantics."""
import math

import numpy
import pytest

import minigrad
from minigrad import nn


def drawn(seed, fill):
    """The draws ``fill(generator)`` that a seeded initialiser must have used."""
    return fill(numpy.random.default_rng(seed))


@pytest.mark.parametrize("shape", [(20, 30), (8, 3, 5, 5)])
def test_xavier_bounds_and_stds(shape):
    fan_in, fan_out = shape[1] * int(numpy.prod(shape[2:])), shape[0] * int(numpy.prod(shape[2:]))
    w = minigrad.zeros(*shape, dtype=numpy.float64, requires_grad=True)
    minigrad.manual_seed(1)
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    numpy.testing.assert_array_equal(w.numpy(), drawn(1, lambda g: g.uniform(-bound, bound, shape)))
    minigrad.manual_seed(2)
    nn.init.xavier_normal_(w)
    std = math.sqrt(2.0 / (fan_in + fan_out))
    numpy.testing.assert_array_equal(w.numpy(), drawn(2, lambda g: g.normal(0.0, std, shape)))
    assert w.is_leaf and w.requires_grad


@pytest.mark.parametrize("a, mode, nonlinearity, gain", [
    (0, "fan_in", "leaky_relu", math.sqrt(2.0 / (1 + 0.0))),
    (0.2, "fan_out", "leaky_relu", math.sqrt(2.0 / (1 + 0.04))),
    (0, "fan_in", "relu", math.sqrt(2.0)), (0, "fan_out", "tanh", 5.0 / 3),
    (0, "fan_in", "linear", 1.0), (0, "fan_in", "selu", 0.75)])
def test_kaiming_bounds_and_stds(a, mode, nonlinearity, gain):
    shape = (6, 4, 3, 3)
    fan = (4 if mode == "fan_in" else 6) * 9
    w = nn.Conv2d(4, 6, 3).weight
    w.data = w.data.astype(numpy.float64)
    minigrad.manual_seed(3)
    nn.init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = gain * math.sqrt(3.0 / fan)
    numpy.testing.assert_allclose(w.numpy(), drawn(3, lambda g: g.uniform(-bound, bound, shape)),
                                  rtol=1e-15)
    minigrad.manual_seed(4)
    nn.init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    numpy.testing.assert_allclose(w.numpy(), drawn(4, lambda g: g.normal(0, gain / math.sqrt(fan),
                                                                          shape)), rtol=1e-15)


@pytest.mark.parametrize("shape", [(5, 12), (12, 5), (4, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = minigrad.zeros(*shape, dtype=numpy.float64)
    nn.init.orthogonal_(w, gain=1.5)
    flat = w.numpy().reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    numpy.testing.assert_allclose(small, 2.25 * numpy.eye(len(small)), atol=1e-12)


def test_init_errors_name_the_problem():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(minigrad.zeros(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_normal_(minigrad.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


def test_constant_zeros_ones_normal_uniform():
    w = nn.Linear(3, 2).weight
    assert nn.init.constant_(w, 0.3) is w and numpy.allclose(w.numpy(), 0.3)
    nn.init.zeros_(w)
    assert not w.numpy().any()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    nn.init.uniform_(w, 2.0, 3.0)
    assert (w.numpy() >= 2).all() and (w.numpy() < 3).all()
    nn.init.normal_(w, 5.0, 1e-3)
    assert abs(w.numpy().mean() - 5.0) < 0.01


def test_init_matches_torch_formulas():
    torch = pytest.importorskip("torch")
    for name, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.3), ("sigmoid", None),
                        ("conv2d", None), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-15)
    w = torch.empty(6, 4, 3, 3)
    assert nn.init.fan_in_and_fan_out(minigrad.zeros(6, 4, 3, 3)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(w)


def with_grads(*grads):
    params = []
    for g in grads:
        p = minigrad.zeros(*numpy.shape(g), dtype=numpy.float64, requires_grad=True)
        p.grad = minigrad.tensor(numpy.asarray(g, dtype=numpy.float64))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
def test_clip_grad_norm_scales_and_returns_the_total_norm(norm_type):
    grads = [numpy.array([3.0, -4.0]), numpy.array([[1.0, 2.0], [0.0, -2.0]])]
    params = with_grads(*grads)
    flat = numpy.concatenate([g.ravel() for g in grads])
    total = numpy.abs(flat).max() if norm_type == math.inf else \
        (numpy.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    returned = nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert isinstance(returned, minigrad.Tensor) and returned.item() == pytest.approx(total)
    scale = 1.0 / (total + 1e-6)
    for p, g in zip(params, grads):
        numpy.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    params = with_grads([0.3, 0.4]) + [minigrad.zeros(2, requires_grad=True)]
    assert nn.utils.clip_grad_norm_(params, 10.0).item() == pytest.approx(0.5)
    numpy.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])
    assert params[1].grad is None
    assert nn.utils.clip_grad_norm_([params[1]], 1.0).item() == 0.0


def test_clip_grad_norm_with_a_nonfinite_norm():
    params = with_grads([numpy.nan, 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert numpy.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value_limits_each_entry():
    params = with_grads([3.0, -0.5, -7.0])
    assert nn.utils.clip_grad_value_(params[0], 1.0) is None
    numpy.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -0.5, -1.0])


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    grads = [numpy.array([3.0, -4.0, 0.5]), numpy.array([[1.0, 2.0], [0.0, -2.0]])]
    for norm_type in (2.0, 1.0, math.inf):
        params = with_grads(*grads)
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g)
        total = nn.utils.clip_grad_norm_(params, 0.7, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
        assert total.item() == pytest.approx(expected.item(), rel=1e-12)
        for p, t in zip(params, theirs):
            numpy.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
