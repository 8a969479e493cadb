"""``optim.Adadelta``: iterates of its update rule, and (optionally) ``torch.optim.Adadelta``'s."""
import math

import numpy
import pytest

import minigrad
import optim
from tests.optim.test_first_order import assert_same, run_optimizer, run_reference


@pytest.mark.parametrize("lr, rho, eps, weight_decay", [
    (1.0, 0.9, 1e-6, 0.0), (0.5, 0.7, 1e-3, 0.1)])
def test_adadelta_matches_its_update_rule(lr, rho, eps, weight_decay):
    def update(theta, g, state, step):
        g = g + weight_decay * theta
        state["v"] = rho * state["v"] + (1 - rho) * g * g
        delta = numpy.sqrt(state["u"] + eps) / numpy.sqrt(state["v"] + eps) * g
        state["u"] = rho * state["u"] + (1 - rho) * delta * delta
        return theta - lr * delta

    expected = run_reference(update, lambda t: {"v": numpy.zeros_like(t), "u": numpy.zeros_like(t)})
    assert_same(run_optimizer(optim.Adadelta, lr=lr, rho=rho, eps=eps,
                              weight_decay=weight_decay), expected)


def test_adadelta_first_two_steps_by_hand():
    """f(θ) = θ²/2 from θ = 1 with ρ = 0.9, ε = 10⁻⁶, η = 1."""
    theta = minigrad.tensor(numpy.array([1.0]), requires_grad=True)
    optimizer = optim.Adadelta([theta])
    values = []
    for _ in range(2):
        optimizer.zero_grad()
        (theta * theta / 2).sum().backward()
        optimizer.step()
        values.append(theta.item())
    v1 = 0.1                                     # 0.9·0 + 0.1·1²
    d1 = math.sqrt(1e-6) / math.sqrt(v1 + 1e-6)  # √(0 + ε)/√(v + ε)·g, g = 1
    u1 = 0.1 * d1 * d1
    theta1 = 1 - d1
    v2 = 0.9 * v1 + 0.1 * theta1 ** 2
    theta2 = theta1 - math.sqrt(u1 + 1e-6) / math.sqrt(v2 + 1e-6) * theta1
    assert values == pytest.approx([theta1, theta2], rel=1e-14)
    assert values[0] == pytest.approx(0.996837738, rel=1e-9)


@pytest.mark.parametrize("hyper, argument", [
    ({"lr": -1.0}, "lr"), ({"rho": 1.5}, "rho"), ({"eps": -1.0}, "eps"),
    ({"weight_decay": -0.1}, "weight_decay")])
def test_adadelta_rejects_bad_hyper_parameters(hyper, argument):
    with pytest.raises(ValueError, match=f"Adadelta: invalid {argument}="):
        optim.Adadelta([minigrad.zeros(2, requires_grad=True)], **hyper)


def test_adadelta_state_dict_round_trip_continues_the_trajectory():
    def run(split):
        theta = minigrad.tensor(numpy.array([1.0, -2.0]), requires_grad=True)
        optimizer = optim.Adadelta([theta], lr=0.7)
        for step in range(4):
            if step == split:
                state = optimizer.state_dict()
                optimizer = optim.Adadelta([theta], lr=0.1)
                optimizer.load_state_dict(state)
            optimizer.zero_grad()
            (theta ** 4).sum().backward()
            optimizer.step()
        return theta.numpy()

    numpy.testing.assert_array_equal(run(split=2), run(split=None))


@pytest.mark.parametrize("lr, rho, eps, weight_decay", [
    (1.0, 0.9, 1e-6, 0.0), (0.5, 0.7, 1e-3, 0.1)])
def test_adadelta_matches_torch(lr, rho, eps, weight_decay):
    torch = pytest.importorskip("torch")
    start = numpy.array([[1.0, -2.0], [0.5, 3.0]])
    curvature = numpy.array([[1.0, 3.0], [0.2, 2.0]])
    ours = minigrad.tensor(start, requires_grad=True)
    theirs = torch.tensor(start, requires_grad=True)
    mine = optim.Adadelta([ours], lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
    reference = torch.optim.Adadelta([theirs], lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
    for _ in range(5):
        mine.zero_grad()
        reference.zero_grad()
        (minigrad.tensor(curvature) * ours ** 2).sum().backward()
        (torch.tensor(curvature) * theirs ** 2).sum().backward()
        mine.step()
        reference.step()
        numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
