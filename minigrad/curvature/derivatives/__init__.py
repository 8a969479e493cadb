"""Per-module derivative rules, one object per module type (the contract is in ``base.py``).

``DERIVATIVES`` is the explicit map from module class to its rules object; ``derivatives_for``
looks a module up and names the module when it has no rules. Containers (``Sequential``,
``Residual``) are not here: the drivers in ``recursion.py`` walk their structure.
"""
from ...nn.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from ...nn.conv import Conv2d
from ...nn.dropout import Dropout
from ...nn.flatten import Flatten
from ...nn.linear import Linear
from ...nn.normalization import BatchNorm1d, BatchNorm2d
from ...nn.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from ..registry import rules_for
from .base import Derivatives
from .conv import Conv2dDerivatives
from .elementwise import LEAKY_RELU, RELU, SIGMOID, SOFTPLUS, TANH, ElementwiseDerivatives
from .linear import LinearDerivatives
from .normalization import BatchNormDerivatives
from .pooling import AveragePoolDerivatives, MaxPoolDerivatives
from .shape import DropoutDerivatives, FlattenDerivatives, IdentityDerivatives

DERIVATIVES = {
    Linear: LinearDerivatives(),
    Conv2d: Conv2dDerivatives(),
    ReLU: RELU,
    LeakyReLU: LEAKY_RELU,
    Sigmoid: SIGMOID,
    Tanh: TANH,
    Softplus: SOFTPLUS,
    MaxPool2d: MaxPoolDerivatives(),
    AdaptiveMaxPool2d: MaxPoolDerivatives(),
    AvgPool2d: AveragePoolDerivatives(),
    AdaptiveAvgPool2d: AveragePoolDerivatives(),
    Flatten: FlattenDerivatives(),
    Identity: IdentityDerivatives(),
    Dropout: DropoutDerivatives(),
    BatchNorm1d: BatchNormDerivatives(),
    BatchNorm2d: BatchNormDerivatives(),
}


def derivatives_for(module):
    """The rules object of ``module``'s exact class; a clear error for unsupported types."""
    return rules_for(DERIVATIVES, module, "the module")


__all__ = ["DERIVATIVES", "Derivatives", "ElementwiseDerivatives", "derivatives_for"]
