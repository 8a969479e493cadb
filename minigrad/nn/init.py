"""Parameter initialisation (PyTorch's defaults), seedable.

PyTorch initialises ``Linear`` and ``Conv2d`` weights with
``kaiming_uniform_(a=√5)``, i.e. U(−b, b) with ``b = 1/√fan_in``, and biases
with U(−1/√fan_in, 1/√fan_in). Draws come from one NumPy generator on the host
(``manual_seed`` resets it), so a seed gives the same weights on either backend.

``sparse_incoming_(linear, incoming=15, std=1.0)`` is the sparse initialisation
of Martens, "Deep learning via Hessian-free optimization" (2010), used for the
deep autoencoders of Botev, Ritter & Barber, "Practical Gauss-Newton
optimisation for deep learning" (2017): each output unit (row ``i`` of the
``(out, in)`` weight) keeps ``incoming`` connections to distinct inputs chosen
uniformly at random, with weights drawn from N(0, std²); every other weight and
the bias are 0. It writes the layer's parameters in place and returns the layer.

``kaiming_normal_(weight, mode="fan_out", nonlinearity="relu")`` is PyTorch's
``nn.init.kaiming_normal_``: N(0, gain²/fan) with gain √2 for ReLU (1 for
``"linear"``) and fan the weight's inputs (``"fan_in"``: ``in·kh·kw``) or
outputs (``"fan_out"``: ``out·kh·kw``) per unit; torchvision's ResNets draw
their convolutions so (He et al., "Delving deep into rectifiers", 2015).
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


GAINS = {"relu": math.sqrt(2.0), "linear": 1.0}
MODES = ("fan_in", "fan_out")


def kaiming_normal_(weight, mode="fan_in", nonlinearity="relu"):
    """PyTorch's ``kaiming_normal_`` in place: N(0, (gain/√fan)²), fan ``mode``'s count."""
    if mode not in MODES:
        raise ValueError(f"kaiming_normal_: mode must be one of {MODES}, got {mode!r}")
    if nonlinearity not in GAINS:
        raise ValueError(f"kaiming_normal_: nonlinearity must be one of {tuple(GAINS)}, got "
                         f"{nonlinearity!r}")
    if weight.ndim < 2:
        raise ValueError(f"kaiming_normal_: needs a weight of at least 2 dimensions, got shape "
                         f"{tuple(weight.shape)}")
    receptive = int(numpy.prod(weight.shape[2:]))
    fan = weight.shape[1 if mode == "fan_in" else 0] * receptive
    values = generator().normal(0.0, GAINS[nonlinearity] / math.sqrt(fan), size=weight.shape)
    weight.data = backend.to_device(values.astype(weight.dtype))
    return weight


def sparse_incoming_(linear, incoming=15, std=1.0):
    """Martens' sparse initialisation of a ``Linear`` in place: ``incoming`` N(0, std²)
    weights per output unit at random distinct inputs, every other weight and the bias 0."""
    weight = getattr(linear, "weight", None)
    if weight is None or weight.ndim != 2:
        raise TypeError(f"sparse_incoming_: expects a Linear module with a 2-D weight, got "
                        f"{type(linear).__name__}")
    out_features, in_features = weight.shape
    if isinstance(incoming, bool) or not isinstance(incoming, int) or incoming < 1:
        raise ValueError(f"sparse_incoming_: incoming must be a positive integer, got "
                         f"{incoming!r}")
    if incoming > in_features:
        raise ValueError(f"sparse_incoming_: incoming={incoming} exceeds the {in_features} "
                         f"inputs of {linear!r}")
    if not std > 0:
        raise ValueError(f"sparse_incoming_: std must be > 0, got {std!r}")
    values = numpy.zeros((out_features, in_features))
    for row in values:
        columns = generator().choice(in_features, size=incoming, replace=False)
        row[columns] = generator().normal(0.0, std, size=incoming)
    weight.data = backend.to_device(values.astype(weight.dtype))
    if linear.bias is not None:
        linear.bias.data = backend.to_device(numpy.zeros(linear.bias.shape, weight.dtype))
    return linear
