"""Spatial pooling on NCHW inputs (PyTorch semantics), composed from ``im2col``.

With the windows unfolded as ``cols[n, c, k, l]`` (``k`` over the ``kh·kw``
window entries in row-major order, ``l`` over the output positions; see
``conv.py``):

    max_pool2d:  y[n, c, l] = max_k cols[n, c, k, l]    padding counts as −∞; the gradient
                                                         goes to the first maximum of each
                                                         window, the second derivative is 0
    avg_pool2d:  y[n, c, l] = Σ_k cols[n, c, k, l] / kh kw      (zero padding counted, PyTorch's
                                                                  count_include_pad=True)

``adaptive_avg_pool2d`` averages over PyTorch's bins: output row ``i`` of
``out_h`` covers input rows ``⌊i H / out_h⌋ ≤ h < ⌈(i + 1) H / out_h⌉`` (columns
likewise). The bins are separable, so ``y = P_h x P_wᵀ`` with the averaging
matrix ``P_h[i, h] = 1 / |bin i|`` on the bin and 0 elsewhere.

``max_pool2d`` copies the windows of the (−∞-padded) input once, entry axis
first: ``entries[k, n, c, y, z] = x_pad[n, c, y s_h + i d_h, z s_w + j d_w]`` with
``k = i kw + j`` (``entries[k, n, y, z, c]``, and a channels-last output, when the
input is stored channels-last as a convolution's output is, so that the copy
runs along the contiguous channels). The maximum and the mask ``first[k, n, c, y, z]`` of each
window's first maximal entry (smallest ``k``; a NaN counts as maximal, as in
PyTorch) are then elementwise operations between whole ``(N, C, out_h, out_w)``
slabs, one pass per window entry (NumPy's ``argmax`` or ``cumsum`` along a short
axis is about ten times slower). The layer is the linear map "take the masked
entry" of each window (``WindowGather``, ``Σ_k entries[k] first[k]``); its adjoint
``WindowScatter`` puts each gradient at its entry (``first[k] g``) and adds
overlapping windows (``col2im``). Both multiply by the mask (ten times faster than
a masked select in NumPy), so a non-finite value spreads over its window as
``0·inf = NaN`` instead of being dropped. The two are each other's backward, so
the HVP differentiates through max pooling exactly (the mask is fixed: the second
derivative is 0).

For ``avg_pool2d``, windows that tile the input (stride = kernel, no padding
or dilation, the common ``AvgPool2d(2)``) are a reshape
``(N, C, out_h, kh, out_w, kw)`` of the input and no patches are copied;
otherwise ``im2col`` gathers them. It and ``adaptive_avg_pool2d`` are built
from differentiable ops (``im2col``, ``reshape``, ``sum``, ``matmul``), so their
backward passes can be differentiated again.
"""
from ..autograd.function import Function
from ..tensor import Tensor
from .conv import (Im2Col, _check_4d, _padded, _padded_rows, _pair, _row_windows, _window_view,
                   fold_patches, fold_rows, unfold_array, window_geometry)
from .linalg import matmul
from .reduction import sum
from .shape import getitem, reshape, transpose


def _pool_geometry(x, kernel_size, stride, padding, dilation, function):
    _check_4d(x, function)
    stride = kernel_size if stride is None else stride
    geometry = window_geometry(x.shape, kernel_size, stride, padding, dilation, function)
    kernel, _, padding, dilation, _ = geometry
    for k, p, d in zip(kernel, padding, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise ValueError(f"{function}: padding {padding} must be at most half of the "
                             f"kernel {kernel} (dilation {dilation})")
    return geometry


def _tiles(geometry):
    """Whether the windows tile the input: stride = kernel, no padding, no dilation."""
    kernel, stride, padding, dilation, _ = geometry
    return kernel == stride and not any(padding) and dilation == (1, 1)


def _windows(x, geometry):
    """The windows of ``x`` and the axes that run over a window's entries.

    Tiling windows are a reshape ``(N, C, out_h, kh, out_w, kw)`` of the input
    (cropped to ``out_h·kh × out_w·kw``), reduced over axes ``(3, 5)``; others are
    unfolded by ``im2col`` to ``(N, C, kh·kw, L)`` and reduced over axis 2. Either
    way the entries of a window are met in row-major order.
    """
    (kh, kw), out_size = geometry[0], geometry[4]
    n, c = x.shape[:2]
    if _tiles(geometry):
        (oh, ow) = out_size
        if x.shape[2:] != (oh * kh, ow * kw):
            x = getitem(x, (slice(None), slice(None), slice(0, oh * kh), slice(0, ow * kw)))
        return reshape(x, n, c, oh, kh, ow, kw), (3, 5)
    return reshape(Im2Col.apply(x, geometry=geometry), n, c, kh * kw, -1), 2


def _padding_entries(x, geometry):
    """A ``(1, 1, kh·kw, L)`` boolean array: which window entries fall on the padding."""
    xp = x.xp
    ones = xp.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype)
    return unfold_array(ones, geometry)[:, None] == 0


def is_channels_last(x):
    """Whether ``x`` ``(N, C, H, W)`` (C > 1) is stored channels-last, as a convolution's output is."""
    return x.shape[1] > 1 and x.transpose(0, 2, 3, 1).flags.c_contiguous


def _window_entries(x, geometry, fill, channels_last):
    """``entries[k, n, c, y, z]``, ``k = i kw + j``, of the ``fill``-padded ``x`` in one copy;
    ``channels_last``: ``entries[k, n, y, z, c]``, copied in runs of ``C`` entries."""
    (kh, kw), out_size = geometry[0], geometry[4]
    n, c = x.shape[:2]
    if channels_last:
        view = _row_windows(_padded_rows(x, geometry[2], fill), geometry)
        return view.transpose(3, 4, 0, 1, 2, 5).reshape((kh * kw, n) + out_size + (c,))
    view = _window_view(_padded(x, geometry[2], fill), geometry).transpose(2, 3, 0, 1, 4, 5)
    return view.reshape((kh * kw, n, c) + out_size)


def _as_images(values, channels_last):
    """``(N, C, out_h, out_w)`` of window values laid out like ``_window_entries``'s slabs."""
    return values.transpose(0, 3, 1, 2) if channels_last else values


def _first_maximum(entries):
    """``(top, first)``: each window's maximum (``entries.shape[1:]``) and the boolean mask
    (``entries.shape``) of its first maximal entry (NaN counts as maximal)."""
    xp = Function.xp(entries)
    top = entries.max(axis=0)
    hits = (entries == top) | xp.isnan(entries)
    first, found = xp.empty_like(hits), hits[0].copy()
    first[0] = found
    for k in range(1, len(hits)):
        xp.greater(hits[k], found, out=first[k])
        found |= hits[k]
    return top, first


class WindowGather(Function):
    """``y[n, c, y, z]`` = the entry of window ``(y, z)`` that ``mask`` marks (adjoint:
    WindowScatter); ``mask`` is laid out as ``_window_entries(x, ..., channels_last)``."""

    def forward(self, x, mask, geometry, channels_last):
        self.mask, self.geometry, self.input_shape = mask, geometry, x.shape
        self.channels_last = channels_last
        entries = _window_entries(x, geometry, 0, channels_last)
        return _as_images((entries * mask).sum(axis=0), channels_last)

    def backward(self, g):
        return (WindowScatter.apply(g, mask=self.mask, geometry=self.geometry,
                                    input_shape=self.input_shape,
                                    channels_last=self.channels_last),)


class WindowMax(WindowGather):
    """``WindowGather`` at the first maximum of each window, the padding counting as −∞; the
    windows are read in the input's layout (channels-last when it is stored so)."""

    def forward(self, x, geometry):
        self.channels_last = is_channels_last(x)
        entries = _window_entries(x, geometry, -self.xp(x).inf, self.channels_last)
        top, self.mask = _first_maximum(entries)
        self.geometry, self.input_shape = geometry, x.shape
        return _as_images(top, self.channels_last)


class WindowScatter(Function):
    """``g[n, c, y, z]`` put at the entry of window ``(y, z)`` that ``mask`` marks, summed
    where windows overlap, on zeros of ``input_shape`` (adjoint: WindowGather)."""

    def forward(self, g, mask, geometry, input_shape, channels_last):
        self.mask, self.geometry, self.channels_last = mask, geometry, channels_last
        kernel = geometry[0]
        if channels_last:
            entries = mask * g.transpose(0, 2, 3, 1)
            patches = entries.reshape(kernel + entries.shape[1:]).transpose(2, 3, 4, 0, 1, 5)
            return fold_rows(patches, input_shape, geometry)
        entries = mask * g
        patches = entries.reshape(kernel + entries.shape[1:]).transpose(2, 3, 0, 1, 4, 5)
        return fold_patches(patches, input_shape, geometry)

    def backward(self, g):
        return (WindowGather.apply(g, mask=self.mask, geometry=self.geometry,
                                   channels_last=self.channels_last),)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    """Maximum over each ``kernel_size`` window of ``input`` ``(N, C, H, W)``.

    ``stride`` defaults to ``kernel_size``; the implicit padding is −∞ and at
    most half the kernel. The gradient goes to the first maximal entry of each
    window (row-major order).
    """
    geometry = _pool_geometry(input, kernel_size, stride, padding, dilation, "max_pool2d")
    return WindowMax.apply(input, geometry=geometry)


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each ``kernel_size`` window of ``input`` ``(N, C, H, W)``.

    ``stride`` defaults to ``kernel_size``; padding is zeros, at most half the
    kernel. With ``count_include_pad`` (the default) every window is divided by
    ``kh·kw``; otherwise by its number of entries inside the input.
    """
    geometry = _pool_geometry(input, kernel_size, stride, padding, 1, "avg_pool2d")
    (kh, kw), out_size = geometry[0], geometry[4]
    total = sum(*_windows(input, geometry))
    if count_include_pad or not any(geometry[2]):
        counts = kh * kw
    else:
        counts = Tensor((~_padding_entries(input, geometry)).sum(axis=2).astype(input.dtype))
    return reshape(total / counts, input.shape[:2] + out_size)


def _bin_averaging_matrix(xp, size, out, dtype):
    """``P[i, h] = 1 / (end_i − start_i)`` for ``start_i ≤ h < end_i`` (PyTorch's bins)."""
    matrix = xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(input, output_size):
    """Average ``input`` ``(N, C, H, W)`` over PyTorch's adaptive bins to ``output_size``.

    ``output_size`` is an int or a pair; a ``None`` entry keeps that input size.
    Any positive output size works, whether or not it divides the input size.
    """
    _check_4d(input, "adaptive_avg_pool2d")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, "
                         f"got {output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, input.shape[2:]))
    out_h, out_w = _pair(sizes, "adaptive_avg_pool2d", "output_size")
    if min(out_h, out_w) < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {sizes}")
    xp, (height, width) = input.xp, input.shape[2:]
    rows = Tensor(_bin_averaging_matrix(xp, height, out_h, input.dtype))
    columns = Tensor(_bin_averaging_matrix(xp, width, out_w, input.dtype))
    return matmul(matmul(rows, input), transpose(columns, 0, 1))
