"""One ``LBFGS.step`` runs ``max_iter`` iterations, as ``torch.optim.LBFGS`` does.

On Rosenbrock from (−1.2, 1), which no three iterations solve, a step with ``max_iter=3`` and
a large ``max_eval`` makes exactly three iterations; without a line search it evaluates the
closure once at the start and once after each iteration but the last (three in all).
"""
import pytest

import optim
from tests.optim.closures import rosenbrock_problem


@pytest.mark.parametrize("max_iter", [1, 3, 7])
def test_a_step_makes_max_iter_iterations(max_iter):
    p, closure = rosenbrock_problem()
    optimizer = optim.LBFGS([p], lr=0.01, max_iter=max_iter, max_eval=1000)
    optimizer.step(closure)
    state = optimizer.state[p]
    assert state["n_iter"] == max_iter
    assert state["func_evals"] == max_iter
    optimizer.step(closure)
    assert state["n_iter"] == 2 * max_iter
