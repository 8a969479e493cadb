"""Optimizers (PyTorch's ``torch.optim`` contract) and learning-rate schedules.

``create(name, params, **hyper)`` builds an optimizer from its lowercase
registry name (the training command's ``--optim NAME``).
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adahessian import AdaHessian
from .adam import Adam, AdamW
from .class_subspace import ClassSubspaceNewton
from .cubic import CubicRegularization
from .ekfac import EKFAC
from .hybrid import Hybrid
from .kronecker import KFAC, KFLR, KFRA
from .lbfgs import LBFGS
from .line_search import GradientDescentLineSearch, LineSearchError
from .newton_cg import NewtonCG
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .swa import SWA, SWAG
from .trust_region import TrustRegion

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
    "newton-cg": NewtonCG,
    "trust-region": TrustRegion,
    "arc": CubicRegularization,
    "kfac": KFAC,
    "kfra": KFRA,
    "kflr": KFLR,
    "ekfac": EKFAC,
    "class-subspace": ClassSubspaceNewton,
}


def create(name, params, **hyper):
    """The optimizer registered as ``name`` (lowercase) over ``params`` with ``hyper``."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: expected one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[key](params, **hyper)
