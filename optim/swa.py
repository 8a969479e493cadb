"""Stochastic weight averaging (SWA) and its Gaussian (SWAG).

SWA (Izmailov et al. 2018, "Averaging weights leads to wider optima and better
generalization", Algorithm 1): wrap an optimizer; from step ``swa_start`` on the
learning rate is the constant ``swa_lr`` (the paper's constant schedule, cycle
length c = 1), and every ``swa_freq`` steps after ``swa_start`` the running average

    θ_SWA ← (n θ_SWA + θ) / (n + 1),   n ← n + 1

is updated (step counting as in ``torchcontrib.optim.SWA``: after the optimizer
step number s, when s > swa_start and s % swa_freq == 0). Without ``swa_start``
and ``swa_freq`` the caller averages by calling ``update_swa()``.
``swap_swa_sgd()`` exchanges the parameters with their averages (call it again
to swap back). Batch-norm statistics of averaged weights are stale: the model-side
``minigrad.nn.update_bn(loader, model)`` recomputes them with one pass over the data.

SWAG (Maddox et al. 2019, "A simple baseline for Bayesian uncertainty in deep
learning", Section 4): from the collected iterates θ_i (i = 1 … n) keep the
mean θ̄, the second moment θ̄², and the K = ``max_num_models`` latest
deviations D = [θ_i − θ̄_i] (P × K, θ̄_i the mean including θ_i), all
flat in parameters order, on the host in float64.
``sample(scale)`` draws

    θ̃ = θ̄ + √scale (Σ_diag^½ z₁ + D z₂ / √(K − 1)),   Σ_diag = max(θ̄² − θ̄², var_clamp)

with z₁ ~ N(0, I_P), z₂ ~ N(0, I_K); its covariance is
scale (Σ_diag + D Dᵀ / (K − 1)), which at scale = ½ is the paper's eq. (1)
``½ (Σ_diag + Σ_low-rank)``. ``cov=False`` drops the low-rank part.
"""
import copy

import numpy

from minigrad import backend
from minigrad.flat_vectors import arrays_to_vector, vector_to_arrays

from .optimizer import Optimizer, require


class SWA(Optimizer):
    """SWA(optimizer, swa_start=None, swa_freq=None, swa_lr=None): averaging wrapper.

    Izmailov et al. 2018, Algorithm 1: the wrapped optimizer's step, then every
    ``swa_freq`` steps after ``swa_start`` ``θ_SWA ← (n θ_SWA + θ) / (n + 1)``.

    ``param_groups`` and ``state`` are the wrapped optimizer's; the averages are
    in ``swa_state[p]["swa_buffer"]`` and ``n_averaged`` counts them.
    """

    def __init__(self, optimizer, swa_start=None, swa_freq=None, swa_lr=None):
        name = type(self).__name__
        require((swa_start is None) == (swa_freq is None), name, "swa_start/swa_freq",
                (swa_start, swa_freq), "both given (automatic averaging) or both None (manual)")
        require(swa_start is None or swa_start >= 0, name, "swa_start", swa_start, ">= 0")
        require(swa_freq is None or swa_freq >= 1, name, "swa_freq", swa_freq, ">= 1")
        require(swa_lr is None or swa_lr > 0, name, "swa_lr", swa_lr, "> 0")
        require(swa_lr is None or swa_start is not None, name, "swa_lr", swa_lr,
                "None unless swa_start and swa_freq are given")
        self.optimizer = optimizer
        self.defaults = optimizer.defaults
        self.swa_start, self.swa_freq, self.swa_lr = swa_start, swa_freq, swa_lr
        self.swa_state = {}
        self.n_averaged = 0
        self.step_counter = 0

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @property
    def state(self):
        return self.optimizer.state

    def observe_validation_loss(self, loss):
        self.optimizer.observe_validation_loss(loss)

    def step(self, closure=None):
        """Set the SWA learning rate (from ``swa_start``), step the optimizer, maybe average."""
        if self.swa_lr is not None and self.step_counter >= self.swa_start:
            for group in self.param_groups:
                group["lr"] = self.swa_lr
        loss = self.optimizer.step(closure)
        self.step_counter += 1
        if (self.swa_start is not None and self.step_counter > self.swa_start
                and self.step_counter % self.swa_freq == 0):
            self.update_swa()
        return loss

    def update_swa(self):
        """Add the current parameters to the running averages."""
        weight = 1.0 / (self.n_averaged + 1)
        for p in self._params():
            buffers = self.swa_state.setdefault(p, {})
            if "swa_buffer" not in buffers:
                buffers["swa_buffer"] = p.data.copy()
            else:
                buffers["swa_buffer"] += (p.data - buffers["swa_buffer"]) * weight
        self.n_averaged += 1

    def swap_swa_sgd(self):
        """Exchange each parameter's data with its SWA average."""
        if self.n_averaged == 0:
            raise RuntimeError("SWA.swap_swa_sgd: no average yet (call update_swa, or step "
                               "past swa_start)")
        for p in self._params():
            buffers = self.swa_state[p]
            p.data, buffers["swa_buffer"] = buffers["swa_buffer"], p.data

    def state_dict(self):
        index = {id(p): i for i, p in enumerate(self._params())}
        return {"optimizer": self.optimizer.state_dict(), "n_averaged": self.n_averaged,
                "step_counter": self.step_counter,
                "swa_state": {index[id(p)]: {"swa_buffer": b["swa_buffer"].copy()}
                              for p, b in self.swa_state.items()}}

    def load_state_dict(self, state_dict):
        self.optimizer.load_state_dict(state_dict["optimizer"])
        self.n_averaged, self.step_counter = state_dict["n_averaged"], state_dict["step_counter"]
        params = self._params()
        self.swa_state = {}
        for i, saved in state_dict["swa_state"].items():
            xp = backend.get_array_module(params[i].data)
            self.swa_state[params[i]] = {"swa_buffer": xp.array(saved["swa_buffer"], copy=True)}


class SWAG:
    """SWAG(params, max_num_models=20, var_clamp=1e-30, seed=0): Gaussian over collected iterates.

    Maddox et al. 2019, §4, eq. 1: ``θ̃ = θ̄ + √scale (Σ_diag^½ z₁ + D z₂ / √(K − 1))``.

    ``collect()`` adds the current parameters; ``sample(scale=0.5, cov=True, seed=None)``
    writes a draw into the parameters and returns it as a flat host array.
    """

    def __init__(self, params, max_num_models=20, var_clamp=1e-30, seed=0):
        self.params = list(params)
        if not self.params:
            raise ValueError("SWAG got an empty parameter list")
        require(int(max_num_models) == max_num_models and max_num_models >= 1, "SWAG",
                "max_num_models", max_num_models, "a positive integer")
        require(var_clamp >= 0, "SWAG", "var_clamp", var_clamp, ">= 0")
        self.max_num_models, self.var_clamp = int(max_num_models), var_clamp
        self.generator = numpy.random.default_rng(seed)
        size = sum(p.numel() for p in self.params)
        self.n_models = 0
        self.mean = numpy.zeros(size)
        self.sq_mean = numpy.zeros(size)
        self.deviations = []

    def _flat(self):
        flat = arrays_to_vector([p.data for p in self.params])
        return backend.to_host(flat).astype(numpy.float64)

    def collect(self):
        """Update mean, second moment and the deviation matrix with the current parameters."""
        theta, n = self._flat(), self.n_models
        self.mean = self.mean * (n / (n + 1)) + theta / (n + 1)
        self.sq_mean = self.sq_mean * (n / (n + 1)) + theta * theta / (n + 1)
        self.deviations.append(theta - self.mean)
        if len(self.deviations) > self.max_num_models:
            self.deviations.pop(0)
        self.n_models += 1

    def variance(self):
        """The diagonal variance ``max(θ̄² − θ̄², var_clamp)`` (flat, host)."""
        return numpy.maximum(self.sq_mean - self.mean * self.mean, self.var_clamp)

    def deviation_matrix(self):
        """D, shape (P, K): the latest deviations as columns, oldest first."""
        return numpy.stack(self.deviations, axis=1)

    def sample(self, scale=0.5, cov=True, seed=None):
        """Draw θ̃ (see the module docstring), write it into the parameters, return it flat."""
        if self.n_models == 0:
            raise RuntimeError("SWAG.sample: no models collected yet (call collect())")
        require(scale >= 0, "SWAG.sample", "scale", scale, ">= 0")
        columns = len(self.deviations)
        if cov and columns < 2:
            raise ValueError(f"SWAG.sample(cov=True) needs at least 2 collected models for the "
                             f"low-rank part, got {columns}")
        generator = self.generator if seed is None else numpy.random.default_rng(seed)
        perturbation = numpy.sqrt(self.variance()) * generator.standard_normal(self.mean.size)
        if cov:
            perturbation += (self.deviation_matrix() @ generator.standard_normal(columns)
                             / numpy.sqrt(columns - 1))
        theta = self.mean + numpy.sqrt(scale) * perturbation
        for p, values in zip(self.params, vector_to_arrays(theta, self.params)):
            p.data = backend.get_array_module(p.data).asarray(values.astype(p.dtype))
        return theta

    def state_dict(self):
        return {"n_models": self.n_models, "mean": self.mean.copy(),
                "sq_mean": self.sq_mean.copy(), "deviations": [d.copy() for d in self.deviations],
                "generator": copy.deepcopy(self.generator.bit_generator.state)}

    def load_state_dict(self, state_dict):
        self.n_models = state_dict["n_models"]
        self.mean, self.sq_mean = state_dict["mean"].copy(), state_dict["sq_mean"].copy()
        self.deviations = [d.copy() for d in state_dict["deviations"]]
        self.generator.bit_generator.state = copy.deepcopy(state_dict["generator"])
