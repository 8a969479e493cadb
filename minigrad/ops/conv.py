"""Two-dimensional convolution by im2col + GEMM (NCHW layout, PyTorch semantics).

``im2col`` (PyTorch's ``unfold``) gathers the receptive field of every output
position into a column. For an input ``x`` of shape ``(N, C, H, W)``, a kernel
``(kh, kw)``, stride ``s``, padding ``p`` and dilation ``d`` (each a pair):

    out_h = ⌊(H + 2 p_h − d_h (kh − 1) − 1) / s_h⌋ + 1      (out_w likewise)
    cols[n, (c, i, j), (y, z)] = x_pad[n, c, y s_h + i d_h, z s_w + j d_w]

with ``x_pad`` the zero-padded input and the row index ``(c, i, j)`` raveled
row-major, so ``cols`` has shape ``(N, C kh kw, L)`` with ``L = out_h out_w``.
``col2im`` (PyTorch's ``fold``) is its adjoint: it adds each column entry back
onto the input position it came from, summing where patches overlap. Each is
the other's backward, so any composition of them is differentiable to any
order.

A convolution with weight ``W`` of shape ``(out, C, kh, kw)`` is then a
matrix product per sample,

    y[n] = W_mat cols[n] + b,    W_mat = W.reshape(out, C kh kw)

whose gradients are ``∂L/∂cols[n] = W_matᵀ g[n]`` (folded back by ``col2im``)
and ``∂L/∂W_mat = Σ_n g[n] cols[n]ᵀ``. ``conv2d`` places the columns of all
samples side by side, ``(C kh kw, N L)``, so each of these is a single GEMM.
The unfolded patches ``cols`` are the layer inputs ``a`` of the Kronecker
factors of Grosse & Martens (KFC; see CURVATURE.md, "For convolutions").
"""
from ..autograd.function import Function
from .linalg import matmul
from .shape import permute, reshape


def _pair(value, function, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{function}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


def _check_4d(x, function, name="input"):
    if x.ndim != 4:
        raise ValueError(f"{function}: {name} must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")


def window_geometry(input_shape, kernel_size, stride, padding, dilation, function):
    """Validated ``(kernel, stride, padding, dilation, (out_h, out_w))`` as pairs.

    Raises ``ValueError`` naming ``function`` when a stride or dilation is not
    positive, a padding is negative, or the dilated kernel is larger than the
    padded input.
    """
    kernel = _pair(kernel_size, function, "kernel_size")
    stride = _pair(stride, function, "stride")
    padding = _pair(padding, function, "padding")
    dilation = _pair(dilation, function, "dilation")
    for name, pair, least in (("kernel_size", kernel, 1), ("stride", stride, 1),
                              ("dilation", dilation, 1), ("padding", padding, 0)):
        if min(pair) < least:
            raise ValueError(f"{function}: {name} must be >= {least}, got {pair}")
    out = []
    for size, k, s, p, d in zip(input_shape[2:], kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if span > size + 2 * p:
            raise ValueError(
                f"{function}: kernel {kernel} with dilation {dilation} spans more than the "
                f"padded input (input shape {tuple(input_shape)}, padding {padding})")
        out.append((size + 2 * p - span) // s + 1)
    return kernel, stride, padding, dilation, tuple(out)


def _offset_slices(i, j, stride, dilation, out_size):
    """The strided slices of the padded input read by kernel offset ``(i, j)``."""
    rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out_size[0] - 1) + 1, stride[0])
    cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out_size[1] - 1) + 1, stride[1])
    return rows, cols


def unfold_array(x, geometry):
    """``im2col`` on a plain NumPy/CuPy array (no graph) for a ``window_geometry``."""
    kernel, stride, padding, dilation, out_size = geometry
    xp = Function.xp(x)
    n, c = x.shape[:2]
    (ph, pw), (kh, kw) = padding, kernel
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, c, kh, kw) + out_size, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, stride, dilation, out_size)
            cols[:, :, i, j] = padded[:, :, rows, columns]
    return cols.reshape(n, c * kh * kw, out_size[0] * out_size[1])


class Im2Col(Function):
    def forward(self, x, geometry):
        self.geometry = geometry
        self.input_shape = x.shape
        return unfold_array(x, geometry)

    def backward(self, g):
        return (Col2Im.apply(g, input_shape=self.input_shape, geometry=self.geometry),)


class Col2Im(Function):
    def forward(self, cols, input_shape, geometry):
        xp = self.xp(cols)
        kernel, stride, padding, dilation, out_size = geometry
        self.geometry = geometry
        n, c, h, w = input_shape
        (ph, pw), (kh, kw) = padding, kernel
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        patches = cols.reshape((n, c, kh, kw) + out_size)
        for i in range(kh):
            for j in range(kw):
                rows, columns = _offset_slices(i, j, stride, dilation, out_size)
                padded[:, :, rows, columns] += patches[:, :, i, j]
        return xp.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])

    def backward(self, g):
        return (Im2Col.apply(g, geometry=self.geometry),)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold ``x`` ``(N, C, H, W)`` into patches ``(N, C·kh·kw, out_h·out_w)``.

    Rows are ordered ``(c, i, j)`` row-major, matching ``weight.reshape(out, -1)``
    of a convolution; columns are output positions in row-major order.
    Zero padding, as PyTorch's ``unfold``.
    """
    _check_4d(x, "im2col")
    geometry = window_geometry(x.shape, kernel_size, stride, padding, dilation, "im2col")
    return Im2Col.apply(x, geometry=geometry)


def col2im(cols, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Fold patches ``(N, C·kh·kw, L)`` back onto an array of ``input_shape`` ``(N, C, H, W)``.

    The adjoint of ``im2col``: entries from overlapping patches are summed and
    entries that fall on the padding are dropped.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 4:
        raise ValueError(f"col2im: input_shape must be (N, C, H, W), got {input_shape}")
    geometry = window_geometry(input_shape, kernel_size, stride, padding, dilation, "col2im")
    (kh, kw), out_size = geometry[0], geometry[4]
    n, c = input_shape[:2]
    expected = (n, c * kh * kw, out_size[0] * out_size[1])
    if tuple(cols.shape) != expected:
        raise ValueError(f"col2im: cols must have shape {expected} for input_shape {input_shape} "
                         f"and kernel {(kh, kw)}, got {tuple(cols.shape)}")
    return Col2Im.apply(cols, input_shape=input_shape, geometry=geometry)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """``im2col`` under PyTorch's name and argument order (``torch.nn.functional.unfold``)."""
    return im2col(input, kernel_size, stride, padding, dilation)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``col2im`` under PyTorch's name and arguments; ``output_size`` is ``(H, W)``."""
    kh, kw = _pair(kernel_size, "fold", "kernel_size")
    if input.ndim != 3 or input.shape[1] % (kh * kw):
        raise ValueError(f"fold: input must be (N, C·kh·kw, L) with kernel {(kh, kw)}, "
                         f"got shape {tuple(input.shape)}")
    height, width = _pair(output_size, "fold", "output_size")
    shape = (input.shape[0], input.shape[1] // (kh * kw), height, width)
    return col2im(input, shape, (kh, kw), stride, padding, dilation)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation of ``input`` ``(N, C, H, W)`` with ``weight`` ``(out, C, kh, kw)``.

    Returns ``(N, out, out_h, out_w)``; ``bias`` has shape ``(out,)``. Computed
    as ``weight.reshape(out, -1) @ im2col(input)`` (one GEMM over the whole
    batch) from differentiable ops, so it is differentiable to any order.
    Only ``groups=1`` is supported.
    """
    _check_4d(input, "conv2d")
    _check_4d(weight, "conv2d", "weight")
    if weight.shape[1] != input.shape[1]:
        raise ValueError(f"conv2d: weight expects {weight.shape[1]} input channels but input has "
                         f"{input.shape[1]} (input shape {tuple(input.shape)}, "
                         f"weight shape {tuple(weight.shape)})")
    out_channels = weight.shape[0]
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"conv2d: bias must have shape ({out_channels},) for weight shape "
                         f"{tuple(weight.shape)}, got {tuple(bias.shape)}")
    geometry = window_geometry(input.shape, weight.shape[2:], stride, padding, dilation, "conv2d")
    cols = Im2Col.apply(input, geometry=geometry)
    batch_cols = reshape(permute(cols, 1, 0, 2), cols.shape[1], -1)
    out = matmul(reshape(weight, out_channels, -1), batch_cols)
    out = permute(reshape(out, (out_channels, input.shape[0]) + geometry[4]), 1, 0, 2, 3)
    return out if bias is None else out + reshape(bias, 1, out_channels, 1, 1)
