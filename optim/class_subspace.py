"""``ClassSubspaceNewton``: Newton in the span of the class gradients, SGD in its complement.

class-gradient-quasi-newton.txt (Tuddenham, Prügel-Bennett & Hare). With the
class gradients ``c_k`` (eq. 1, from ``closure.class_gradients()``, one row per
class k = 1..C), the low-rank Hessian model (eqs. 3–4)

    H ≈ Σ_k λ_k v_k v_kᵀ,   v_k = c_k / ‖c_k‖,
    λ_k = (1/|B|) Σ_{μ∈B} y_k^μ p_k^μ (1 − p_k^μ) ‖c_k‖²

(``y^μ`` the one-hot label and ``p^μ = softmax(z^μ)`` the predicted class
probabilities of example μ of the batch, from the logits ``closure.latest_output``
of the gradient's forward pass, so batch-norm statistics move once per step) gives,
with Newton's method in span{v_k} and SGD with learning rate η in the
complement ``P = I − Σ_k v_k v_kᵀ`` (eq. 5), the update (eq. 6)

    θ ← θ − η g − Σ_k (1/λ_k − η) (v_kᵀ g) v_k.

As the paper does, v_k and λ_k are exponential moving averages over steps
(``v̄_k ← β v̄_k + (1 − β) v_k``, the same for λ_k; the first step takes the
batch values); the averaged direction is renormalised to unit length before
use, so that eq. 6 keeps its meaning. ``damping`` δ ≥ 0 replaces ``1/λ_k`` by
``1/(λ_k + δ)`` (δ = 0 is eq. 6 exactly). A class whose ``λ̄_k + δ`` is zero
(it has not appeared in any batch yet) is left out of the Newton subspace.
The model must output logits ``(N, C)`` and the closure's ``y`` hold class
indices ``(N,)`` or one-hot rows ``(N, C)``.
"""
from minigrad import Tensor, backend
from minigrad.ops.activation import Softmax

from .optimizer import Optimizer, require
from .parameter_vectors import (add_to_parameters, arrays_to_vector, check_closure_parameters,
                                gradient_vector, vector_to_arrays)


def one_hot(labels, classes, owner):
    """``(N, C)`` one-hot rows from class indices ``(N,)``, or the given ``(N, C)`` rows."""
    xp = backend.get_array_module(labels)
    if labels.ndim == 2 and labels.shape[1] == classes:
        return labels
    if labels.ndim != 1:
        raise ValueError(f"{owner}: labels must be class indices (N,) or one-hot (N, {classes}), "
                         f"got shape {labels.shape}")
    return (labels.astype(int)[:, None] == xp.arange(classes)[None, :]).astype(float)


def class_eigenvalues(class_gradient_norms, probabilities, targets):
    """λ_k = (1/|B|) Σ_μ y_k^μ p_k^μ (1 − p_k^μ) ‖c_k‖² (eq. 4)."""
    return (targets * probabilities * (1 - probabilities)).mean(axis=0) * class_gradient_norms ** 2


def rayleigh_quotients(closure, directions, params):
    """``v_kᵀ H v_k / v_kᵀ v_k`` for each row ``v_k`` of ``directions`` (0 for a zero row), one
    ``closure.hvp`` each."""
    xp = backend.get_array_module(directions)
    shapes = [p.shape for p in params]
    values = []
    for v in directions:
        length = float((v * v).sum())
        product = arrays_to_vector(closure.hvp(vector_to_arrays(v, shapes))) if length > 0 else None
        values.append(float(v @ product) / length if length > 0 else 0.0)
    return xp.asarray(values, dtype=directions.dtype)


class ClassSubspaceNewton(Optimizer):
    """ClassSubspaceNewton(params, lr=0.01, beta=0.9, damping=0.0, curvature="eq4");
    ``step(closure)``.

    class-gradient-quasi-newton.txt eq. 6 with moving averages of v_k and λ_k:
    ``θ ← θ − η g − Σ_k (1/(λ_k + δ) − η) (v_kᵀ g) v_k``.
    ``curvature="eq4"`` takes λ_k from the paper's eq. 4; ``curvature="rayleigh"``
    measures it, ``λ_k = v_kᵀ H v_k`` from one exact Hessian-vector product per
    class (``closure.hvp``), which on a small CNN is 10–30× the eq. 4 value
    (eq. 4's steps along v_k are that much too long); a class whose measured
    curvature is not positive is left out of the Newton subspace.
    """

    CURVATURES = ("eq4", "rayleigh")

    def __init__(self, params, lr=0.01, beta=0.9, damping=0.0, curvature="eq4"):
        name = type(self).__name__
        require(lr > 0, name, "lr", lr, "> 0")
        require(0 <= beta < 1, name, "beta", beta, "in [0, 1)")
        require(damping >= 0, name, "damping", damping, "≥ 0")
        require(curvature in self.CURVATURES, name, "curvature", curvature,
                f"one of {self.CURVATURES}")
        super().__init__(params, dict(lr=lr, beta=beta, damping=damping, curvature=curvature))
        if len(self.param_groups) != 1:
            raise ValueError(f"{name} takes one parameter group, got {len(self.param_groups)}")

    def step(self, closure=None):
        """One update (6); returns the loss at the parameters before the step."""
        name = type(self).__name__
        if closure is None:
            raise ValueError(f"{name}.step needs a curvature closure with class_gradients")
        group = self.param_groups[0]
        params = group["params"]
        check_closure_parameters(closure, params, name)
        loss = closure()
        g = gradient_vector(params, name)
        xp = backend.get_array_module(g)
        class_gradients = closure.class_gradients()
        norms = xp.sqrt((class_gradients ** 2).sum(axis=1))
        directions = class_gradients / xp.where(norms > 0, norms, 1)[:, None]
        logits = closure.latest_output.data
        labels = closure.y.data if isinstance(closure.y, Tensor) else closure.y
        targets = one_hot(labels, logits.shape[1], name)
        eigenvalues = class_eigenvalues(norms, Softmax().forward(logits, 1), targets)

        state = self.state.setdefault(params[0], {})
        if group["curvature"] == "rayleigh":
            eigenvalues = rayleigh_quotients(closure, directions, params)
        if "directions" in state:
            beta = group["beta"]
            directions = beta * state["directions"] + (1 - beta) * directions
            eigenvalues = beta * state["eigenvalues"] + (1 - beta) * eigenvalues
        state["directions"], state["eigenvalues"] = directions, eigenvalues
        state["step"] = state.get("step", 0) + 1

        lengths = xp.sqrt((directions ** 2).sum(axis=1))
        unit = directions / xp.where(lengths > 0, lengths, 1)[:, None]
        curvature = eigenvalues + group["damping"]
        in_subspace = (curvature > 0) & (lengths > 0)
        inverse = 1 / xp.where(in_subspace, curvature, 1)
        newton_scale = xp.where(in_subspace, inverse - group["lr"], 0)
        coefficients = newton_scale * (unit @ g)
        add_to_parameters(params, group["lr"] * g + unit.T @ coefficients, -1.0)
        return loss
