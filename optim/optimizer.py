"""``Optimizer``: the base of every optimizer (PyTorch's ``torch.optim.Optimizer`` contract).

An optimizer holds ``param_groups``, a list of dicts each with ``"params"`` (a
list of Parameters) and the hyper-parameters of that group (defaults filled in
from ``defaults``), and ``state``, a dict of per-parameter dicts keyed by the
Parameter itself. ``step(closure=None)`` updates ``p.data`` in place of every
parameter that has a gradient and returns the loss the closure returned.

Updates work on the arrays ``p.data`` and ``p.grad.data`` with the array module
of the data (NumPy or CuPy), never on the autodiff graph.

``state_dict()`` copies the state arrays and the hyper-parameters, with every
parameter replaced by its position in the groups (so the dict can be loaded
into a fresh optimizer built over fresh parameters of the same shapes);
``load_state_dict()`` copies them back, so a saved optimizer continues along
exactly the same trajectory.
"""
import copy
import numbers

from minigrad import backend
from minigrad.tensor import Tensor


class Optimizer:
    """Base class: subclasses call ``super().__init__(params, defaults)`` and define ``step``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Parameters "
                            f"or of dicts, got a single Tensor of shape {params.shape}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            if isinstance(group, dict) and "params" not in group:
                raise ValueError(f"{type(self).__name__}: a parameter group dict needs a "
                                 f"'params' entry, got the keys {sorted(group)}")
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Append a group: a dict with ``"params"`` and hyper-parameters overriding ``defaults``."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, "
                                f"got {type(p).__name__}")
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            shapes = [p.shape for p in group["params"]]
            raise ValueError(f"{type(self).__name__}: a parameter group lists the same "
                             f"parameter twice (shapes {shapes}); it would be updated twice "
                             "per step")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than "
                             "one parameter group")
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of all optimized parameters (``None``, or zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    def observe_validation_loss(self, loss):
        """Hear the validation loss after an epoch (the training command calls it).

        A no-op here; optimizers that change behaviour on validation progress
        (``Hybrid``) override it.
        """

    def _parameter_states(self, initial_state):
        """``(group, p, state)`` for every parameter with a gradient, counting its steps.

        On a parameter's first update ``state`` is created as ``{"step": 0}`` plus
        the buffers ``initial_state(group, p)`` returns; ``state["step"]`` is then
        advanced, so it counts updates including the current one.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:
                    state = self.state[p] = {"step": 0, **initial_state(group, p)}
                state["step"] += 1
                yield group, p, state

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [...]}`` with copied arrays."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: _copy_state(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``: same number of groups and parameters, state only for
        parameters that exist. A refused state leaves the optimizer as it was."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            found = (sorted(state_dict) if isinstance(state_dict, dict)
                     else type(state_dict).__name__)
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups' (as state_dict() returns), got {found}")
        groups, states = state_dict["param_groups"], state_dict["state"]
        if (not isinstance(groups, (list, tuple)) or not isinstance(states, dict)
                or any(not isinstance(g, dict) or not isinstance(g.get("params"), (list, tuple))
                       for g in groups)):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts "
                             f"each with a 'params' list, and 'state' a dict")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has "
                             f"{len(groups)} parameter groups, the optimizer "
                             f"{len(self.param_groups)}")
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{type(self).__name__}.load_state_dict: a group has "
                                 f"{len(saved['params'])} parameters in the state and "
                                 f"{len(group['params'])} in the optimizer")
        params = self._params()
        unknown = [i for i, saved_state in states.items()
                   if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(params)
                   or not isinstance(saved_state, dict)]
        if unknown:
            raise ValueError(f"{name}.load_state_dict: the state holds entries {unknown[:5]} "
                             f"for parameters that do not exist (the optimizer has "
                             f"{len(params)} parameters, indices 0 to {len(params) - 1})")
        self.state = {params[i]: _copy_state(saved_state, like=params[i].data)
                      for i, saved_state in states.items()}
        for saved, group in zip(groups, self.param_groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})


def _copy_state(state, like=None):
    """Deep copy of a per-parameter state dict; arrays go to the array module of ``like``."""
    return {key: _copy_value(value, like) for key, value in state.items()}


def _copy_value(value, like):
    if isinstance(value, list):
        return [_copy_value(v, like) for v in value]
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return copy.deepcopy(value)
    source = backend.get_array_module(value)
    target = source if like is None else backend.get_array_module(like)
    if target is source:
        return value.copy()
    return target.asarray(backend.to_host(value))


def require(condition, optimizer, argument, value, rule):
    """Raise ``ValueError`` naming the optimizer, argument, value and rule unless ``condition``."""
    if not condition:
        raise ValueError(f"{optimizer}: invalid {argument}={value!r} (must be {rule})")


def require_positive_integer(optimizer, argument, value):
    """``require`` that ``value`` is an integer ≥ 1 (an iteration count, period or sample size)."""
    require(isinstance(value, int) and not isinstance(value, bool) and value >= 1, optimizer,
            argument, value, "an integer ≥ 1")


def require_number(optimizer, argument, value):
    """Raise ``TypeError`` naming the argument unless ``value`` is a real number (not a bool or
    a string such as ``"0.1"``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer}: {argument} must be a number, got {value!r} "
                        f"({type(value).__name__})")


def require_curvature_closure(closure, optimizer, method):
    """Raise ``TypeError`` naming the optimizer unless ``closure`` has the curvature ``method``
    that ``minigrad.curvature.Closure(model, loss_fn, x, y)`` provides."""
    if not hasattr(closure, method):
        raise TypeError(f"{optimizer}.step needs a curvature closure with {method}(), such as "
                        f"minigrad.curvature.Closure(model, loss_fn, x, y); got a "
                        f"{type(closure).__name__}, which gives the loss but no curvature")
