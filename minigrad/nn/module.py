"""``Module``: the base of layers and networks (PyTorch's ``nn.Module`` contract).

Attributes that are ``Parameter``s or ``Module``s are registered in assignment
order, so ``parameters()`` lists them in a fixed, documented order (the order
curvature quantities use). Buffers (running statistics) are registered with
``register_buffer`` and saved in ``state_dict`` with the parameters; assigning a
new array to a buffer's name keeps it a buffer (as in PyTorch).
"""
import collections

from .. import backend
from ..tensor import Tensor
from .parameter import Parameter


class Module:
    """Base class: subclasses set parameters/submodules in ``__init__`` and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning {name!r}")
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

    def register_buffer(self, name, array):
        """Register a non-trainable array (e.g. running mean) saved in ``state_dict``."""
        object.__setattr__(self, name, array)
        self._buffers[name] = True

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix=""):
        """``(name, module)`` for this module and every descendant, depth first."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self):
        """``(dotted name, Parameter)`` in registration order, depth first."""
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    yield (f"{prefix}.{name}" if prefix else name), p

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

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def state_dict(self):
        """Parameters and buffers as host NumPy arrays, keyed by dotted name."""
        state = collections.OrderedDict()
        for name, p in self.named_parameters():
            state[name] = backend.to_host(p.data).copy()
        for name, b in self.named_buffers():
            state[name] = backend.to_host(b).copy()
        return state

    def load_state_dict(self, state):
        """Copy arrays from ``state`` into parameters and buffers; names and shapes must match."""
        own = dict(self.named_parameters())
        buffers = {name for name, _ in self.named_buffers()}
        expected = set(own) | buffers
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {sorted(missing)}, "
                           f"unexpected keys {sorted(unexpected)}")
        for name, p in own.items():
            value = state[name]
            if tuple(value.shape) != p.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name} has shape "
                                 f"{tuple(value.shape)} in the state but {p.shape} in the model")
            p.data = p.xp.asarray(value, dtype=p.dtype)
        for name in buffers:
            *path, attr = name.split(".")
            module = self
            for part in path:
                module = module._modules[part]
            current = getattr(module, attr)
            if tuple(state[name].shape) != tuple(current.shape):
                raise ValueError(f"{type(self).__name__}.load_state_dict: buffer {name} has shape "
                                 f"{tuple(state[name].shape)} in the state but "
                                 f"{tuple(current.shape)} in the model")
            xp = backend.get_array_module(current)
            object.__setattr__(module, attr, xp.asarray(state[name], dtype=current.dtype))

    def to(self, device):
        """Move parameters and buffers to ``"cpu"`` (NumPy) or ``"cuda"`` (CuPy) in place."""
        for module in self.modules():
            for name, p in module._parameters.items():
                if p is not None:
                    p.data = p.to(device).data
            for name in module._buffers:
                object.__setattr__(module, name, Tensor(getattr(module, name)).to(device).data)
        return self

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return "\n".join(lines) + ("\n)" if self._modules else ")")
