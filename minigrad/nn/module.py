"""``Module``: the base of layers and networks (PyTorch's ``nn.Module`` contract).

Attributes that are ``Parameter``s or ``Module``s are registered in assignment
order, so ``parameters()`` lists them in a fixed, documented order (the order
curvature quantities use). Buffers (running statistics) are registered with
``register_buffer`` and saved in ``state_dict`` with the parameters; assigning a
new array to a buffer's name keeps it a buffer (as in PyTorch). A plain list,
tuple or dict holding Modules or Parameters registers nothing, so assigning one
is an error that points to ``ModuleList`` / ``ModuleDict``.

Calling a module runs its forward pre-hooks ``hook(module, args)`` (a non-None
result replaces the arguments), then ``forward``, then its forward hooks
``hook(module, args, output)`` (a non-None result replaces the output); the
``register_*`` methods return a ``RemovableHandle``, and ``prepend=True`` runs the hook
before those already registered (PyTorch's keyword).

A module or Parameter registered at several places (tied weights) is one: ``modules()``,
``parameters()`` and their named forms yield it once, under its first name, unless
``remove_duplicate=False``; ``state_dict`` lists it under every name, as PyTorch does.

``load_state_dict`` copies the arrays it is given (later steps never write into
the caller's dict) and returns ``IncompatibleKeys(missing_keys, unexpected_keys)``;
with ``strict=True`` (the default) any such key is an error.
"""
import collections
import collections.abc

from .. import backend
from ..tensor import Tensor, data_of, parse_to_arguments
from .hooks import RemovableHandle
from .parameter import Parameter

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: subclasses set parameters/submodules in ``__init__`` and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", collections.OrderedDict())
        object.__setattr__(self, "_forward_hooks", collections.OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning {name!r}")
        _refuse_unregistered_container(self, name, value)
        stays_buffer = (name in self._buffers and value is not None
                        and not isinstance(value, (Parameter, Module)))
        if not stays_buffer:
            for store in (self._parameters, self._modules, self._buffers):
                store.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
            elif isinstance(value, Module):
                self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """Register a non-trainable array (e.g. running mean) saved in ``state_dict``."""
        object.__setattr__(self, name, array)
        self._buffers[name] = True

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args)`` before each forward (first of all with ``prepend``);
        returns a ``RemovableHandle``."""
        return _register(self._forward_pre_hooks, hook, self, "register_forward_pre_hook",
                         prepend)

    def register_forward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args, output)`` after each forward (first of all with
        ``prepend``); returns a ``RemovableHandle``."""
        return _register(self._forward_hooks, hook, self, "register_forward_hook", prepend)

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def add_module(self, name, module):
        """Register ``module`` as the submodule ``name`` (as ``setattr(self, name, module)``)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{type(self).__name__}.add_module: name must be a non-empty str "
                           f"without '.', got {name!r}")
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} is a "
                            f"{type(module).__name__}, not a Module")
        setattr(self, name, module)

    def children(self):
        return iter(self._modules.values())

    def named_children(self):
        """``(name, module)`` for each direct submodule, in registration order."""
        return iter(self._modules.items())

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter (``False`` freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def named_modules(self, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module and every descendant, depth first; a module
        registered at several places comes once (its first name) unless ``remove_duplicate``
        is False."""
        stack, seen = [(prefix, self)], set()
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix="", remove_duplicate=True):
        """``(dotted name, Parameter)`` in registration order, depth first; a Parameter
        registered at several places (tied weights) comes once, under its first name, unless
        ``remove_duplicate`` is False."""
        seen = set()
        for module_name, module in self.named_modules(prefix, remove_duplicate):
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self):
        for prefix, module in self.named_modules():
            for name in module._buffers:
                yield (f"{prefix}.{name}" if prefix else name), getattr(module, name)

    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Clear the parameters' gradients: ``None`` (the default), or zeros in place."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def state_dict(self):
        """Parameters and buffers as host NumPy arrays (copies), keyed by dotted name."""
        return collections.OrderedDict(
            (key, backend.to_host(data_of(current)).copy())
            for key, (_, _, current) in self._state_targets().items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into parameters and buffers of the same shapes.

        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``; with ``strict``
        either list being non-empty is a ``RuntimeError`` and nothing is loaded.
        """
        name = type(self).__name__
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"{name}.load_state_dict: expected a mapping of names to arrays (as "
                            f"state_dict() returns), got {type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        if strict and (missing or unexpected):
            raise RuntimeError(f"{name}.load_state_dict: missing keys {missing}, unexpected keys "
                               f"{unexpected} (strict=False loads the keys that match)")
        for key, (module, attr, current) in targets.items():
            if key in state_dict:
                value = data_of(state_dict[key])
                if tuple(value.shape) != tuple(current.shape):
                    raise ValueError(f"{name}.load_state_dict: {key} has shape "
                                     f"{tuple(value.shape)} in the state but "
                                     f"{tuple(current.shape)} in the model")
        for key, (module, attr, current) in targets.items():
            if key in state_dict:
                xp = backend.get_array_module(data_of(current))
                copied = xp.array(backend.to_host(data_of(state_dict[key])), dtype=current.dtype)
                if isinstance(current, Parameter):
                    current.data = copied
                else:
                    object.__setattr__(module, attr, copied)
        return IncompatibleKeys(missing, unexpected)

    def _state_targets(self):
        """``{dotted name: (module, attribute, Parameter or buffer array)}`` in state order."""
        targets = collections.OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            for attr, p in module._parameters.items():
                if p is not None:
                    targets[f"{prefix}.{attr}" if prefix else attr] = (module, attr, p)
        for prefix, module in self.named_modules(remove_duplicate=False):
            for attr in module._buffers:
                targets[f"{prefix}.{attr}" if prefix else attr] = (module, attr,
                                                                   getattr(module, attr))
        return targets

    def to(self, *args, **kwargs):
        """Move parameters and buffers in place to a device (``"cpu"``, ``"cuda"``) and/or
        cast the floating ones to a dtype, as ``torch.nn.Module.to``; returns self."""
        device, dtype = parse_to_arguments(f"{type(self).__name__}.to", args, kwargs)
        if dtype is not None and dtype.kind not in "fc":
            raise TypeError(f"{type(self).__name__}.to only accepts floating point or complex "
                            f"dtypes, but got desired dtype={dtype}")
        for module in self.modules():
            for p in module._parameters.values():
                if p is not None:
                    p.data = _moved(p.data, device, dtype)
            for name in module._buffers:
                object.__setattr__(module, name, _moved(getattr(module, name), device, dtype))
        return self

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return "\n".join(lines) + ("\n)" if self._modules else ")")


def _moved(array, device, dtype):
    """``array`` on ``device``, cast to ``dtype`` when it is floating (either may be None)."""
    moved = Tensor(array).to(device=device).data if device is not None else array
    if dtype is not None and moved.dtype.kind == "f":
        moved = moved.astype(dtype)
    return moved


def _register(hooks, hook, module, method, prepend):
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: hook must be callable, got "
                        f"{type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _refuse_unregistered_container(module, name, value):
    """A list, tuple or dict of Modules/Parameters would register nothing: raise instead."""
    items = value.values() if isinstance(value, dict) else value
    if not isinstance(value, (list, tuple, dict)) or not any(
            isinstance(item, (Module, Parameter)) for item in items):
        return
    container = "nn.ModuleDict" if isinstance(value, dict) else "nn.ModuleList"
    raise TypeError(f"{type(module).__name__}: attribute {name!r} is a plain "
                    f"{type(value).__name__} of Modules or Parameters, whose parameters would "
                    f"not be registered (parameters(), state_dict(), optimizers would miss "
                    f"them); use {container}(...) for modules, or assign each Parameter to its "
                    f"own attribute")
