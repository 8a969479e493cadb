"""Hybrid: SGD with momentum until the validation loss falls below a threshold, then AdaHessian.

Attias, Cadei & Novaković, "Discussion on the viability of a modern second
order method in non-convex optimization training a deep convolutional neural
network" (2022, Sections II-B and III-B): a
first-order method for the early, ill-conditioned phase, a second-order one
near the optimum. The switch is one-way and happens at the first validation
loss strictly below ``threshold`` (t_l): the training command reports each
epoch's validation loss with ``observe_validation_loss(loss)``, and every
``step`` after that report is an AdaHessian step.

Defaults are the paper's tuned values for ResNet-18 on MNIST: t_l = 1.0;
phase 1 SGD with lr¹ = 0.005, momentum β¹ = 0.9 (PyTorch's momentum
convention, ``SGD`` in sgd.py); phase 2 AdaHessian with lr² = 0.001,
β₁² = 0.9, β₂² = 0.999 (the rest as ``AdaHessian``). The AdaHessian moments
start from zero at the switch. ``param_groups`` and ``state`` are those of the
active phase, so a learning-rate scheduler acts on the active phase's groups.
"""
import math

from .adahessian import AdaHessian
from .adam import check_adam_arguments
from .optimizer import Optimizer, require
from .sgd import SGD


class Hybrid(Optimizer):
    """Hybrid(params, threshold=1.0, sgd_lr=0.005, momentum=0.9, lr=0.001, betas=(0.9, 0.999),
    eps=1e-4, weight_decay=0, hessian_power=1, seed=0).

    Attias et al. (2022) §II-B: ``SGD`` steps ``b ← β¹ b + g``,
    ``θ ← θ − lr¹ b`` until a validation loss < t_l, ``AdaHessian`` steps (eqs. 8–10,
    lr²) from then on.
    """

    def __init__(self, params, threshold=1.0, sgd_lr=0.005, momentum=0.9, lr=0.001,
                 betas=(0.9, 0.999), eps=1e-4, weight_decay=0, hessian_power=1, seed=0):
        name = type(self).__name__
        require(math.isfinite(threshold), name, "threshold", threshold, "finite")
        require(sgd_lr >= 0, name, "sgd_lr", sgd_lr, ">= 0")
        require(momentum >= 0, name, "momentum", momentum, ">= 0")
        check_adam_arguments(name, lr, betas, eps, weight_decay)
        require(0 <= hessian_power <= 1, name, "hessian_power", hessian_power, "in [0, 1]")
        params = list(params)
        self.defaults = dict(threshold=threshold, sgd_lr=sgd_lr, momentum=momentum, lr=lr,
                             betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                             hessian_power=hessian_power)
        self.threshold = threshold
        self.first_order = SGD(params, lr=sgd_lr, momentum=momentum)
        self.second_order = AdaHessian(params, lr=lr, betas=betas, eps=eps,
                                       weight_decay=weight_decay, hessian_power=hessian_power,
                                       seed=seed)
        self.switched = False
        self.epochs_observed = 0
        self.switch_epoch = None

    @property
    def active(self):
        """The optimizer that the next ``step`` uses."""
        return self.second_order if self.switched else self.first_order

    @property
    def param_groups(self):
        return self.active.param_groups

    @property
    def state(self):
        return self.active.state

    def observe_validation_loss(self, loss):
        """Switch to AdaHessian (once) when ``loss < threshold``; a non-finite loss is an error."""
        loss = float(loss)
        if not math.isfinite(loss):
            raise ValueError(f"{type(self).__name__}.observe_validation_loss got a non-finite "
                             f"validation loss {loss}: training has diverged")
        self.epochs_observed += 1
        if not self.switched and loss < self.threshold:
            self.switched = True
            self.switch_epoch = self.epochs_observed

    def step(self, closure=None):
        """An SGD step before the switch, an AdaHessian step (curvature closure) after it."""
        return self.active.step(closure)

    def state_dict(self):
        return {"switched": self.switched, "epochs_observed": self.epochs_observed,
                "switch_epoch": self.switch_epoch,
                "first_order": self.first_order.state_dict(),
                "second_order": self.second_order.state_dict()}

    def load_state_dict(self, state_dict):
        self.first_order.load_state_dict(state_dict["first_order"])
        self.second_order.load_state_dict(state_dict["second_order"])
        self.switched = state_dict["switched"]
        self.epochs_observed = state_dict["epochs_observed"]
        self.switch_epoch = state_dict["switch_epoch"]
