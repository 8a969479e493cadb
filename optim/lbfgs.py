"""L-BFGS (PyTorch's ``torch.optim.LBFGS``, same algorithm and arguments).

Nocedal & Wright 2006, Algorithms 7.4 (two-loop recursion) and 7.5; also
Algorithms 3–4 of Salkey, Benton & Maddox, "Hess-Trucks: Leveraging Eigenspaces for
Optimizing Deep Networks" (2019, whose line 9 should read ``s_k ← θ_{k+1} − θ_k``). On the flat parameter vector θ
with gradient g, from the stored pairs ``s_i = θ_{i+1} − θ_i``,
``y_i = g_{i+1} − g_i``, ``ρ_i = 1 / y_iᵀ s_i``:

    q ← −g;  for i = newest … oldest:  a_i = ρ_i s_iᵀ q;  q ← q − a_i y_i
    r ← γ q  with γ = s_{k−1}ᵀ y_{k−1} / y_{k−1}ᵀ y_{k−1}   (1 before any pair)
    for i = oldest … newest:  b = ρ_i y_iᵀ r;  r ← r + (a_i − b) s_i
    d = r,  θ ← θ + t d

A pair is stored only when ``yᵀs > 1e-10`` (keeps the inverse-Hessian model
positive definite); at most ``history_size`` pairs are kept. The step t is
``lr`` (``min(1, 1/‖g‖₁) lr`` at the very first iteration), or comes from a
line search: ``line_search_fn="strong_wolfe"`` (c₁ = 10⁻⁴, c₂ = 0.9, and, as in PyTorch, its own
bracket tolerance 10⁻⁹ rather than ``tolerance_change``) or
``"armijo"`` (backtracking from that t with ρ = 0.5, c = 10⁻⁴), both in
``line_search.py``, which raise ``LineSearchError`` after repeated non-finite
losses. One ``step(closure)`` runs up to ``max_iter`` iterations and
``max_eval`` closure evaluations, stopping early when
``max|g| ≤ tolerance_grad``, when ``max|t d| ≤ tolerance_change`` or when
the loss changes by less than ``tolerance_change``; it returns the loss of
the first evaluation. The history lives in ``state`` of the first parameter,
so ``state_dict`` round-trips it. Unlike PyTorch, a non-finite loss or gradient is
never stepped through: at the first evaluation, or after a step taken without a
line search, it raises ``FloatingPointError`` (the parameters put back to the last
finite point).
"""
import math

from minigrad import backend

from .line_search import armijo_backtracking, loss_as_float, strong_wolfe
from .optimizer import Optimizer, require
from .parameter_vectors import gradient_vector, parameter_vector, set_parameters

LINE_SEARCHES = (None, "strong_wolfe", "armijo")


class LBFGS(Optimizer):
    """LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
    history_size=100, line_search_fn=None).

    Nocedal & Wright Algorithms 7.4–7.5 (Salkey, Benton & Maddox 2019, Algorithms 3–4):
    ``θ ← θ − t H g`` with ``H g`` from the two-loop recursion over the last pairs
    ``(s_i, y_i)`` and t from ``lr`` or the line search.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        name = type(self).__name__
        require(lr > 0, name, "lr", lr, "> 0")
        require(max_iter >= 1, name, "max_iter", max_iter, ">= 1")
        max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        require(max_eval >= 1, name, "max_eval", max_eval, ">= 1")
        require(history_size >= 1, name, "history_size", history_size, ">= 1")
        require(line_search_fn in LINE_SEARCHES, name, "line_search_fn", line_search_fn,
                f"one of {LINE_SEARCHES}")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError(f"{name} supports a single parameter group (the curvature pairs "
                             "are over all parameters at once)")

    def _evaluate(self, closure, params):
        loss = loss_as_float(closure())
        return loss, gradient_vector(params)

    def _require_finite(self, loss, grad_max, where):
        """Raise ``FloatingPointError`` saying ``where`` unless the loss and ``grad_max``, the
        largest ``|g_i|`` (NaN or inf when any entry is), are finite."""
        if not math.isfinite(loss):
            raise FloatingPointError(f"{type(self).__name__}.step: the closure returned a "
                                     f"non-finite loss ({loss}) {where}")
        if not math.isfinite(grad_max):
            raise FloatingPointError(f"{type(self).__name__}.step: the gradient is not finite "
                                     f"{where}")

    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss at the start. A closure
        giving a non-finite loss or gradient raises ``FloatingPointError`` (without a line
        search: after putting back the parameters of the last finite point)."""
        if closure is None:
            raise ValueError(f"{type(self).__name__}.step needs a closure that re-evaluates the "
                             "loss and its gradient")
        group = self.param_groups[0]
        params = group["params"]
        lr, history_size = group["lr"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = closure()
        loss = loss_as_float(first_loss)
        grad = gradient_vector(params)
        xp = backend.get_array_module(grad)
        grad_max = float(xp.abs(grad).max())
        self._require_finite(loss, grad_max, "at the current parameters (left unchanged)")
        evaluations = 1
        state["func_evals"] += 1
        if grad_max <= tolerance_grad:
            return first_loss

        direction, t = state.get("d"), state.get("t")
        old_dirs, old_steps = state.get("old_dirs", []), state.get("old_stps", [])
        inverse_ys, h_diag = state.get("ro", []), state.get("H_diag", 1.0)
        prev_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        iteration = 0
        while iteration < group["max_iter"]:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                direction, old_dirs, old_steps, inverse_ys, h_diag = -grad, [], [], [], 1.0
            else:
                y = grad - prev_grad
                s = direction * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_steps.pop(0), inverse_ys.pop(0)
                    old_dirs.append(y), old_steps.append(s), inverse_ys.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                direction = self._two_loop(grad, old_dirs, old_steps, inverse_ys, h_diag)
            prev_grad, prev_loss = grad.copy(), loss

            t = min(1.0, 1.0 / float(xp.abs(grad).sum())) * lr if state["n_iter"] == 1 else lr
            slope = float(grad @ direction)
            if slope > -tolerance_change:
                break

            line_search_evaluations = 0
            if group["line_search_fn"] is None:
                start = parameter_vector(params)
                set_parameters(params, start + t * direction)
                if iteration != group["max_iter"]:
                    loss, grad = self._evaluate(closure, params)
                    line_search_evaluations = 1
                    grad_max = float(xp.abs(grad).max())
                    if not (math.isfinite(loss) and math.isfinite(grad_max)):
                        set_parameters(params, start)
                        self._require_finite(loss, grad_max, f"after iteration {iteration} "
                                             f"(parameters restored to the point before it; "
                                             f"lower lr or pass line_search_fn='strong_wolfe')")
            else:
                start = parameter_vector(params)

                def evaluate(step):
                    set_parameters(params, start + step * direction)
                    return self._evaluate(closure, params)

                if group["line_search_fn"] == "strong_wolfe":
                    loss, grad, t, line_search_evaluations = strong_wolfe(
                        evaluate, direction, loss, grad, t)
                else:
                    t, (loss, grad), line_search_evaluations = armijo_backtracking(
                        evaluate, loss, slope, t, max_backtracks=25)
                set_parameters(params, start + t * direction)
                grad_max = float(xp.abs(grad).max())
            evaluations += line_search_evaluations
            state["func_evals"] += line_search_evaluations

            if iteration == group["max_iter"] or evaluations >= group["max_eval"]:
                break
            if grad_max <= tolerance_grad:
                break
            if float(xp.abs(direction * t).max()) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=direction, t=t, old_dirs=old_dirs, old_stps=old_steps, ro=inverse_ys,
                     H_diag=h_diag, prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _two_loop(grad, old_dirs, old_steps, inverse_ys, h_diag):
        """−H g by the two-loop recursion over the stored pairs (newest last)."""
        alphas = [0.0] * len(old_dirs)
        q = -grad
        for i in range(len(old_dirs) - 1, -1, -1):
            alphas[i] = (old_steps[i] @ q) * inverse_ys[i]
            q = q - alphas[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            beta = (old_dirs[i] @ r) * inverse_ys[i]
            r = r + (alphas[i] - beta) * old_steps[i]
        return r
