"""``KFAC``, ``KFRA``, ``KFLR``: Kronecker-factored (Gauss-Newton / Fisher) preconditioning.

Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning" (2017),
and ``minigrad/curvature/README.md`` ("Kronecker factors"): each dense or convolution
layer's curvature block over ``[W.ravel(), b]`` is approximated by ``Ḡ ⊗ Ā``
(output-side factor first), with ``Ā`` the second moment of the layer input
(a 1 appended for the bias) and ``Ḡ`` from ``closure.kronecker_factors(kind)``
(KFAC: Monte-Carlo Fisher; KFLR: exact pre-activation Gauss-Newton; KFRA:
recursive approximation). The three optimizers differ only in that ``kind``.

Per layer, with ``∇W̃ = [∇W | ∇b]`` of shape ``(out, in + 1)`` (the bias
gradient as the last column; a convolution weight flattened to
``(out, in·kh·kw)``), in the layout of the factor block (``layer.to_matrix`` and
``layer.from_matrix``):

1. Running averages (the paper's "momentum on the curvature matrix"):
   ``Ā ← ε Ā + (1 − ε) A``, ``Ḡ ← ε Ḡ + (1 − ε) G`` at the t-th factor update,
   t = 1, 2, …, with
   ``ε = decay``, or with ``decay_warmup=True`` ``ε_t = min(1 − 1/t, decay)``
   (Martens & Grosse 2015, §5): while ``1 − 1/t < decay`` the average is the
   plain mean of the t factors seen so far, so the first batch does not weigh
   ``decay^t`` for long (the first step takes A and G as they are either way).
   Fresh factors are computed at every ``factor_period``-th step (steps with
   ``step % factor_period == 0``, 0-based); the steps between reuse the
   averages as they are, so a costly kind (KFLR: one backward pass per output
   and sample) is paid once per ``factor_period`` updates, as the inverses are
   once per ``inverse_period``. ``chunk_size`` (KFAC, KFLR) bounds the samples
   whose columns are back-propagated at once (``curvature.kflr``), the memory,
   not the result.
2. At each of the first ``inverse_warmup`` steps, then every ``inverse_period``
   steps (steps t with ``(t − 1) % inverse_period == 0``), factored Tikhonov
   damping (Martens & Grosse 2015, §6.3) with ``π = sqrt((tr Ā / dim Ā) / (tr Ḡ / dim Ḡ))``
   (π = 1 when a trace vanishes):
   ``Ā⁻¹_γ = (Ā + π √γ I)⁻¹`` and ``Ḡ⁻¹_γ = (Ḡ + π⁻¹ √γ I)⁻¹``.
3. Direction ``U = Ḡ⁻¹_γ ∇W̃ Ā⁻¹_γ``, i.e. ``(Ḡ_γ ⊗ Ā_γ)⁻¹ vec(∇W̃)`` for
   row-major vec, since ``(G ⊗ A) vec(V) = vec(G V Aᵀ)``.

The damping γ is in the units of the loss the closure reduces: the factors are
those of the Gauss-Newton matrix of that loss, so γ set for a loss averaged
over the d outputs of a sample (``reduction="mean"``) is the damping d·γ for
the same loss summed over them (``reduction="batchmean"``, the scale of
Botev et al.'s and Martens & Grosse's numbers).

The defaults (``decay_warmup=False``, ``inverse_warmup=0``,
``inverse_period=1``, ``factor_period=1``) are the plain running average of
fresh factors and fresh inverses every step. On the MNIST autoencoder at batch
1000 the warm-up and a schedule of inverses every step for 20 steps, then
every 5, make the first 100 updates faster; the measurements are in the demo ``gauss_newton_autoencoder``'s sweep.

An ``Embedding`` table's factors are ``A ⊗ G`` over ``W.ravel()`` with ``A`` the vector of its
diagonal (``minigrad/curvature/layerwise/embedding_factors.py``): ``W̃ = Wᵀ`` (D, V) and
``(A + π√γ I)⁻¹`` is the entrywise inverse, a column scaling of ``Ḡ⁻¹_γ W̃``. A
self-attention's packed in-projection is read as a ``Linear`` with 3E outputs.

Parameters in no Kronecker layer (e.g. BatchNorm and LayerNorm scale and shift, a ViT's class
token and position embeddings) use their
plain gradient as the direction (an SGD step); an optimizer none of whose
parameters is in a Kronecker layer refuses to step. Every parameter then takes a
heavy-ball step ``m ← μ m + U``, ``θ ← θ − lr·m`` (``momentum`` μ; 0 gives
``θ ← θ − lr·U``, the damped Gauss-Newton step of the factored block
diagonal at lr = 1).
"""
from minigrad import backend
from .optimizer import (Optimizer, require, require_curvature_closure,
                        require_positive_integer)


def damped_inverses(A, G, damping):
    """``((A + π√γ I)⁻¹, (G + π⁻¹√γ I)⁻¹, π)`` with π = sqrt((tr A/dim A)/(tr G/dim G)).
    ``A`` given as the vector of its diagonal (an Embedding's) gives the inverse's diagonal."""
    xp = backend.get_array_module(A)
    trace_a = A.sum() if A.ndim == 1 else xp.trace(A)
    mean_a, mean_g = trace_a / A.shape[0], xp.trace(G) / G.shape[0]
    positive = (mean_a > 0) & (mean_g > 0)
    ratio = xp.abs(mean_a / xp.where(positive, mean_g, 1))
    pi = xp.where(positive, xp.sqrt(ratio), 1).astype(A.dtype)
    root = damping ** 0.5
    a_inverse = (1 / (A + pi * root) if A.ndim == 1
                 else xp.linalg.inv(A + pi * root * xp.eye(A.shape[0], dtype=A.dtype)))
    g_inverse = xp.linalg.inv(G + root / pi * xp.eye(G.shape[0], dtype=G.dtype))
    return a_inverse, g_inverse, pi


def preconditioned(G_inverse, matrix, A_inverse):
    """``G⁻¹ W̃ A⁻¹`` for ``W̃`` (out, width); ``A_inverse`` a matrix or the vector of its
    diagonal (then a column scaling)."""
    left = G_inverse @ matrix
    return left * A_inverse if A_inverse.ndim == 1 else left @ A_inverse


def running_decay(group, t):
    """The running-average weight of step ``t`` (1-based): ``decay``, or with the group's
    ``decay_warmup`` ``min(1 − 1/t, decay)``."""
    if group["decay_warmup"]:
        return min(1.0 - 1.0 / t, group["decay"])
    return group["decay"]


def inverse_due(group, step):
    """Whether step ``step`` (0-based) recomputes the damped inverses: each of the first
    ``inverse_warmup`` steps, and every ``inverse_period``-th step."""
    return step < group["inverse_warmup"] or step % group["inverse_period"] == 0


def take_steps(optimizer, directions):
    """``m ← μ m + U``, ``θ ← θ − lr·m`` for every parameter with a gradient; ``U`` is
    ``directions[id(p)]``, or the plain gradient for a parameter in no Kronecker layer."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is None:
                continue
            direction = directions.get(id(p), p.grad.data)
            state = optimizer.state.setdefault(p, {})
            if group["momentum"]:
                buffer = state.get("momentum_buffer")
                if buffer is not None:
                    direction = group["momentum"] * buffer + direction
                state["momentum_buffer"] = direction.copy()
            p.data -= group["lr"] * direction.astype(p.dtype, copy=False)


def require_layers(name, layers):
    """``layers``; the refusal naming optimizer ``name`` when there is none."""
    if not layers:
        raise ValueError(f"{name}: the closure gave Kronecker factors for none of this "
                         f"optimizer's parameters (no Linear, Conv2d, Embedding or "
                         f"self-attention in-projection among them); "
                         f"without factors every step would be a plain gradient step: use "
                         f"optim.SGD for these parameters")
    return layers


class KroneckerFactored(Optimizer):
    """Base of KFAC/KFRA/KFLR (subclasses set ``kind``); ``step`` needs a curvature closure.

    Per layer (Botev et al. 2017; Martens & Grosse 2015 §6.3 damping):
    ``U = (Ḡ + π⁻¹√γ I)⁻¹ [∇W | ∇b] (Ā + π√γ I)⁻¹``, ``m ← μ m + U``, ``θ ← θ − lr·m``.
    """

    kind = None

    def __init__(self, params, lr=0.1, damping=0.1, decay=0.95, inverse_period=1, momentum=0.0,
                 mc_samples=1, seed=None, decay_warmup=False, inverse_warmup=0,
                 factor_period=1, chunk_size=None, approx="expand"):
        name = type(self).__name__
        require(approx in ("expand", "reduce") and (approx == "expand" or self.kind != "kfra"),
                name, "approx", approx, "'expand' or 'reduce' ('expand' for KFRA)")
        require(lr > 0, name, "lr", lr, "> 0")
        require(damping > 0, name, "damping", damping, "> 0")
        require(0 <= decay < 1, name, "decay", decay, "in [0, 1)")
        require_positive_integer(name, "inverse_period", inverse_period)
        require(0 <= momentum < 1, name, "momentum", momentum, "in [0, 1)")
        require_positive_integer(name, "mc_samples", mc_samples)
        require(isinstance(decay_warmup, bool), name, "decay_warmup", decay_warmup,
                "True or False")
        require(not isinstance(inverse_warmup, bool) and isinstance(inverse_warmup, int)
                and inverse_warmup >= 0, name, "inverse_warmup", inverse_warmup,
                "an integer >= 0")
        require_positive_integer(name, "factor_period", factor_period)
        if chunk_size is not None:
            require(self.kind != "kfra", name, "chunk_size", chunk_size,
                    "None (KFRA's recursion is batch-averaged; chunk_size bounds the "
                    "back-propagated columns of KFAC and KFLR)")
            require_positive_integer(name, "chunk_size", chunk_size)
        super().__init__(params, dict(lr=lr, damping=damping, decay=decay,
                                      inverse_period=inverse_period, momentum=momentum,
                                      decay_warmup=decay_warmup,
                                      inverse_warmup=inverse_warmup))
        self.mc_samples = mc_samples
        self.seed = seed
        self.factor_period = factor_period
        self.chunk_size = chunk_size
        self.approx = approx
        self._layers = None

    def _factors(self, closure, step):
        options = {} if self.chunk_size is None else {"chunk_size": self.chunk_size}
        if self.approx != "expand":
            options["approx"] = self.approx
        if self.kind == "kfac":
            seed = None if self.seed is None else self.seed + step
            return closure.kronecker_factors("kfac", mc_samples=self.mc_samples, seed=seed,
                                             **options)
        return closure.kronecker_factors(self.kind, **options)

    def step(self, closure=None):
        """One preconditioned step; returns the loss at the parameters before the step."""
        name = type(self).__name__
        if closure is None:
            raise ValueError(f"{name}.step needs a curvature closure with kronecker_factors")
        require_curvature_closure(closure, name, "kronecker_factors")
        loss = closure()
        groups = {id(p): group for group in self.param_groups for p in group["params"]}
        directions = {}
        first = self.param_groups[0]["params"][0]
        step = self.state.setdefault(first, {}).get("step", 0)
        fresh = self._layers is None or step % self.factor_period == 0
        if fresh:
            self._layers = require_layers(name, [layer for layer in self._factors(closure, step)
                                                 if id(layer.params[0]) in groups])
        layers = self._layers
        for layer in layers:
            weight = layer.params[0]
            group = groups[id(weight)]
            state = self.state.setdefault(weight, {})
            if fresh:
                state["factor_updates"] = state.get("factor_updates", step) + 1
                decay = running_decay(group, state["factor_updates"]) if "A" in state else 0.0
                state["A"] = decay * state["A"] + (1 - decay) * layer.A if decay else \
                    layer.A.copy()
                state["G"] = decay * state["G"] + (1 - decay) * layer.G if decay else \
                    layer.G.copy()
            if inverse_due(group, step) or "A_inverse" not in state:
                state["A_inverse"], state["G_inverse"], state["pi"] = damped_inverses(
                    state["A"], state["G"], group["damping"])
            grad = layer.to_matrix([p.grad.data for p in layer.params])
            update = preconditioned(state["G_inverse"], grad, state["A_inverse"])
            for p, direction in zip(layer.params, layer.from_matrix(update)):
                directions[id(p)] = direction
        take_steps(self, directions)
        self.state[first]["step"] = step + 1
        return loss


class KFAC(KroneckerFactored):
    """Kronecker-factored approximate curvature (Monte-Carlo Fisher, ``mc_samples`` draws).

    The update of ``KroneckerFactored`` with ``Ḡ`` of kind ``"kfac"``
    (Botev, Ritter & Barber 2017; ``minigrad/curvature/README.md``, "Kronecker factors").
    ``approx`` ("expand", the default, or "reduce") reads the token axis of a ``Linear`` on
    (N, S, in) inputs and a ``Conv2d``'s output positions as Eschenhagen et al. (2023) define
    (``minigrad/curvature/layerwise/weight_sharing.py``); KFLR takes it too, KFRA only "expand".

    >>> import numpy
    >>> import minigrad
    >>> import optim
    >>> from minigrad import curvature, nn
    >>> nn.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> data = numpy.random.default_rng(0).standard_normal((16, 3)).astype(numpy.float32)
    >>> x, y = minigrad.tensor(data), minigrad.tensor((data[:, 0] > 0).astype(numpy.int64))
    >>> optimizer = optim.KFAC(model.parameters(), lr=0.2, damping=0.1, seed=0)
    >>> closure = curvature.Closure(model, nn.CrossEntropyLoss(), x, y)
    >>> losses = [float(optimizer.step(closure).item()) for _ in range(5)]
    >>> losses[-1] < losses[0]
    True
    """

    kind = "kfac"


class KFRA(KroneckerFactored):
    """Kronecker-factored recursive approximation of the Gauss-Newton blocks.

    The update of ``KroneckerFactored`` with ``Ḡ`` of kind ``"kfra"``
    (Botev, Ritter & Barber 2017; ``minigrad/curvature/README.md``, "Kronecker factors").
    """

    kind = "kfra"


class KFLR(KroneckerFactored):
    """Kronecker-factored low-rank (exact pre-activation Gauss-Newton) approximation.

    The update of ``KroneckerFactored`` with ``Ḡ`` of kind ``"kflr"``
    (Botev, Ritter & Barber 2017; ``minigrad/curvature/README.md``, "Kronecker factors").
    """

    kind = "kflr"
