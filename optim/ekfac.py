"""``EKFAC``: preconditioning by eigenvalue-corrected Kronecker-factored curvature.

George, Laurent, Bouthillier, Ballas & Vincent, "Fast Approximate Natural Gradient Descent in a
Kronecker-factored Eigenbasis" (2018). Each ``Linear`` / ``Conv2d`` layer's (and self-attention
in-projection's) curvature block over ``[W.ravel(), b]`` (an ``Embedding``'s over ``W.ravel()``,
with ``Q_A = I``) is ``E = (Q_G ⊗ Q_A) diag(s) (Q_G ⊗ Q_A)ᵀ`` (the eigenbases of the Kronecker
factors of ``fisher_type`` and the corrected eigenvalues ``s``, the diagonal of the layer's
curvature in that basis; ``minigrad/curvature/layerwise/ekfac.py``), given by the closure's
``ekfac_factors(fisher_type, mc_samples, seed)`` for the current batch. With ``∇W̃ = [∇W | ∇b]``
the direction is

    U = Q_G [ (Q_Gᵀ ∇W̃ Q_A) / (s + γ) ] Q_Aᵀ   = (E + γ I)⁻¹ vec(∇W̃)

(``damping`` γ > 0), and every parameter takes the heavy-ball step of ``optim.KFAC``:
``m ← μ m + U``, ``θ ← θ − lr·m``; parameters in no Kronecker layer (batch-norm and layer-norm
scale and shift, class tokens, position embeddings) use their plain gradient.

As George et al. amortise it, the Kronecker factors and their eigenbasis are computed afresh
only at the steps with ``step % basis_period == 0`` (0-based); at the other steps the closure
gives the current batch's ``s`` in the kept basis (``ekfac_factors(..., basis=kept)``: no factor
and no eigendecomposition), so the basis costs its eigendecompositions once per
``basis_period`` steps and ``s`` follows every batch. ``basis_period=1`` (the default) takes both
from the current batch at every step. The paper's running average of ``s`` is not used. The
kept basis is not part of ``state_dict()``, as ``optim.KFAC`` keeps its layers outside it and
computes fresh factors at the first step of an optimizer that loaded a state:
``load_state_dict`` drops the basis, the first step after loading computes a fresh one whatever
its step number, and a resumed run agrees with an uninterrupted one from the next due step on.
With ``fisher_type="type-2"`` on a single ``Linear`` layer under ``MSELoss``, ``E`` is the exact
Hessian, so at lr = 1 and γ → 0 one step reaches the least-squares solution.
"""
from .kronecker import require_layers, take_steps
from .optimizer import Optimizer, require, require_positive_integer

FISHER_TYPES = ("type-2", "mc", "empirical")


class EKFAC(Optimizer):
    """Eigenvalue-corrected KFAC; ``step`` needs a curvature closure (``curvature.Closure``).

    >>> import numpy
    >>> import minigrad
    >>> import optim
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> data = numpy.random.default_rng(0).standard_normal((16, 3)).astype(numpy.float32)
    >>> x, y = minigrad.tensor(data), minigrad.tensor((data[:, 0] > 0).astype(numpy.int64))
    >>> optimizer = optim.EKFAC(model.parameters(), lr=0.2, damping=0.1, seed=0)
    >>> closure = curvature.Closure(model, nn.CrossEntropyLoss(), x, y)
    >>> losses = [float(optimizer.step(closure).item()) for _ in range(5)]
    >>> losses[-1] < losses[0]
    True
    """

    def __init__(self, params, lr=0.1, damping=0.1, momentum=0.0, fisher_type="mc",
                 mc_samples=1, seed=None, basis_period=1):
        name = type(self).__name__
        require(lr > 0, name, "lr", lr, "> 0")
        require(damping > 0, name, "damping", damping, "> 0")
        require(0 <= momentum < 1, name, "momentum", momentum, "in [0, 1)")
        require(fisher_type in FISHER_TYPES, name, "fisher_type", fisher_type,
                f"one of {FISHER_TYPES}")
        require_positive_integer(name, "mc_samples", mc_samples)
        require_positive_integer(name, "basis_period", basis_period)
        super().__init__(params, dict(lr=lr, damping=damping, momentum=momentum))
        self.fisher_type, self.mc_samples, self.seed = fisher_type, mc_samples, seed
        self.basis_period = basis_period
        self._basis = None

    def load_state_dict(self, state_dict):
        """``Optimizer.load_state_dict``; the kept eigenbasis is dropped (module docstring)."""
        super().load_state_dict(state_dict)
        self._basis = None

    def step(self, closure=None):
        """One preconditioned step; returns the loss at the parameters before the step."""
        name = type(self).__name__
        if closure is None:
            raise ValueError(f"{name}.step needs a curvature closure with ekfac_factors")
        loss = closure()
        groups = {id(p): group for group in self.param_groups for p in group["params"]}
        first = self.param_groups[0]["params"][0]
        step = self.state.setdefault(first, {}).get("step", 0)
        seed = None if self.seed is None else self.seed + step
        kept = {} if step % self.basis_period == 0 or self._basis is None else {
            "basis": self._basis}
        self._basis = closure.ekfac_factors(self.fisher_type, self.mc_samples, seed, **kept)
        blocks = require_layers(name, [block for block in self._basis
                                       if id(block.params[0]) in groups])
        directions = {}
        for block in blocks:
            layout = block.kronecker
            gradient = layout.matrix_to_vector(layout.to_matrix([p.grad.data
                                                                 for p in block.params]))
            update = block.solve(gradient, groups[id(block.params[0])]["damping"])
            for p, direction in zip(block.params,
                                    layout.from_matrix(layout.vector_to_matrix(update))):
                directions[id(p)] = direction
        take_steps(self, directions)
        self.state[first]["step"] = step + 1
        return loss
