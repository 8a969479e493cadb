"""The forward pass the layerwise recursion runs on: each module's input and output, recorded.

``record_forward(model, x)`` walks the model's structure explicitly: a ``Sequential`` is a
chain of steps, a ``Residual`` is a step holding the recorded chains of its ``branch`` and
``shortcut`` (output = branch(x) + shortcut(x)), and every other module is a leaf step that
must have rules in ``derivatives.DERIVATIVES`` (otherwise a ``TypeError`` names it and says
which functions work on any model). Arrays are on the model's backend; leaf steps keep
``x`` (N, *in) and ``out`` (N, *out). ``is_chain(model)`` says whether a model can be recorded
so, with every sample treated alone (no batch norm in training mode).
"""
from ...nn.container import Sequential
from ...nn.residual import Residual
from ...tensor import Tensor
from .derivatives import DERIVATIVES


class LeafStep:
    """One module application: ``out = module(x)``; ``module`` as recorded by its rules."""

    def __init__(self, module, rules, x, out):
        self.module, self.rules, self.x, self.out = module, rules, x, out
        self.param_names = rules.param_names(module)
        self.params = [getattr(module, name) for name in self.param_names]


class ResidualStep:
    """``out = branch(x) + shortcut(x)``; ``branch`` and ``shortcut`` are lists of steps."""

    def __init__(self, block, branch, shortcut, x, out):
        self.block, self.branch, self.shortcut, self.x, self.out = block, branch, shortcut, x, out
        self.params = [p for step in branch + shortcut for p in step.params]


def _record(module, x, steps):
    if isinstance(module, Sequential):
        for child in module:
            x = _record(child, x, steps)
        return x
    if isinstance(module, Residual):
        branch, shortcut = [], []
        main = _record(module.branch, x, branch)
        skip = _record(module.shortcut, x, shortcut)
        if main.shape != skip.shape:
            raise ValueError(f"Residual: branch output shape {main.shape} differs from shortcut "
                             f"output shape {skip.shape} (input shape {x.shape})")
        out = main + skip
        steps.append(ResidualStep(module, branch, shortcut, x, out))
        return out
    rules = DERIVATIVES.get(type(module))
    if rules is None:
        supported = ", ".join(sorted(cls.__name__ for cls in DERIVATIVES))
        raise TypeError(
            f"the layerwise curvature recursion does not support the module "
            f"{type(module).__name__} ({module!r}): the exact Hessian recursion (block_hessian, "
            f"diag_hessian, ggn) and KFRA walk nn.Sequential chains and nn.Residual blocks of "
            f"{supported}; kfac, kflr, diag_ggn and block_ggn work on any model, and "
            f"Hutchinson's estimate hutchinson_diag(hessian_operator(model, loss, x, y), n) "
            f"gives the Hessian diagonal of any model")
    out, recorded = rules.record_forward(module, x)
    steps.append(LeafStep(recorded, rules, x, out))
    return out


def record_forward(model, x):
    """``(steps, output)``: the top-level chain of recorded steps and the network output array."""
    data = x.data if isinstance(x, Tensor) else x
    steps = []
    output = _record(model, data, steps)
    return steps, output


def is_chain(module):
    """Whether ``record_forward`` can record ``module``: ``Sequential`` / ``Residual`` structure
    down to leaves with rules, none of which couples the samples of a batch."""
    if isinstance(module, Sequential):
        return all(is_chain(child) for child in module)
    if isinstance(module, Residual):
        return is_chain(module.branch) and is_chain(module.shortcut)
    rules = DERIVATIVES.get(type(module))
    return rules is not None and not rules.couples_samples(module)


def lowest_parameterised_index(steps):
    """Index of the first top-level step holding parameters (the recursion stops below it)."""
    for i, step in enumerate(steps):
        if step.params:
            return i
    raise ValueError("the model has no parameters to take curvature of")

