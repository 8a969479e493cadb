"""``Conv2d``: 2-D cross-correlation over ``(N, C, H, W)`` inputs (PyTorch's ``nn.Conv2d``).

    y[n, o] = b[o] + Σ_{c,i,j} W[o, c, i, j] x_pad[n, c, y·s_h + i·d_h, z·s_w + j·d_w]

with weight ``W`` of shape ``(out_channels, in_channels, kh, kw)`` and bias
``(out_channels,)``; ``out_h = ⌊(H + 2p_h − d_h(kh − 1) − 1)/s_h⌋ + 1`` (likewise
``out_w``). Computed by ``functional.conv2d`` (im2col + one matrix product), whose
unfolded patches are the layer inputs of the KFC Kronecker factors (``minigrad/curvature/README.md``,
"Kronecker factors: output side first").

Initialisation as PyTorch: ``W ~ U(−1/√fan_in, 1/√fan_in)`` (``kaiming_uniform``
with ``a = √5``) and ``b ~ U(−1/√fan_in, 1/√fan_in)``, ``fan_in = in_channels·kh·kw``.
The hyper-parameters are plain attributes, each a pair of ints (``kernel_size``,
``stride``, ``padding``, ``dilation``), so curvature rules can read them.
"""
import math

from ..ops.conv import _pair
from ..ops.validation import require_dtype_of, require_sizes
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _Convolution(Module):
    """What ``Conv2d`` and ``ConvTranspose2d`` share: the hyper-parameters as pairs of ints,
    the weight ``(out, in, kh, kw)`` or, ``transposed``, ``(in, out, kh, kw)``, PyTorch's
    initialisation (``fan_in`` from the weight's second axis) and the input check."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                 transposed):
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, name, "kernel_size")
        self.stride = _pair(stride, name, "stride")
        self.padding = _pair(padding, name, "padding")
        self.dilation = _pair(dilation, name, "dilation")
        require_sizes(name, in_channels=in_channels, out_channels=out_channels,
                      kernel_size=self.kernel_size, stride=self.stride, dilation=self.dilation)
        channels = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        weight_shape = channels + self.kernel_size
        self.weight = Parameter(init.kaiming_uniform(weight_shape))
        bound = 1.0 / math.sqrt(init.fan_in(weight_shape))
        self.bias = Parameter(init.uniform((out_channels,), bound)) if bias else None

    def check_input(self, x):
        """Refuse an input of another dtype, or not ``(N, in_channels, H, W)``."""
        require_dtype_of(repr(self), x, self.weight)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape}")


class Conv2d(_Convolution):
    """2-D convolution: ``(N, in_channels, H, W)`` → ``(N, out_channels, out_h, out_w)``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         transposed=False)

    def forward(self, x):
        self.check_input(x)
        spans = [d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation)]
        if any(span > size + 2 * p for span, size, p in zip(spans, x.shape[2:], self.padding)):
            raise ValueError(f"{self!r}: input of shape {x.shape} is smaller than the dilated "
                             f"kernel {tuple(spans)} even after padding {self.padding}")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
