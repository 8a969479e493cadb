"""Layer normalisation (Ba, Kiros & Hinton, "Layer Normalization", 2016), PyTorch's
``F.layer_norm``.

For an input (..., *normalized_shape) every sample position is normalised over its last
``D = len(normalized_shape)`` axes, the ``m = Π normalized_shape`` entries ``x_i``:

    μ = (1/m) Σ x_i,   σ² = (1/m) Σ (x_i − μ)²   (biased),   x̂ = (x − μ) / √(σ² + eps)
    y = x̂ ⊙ weight + bias                          weight, bias of shape normalized_shape

It is composed from ``mean``, ``sqrt`` and arithmetic, each with an exact differentiable
backward, so gradients and second derivatives (through μ and σ² as well) are exact.
"""
from .elementwise import sqrt
from .reduction import mean
from .validation import require_dtype_of, require_floating


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
    centred = input - mean(input, axes, keepdim=True)
    normalized = centred / sqrt(mean(centred * centred, axes, keepdim=True) + eps)
    if weight is not None:
        normalized = normalized * weight
    if bias is not None:
        normalized = normalized + bias
    return normalized
