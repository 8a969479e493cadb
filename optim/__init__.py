"""Optimizers (PyTorch's ``torch.optim`` contract) and learning-rate schedules.

``create(name, params, **hyper)`` builds an optimizer from its lowercase
registry name (the training command's ``--optim NAME``).
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adahessian import AdaHessian
from .adam import Adam, AdamW
from .hybrid import Hybrid
from .lbfgs import LBFGS
from .line_search import GradientDescentLineSearch, LineSearchError
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .swa import SWA, SWAG, bn_update

OPTIMIZERS = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adahessian": AdaHessian,
    "hybrid": Hybrid,
    "gd-armijo": GradientDescentLineSearch,
    "lbfgs": LBFGS,
}


def create(name, params, **hyper):
    """The optimizer registered as ``name`` (lowercase) over ``params`` with ``hyper``."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: expected one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[key](params, **hyper)
