"""``ClassSubspaceNewton``: Newton in the span of the class gradients, SGD in its complement.

Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in the class gradient
defined high-curvature subspace" (2020). With the class gradients ``c_k`` (eq. 1,
from ``closure.class_gradients()``, one row per class k = 1..C), the low-rank
Hessian model (eqs. 3–4)

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
``1/(λ_k + δ)`` (δ = 0 is eq. 6 exactly). A class whose ``λ̄_k + δ`` is not
positive (e.g. it has not appeared in any batch yet) is left out of the Newton
subspace. The model must output logits ``(N, C)`` and the closure's ``y`` hold
class indices ``(N,)`` or one-hot rows ``(N, C)``.

Where λ_k comes from is ``curvature``:

* ``"eq4"``: the paper's λ_k above;
* ``"rayleigh"``: the measured curvature along each (averaged, unit) class
  direction used in the step, ``λ_k = v̄_kᵀ H v̄_k`` on the current batch (one
  exact Hessian-vector product per class), averaged over steps like eq. 4's;
* ``"subspace"``: Newton's step in span{v̄_k} with the exact Hessian there.
  With ``Q`` ``(P, r)`` an orthonormal basis of the averaged directions and the
  projected Hessian ``Qᵀ H Q = U diag(μ) Uᵀ`` (r Hessian-vector products on the
  current batch, not averaged), the update is

      θ ← θ − η (I − Q Qᵀ) g − Q U diag(s) Uᵀ Qᵀ g,
      s_i = 1/(μ_i + δ) where μ_i > 0, else η,

  so along every eigenvector of the projected Hessian the step is the damped
  Newton step, at most 1/δ, except along zero or negative curvature, where it
  is SGD's (damping a negative μ_i would give an unbounded step); unlike eq. 6
  it neither assumes the v_k orthogonal nor counts a shared direction twice.
  With δ = 0 and span{v̄_k} the whole space it is Newton's method.
"""
from minigrad import Tensor, backend
from minigrad.ops.activation import Softmax

from .optimizer import Optimizer, require, require_curvature_closure
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


def hessian_vector_product(closure, vector, params):
    """``H v`` as a flat vector, from one ``closure.hvp`` of the parameter-shaped pieces of v."""
    return arrays_to_vector(closure.hvp(vector_to_arrays(vector, [p.shape for p in params])))


def rayleigh_quotients(closure, directions, params):
    """``v_kᵀ H v_k / v_kᵀ v_k`` for each row ``v_k`` of ``directions`` (0 for a zero row), one
    ``closure.hvp`` each."""
    xp = backend.get_array_module(directions)
    values = []
    for v in directions:
        length = float((v * v).sum())
        values.append(float(v @ hessian_vector_product(closure, v, params)) / length
                      if length > 0 else 0.0)
    return xp.asarray(values, dtype=directions.dtype)


def orthonormal_basis(directions):
    """``(P, r)`` orthonormal columns spanning the rows of ``directions`` ``(C, P)``; r is the
    numerical rank (singular values above ``max(C, P) · eps · σ₁``)."""
    xp = backend.get_array_module(directions)
    u, s, _ = xp.linalg.svd(directions.T, full_matrices=False)
    if not s.size or float(s[0]) == 0:
        return u[:, :0]
    tolerance = max(directions.shape) * float(xp.finfo(directions.dtype).eps) * float(s[0])
    return u[:, :int((s > tolerance).sum())]


def projected_hessian(closure, basis, params):
    """``Qᵀ H Q`` ``(r, r)``, symmetrised, from one Hessian-vector product per column of Q."""
    xp = backend.get_array_module(basis)
    products = xp.stack([hessian_vector_product(closure, q, params)
                         for q in basis.T], axis=1) if basis.shape[1] else basis
    matrix = basis.T @ products
    return (matrix + matrix.T) / 2


class ClassSubspaceNewton(Optimizer):
    """ClassSubspaceNewton(params, lr=0.01, beta=0.9, damping=0.0, curvature="eq4");
    ``step(closure)``.

    Tuddenham, Prügel-Bennett & Hare (2020) eq. 6 with moving averages of v_k and λ_k:
    ``θ ← θ − η g − Σ_k (1/(λ_k + δ) − η) (v_kᵀ g) v_k``.
    ``curvature="eq4"`` takes λ_k from the paper's eq. 4; ``curvature="rayleigh"``
    measures it, ``λ_k = v_kᵀ H v_k`` from one exact Hessian-vector product per
    class (``closure.hvp``) along the averaged direction, which on a small CNN is
    9–36× the eq. 4 value (eq. 4's steps along v_k are that much too long); a
    class whose measured curvature is not positive is left out of the Newton
    subspace.
    ``curvature="subspace"`` takes Newton's step with the exact Hessian projected on
    span{v_k} (module docstring), one Hessian-vector product per class.
    """

    CURVATURES = ("eq4", "rayleigh", "subspace")

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
        """One update (6), or its subspace-Newton form; returns the loss before the step."""
        name = type(self).__name__
        if closure is None:
            raise ValueError(f"{name}.step needs a curvature closure with class_gradients")
        require_curvature_closure(closure, name, "class_gradients")
        group = self.param_groups[0]
        params = group["params"]
        check_closure_parameters(closure, params, name)
        loss = closure()
        g = gradient_vector(params, name)
        xp = backend.get_array_module(g)
        class_gradients = closure.class_gradients()
        norms = xp.sqrt((class_gradients ** 2).sum(axis=1))
        if not bool(xp.isfinite(norms).all()):
            raise FloatingPointError(f"{name}: the class gradients {tuple(class_gradients.shape)} "
                                     f"{class_gradients.dtype} are not finite or their norms "
                                     f"overflow (loss {float(loss.item())}); the parameters "
                                     f"have diverged")
        directions = class_gradients / xp.where(norms > 0, norms, 1)[:, None]

        state = self.state.setdefault(params[0], {})
        if "directions" in state:
            directions = group["beta"] * state["directions"] + (1 - group["beta"]) * directions
        state["directions"] = directions
        state["step"] = state.get("step", 0) + 1
        lengths = xp.sqrt((directions ** 2).sum(axis=1))
        unit = directions / xp.where(lengths > 0, lengths, 1)[:, None]
        if group["curvature"] == "subspace":
            step = self._subspace_newton_step(closure, unit, g, group, state)
        else:
            step = self._equation_6_step(closure, unit, lengths, norms, g, group, state)
        add_to_parameters(params, step, -1.0)
        return loss

    def _averaged_eigenvalues(self, closure, unit, norms, group, state):
        """λ̄_k: eq. 4 (from the closure's logits) or v_kᵀHv_k, averaged over steps."""
        if group["curvature"] == "rayleigh":
            eigenvalues = rayleigh_quotients(closure, unit, group["params"])
        else:
            logits = closure.latest_output.data
            labels = closure.y.data if isinstance(closure.y, Tensor) else closure.y
            targets = one_hot(labels, logits.shape[1], type(self).__name__)
            eigenvalues = class_eigenvalues(norms, Softmax().forward(logits, 1), targets)
        if "eigenvalues" in state:
            eigenvalues = group["beta"] * state["eigenvalues"] + (1 - group["beta"]) * eigenvalues
        state["eigenvalues"] = eigenvalues
        return eigenvalues

    def _equation_6_step(self, closure, unit, lengths, norms, g, group, state):
        """``η g + Σ_k (1/(λ̄_k + δ) − η) (v_kᵀ g) v_k`` over the classes with λ̄_k + δ > 0."""
        xp = backend.get_array_module(g)
        eigenvalues = self._averaged_eigenvalues(closure, unit, norms, group, state)
        curvature = eigenvalues + group["damping"]
        in_subspace = (curvature > 0) & (lengths > 0)
        inverse = 1 / xp.where(in_subspace, curvature, 1)
        newton_scale = xp.where(in_subspace, inverse - group["lr"], 0)
        return group["lr"] * g + unit.T @ (newton_scale * (unit @ g))

    def _subspace_newton_step(self, closure, unit, g, group, state):
        """``η (I − QQᵀ) g + Q U diag(s) Uᵀ Qᵀ g`` (module docstring)."""
        xp = backend.get_array_module(g)
        basis = orthonormal_basis(unit)
        matrix = projected_hessian(closure, basis, group["params"])
        if not bool(xp.isfinite(matrix).all()):
            raise FloatingPointError(f"{type(self).__name__}: the projected Hessian QᵀHQ "
                                     f"{tuple(matrix.shape)} is not finite")
        values, vectors = xp.linalg.eigh(matrix)
        state["eigenvalues"] = values
        scale = xp.where(values > 0, 1 / (xp.where(values > 0, values, 1) + group["damping"]),
                         group["lr"])
        coordinates = basis.T @ g
        in_span = basis @ coordinates
        return group["lr"] * (g - in_span) + basis @ (vectors @ (scale * (vectors.T @ coordinates)))
