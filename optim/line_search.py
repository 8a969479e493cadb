"""Line searches: backtracking Armijo, strong Wolfe, and gradient descent with Armijo steps.

Along a direction ``d`` from ``x`` with loss ``f = L(x)`` and slope
``gᵀd < 0`` a step ``t`` is accepted when (Nocedal & Wright 2006, eqs. 3.6–3.7)

    Armijo (sufficient decrease)   L(x + t d) ≤ f + c₁ t gᵀd
    strong Wolfe (also curvature)  |∇L(x + t d)ᵀd| ≤ c₂ |gᵀd|

``armijo_backtracking`` is Algorithm 1 of Salkey, Benton & Maddox 2019
(Salkey, Benton & Maddox, "Hess-Trucks: Leveraging Eigenspaces for Optimizing Deep
Networks", 2019): start at t = α₀ and
multiply by ρ until the Armijo condition holds. The paper fixes α₀ = 1 and
leaves ρ, c ∈ (0, 1) open; the defaults ρ = 0.5, c = 10⁻⁴ are Nocedal &
Wright's. ``strong_wolfe`` is the bracketing + cubic-interpolation zoom of
Nocedal & Wright Algorithms 3.5–3.6, as in PyTorch's LBFGS.

A trial step whose loss (or gradient) is not finite counts as a failure and
shrinks the step (by ρ towards zero in backtracking, by half towards the last
finite step in the Wolfe search). When no acceptable step is found within the
search's budget (``max_backtracks`` trials, ``max_ls`` non-finite trials) a
``LineSearchError`` says how many trials failed and why; the parameters are
then left where the search found them (at ``x`` for ``GradientDescentLineSearch``).

``GradientDescentLineSearch`` is Algorithm 2 of the same paper:
``θ ← θ + α p`` with ``p = −∇L(θ)`` and α from Armijo backtracking.
"""
import math

from minigrad import backend

from .optimizer import Optimizer, require
from .parameter_vectors import gradient_vector, parameter_vector, set_parameters


class LineSearchError(RuntimeError):
    """No acceptable step was found (loss non-finite or never decreasing enough)."""


def loss_as_float(loss):
    """A closure's loss (Tensor, array or number) as a Python float."""
    if loss is None:
        raise TypeError("the closure returned None: it must return the loss it computed "
                        "(def closure(): ...; loss.backward(); return loss)")
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def armijo_backtracking(evaluate, loss, slope, step, rho=0.5, c=1e-4, max_backtracks=30):
    """Largest ``step · ρᵏ`` (k < max_backtracks) with ``evaluate(t)[0] ≤ loss + c t slope``.

    ``evaluate(t)`` returns a tuple whose first entry is the loss at step t.
    Returns ``(t, evaluate(t), number of evaluations)``.
    """
    if not slope < 0:
        raise LineSearchError(f"Armijo line search needs a descent direction, but the "
                              f"directional derivative is {slope}")
    nonfinite, insufficient = 0, 0
    t = step
    for trial in range(1, max_backtracks + 1):
        result = evaluate(t)
        trial_loss = result[0]
        if not math.isfinite(trial_loss):
            nonfinite += 1
        elif trial_loss <= loss + c * t * slope:
            return t, result, trial
        else:
            insufficient += 1
        t *= rho
    raise LineSearchError(
        f"Armijo line search found no acceptable step in {max_backtracks} trials "
        f"(from t={step} down to t={t / rho:.3e}): {nonfinite} gave a non-finite loss, "
        f"{insufficient} did not decrease the loss below f + c·t·gᵀd with f={loss}, "
        f"gᵀd={slope}, c={c}")


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``.

    Nocedal & Wright eq. 3.59; the midpoint of the bounds when the cubic has no minimiser.
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimiser = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimiser = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimiser, low), high)


def strong_wolfe(evaluate, direction, loss, grad, step, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Strong-Wolfe step along ``direction`` (flat array) from a point with ``loss``, ``grad``.

    ``evaluate(t)`` returns ``(loss, flat gradient)`` at step t. Returns
    ``(loss, grad, t, number of evaluations)`` at the accepted step.
    """
    xp = backend.get_array_module(direction)
    slope = float(grad @ direction)
    direction_size = float(xp.abs(direction).max())
    evaluations = [0]
    failures = [0]

    def finite_evaluate(t, anchor):
        while True:
            evaluations[0] += 1
            trial_loss, trial_grad = evaluate(t)
            trial_slope = float(trial_grad @ direction)
            if math.isfinite(trial_loss) and math.isfinite(trial_slope):
                return t, trial_loss, trial_grad, trial_slope
            failures[0] += 1
            if failures[0] >= max_ls:
                raise LineSearchError(
                    f"strong-Wolfe line search: the loss or gradient was non-finite at "
                    f"{failures[0]} trial steps (last t={t:.3e}); the step was halved towards "
                    f"t={anchor:.3e} each time")
            t = anchor + (t - anchor) / 2

    t, new_loss, new_grad, new_slope = finite_evaluate(step, 0.0)
    prev_t, prev_loss, prev_grad, prev_slope = 0.0, loss, grad, slope
    done, iteration = False, 0
    while iteration < max_ls:
        if new_loss > loss + c1 * t * slope or (iteration > 1 and new_loss >= prev_loss):
            bracket = [prev_t, t], [prev_loss, new_loss], [prev_grad, new_grad], [prev_slope, new_slope]
            break
        if abs(new_slope) <= -c2 * slope:
            bracket, done = ([t], [new_loss], [new_grad], [new_slope]), True
            break
        if new_slope >= 0:
            bracket = [prev_t, t], [prev_loss, new_loss], [prev_grad, new_grad], [prev_slope, new_slope]
            break
        next_t = cubic_interpolate(prev_t, prev_loss, prev_slope, t, new_loss, new_slope,
                                   bounds=(t + 0.01 * (t - prev_t), t * 10))
        prev_t, prev_loss, prev_grad, prev_slope = t, new_loss, new_grad, new_slope
        t, new_loss, new_grad, new_slope = finite_evaluate(next_t, prev_t)
        iteration += 1
    else:
        bracket = [0.0, t], [loss, new_loss], [grad, new_grad], [slope, new_slope]
    steps, losses, grads, slopes = bracket

    insufficient_progress = False
    low, high = (0, 1) if len(losses) == 1 or losses[0] <= losses[-1] else (1, 0)
    while not done and iteration < max_ls:
        if abs(steps[1] - steps[0]) * direction_size < tolerance_change:
            break
        t = cubic_interpolate(steps[0], losses[0], slopes[0], steps[1], losses[1], slopes[1])
        margin = 0.1 * (max(steps) - min(steps))
        if min(max(steps) - t, t - min(steps)) < margin:
            if insufficient_progress or t >= max(steps) or t <= min(steps):
                t = max(steps) - margin if abs(t - max(steps)) < abs(t - min(steps)) else min(steps) + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        t, new_loss, new_grad, new_slope = finite_evaluate(t, steps[low])
        iteration += 1
        if new_loss > loss + c1 * t * slope or new_loss >= losses[low]:
            steps[high], losses[high], grads[high], slopes[high] = t, new_loss, new_grad, new_slope
            low, high = (0, 1) if losses[0] <= losses[1] else (1, 0)
        else:
            if abs(new_slope) <= -c2 * slope:
                done = True
            elif new_slope * (steps[high] - steps[low]) >= 0:
                steps[high], losses[high] = steps[low], losses[low]
                grads[high], slopes[high] = grads[low], slopes[low]
            steps[low], losses[low], grads[low], slopes[low] = t, new_loss, new_grad, new_slope
    return losses[low], grads[low], steps[low], evaluations[0]


class GradientDescentLineSearch(Optimizer):
    """Gradient descent with backtracking Armijo steps (Hess-Trucks Algorithms 1–2).

    ``θ ← θ − α ∇L(θ)`` with α the first of ``lr·ρᵏ`` (k = 0, 1, …) satisfying
    ``L(θ − α∇L) ≤ L(θ) − c α ‖∇L‖²`` (Nocedal & Wright eq. 3.6).

    GradientDescentLineSearch(params, lr=1.0, rho=0.5, c=1e-4, max_backtracks=30):
    each step starts the search at ``lr`` (α₀); a zero gradient leaves the
    parameters where they are. ``step`` needs a closure; the
    trial losses use ``closure.loss_value()`` when it exists (forward only),
    else ``closure()``. The accepted step size is ``state["step_size"]`` of the
    first parameter, the number of loss evaluations ``state["evaluations"]``.
    """

    def __init__(self, params, lr=1.0, rho=0.5, c=1e-4, max_backtracks=30):
        name = type(self).__name__
        require(lr > 0, name, "lr", lr, "> 0")
        require(0 < rho < 1, name, "rho", rho, "in (0, 1)")
        require(0 < c < 1, name, "c", c, "in (0, 1)")
        require(int(max_backtracks) == max_backtracks and max_backtracks >= 1, name,
                "max_backtracks", max_backtracks, "a positive integer")
        super().__init__(params, dict(lr=lr, rho=rho, c=c, max_backtracks=int(max_backtracks)))
        if len(self.param_groups) != 1:
            raise ValueError(f"{name} supports a single parameter group (the line search is "
                             "over all parameters at once)")

    def step(self, closure=None):
        """Evaluate the gradient, search along −g, move there; returns the loss before the step."""
        if closure is None:
            raise ValueError(f"{type(self).__name__}.step needs a closure that re-evaluates the loss")
        group = self.param_groups[0]
        params = [p for p in group["params"]]
        loss = closure()
        start_loss = loss_as_float(loss)
        if not math.isfinite(start_loss):
            raise LineSearchError(f"{type(self).__name__}: the loss at the current parameters "
                                  f"is {start_loss}")
        start = parameter_vector(params)
        direction = -gradient_vector(params)
        slope = -float(direction @ direction)
        if slope == 0:
            return loss
        trial_loss = closure.loss_value if hasattr(closure, "loss_value") else closure

        def evaluate(t):
            set_parameters(params, start + t * direction)
            return (loss_as_float(trial_loss()),)

        try:
            t, _, evaluations = armijo_backtracking(evaluate, start_loss, slope, group["lr"],
                                                    group["rho"], group["c"],
                                                    group["max_backtracks"])
        except LineSearchError:
            set_parameters(params, start)
            raise
        set_parameters(params, start + t * direction)
        state = self.state.setdefault(params[0], {})
        state["step_size"] = t
        state["evaluations"] = state.get("evaluations", 0) + 1 + evaluations
        return loss
