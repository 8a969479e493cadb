"""Containers: ``Sequential`` (modules applied in order), ``ModuleList`` and ``ModuleDict``.

All three register their modules as submodules, so ``parameters()``,
``state_dict()`` (keys ``"0.weight"``, ``"blocks.2.bias"``, ``"heads.cls.weight"``),
``train()``/``eval()`` and ``to()`` reach them; parameters follow the order of
the modules. ``ModuleList`` and ``ModuleDict`` hold modules without defining a
forward (the owner's ``forward`` decides how to use them), as in PyTorch.
"""
from .module import Module


def _checked(container, key, module):
    if not isinstance(module, Module):
        raise TypeError(f"{container} entry {key!r} is a {type(module).__name__}, not a Module")
    return module


class Sequential(Module):
    """``Sequential(m1, m2, ...)(x) = ... m2(m1(x))``; indexable and iterable."""

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            setattr(self, str(i), _checked("Sequential", i, module))

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules registered as submodules ``"0"``, ``"1"``, …"""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def _renumber(self, modules):
        """Register ``modules`` as ``"0"``, ``"1"``, …; a refused one leaves the list as it was."""
        modules = [_checked("ModuleList", i, module) for i, module in enumerate(modules)]
        for key in list(self._modules):
            delattr(self, key)
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def append(self, module):
        setattr(self, str(len(self)), _checked("ModuleList", len(self), module))
        return self

    def extend(self, modules):
        modules = [_checked("ModuleList", len(self) + i, module)
                   for i, module in enumerate(modules)]
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self)
        modules.insert(index, module)
        self._renumber(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __setitem__(self, index, module):
        modules = list(self)
        modules[index] = module
        self._renumber(modules)

    def __delitem__(self, index):
        modules = list(self)
        del modules[index]
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))


class ModuleDict(Module):
    """A dict of modules registered as submodules under their (string) keys, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        if not isinstance(key, str) or not key or "." in key or (
                key not in self._modules and hasattr(self, key)):
            raise KeyError(f"ModuleDict: key must be a non-empty str without '.' that is not a "
                           f"Module attribute, got {key!r}")
        setattr(self, key, _checked("ModuleDict", key, module))

    def __getitem__(self, key):
        return self._modules[key]

    def __delitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules))

    def keys(self):
        return list(self._modules.keys())

    def values(self):
        return list(self._modules.values())

    def items(self):
        return list(self._modules.items())

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        module = self[key]
        del self[key]
        return module
