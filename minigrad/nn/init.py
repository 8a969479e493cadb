"""Parameter initialisation (PyTorch's defaults), seedable.

PyTorch initialises ``Linear`` and ``Conv2d`` weights with
``kaiming_uniform_(a=√5)``, i.e. U(−b, b) with ``b = 1/√fan_in``, and biases
with U(−1/√fan_in, 1/√fan_in). Draws come from one NumPy generator on the host
(``manual_seed`` resets it), so a seed gives the same weights on either backend.
"""
import math

import numpy

from .. import backend
from ..random import generator, manual_seed  # noqa: F401  (the shared random state)


def fan_in(shape):
    """Inputs per output unit: ``in`` for ``(out, in)``, ``in·kh·kw`` for a conv weight."""
    return int(numpy.prod(shape[1:])) if len(shape) > 1 else int(shape[0])


def uniform(shape, bound, dtype=None):
    """An array of ``shape`` drawn from U(−bound, bound) on the active backend."""
    dtype = dtype or backend.get_default_dtype()
    values = generator().uniform(-bound, bound, size=shape).astype(dtype)
    return backend.to_device(values)


def kaiming_uniform(shape, a=math.sqrt(5), dtype=None):
    """PyTorch's ``kaiming_uniform_``: bound ``gain·√(3/fan_in)``, gain ``√(2/(1+a²))``."""
    gain = math.sqrt(2.0 / (1 + a * a))
    return uniform(shape, gain * math.sqrt(3.0 / fan_in(shape)), dtype)
