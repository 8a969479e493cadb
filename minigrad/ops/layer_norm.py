"""Layer normalisation (Ba, Kiros & Hinton, "Layer Normalization", 2016), PyTorch's
``F.layer_norm``.

For an input (..., *normalized_shape) every sample position is normalised over its last
``D = len(normalized_shape)`` axes, the ``m = Π normalized_shape`` entries ``x_i``:

    μ = (1/m) Σ x_i,   σ² = (1/m) Σ (x_i − μ)²   (biased),   x̂ = (x − μ) / √(σ² + eps)
    y = x̂ ⊙ weight + bias                          weight, bias of shape normalized_shape

The whole layer is one op (``LayerNorm``), which keeps its input and the per-position ``μ``
and ``1/√(σ² + eps)``; its backward recomputes ``x̂`` in one pass and gives, with sums and
means over the normalised axes of each position and ``ĝ = g ⊙ weight``,

    ∂L/∂bias = Σ_positions g,    ∂L/∂weight = Σ_positions g ⊙ x̂,
    ∂L/∂x = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + eps)

When that backward is itself recorded (``create_graph``) it is built from ``x``, ``weight``
and ``g`` with differentiable ops (``mean``, ``sqrt``, arithmetic), so derivatives of any
order through μ and σ² are exact.
"""
import numpy

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import sqrt
from .reduction import mean, sum_to
from .validation import require_dtype_of, require_floating


def _input_gradient(g, normalized, inverse_std, weight, axes):
    """``(ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + eps)``, ``ĝ = g ⊙ weight`` (arrays or
    Tensors, ``mean`` the matching mean over the normalised axes)."""
    scaled = g * weight
    average = (lambda a: mean(a, axes, keepdim=True)) if isinstance(g, Tensor) \
        else (lambda a: _trailing_mean(a, len(axes)))
    return (scaled - average(scaled) - normalized * average(scaled * normalized)) * inverse_std


def _trailing_mean(a, count):
    """The mean of the array ``a`` over its last ``count`` axes, kept as size-1 axes: one
    matrix-vector product with ``1/m`` (faster than a reduction over short rows)."""
    lead, trailing = a.shape[:a.ndim - count], a.shape[a.ndim - count:]
    m = int(numpy.prod(trailing))
    weights = Function.xp(a).full(m, 1 / m, dtype=a.dtype)
    return (a.reshape(-1, m) @ weights).reshape(lead + (1,) * count)


class LayerNorm(Function):
    """``y = x̂ ⊙ weight + bias`` over the trailing ``axes``; see the module docstring."""

    def forward(self, x, weight, bias, axes, eps):
        self.axes, self.eps = axes, eps
        self.position_mean = _trailing_mean(x, len(axes))
        centred = x - self.position_mean
        self.inverse_std = 1 / self.xp(x).sqrt(_trailing_mean(centred * centred, len(axes))
                                               + eps)
        centred *= self.inverse_std
        centred *= weight
        centred += bias
        return centred

    def backward(self, g):
        x, weight, bias = self.inputs
        if is_grad_enabled():
            centred = x - mean(x, self.axes, keepdim=True)
            inverse_std = 1 / sqrt(mean(centred * centred, self.axes, keepdim=True) + self.eps)
            normalized = centred * inverse_std
        else:
            inverse_std = self.inverse_std
            normalized = (x.data - self.position_mean) * inverse_std
            g, weight = g.data, weight.data
        wants_x, wants_weight, wants_bias = self.needs_input_grad
        grads = (_input_gradient(g, normalized, inverse_std, weight, self.axes) if wants_x
                 else None,
                 _summed(g * normalized, weight.shape) if wants_weight else None,
                 _summed(g, bias.shape) if wants_bias else None)
        return tuple(grad if grad is None or isinstance(grad, Tensor) else Tensor(grad)
                     for grad in grads)


def _summed(values, shape):
    """``values`` summed over its leading axes down to ``shape`` (a Tensor or an array)."""
    if isinstance(values, Tensor):
        return sum_to(values, shape)
    return values.reshape((-1,) + tuple(shape)).sum(axis=0)


def _check_shapes(caller, input, normalized_shape, weight, bias):
    trailing = tuple(input.shape[input.ndim - len(normalized_shape):])
    if len(normalized_shape) > input.ndim or trailing != normalized_shape:
        raise ValueError(f"{caller}: normalized_shape {normalized_shape} must equal the last "
                         f"{len(normalized_shape)} dimensions of the input, got input of shape "
                         f"{input.shape}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != normalized_shape:
            raise ValueError(f"{caller}: {name} must have shape normalized_shape "
                             f"{normalized_shape}, got {tuple(value.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, *,
               caller="layer_norm"):
    """Normalise ``input`` over its trailing ``normalized_shape`` axes, then scale and shift."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    _check_shapes(caller, input, normalized_shape, weight, bias)
    if weight is None:
        require_floating(caller, input)
    else:
        require_dtype_of(caller, input, weight)
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    xp = input.xp
    if weight is None:
        weight = Tensor(xp.ones(normalized_shape, dtype=input.dtype))
    if bias is None:
        bias = Tensor(xp.zeros(normalized_shape, dtype=input.dtype))
    return LayerNorm.apply(input, weight, bias, axes=axes, eps=eps)
