"""``optim.EKFAC`` on problems with known answers: one step of type-2 EKFAC on a linear
least-squares problem is the Newton step to the least-squares solution."""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from minigrad.backend import to_host
from tests.helpers import float64_default


def least_squares_case(seed=0, n=20):
    rng = numpy.random.default_rng(seed)
    with float64_default():
        nn.manual_seed(seed)
        model = nn.Linear(3, 2)
    x = rng.standard_normal((n, 3))
    y = x @ rng.standard_normal((3, 2)) + 0.5 + 0.1 * rng.standard_normal((n, 2))
    return model, x, y


def test_one_type_2_step_reaches_the_least_squares_solution():
    model, x, y = least_squares_case()
    design = numpy.concatenate([x, numpy.ones((x.shape[0], 1))], axis=1)
    solution = numpy.linalg.lstsq(design, y, rcond=None)[0]           # (in + 1, out)
    closure = curvature.Closure(model, nn.MSELoss(), minigrad.tensor(x), minigrad.tensor(y))
    optimizer = optim.EKFAC(model.parameters(), lr=1.0, damping=1e-10, fisher_type="type-2")
    optimizer.step(closure)
    numpy.testing.assert_allclose(model.weight.numpy(), solution[:3].T, rtol=1e-7, atol=1e-9)
    numpy.testing.assert_allclose(model.bias.numpy(), solution[3], rtol=1e-7, atol=1e-9)


def test_step_is_minus_lr_times_the_damped_solve_of_the_ekfac_block():
    model, x, y = least_squares_case(1)
    x, y, loss = minigrad.tensor(x), minigrad.tensor(y), nn.MSELoss()
    start = numpy.concatenate([p.numpy().ravel() for p in model.parameters()])
    gradient = to_host(curvature.flat_gradient(model, loss, x, y))
    closure = curvature.Closure(model, loss, x, y)
    (block,) = closure.ekfac_factors("empirical")
    E = to_host(block.to_dense())
    optim.EKFAC(model.parameters(), lr=0.5, damping=0.3, fisher_type="empirical").step(closure)
    after = numpy.concatenate([p.numpy().ravel() for p in model.parameters()])
    expected = start - 0.5 * numpy.linalg.solve(E + 0.3 * numpy.eye(E.shape[0]), gradient)
    numpy.testing.assert_allclose(after, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bad", [dict(lr=0), dict(damping=0), dict(fisher_type="fisher"),
                                 dict(mc_samples=0), dict(momentum=1.0)])
def test_bad_hyperparameters_are_refused(bad):
    model, _, _ = least_squares_case()
    with pytest.raises(ValueError, match="EKFAC: invalid"):
        optim.EKFAC(model.parameters(), **bad)
