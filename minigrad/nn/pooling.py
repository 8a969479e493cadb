"""Pooling layers over ``(N, C, H, W)`` inputs (PyTorch's ``nn.MaxPool2d`` etc.).

    MaxPool2d          y[n, c, y, z] = max over the window at (y·s_h − p_h, z·s_w − p_w)
    AvgPool2d          y[n, c, y, z] = mean over that window (padding counts as zeros)
    AdaptiveAvgPool2d  windows chosen so the output is ``output_size``
    AdaptiveMaxPool2d  max over equal windows ``(H/oh, W/ow)``; needs sizes that divide

Window size ``k``, stride ``s`` (default ``k``) and padding ``p`` are pairs of
ints kept as plain attributes; ``out = ⌊(H + 2p − k)/s⌋ + 1``. Max pooling routes
each output's gradient to its window's maximum (piecewise linear: no second-order
term); average pooling is linear. The arithmetic is in ``functional``.
"""
from ..ops.conv import _pair
from . import functional as F
from .module import Module


def _check_input(layer, x):
    if x.ndim != 4:
        raise ValueError(f"{layer!r} expects input of shape (N, C, H, W), got {x.shape}")


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _pair(kernel_size, name, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, name, "stride")
        self.padding = _pair(padding, name, "padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{name}: padding {self.padding} must be at most half of "
                             f"kernel_size {self.kernel_size}")

    def _check(self, x):
        _check_input(self, x)
        if any(k > size + 2 * p for k, size, p in zip(self.kernel_size, x.shape[2:], self.padding)):
            raise ValueError(f"{self!r}: input of shape {x.shape} is smaller than the window "
                             f"{self.kernel_size} even after padding {self.padding}")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over each ``kernel_size`` window."""

    def forward(self, x):
        self._check(x)
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over each ``kernel_size`` window."""

    def forward(self, x):
        self._check(x)
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` ``(oh, ow)`` whatever the input size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _pair(output_size, "AdaptiveAvgPool2d", "output_size")

    def forward(self, x):
        _check_input(self, x)
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to ``output_size`` ``(oh, ow)`` with windows of ``(H/oh, W/ow)``.

    Each window is a ``MaxPool2d`` window with kernel = stride = ``window(x.shape)``;
    ``H`` and ``W`` must be multiples of ``oh`` and ``ow`` (always so for ``1``,
    the global max-pool).
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _pair(output_size, "AdaptiveMaxPool2d", "output_size")

    def window(self, input_shape):
        """The ``(kh, kw)`` window (also the stride) for an input of ``input_shape``."""
        sizes, outs = tuple(input_shape[2:]), self.output_size
        if any(size < out or size % out for size, out in zip(sizes, outs)):
            raise ValueError(f"{self!r} needs spatial sizes that are multiples of the output "
                             f"size, got input of shape {tuple(input_shape)}")
        return tuple(size // out for size, out in zip(sizes, outs))

    def forward(self, x):
        _check_input(self, x)
        window = self.window(x.shape)
        return F.max_pool2d(x, window, window, 0)

    def extra_repr(self):
        return f"output_size={self.output_size}"
