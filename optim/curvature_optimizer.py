"""``CurvatureOptimizer``: shared plumbing of the optimizers that take a curvature closure.

Newton-CG, the trust-region method and cubic regularisation work on the
flattened parameter vector (``parameter_vectors.py``) and need a closure of the
contract ``minigrad.curvature.closure.CurvatureClosure`` (``__call__``,
``loss_value``, ``hessian_product``, ``gauss_newton_product``): one forward
pass gives the gradient and the operator for every CG/Lanczos product. They take one parameter group (their adaptive quantities
— damping, radius, σ — are global to the problem, not per parameter), keep those
quantities in ``state`` under the first parameter (so ``state_dict`` saves
them), multiply by ``B`` = the Hessian (``curvature="hessian"``) or the
Gauss-Newton matrix (``"ggn"``), and judge each step by one extra forward pass:
``_try_step`` moves θ ← θ + s, evaluates ``L(θ + s)`` and undoes the move unless
the trial loss is finite and acceptable. Each ``step`` counts consecutive failed
steps: after ``max_failures`` failures in a row the optimizer raises
``FloatingPointError`` saying what happened instead of looping on.
"""
import math

from .optimizer import (Optimizer, require, require_curvature_closure,
                        require_positive_integer)
from .parameter_vectors import (CURVATURES, add_to_parameters, check_closure_parameters, finite,
                                arrays_to_vector, gradient_vector, restore, snapshot, vector_to_arrays)


class CurvatureOptimizer(Optimizer):
    """Base of the flat-vector second-order optimizers (one parameter group).

    ``subproblem_arguments`` names the subclass's Krylov iteration limit and
    relative tolerance, validated here.
    """

    subproblem_arguments = ("max_cg_iter", "cg_tol")

    def __init__(self, params, defaults):
        name = type(self).__name__
        iterations, tolerance = self.subproblem_arguments
        require_positive_integer(name, iterations, defaults[iterations])
        require(0 < defaults[tolerance] < 1, name, tolerance, defaults[tolerance], "in (0, 1)")
        require(defaults["curvature"] in CURVATURES, name, "curvature", defaults["curvature"],
                f"one of {CURVATURES}")
        require_positive_integer(name, "max_failures", defaults["max_failures"])
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{name} takes one parameter group, got "
                             f"{len(self.param_groups)}: its damping/radius/σ is global")

    @property
    def global_state(self):
        """The optimizer-wide state (step count, radius, damping …), stored with parameter 0."""
        return self.state.setdefault(self.param_groups[0]["params"][0], {})

    def _evaluate(self, closure, curvature_closure=None):
        """``(loss tensor, loss float, flat gradient, v ↦ B v)``; raise if not finite.

        One forward of ``closure`` gives the gradient and, without a
        ``curvature_closure`` (a closure on another batch at the same
        parameters), the curvature operator too.
        """
        if closure is None:
            raise ValueError(f"{type(self).__name__}.step needs a curvature closure "
                             f"(minigrad.curvature.Closure(model, loss_fn, x, y))")
        params = self.param_groups[0]["params"]
        method = ("hessian_product" if self.param_groups[0]["curvature"] == "hessian"
                  else "gauss_newton_product")
        for given in (closure, curvature_closure):
            if given is not None:
                require_curvature_closure(given, type(self).__name__, method)
        check_closure_parameters(closure, params, type(self).__name__)
        if curvature_closure is None:
            product = self._curvature_product(closure, backward=True)
            loss = product.loss
        else:
            check_closure_parameters(curvature_closure, params, type(self).__name__)
            product = self._curvature_product(curvature_closure, backward=False)
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
        shapes = [p.shape for p in params]
        return loss, value, gradient, lambda v: arrays_to_vector(product.apply(vector_to_arrays(v, shapes)))

    def _curvature_product(self, closure, backward):
        """The closure's Hessian or Gauss-Newton operator (``curvature``), built once."""
        if self.param_groups[0]["curvature"] == "hessian":
            return closure.hessian_product(backward=backward)
        return closure.gauss_newton_product(backward=backward)

    def _try_step(self, closure, step, acceptable):
        """θ ← θ + step; undo it unless the trial loss is finite and ``acceptable(loss)``.

        Returns ``(accepted, trial loss)``.
        """
        params = self.param_groups[0]["params"]
        saved = snapshot(params)
        add_to_parameters(params, step)
        trial = closure.loss_value()
        accepted = finite(trial) and acceptable(trial)
        if not accepted:
            restore(params, saved)
        return accepted, trial

    def _finish_step(self, failed, description):
        """Count the step and consecutive failed steps; raise after ``max_failures`` of them."""
        state = self.global_state
        state["step"] = state.get("step", 0) + 1
        state["consecutive_failures"] = state.get("consecutive_failures", 0) + 1 if failed else 0
        limit = self.param_groups[0]["max_failures"]
        if state["consecutive_failures"] >= limit:
            raise FloatingPointError(f"{type(self).__name__}: {limit} consecutive failed steps; "
                                     f"last one: {description}")
