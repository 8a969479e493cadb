"""AdaHessian and Hybrid against an independent NumPy implementation of the paper's algorithm.

On a diagonal quadratic Hutchinson's estimate is exact (z ⊙ H z = diag H
for z = ±1), so the reference needs no probes; a coupled quadratic checks
that the optimizer uses the seeded Rademacher probes as documented, and a
4-D parameter checks the spatial average over the kernel axes.
"""
import numpy
import pytest

import minigrad
import optim
from tests.optim.closures import AutogradClosure, diagonal_quadratic, host, parameter

CURVATURES = [numpy.array([1.0, 4.0, 0.25]), numpy.arange(1.0, 25.0).reshape(2, 3, 2, 2) / 6]
CENTRES = [numpy.array([0.5, -1.0, 2.0]), numpy.linspace(-1.0, 1.0, 24).reshape(2, 3, 2, 2)]
STARTS = [numpy.array([1.0, 1.0, -1.0]), numpy.zeros((2, 3, 2, 2))]


def reference_adahessian(steps, hessian_diagonals, grad_fn, starts, lr, betas, eps, weight_decay,
                         power):
    """Paper eqs. (3), (9), (10) with the update of Yao et al. Algorithm 1."""
    thetas = [s.copy() for s in starts]
    m = [numpy.zeros_like(t) for t in thetas]
    v = [None] * len(thetas)
    trajectory = []
    for step in range(1, steps + 1):
        grads = grad_fn(thetas)
        diagonals = hessian_diagonals(thetas, step)
        for i, (theta, g, d) in enumerate(zip(thetas, grads, diagonals)):
            d = numpy.abs(d)
            if d.ndim == 4:
                d = d.mean(axis=(2, 3), keepdims=True)
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = (1 - betas[1]) * d * d + (betas[1] * v[i] if v[i] is not None else 0)
            m_hat = m[i] / (1 - betas[0] ** step)
            v_hat = v[i] / (1 - betas[1] ** step)
            thetas[i] = theta - lr * (m_hat / (numpy.sqrt(v_hat) ** power + eps)
                                      + weight_decay * theta)
        trajectory.append([t.copy() for t in thetas])
    return trajectory


@pytest.mark.parametrize("weight_decay, power", [(0.0, 1.0), (0.01, 0.5)])
def test_adahessian_on_diagonal_quadratic_matches_paper_algorithm(weight_decay, power):
    hyper = dict(lr=0.15, betas=(0.9, 0.999), eps=1e-4, weight_decay=weight_decay)
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    optimizer = optim.AdaHessian(params, hessian_power=power, **hyper)
    got = []
    for _ in range(4):
        optimizer.step(closure)
        got.append([host(p.data).copy() for p in params])
    expected = reference_adahessian(
        4, lambda thetas, step: CURVATURES,
        lambda thetas: [h * (t - c) for h, t, c in zip(CURVATURES, thetas, CENTRES)],
        STARTS, power=power, **hyper)
    for got_step, want_step in zip(got, expected):
        for g, w in zip(got_step, want_step):
            numpy.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    assert optimizer.state[params[1]]["exp_hessian_diag_sq"].shape == (2, 3, 1, 1)


def test_adahessian_uses_seeded_rademacher_probes_on_coupled_quadratic():
    rng = numpy.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    hessian = a @ a.T + numpy.eye(4)
    p = parameter(numpy.ones(4))
    h = minigrad.tensor(hessian)

    def loss_fn():
        return (p * (h @ p)).sum() * 0.5
    optimizer = optim.AdaHessian([p], lr=0.1, seed=7)
    closure = AutogradClosure(loss_fn, [p])
    for _ in range(3):
        optimizer.step(closure)

    probes = numpy.random.default_rng(7)

    def diagonals(thetas, step):
        z = probes.integers(0, 2, size=4) * 2 - 1.0
        return [z * (hessian @ z)]
    expected = reference_adahessian(3, diagonals, lambda thetas: [hessian @ thetas[0]],
                                    [numpy.ones(4)], 0.1, (0.9, 0.999), 1e-4, 0.0, 1.0)
    numpy.testing.assert_allclose(host(p.data), expected[-1][0], rtol=1e-12)


def test_adahessian_needs_a_curvature_closure():
    params, closure = diagonal_quadratic(CURVATURES[:1], CENTRES[:1], STARTS[:1])
    with pytest.raises(TypeError, match="curvature closure with hessian_product"):
        optim.AdaHessian(params).step(lambda: closure())
    with pytest.raises(TypeError, match="curvature closure"):
        optim.AdaHessian(params).step()
    with pytest.raises(ValueError, match="hessian_power"):
        optim.AdaHessian(params, hessian_power=2)


def test_adahessian_with_curvature_closure_on_linear_model():
    from minigrad import nn
    from minigrad.curvature import Closure
    nn.manual_seed(0)
    model = nn.Linear(3, 2)
    for p in model.parameters():
        p.data = p.data.astype(numpy.float64)
    rng = numpy.random.default_rng(0)
    inputs, targets = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    closure = Closure(model, nn.MSELoss(), minigrad.tensor(inputs), minigrad.tensor(targets))
    design = numpy.hstack([inputs, numpy.ones((8, 1))])
    solution = numpy.linalg.lstsq(design, targets, rcond=None)[0]
    best = ((design @ solution - targets) ** 2).mean()
    optimizer = optim.AdaHessian(model.parameters())
    for _ in range(100):
        optimizer.step(closure)
    assert closure.loss_value() < best * 1.01


def test_hybrid_switches_exactly_when_validation_loss_falls_below_threshold():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    hybrid = optim.Hybrid(params, threshold=1.0, sgd_lr=0.05, momentum=0.9, lr=0.01, seed=3)
    sgd_params, sgd_closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    sgd = optim.SGD(sgd_params, lr=0.05, momentum=0.9)
    for validation_loss in (3.0, 1.5, 1.0):
        hybrid.step(closure)
        sgd.step(sgd_closure)
        hybrid.observe_validation_loss(validation_loss)
        assert not hybrid.switched and hybrid.active is hybrid.first_order
    for p, q in zip(params, sgd_params):
        numpy.testing.assert_array_equal(host(p.data), host(q.data))

    ada_params, ada_closure = diagonal_quadratic(CURVATURES, CENTRES,
                                                 [host(p.data) for p in params])
    adahessian = optim.AdaHessian(ada_params, lr=0.01, seed=3)
    hybrid.observe_validation_loss(0.999)
    assert hybrid.switched and hybrid.switch_epoch == 4
    hybrid.observe_validation_loss(5.0)
    assert hybrid.switched
    for _ in range(3):
        hybrid.step(closure)
        adahessian.step(ada_closure)
    for p, q in zip(params, ada_params):
        numpy.testing.assert_array_equal(host(p.data), host(q.data))
    assert hybrid.param_groups[0]["lr"] == 0.01


def test_hybrid_defaults_are_the_papers_and_nonfinite_validation_raises():
    params, _ = diagonal_quadratic(CURVATURES[:1], CENTRES[:1], STARTS[:1])
    hybrid = optim.create("hybrid", params)
    assert (hybrid.threshold, hybrid.first_order.defaults["lr"], hybrid.first_order.defaults["momentum"],
            hybrid.second_order.defaults["lr"], hybrid.second_order.defaults["betas"]) == (
        1.0, 0.005, 0.9, 0.001, (0.9, 0.999))
    with pytest.raises(ValueError, match="non-finite validation loss nan"):
        hybrid.observe_validation_loss(float("nan"))
    optim.SGD(params).observe_validation_loss(0.5)


def test_hessian_diagonal_estimate_averages_kernel_axes_of_absolute_values():
    from optim.adahessian import hessian_diagonal_estimate
    probe = numpy.array([1.0, -1.0, 1.0])
    numpy.testing.assert_array_equal(
        hessian_diagonal_estimate(numpy.array([2.0, 3.0, -4.0]), probe), [2.0, 3.0, 4.0])
    kernel_probe = numpy.ones((1, 1, 2, 2))
    product = numpy.array([1.0, -3.0, 5.0, -7.0]).reshape(1, 1, 2, 2)
    numpy.testing.assert_array_equal(hessian_diagonal_estimate(product, kernel_probe),
                                     numpy.full((1, 1, 1, 1), 4.0))


def test_rademacher_probes_are_signs_in_the_parameter_shapes():
    from optim.adahessian import rademacher_probes
    params, _ = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    probes = rademacher_probes(numpy.random.default_rng(0), params)
    assert [z.shape for z in probes] == [p.shape for p in params]
    values = numpy.concatenate([host(z).ravel() for z in probes])
    assert set(values.tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("hyper, argument", [
    ({"sgd_lr": -1.0}, "sgd_lr"), ({"momentum": -0.5}, "momentum"), ({"lr": -1.0}, "lr"),
    ({"betas": (0.9, 1.0)}, r"betas\[1\]"), ({"hessian_power": 2}, "hessian_power"),
    ({"threshold": float("inf")}, "threshold")])
def test_hybrid_rejects_bad_arguments_by_name(hyper, argument):
    params, _ = diagonal_quadratic(CURVATURES[:1], CENTRES[:1], STARTS[:1])
    with pytest.raises(ValueError, match=f"Hybrid: invalid {argument}="):
        optim.Hybrid(params, **hyper)


def test_gradient_and_hessian_product_come_from_one_forward_pass():
    from tests.optim.curvature_doubles import counted_batch_norm_closure, running_statistics
    closure, reference = counted_batch_norm_closure(), counted_batch_norm_closure()
    reference()
    optim.AdaHessian(closure.params).step(closure)
    assert closure.model.forwards == 1
    for mine, want in zip(running_statistics(closure.model), running_statistics(reference.model)):
        numpy.testing.assert_allclose(mine, want, rtol=1e-14)
