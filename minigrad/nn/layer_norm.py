"""``LayerNorm`` (PyTorch's ``nn.LayerNorm``): every sample position normalised over its trailing
``normalized_shape`` axes, then scaled and shifted,

    y = (x − μ) / √(σ² + eps) ⊙ weight + bias       μ, σ² over the last len(normalized_shape) axes

with ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape`` when
``elementwise_affine`` (``bias=False`` drops the shift, as in PyTorch). The arithmetic is
``functional.layer_norm``.
"""
from .. import backend
from . import functional as F
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """Normalise inputs (..., *normalized_shape) over their trailing ``normalized_shape`` axes."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1 or not eps > 0:
            raise ValueError(f"LayerNorm: normalized_shape must list positive sizes and eps must "
                             f"be > 0, got {normalized_shape!r}, eps={eps}")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        xp, dtype = backend.array_module(), backend.get_default_dtype()
        self.weight = (Parameter(xp.ones(self.normalized_shape, dtype=dtype))
                       if elementwise_affine else None)
        self.bias = (Parameter(xp.zeros(self.normalized_shape, dtype=dtype))
                     if elementwise_affine and bias else None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps,
                            caller=repr(self))

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
