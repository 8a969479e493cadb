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

PyTorch's initialisers of a given tensor, in place under ``no_grad``, with
PyTorch's formulas: ``uniform_``, ``normal_``, ``constant_``, ``zeros_``,
``ones_``; ``xavier_uniform_``/``xavier_normal_`` (Glorot & Bengio,
"Understanding the difficulty of training deep feedforward neural networks",
2010: std ``gain·√(2/(fan_in + fan_out))``); ``kaiming_uniform_``/
``kaiming_normal_`` (He, Zhang, Ren & Sun, "Delving deep into rectifiers", 2015:
std ``gain/√fan``, fan from ``mode``, gain ``calculate_gain(nonlinearity, a)``);
``orthogonal_`` (Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear
dynamics of learning in deep linear neural networks", 2014). A uniform draw
with std σ has bound ``√3·σ``. ``fan_in_and_fan_out`` of a weight
``(out, in, *kernel)`` is ``(in·r, out·r)`` with ``r`` the kernel's entries.
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


# PyTorch's in-place initialisers of a given tensor (``torch.nn.init``)

GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
         "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
         "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gain: 1 (linear, conv, sigmoid), 5/3 (tanh), √2 (relu),
    √(2/(1 + slope²)) (leaky_relu, slope ``param``, default 0.01), 3/4 (selu)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected "
                         f"one of {sorted(GAINS) + ['leaky_relu']}")
    return GAINS[nonlinearity]


def fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` = ``(in · r, out · r)`` for a weight ``(out, in, *kernel)`` whose
    kernel has ``r`` entries (``r = 1`` for a matrix)."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (shape {tensor.shape})")
    receptive = int(numpy.prod(tensor.shape[2:]))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fans = fan_in_and_fan_out(tensor)
    return fans[0] if mode == "fan_in" else fans[1]


def _filled(tensor, fill, *args):
    from ..autograd.grad_mode import no_grad
    with no_grad():
        return getattr(tensor, fill)(*args)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill ``tensor`` with draws from U(a, b)."""
    return _filled(tensor, "uniform_", a, b)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill ``tensor`` with draws from N(mean, std²)."""
    return _filled(tensor, "normal_", mean, std)


def constant_(tensor, val):
    """Fill ``tensor`` with ``val``."""
    return _filled(tensor, "fill_", val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio 2010: U(−a, a), ``a = gain · √(6 / (fan_in + fan_out))``."""
    fan_in_, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in_ + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio 2010: N(0, std²), ``std = gain · √(2 / (fan_in + fan_out))``."""
    fan_in_, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in_ + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. 2015: U(−b, b), ``b = gain · √(3 / fan)``, gain
    ``calculate_gain(nonlinearity, a)``."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. 2015: N(0, std²), ``std = gain / √fan``, gain
    ``calculate_gain(nonlinearity, a)``."""
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def orthogonal_(tensor, gain=1.0):
    """Saxe et al. 2014: ``tensor`` viewed as ``(rows, cols)`` gets orthonormal rows (or columns,
    whichever are fewer), the Q of the QR decomposition of a N(0, 1) matrix with the signs of
    R's diagonal taken out, times ``gain``."""
    if tensor.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported (shape "
                         f"{tensor.shape})")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    flat = generator().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = numpy.linalg.qr(flat)
    q *= numpy.sign(numpy.diag(r))
    if rows < cols:
        q = q.T
    values = backend.get_array_module(tensor.data).asarray((gain * q).astype(tensor.dtype))
    from ..tensor import Tensor
    return _filled(tensor, "copy_", Tensor(values.reshape(tensor.shape)))
