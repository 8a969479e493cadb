"""Layers and losses as Modules (PyTorch's ``torch.nn`` names)."""
from . import functional, init
from .container import Sequential
from .init import manual_seed
from .linear import Linear
from .module import Module
from .parameter import Parameter
