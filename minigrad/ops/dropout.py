"""Inverted dropout.

In training, ``dropout(x, p) = x ⊙ m / (1 − p)`` with ``m_i ~ Bernoulli(1 − p)``
drawn independently per element, so ``E[dropout(x)] = x``; in evaluation it is
the identity. The mask comes from the seeded host generator of
``minigrad.random`` (``manual_seed`` makes it reproducible on either backend)
and is a constant of the graph: the backward is ``g ⊙ m / (1 − p)``.
"""
from ..autograd.function import Function
from ..random import generator
from ..tensor import Tensor


class Dropout(Function):
    def forward(self, x, scale):
        self.scale = scale
        return x * scale

    def backward(self, g):
        return (g * Tensor(self.scale),)


def dropout(input, p=0.5, training=True):
    """Zero each entry with probability ``p`` and scale the rest by ``1/(1 − p)`` when
    ``training``; return ``input`` unchanged otherwise (and when ``p = 0``, drawing nothing)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p} (input shape {input.shape})")
    if not training or p == 0:
        return input
    keep = generator().random(input.shape) >= p
    scale = input.xp.asarray((keep / (1 - p)).astype(input.dtype))
    return Dropout.apply(input, scale=scale)
