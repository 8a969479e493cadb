"""AdaHessian: Adam with the Hessian diagonal in place of the squared gradient.

Yao et al. 2021, "ADAHESSIAN: an adaptive second order optimizer for machine
learning" (arXiv:2006.00719), Algorithm 1, as described in
Attias, Cadei & Novaković (2022) eqs. (3), (8)–(10). At step t = 1, 2, …:

    z ~ Rademacher (±1, one probe shared by all parameters)
    D = z ⊙ (H z)                          Hutchinson estimate of diag(H), eq. (8)
    D⁽ˢ⁾ = |D|                              1-D and 2-D parameters
    D⁽ˢ⁾ = mean over kernel axes of |D|     conv kernels (out, in, k…): spatial average, eq. (9)
    m ← β₁ m + (1 − β₁) g                  first moment, eq. (3)
    v ← β₂ v + (1 − β₂) D⁽ˢ⁾ ⊙ D⁽ˢ⁾         second moment, eq. (10)
    θ ← θ − η [ (m / (1 − β₁ᵗ)) / ((√v / √(1 − β₂ᵗ))ᵏ + ε) + λ θ ]

k is ``hessian_power``, λ the decoupled weight decay (as AdamW). Gradient and
Hessian-vector product come from one forward pass: ``step(closure)`` asks the
closure (``minigrad.curvature.Closure``) for ``closure.hessian_product()``,
which fills ``p.grad`` and keeps the gradient's graph, and applies it to the
probe. The probes come from a seeded host generator whose state
``state_dict`` saves.
"""
import copy

import numpy

from minigrad import backend
from minigrad.random import rademacher

from .adam import check_adam_arguments
from .optimizer import Optimizer, require, require_curvature_closure


def rademacher_probes(generator, params):
    """One ±1 array per parameter (same shape, dtype and array module), from ``generator``."""
    return [rademacher(generator, p.shape, backend.get_array_module(p.data), p.dtype)
            for p in params]


def hessian_diagonal_estimate(hessian_probe_product, probe):
    """``D⁽ˢ⁾``: ``|z ⊙ Hz|``, averaged over the kernel axes (2 …) of parameters with ≥ 3 axes."""
    xp = backend.get_array_module(probe)
    diagonal = xp.abs(probe * hessian_probe_product)
    if diagonal.ndim >= 3:
        diagonal = diagonal.mean(axis=tuple(range(2, diagonal.ndim)), keepdims=True)
    return diagonal


class AdaHessian(Optimizer):
    """AdaHessian(params, lr=0.15, betas=(0.9, 0.999), eps=1e-4, weight_decay=0, hessian_power=1, seed=0).

    Yao et al. 2021, Algorithm 1 (Attias et al. 2022, eqs. 8–10): Adam
    with ``v ← β₂ v + (1 − β₂) D⁽ˢ⁾ ⊙ D⁽ˢ⁾`` for the Hutchinson diagonal ``D = z ⊙ Hz``,
    ``θ ← θ − η (m̂ / (v̂^{k/2} + ε) + λ θ)``.
    """

    def __init__(self, params, lr=0.15, betas=(0.9, 0.999), eps=1e-4, weight_decay=0,
                 hessian_power=1, seed=0):
        name = type(self).__name__
        check_adam_arguments(name, lr, betas, eps, weight_decay)
        require(0 <= hessian_power <= 1, name, "hessian_power", hessian_power, "in [0, 1]")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, hessian_power=hessian_power))
        self.generator = numpy.random.default_rng(seed)

    def step(self, closure=None):
        """Evaluate loss and gradient, estimate the Hessian diagonal, update; returns the loss."""
        if closure is None:
            raise TypeError(f"{type(self).__name__}.step needs a curvature closure "
                            "(minigrad.curvature.Closure) for its hessian_product()")
        require_curvature_closure(closure, type(self).__name__, "hessian_product")
        hessian = closure.hessian_product()
        loss = hessian.loss
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        if not params:
            return loss
        probes = rademacher_probes(self.generator, params)
        products = self._hessian_products(hessian, list(closure.params), params, probes)
        diagonals = {id(p): hessian_diagonal_estimate(hz, z)
                     for p, hz, z in zip(params, products, probes)}
        initial_state = lambda group, p: _initial_state(p, diagonals[id(p)])  # noqa: E731
        for group, p, state in self._parameter_states(initial_state):
            beta1, beta2 = group["betas"]
            xp = backend.get_array_module(p.data)
            diagonal = diagonals[id(p)]
            exp_avg, exp_hessian_diag_sq = state["exp_avg"], state["exp_hessian_diag_sq"]
            exp_avg *= beta1
            exp_avg += (1 - beta1) * p.grad.data
            exp_hessian_diag_sq *= beta2
            exp_hessian_diag_sq += (1 - beta2) * diagonal * diagonal
            bias_correction1 = 1 - beta1 ** state["step"]
            bias_correction2 = 1 - beta2 ** state["step"]
            k = group["hessian_power"]
            denominator = (xp.sqrt(exp_hessian_diag_sq / bias_correction2)) ** k + group["eps"]
            p.data -= group["lr"] * (exp_avg / bias_correction1 / denominator
                                     + group["weight_decay"] * p.data)
        return loss

    def _hessian_products(self, hessian, closure_params, params, probes):
        """``H z`` for the optimized parameters; other closure parameters get zero probes."""
        position = {id(p): i for i, p in enumerate(closure_params)}
        missing = [p.shape for p in params if id(p) not in position]
        if missing:
            raise ValueError(f"{type(self).__name__}: parameters of shapes {missing} are not "
                             "among the closure's params, so its Hessian cannot cover them")
        vectors = [backend.get_array_module(p.data).zeros_like(p.data) for p in closure_params]
        for p, z in zip(params, probes):
            vectors[position[id(p)]] = z
        products = hessian.apply(vectors, retain_graph=False)
        return [products[position[id(p)]] for p in params]

    def state_dict(self):
        state = super().state_dict()
        state["generator"] = copy.deepcopy(self.generator.bit_generator.state)
        return state

    def load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict) or "generator" not in state_dict:
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has no "
                             f"'generator' entry (the state of the probes' generator, as "
                             f"state_dict() returns); it comes from another optimizer")
        super().load_state_dict(state_dict)
        self.generator.bit_generator.state = copy.deepcopy(state_dict["generator"])


def _initial_state(p, diagonal):
    """Zero moments; the second one has the (kernel-averaged) shape of the diagonal."""
    xp = backend.get_array_module(p.data)
    return {"exp_avg": xp.zeros_like(p.data), "exp_hessian_diag_sq": xp.zeros_like(diagonal)}
