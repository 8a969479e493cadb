"""Per-module derivative rules, one object per module type (the contract is in ``base.py``).

``DERIVATIVES`` is the explicit map from module class to its rules object; ``derivatives_for``
looks a module up and names the module when it has no rules. Containers (``Sequential``,
``Residual``) are not here: ``recording.py`` records their structure and ``walk.py`` walks it.
Rules of a new layer: a class here (``hessian_is_zero`` declared), one entry in ``DERIVATIVES``,
and one ``pytest.param`` case in ``tests/minigrad/curvature/test_derivatives.py``; a layer of the
shared-axis form (``shared_axis.py``) gets KFAC, KFLR and KFRA with no other change.
"""
from ....nn.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from ....nn.conv import Conv2d
from ....nn.dropout import Dropout
from ....nn.flatten import Flatten
from ....nn.linear import Linear
from ....nn.normalization import BatchNorm1d, BatchNorm2d
from ....nn.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from ..registry import rules_for
from .base import ConstantJacobianDerivatives, Derivatives
from .conv import Conv2dDerivatives
from .elementwise import LEAKY_RELU, RELU, SIGMOID, SOFTPLUS, TANH, ElementwiseDerivatives
from .linear import LinearDerivatives
from .normalization import BatchNormDerivatives
from .pooling import AveragePoolDerivatives, MaxPoolDerivatives
from .shape import DropoutDerivatives, FlattenDerivatives, IdentityDerivatives
from .shared_axis import SharedAxisDerivatives

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


__all__ = ["DERIVATIVES", "ConstantJacobianDerivatives", "Derivatives", "ElementwiseDerivatives",
           "SharedAxisDerivatives", "derivatives_for"]
