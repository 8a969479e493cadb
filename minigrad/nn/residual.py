"""``Residual``: ``y = branch(x) + shortcut(x)``, the skip connection of residual networks.

``shortcut`` is ``Identity()`` unless given (e.g. a strided 1×1 ``Conv2d`` and a
``BatchNorm2d`` where the branch changes the shape). Both are registered
submodules, branch first, so ``parameters()`` lists the branch's parameters
before the shortcut's (PyTorch's ``BasicBlock`` order). The Jacobian of the sum
is ``J_branch + J_shortcut``: a curvature walk propagates through each path and
adds the results.
"""
from .activation import Identity
from .module import Module


class Residual(Module):
    """``branch(x) + shortcut(x)``; the two outputs must have the same shape."""

    def __init__(self, branch, shortcut=None):
        super().__init__()
        for name, module in (("branch", branch), ("shortcut", shortcut)):
            if not isinstance(module, Module) and (name == "branch" or module is not None):
                raise TypeError(f"Residual: {name} must be a Module, got {type(module).__name__}")
        self.branch = branch
        self.shortcut = Identity() if shortcut is None else shortcut

    def forward(self, x):
        main, skip = self.branch(x), self.shortcut(x)
        if main.shape != skip.shape:
            raise ValueError(f"Residual: branch output shape {main.shape} differs from shortcut "
                             f"output shape {skip.shape} (input shape {x.shape})")
        return main + skip
