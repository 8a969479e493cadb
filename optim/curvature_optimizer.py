"""``CurvatureOptimizer``: shared plumbing of the optimizers that take a curvature closure.

Newton-CG, the trust-region method and cubic regularisation work on the
flattened parameter vector (``parameter_vectors.py``) and need a closure of the
contract in ``minigrad.curvature.Closure`` (``__call__``, ``loss_value``,
``hvp``, ``ggnvp``). They take one parameter group (their adaptive quantities
— damping, radius, σ — are global to the problem, not per parameter), keep those
quantities in ``state`` under the first parameter (so ``state_dict`` saves
them), and count consecutive failed steps: a trial point with a non-finite loss
is a failed step, and after ``max_failures`` failures in a row the optimizer
raises ``FloatingPointError`` saying what happened instead of looping on.
"""
import math

from .optimizer import Optimizer, require
from .parameter_vectors import check_closure_parameters, gradient_vector


class CurvatureOptimizer(Optimizer):
    """Base of the flat-vector second-order optimizers (one parameter group)."""

    def __init__(self, params, defaults):
        require(isinstance(defaults["max_failures"], int) and defaults["max_failures"] >= 1,
                type(self).__name__, "max_failures", defaults["max_failures"], "an integer ≥ 1")
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} takes one parameter group, got "
                             f"{len(self.param_groups)}: its damping/radius/σ is global")

    @property
    def global_state(self):
        """The optimizer-wide state (step count, radius, damping …), stored with parameter 0."""
        return self.state.setdefault(self.param_groups[0]["params"][0], {})

    def _evaluate(self, closure):
        """Run the closure; return ``(loss tensor, loss float, flat gradient)``; raise if not finite."""
        if closure is None:
            raise ValueError(f"{type(self).__name__}.step needs a curvature closure "
                             f"(minigrad.curvature.Closure(model, loss_fn, x, y))")
        params = self.param_groups[0]["params"]
        check_closure_parameters(closure, params, type(self).__name__)
        loss = closure()
        value = float(loss.item())
        if not math.isfinite(value):
            raise FloatingPointError(f"{type(self).__name__}: the loss at the current parameters "
                                     f"is {value}; the parameters have already diverged")
        gradient = gradient_vector(params, type(self).__name__)
        norm = math.sqrt(float(gradient.dot(gradient)))
        if not math.isfinite(norm):
            raise FloatingPointError(f"{type(self).__name__}: the gradient at the current "
                                     f"parameters is not finite (norm {norm})")
        return loss, value, gradient

    def _count_failure(self, failed, description):
        """Track consecutive failed steps; raise after ``max_failures`` of them."""
        state = self.global_state
        state["consecutive_failures"] = state.get("consecutive_failures", 0) + 1 if failed else 0
        limit = self.param_groups[0]["max_failures"]
        if state["consecutive_failures"] >= limit:
            raise FloatingPointError(f"{type(self).__name__}: {limit} consecutive failed steps; "
                                     f"last one: {description}")
