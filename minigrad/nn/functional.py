"""``minigrad.nn.functional``: the differentiable ops under PyTorch's names."""
from ..ops import *  # noqa: F401,F403  (the public op functions; see minigrad.ops)
