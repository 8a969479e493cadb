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

Neither loops in Python. ``im2col`` is one copy out of the strided view
``windows[n, c, i, j, y, z]`` of the padded input (``as_strided``, so the same
code runs on CuPy). ``col2im`` writes non-overlapping windows back through that
view; overlapping ones go into ``spread[i, j, n, c, h, w]`` through the skewed
view ``spread[i, j, n, c, y s_h + i d_h, z s_w + j d_w]``, which is then summed
over the kernel offsets ``(i, j)``. Both also take the transposed ``"columns"``
``(kh kw C, N L)`` and the channels-last layout
``rows[(n, y, z), (i, j, c)]``, ``(N L, kh kw C)`` (``rows``): one row per output
position of every sample, copied out of a channels-last view of the input in
runs of ``kw·C`` contiguous entries (the per-sample layout's runs are ``out_w``
long, 1–7 entries on ResNet-18's maps at 28×28 input: 4–12× slower to gather).

A convolution with weight ``W`` of shape ``(out, C, kh, kw)`` is then a
matrix product per sample,

    y[n] = W_mat cols[n] + b,    W_mat = W.reshape(out, C kh kw)

whose gradients are ``∂L/∂cols[n] = W_matᵀ g[n]`` (folded back by ``col2im``)
and ``∂L/∂W_mat = Σ_n g[n] cols[n]ᵀ``. ``conv2d`` unfolds straight into the
``rows`` layout and multiplies by ``W_rows[(i, j, c), o] = W[o, c, i, j]``, so
each of these is a single GEMM whose output ``(N L, out)`` is the channels-last
map, and it unfolds again in the backward rather than keep the rows.
Kernel offsets that read only padding (a 3×3 kernel with padding 1 on a 1×1
map: all but the centre) contribute exact zeros; ``conv2d`` leaves them out of
the columns and the GEMM (``KernelCrop`` of the weight, whose adjoint pads the
weight gradient back with zeros).
A transposed convolution (``conv_transpose2d``, PyTorch's ``ConvTranspose2d``)
is the adjoint of ``conv2d`` in its input: with weight ``W`` ``(C_in, C_out, kh, kw)``,
each input position's channels-last row times ``W_rows[(i, j, o), c] = W[c, o, i, j]``
gives one output patch, and ``col2im`` adds the patches onto the output.
The unfolded patches ``cols`` are the layer inputs ``a`` of the Kronecker
factors of Grosse & Martens (KFC; see ``minigrad/curvature/README.md``, "Kronecker factors: output side first").
"""
from ..autograd.function import Function
from .linalg import MatMul
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


def _padded(x, padding, fill=0):
    """``x`` with ``padding`` entries ``fill`` on both sides of its last two axes (``x`` if none)."""
    (ph, pw) = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    padded = Function.xp(x).full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _window_view(padded, geometry):
    """The view ``windows[n, c, i, j, y, z] = padded[n, c, y s_h + i d_h, z s_w + j d_w]`` (no copy)."""
    kernel, stride, _, dilation, out_size = geometry
    sn, sc, sh, sw = padded.strides
    return Function.xp(padded).lib.stride_tricks.as_strided(
        padded, padded.shape[:2] + kernel + out_size,
        (sn, sc, dilation[0] * sh, dilation[1] * sw, stride[0] * sh, stride[1] * sw))


def _windows_overlap(geometry):
    """Whether some input entry lies in two windows (then ``col2im`` must add, not place)."""
    kernel, stride, _, dilation, _ = geometry
    return any(k > 1 and (d > 1 or s < k) for k, s, d in zip(kernel, stride, dilation))


def _padded_rows(x, padding, fill=0):
    """``x`` ``(N, C, H, W)`` as a ``fill``-padded channels-last array ``(N, H + 2p_h, W + 2p_w, C)``."""
    (ph, pw) = padding
    n, c, h, w = x.shape
    channels_last = x.transpose(0, 2, 3, 1)
    if not (ph or pw):
        return Function.xp(x).ascontiguousarray(channels_last)
    padded = Function.xp(x).full((n, h + 2 * ph, w + 2 * pw, c), fill, dtype=x.dtype)
    padded[:, ph:ph + h, pw:pw + w] = channels_last
    return padded


def _row_windows(padded, geometry):
    """The view ``windows[n, y, z, i, j, c] = padded[n, y s_h + i d_h, z s_w + j d_w, c]`` of a
    channels-last ``padded`` (no copy)."""
    kernel, stride, _, dilation, out_size = geometry
    sn, sh, sw, sc = padded.strides
    return Function.xp(padded).lib.stride_tricks.as_strided(
        padded, padded.shape[:1] + out_size + kernel + padded.shape[3:],
        (sn, stride[0] * sh, stride[1] * sw, dilation[0] * sh, dilation[1] * sw, sc))


LAYOUTS = ("samples", "rows", "columns")


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"im2col/col2im: layout must be one of {LAYOUTS}, got {layout!r}")


def unfold_array(x, geometry, layout="samples"):
    """``im2col`` on a plain NumPy/CuPy array (no graph) for a ``window_geometry``.

    One copy out of a strided view of the padded input, in one of ``LAYOUTS``:

    * ``"samples"``: ``(N, C·kh·kw, L)``, rows ``(c, i, j)``, as PyTorch's ``unfold``;
    * ``"rows"``: the channels-last ``(N·L, kh·kw·C)``,
      ``rows[(n, y, z), (i, j, c)] = x_pad[n, c, y s_h + i d_h, z s_w + j d_w]``, one row
      per output position of every sample (one GEMM operand), copied in runs of
      ``kw·C`` contiguous entries;
    * ``"columns"``: the transpose of ``"rows"``, ``(kh·kw·C, N·L)``, copied out of the
      ``(N, C, H, W)`` layout in runs of ``out_w``.

    With one input channel the runs of ``"rows"`` are only ``kw`` long, so they are
    gathered as ``"columns"`` and returned as its transposed view.
    """
    _check_layout(layout)
    kernel, out_size = geometry[0], geometry[4]
    n, c = x.shape[:2]
    size, positions = c * kernel[0] * kernel[1], out_size[0] * out_size[1]
    if layout == "rows" and c > 1:
        windows = _row_windows(_padded_rows(x, geometry[2]), geometry)
        return windows.reshape(n * positions, size)
    windows = _window_view(_padded(x, geometry[2]), geometry)
    if layout == "samples":
        return windows.reshape(n, size, positions)
    columns = windows.transpose(2, 3, 1, 0, 4, 5).reshape(size, n * positions)
    return columns.T if layout == "rows" else columns


def fold_array(cols, input_shape, geometry, layout="samples"):
    """``col2im`` on a plain array: the adjoint of ``unfold_array`` with the same layout.

    ``"rows"`` are added onto a channels-last array, returned as its
    ``(N, C, H, W)`` view; the others onto an ``(N, C, H, W)`` array."""
    _check_layout(layout)
    kernel, out_size = geometry[0], geometry[4]
    n, c = input_shape[:2]
    if layout == "rows":
        return fold_rows(cols.reshape((n,) + out_size + kernel + (c,)), input_shape, geometry)
    if layout == "columns":
        patches = cols.reshape(kernel + (c, n) + out_size).transpose(3, 2, 0, 1, 4, 5)
    else:
        patches = cols.reshape((n, c) + kernel + out_size)
    return fold_patches(patches, input_shape, geometry)


def fold_rows(patches, input_shape, geometry):
    """``col2im`` of ``patches[n, y, z, i, j, c]`` (any strides) onto a channels-last array of
    zeros, returned as its ``input_shape`` ``(N, C, H, W)`` view."""
    n, c, h, w = input_shape
    (ph, pw) = geometry[2]
    xp = Function.xp(patches)
    padded = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=patches.dtype)
    folded = _add_windows(patches, padded, lambda a: _row_windows(a, geometry), 3, geometry)
    return xp.ascontiguousarray(folded[:, ph:ph + h, pw:pw + w]).transpose(0, 3, 1, 2)


def fold_patches(patches, input_shape, geometry):
    """``col2im`` of ``patches[n, c, i, j, y, z]`` (any strides) onto zeros of ``input_shape``."""
    n, c, h, w = input_shape
    (ph, pw) = geometry[2]
    padded = Function.xp(patches).zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=patches.dtype)
    folded = _add_windows(patches, padded, lambda a: _window_view(a, geometry), 2, geometry)
    if not (ph or pw):
        return folded
    return Function.xp(patches).ascontiguousarray(folded[:, :, ph:ph + h, pw:pw + w])


def _add_windows(patches, padded, windows_of, offset_axis, geometry):
    """``padded`` (zeros) plus each patch at its window; ``windows_of(array)`` is the strided
    window view of a ``padded``-shaped array with the kernel offsets ``(i, j)`` at axes
    ``offset_axis``, ``offset_axis + 1``, laid out as ``patches``.

    Non-overlapping windows are written into place through the window view.
    Overlapping ones with stride 1 go, one kernel offset per axis, into a zero
    array ``spread[i, j, ...]`` of ``kh·kw`` copies of ``padded`` through the view
    of ``spread`` whose offset axes also step through its copies, and are summed
    over ``(i, j)``, with no loop. With a larger stride the windows overlap less,
    and the ``kh·kw`` offsets are added one by one through the window view
    instead, each a whole ``(N, C, out_h, out_w)`` slab: 1.2–1.6× faster on
    ResNet-18's 3×3 stride-2 layers on 14×14 and 7×7 maps (0.9× on 4×4), and
    without the ``spread`` (60 MB in ResNet-18's first max pooling at batch 100).
    """
    xp = Function.xp(patches)
    kernel, stride = geometry[0], geometry[1]
    if not _windows_overlap(geometry):
        windows_of(padded)[...] = patches
        return padded
    if stride != (1, 1):
        windows = windows_of(padded)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                at = (slice(None),) * offset_axis + (i, j)
                windows[at] += patches[at]
        return padded
    spread = xp.zeros(kernel + padded.shape, dtype=padded.dtype)
    strides = list(windows_of(spread[0, 0]).strides)
    strides[offset_axis] += spread.strides[0]
    strides[offset_axis + 1] += spread.strides[1]
    xp.lib.stride_tricks.as_strided(spread, patches.shape, tuple(strides))[...] = patches
    return spread.sum(axis=(0, 1))


class Im2Col(Function):
    def forward(self, x, geometry, layout="samples"):
        self.geometry, self.layout = geometry, layout
        self.input_shape = x.shape
        return unfold_array(x, geometry, layout)

    def backward(self, g):
        return (Col2Im.apply(g, input_shape=self.input_shape, geometry=self.geometry,
                             layout=self.layout),)


class Col2Im(Function):
    def forward(self, cols, input_shape, geometry, layout="samples"):
        self.geometry, self.layout = geometry, layout
        return fold_array(cols, input_shape, geometry, layout)

    def backward(self, g):
        return (Im2Col.apply(g, geometry=self.geometry, layout=self.layout),)


class Convolution(Function):
    """``rows W_rows`` ``(N·L, out)`` for ``rows = im2col(x)`` (channels-last rows), from
    ``(x, W_rows)`` with ``W_rows[(i, j, c), o] = W[o, c, i, j]``.

    The rows are formed in the forward for the product and dropped: the
    backward unfolds ``x`` again for the weight gradient ``rowsᵀ g``, so the
    graph keeps each layer's input (as PyTorch does), not its ``C·kh·kw`` times
    larger rows. The output ``(N·L, out)`` is the channels-last map, seen as
    ``(N, out, out_h, out_w)`` by ``conv2d`` without a copy, so the next layer
    unfolds it in long contiguous runs too.

    The input gradient, with stride 1, ``d (k − 1) ≥ p`` and no more output
    than input channels, is the correlation of ``g`` with the flipped kernel,
    ``∂L/∂x = conv(g, flip(W)ᵀ, padding d (k − 1) − p)``: a ``Convolution`` of
    ``g`` (one ``im2col`` and one GEMM; 0.7× the time of ``col2im`` on
    ResNet-18's 64- and 128-channel layers, while with more output than input
    channels the rows of ``g`` outgrow those of ``x``, 2–3× slower on LeNet-5's
    6 → 16). Being a ``Convolution`` again, its own backward (in a
    Hessian-vector product) takes the same route, so ResNet-18's HVP forms no
    ``col2im`` in its stride-1 layers. Otherwise the input gradient is
    ``col2im(g W_rowsᵀ)``, folded from ``"rows"``, or from the ``"columns"``
    ``W_rows gᵀ`` when the input has fewer channels than output columns (its runs
    are then the longer ones: LeNet-5's 6-channel layer). All are differentiable ops on the inputs, so the
    backward differentiates again, to any order.
    """

    def forward(self, x, w, geometry):
        self.geometry, self.input_shape = geometry, x.shape
        return unfold_array(x, geometry, "rows") @ w

    def backward(self, g):
        x, w = self.inputs
        gx = self._input_gradient(g, w) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            rows = Im2Col.apply(x, geometry=self.geometry, layout="rows")
            gw = MatMul.apply(rows, g, transpose_a=True)
        return gx, gw

    def _input_gradient(self, g, w):
        kernel, stride, padding, dilation, out_size = self.geometry
        n, c, h, width = self.input_shape
        spans = [d * (k - 1) for k, d in zip(kernel, dilation)]
        out_channels = w.shape[1]
        if stride != (1, 1) or out_channels > c or any(s < p for s, p in zip(spans, padding)):
            if c < out_size[1]:
                return Col2Im.apply(MatMul.apply(w, g, transpose_b=True),
                                    input_shape=self.input_shape, geometry=self.geometry,
                                    layout="columns")
            return Col2Im.apply(MatMul.apply(g, w, transpose_b=True), input_shape=self.input_shape,
                                geometry=self.geometry, layout="rows")
        weight = permute(reshape(w, kernel + (c, out_channels)), 3, 2, 0, 1)
        flipped = reshape(permute(Flip.apply(weight), 2, 3, 0, 1), -1, c)
        g_images = permute(reshape(g, (n,) + out_size + (out_channels,)), 0, 3, 1, 2)
        geometry = (kernel, (1, 1), tuple(span - p for span, p in zip(spans, padding)), dilation,
                    (h, width))
        product = Convolution.apply(g_images, flipped, geometry=geometry)
        return permute(reshape(product, n, h, width, c), 0, 3, 1, 2)


class Flip(Function):
    """The kernel reversed along its two spatial axes (its own adjoint)."""

    def forward(self, w):
        return w[:, :, ::-1, ::-1]

    def backward(self, g):
        return (Flip.apply(g),)


def _taps_inside(input_shape, geometry):
    """The kernel offsets that read some input entry, and the geometry of those taps alone.

    Offset ``i`` reads rows ``o s + i d − p`` (``o < out``); an offset whose rows
    all fall on the padding contributes zeros only (a 3×3 kernel with padding 1
    on a 1×1 map uses its centre alone). Returns ``((first, last) per axis,
    geometry)``, the geometry unchanged when no offset can go or when the kept
    ones would need uneven padding.
    """
    kernel, stride, padding, dilation, out_size = geometry
    taps, new_kernel, new_padding = [], [], []
    for size, k, s, p, d, out in zip(input_shape[2:], kernel, stride, padding, dilation,
                                     out_size):
        inside = [i for i in range(k) if i * d - p <= size - 1 and (out - 1) * s + i * d - p >= 0]
        first, last = inside[0], inside[-1]
        shifted = p - first * d
        if shifted < 0 or (out - 1) * s + last * d - p > size - 1 + shifted:
            first, last, shifted = 0, k - 1, p
        taps.append((first, last))
        new_kernel.append(last - first + 1)
        new_padding.append(shifted)
    return tuple(taps), (tuple(new_kernel), stride, tuple(new_padding), dilation, out_size)


class KernelCrop(Function):
    """``w[:, :, a_h..b_h, a_w..b_w]``: the kernel offsets ``taps`` of a weight (adjoint: KernelPad)."""

    def forward(self, w, taps):
        self.taps, self.kernel = taps, w.shape[2:]
        (a, b), (c, e) = taps
        return w[:, :, a:b + 1, c:e + 1]

    def backward(self, g):
        return (KernelPad.apply(g, taps=self.taps, kernel=self.kernel),)


class KernelPad(Function):
    """Zeros of kernel size ``kernel`` holding ``g`` at the offsets ``taps`` (adjoint: KernelCrop)."""

    def forward(self, g, taps, kernel):
        self.taps = taps
        (a, b), (c, e) = taps
        full = self.xp(g).zeros(g.shape[:2] + tuple(kernel), dtype=g.dtype)
        full[:, :, a:b + 1, c:e + 1] = g
        return full

    def backward(self, g):
        return (KernelCrop.apply(g, taps=self.taps),)


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


def _channels(input, weight, bias, function, in_axis):
    """``(in_channels, out_channels)`` of a 4-D ``weight`` whose axis ``in_axis`` (1 for
    ``conv2d``'s ``(out, C, kh, kw)``, 0 for ``conv_transpose2d``'s ``(C, out, kh, kw)``)
    matches the channels of the 4-D ``input``, and ``bias`` (``(out,)`` or None); the
    errors name ``function`` and the shapes."""
    _check_4d(input, function)
    _check_4d(weight, function, "weight")
    in_channels, out_channels = weight.shape[in_axis], weight.shape[1 - in_axis]
    if in_channels != input.shape[1]:
        raise ValueError(f"{function}: weight expects {in_channels} input channels but input "
                         f"has {input.shape[1]} (input shape {tuple(input.shape)}, "
                         f"weight shape {tuple(weight.shape)})")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{function}: bias must have shape ({out_channels},) for weight shape "
                         f"{tuple(weight.shape)}, got {tuple(bias.shape)}")
    return in_channels, out_channels


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation of ``input`` ``(N, C, H, W)`` with ``weight`` ``(out, C, kh, kw)``.

    Returns ``(N, out, out_h, out_w)``; ``bias`` has shape ``(out,)``. Computed
    as ``weight.reshape(out, -1) @ im2col(input)`` (one GEMM over the whole
    batch) from differentiable ops, so it is differentiable to any order.
    Only ``groups=1`` is supported.
    """
    _, out_channels = _channels(input, weight, bias, "conv2d", in_axis=1)
    geometry = window_geometry(input.shape, weight.shape[2:], stride, padding, dilation, "conv2d")
    taps, trimmed = _taps_inside(input.shape, geometry)
    if trimmed != geometry:
        weight, geometry = KernelCrop.apply(weight, taps=taps), trimmed
    w_rows = reshape(permute(weight, 2, 3, 1, 0), -1, out_channels)
    out = Convolution.apply(input, w_rows, geometry=geometry)
    if bias is not None:
        out = out + bias
    return permute(reshape(out, (input.shape[0],) + geometry[4] + (out_channels,)), 0, 3, 1, 2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     dilation=1):
    """Transposed convolution of ``input`` ``(N, C_in, H, W)`` with ``weight``
    ``(C_in, C_out, kh, kw)``: the gradient of ``conv2d`` with respect to its input.

        y[n, o, y s_h + i d_h − p_h, z s_w + j d_w − p_w] += Σ_c W[c, o, i, j] x[n, c, y, z]

    (entries landing outside the output dropped), plus ``bias`` ``(C_out,)``. The
    output is ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H − 1) s_h − 2 p_h + d_h (kh − 1) + output_padding_h + 1``; the
    ``output_padding`` (smaller than the stride) picks
    one of the output sizes that a strided ``conv2d`` maps onto ``H``. Computed as one
    GEMM of the channels-last input rows with ``W_rows`` and a ``col2im`` of the
    patches, so it is differentiable to any order. The patches are folded from the
    ``"rows"`` layout, whose runs are ``C_out`` long, or from the transposed
    ``"columns"`` when there are fewer output channels than output columns (a
    CIFAR-10 autoencoder's last two layers, 12 → 3 onto 32×32 and 24 → 12 onto
    16×16 at batch 512: the fold 2.9× and 1.7× faster, measured beside other work;
    48 → 24 onto 8×8 stays on rows, 0.6× there). Only ``groups=1`` is supported.
    """
    in_channels, out_channels = _channels(input, weight, bias, "conv_transpose2d", in_axis=0)
    kernel = _pair(weight.shape[2:], "conv_transpose2d", "kernel_size")
    stride, padding, extra, dilation = (
        _pair(value, "conv_transpose2d", name) for value, name in (
            (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
            (dilation, "dilation")))
    if any(e < 0 or e >= s for e, s in zip(extra, stride)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be non-negative and "
                         f"smaller than the stride {stride} (an output_padding only the "
                         f"dilation exceeds, which PyTorch accepts, is not supported)")
    n, _, h, w = input.shape
    out_size = tuple((size - 1) * s - 2 * p + d * (k - 1) + e + 1 for size, s, p, d, k, e in zip(
        (h, w), stride, padding, dilation, kernel, extra))
    if min(out_size) < 1:
        raise ValueError(f"conv_transpose2d: input shape {tuple(input.shape)} with kernel "
                         f"{kernel}, stride {stride}, padding {padding} and dilation {dilation} "
                         f"gives the empty output size {out_size}")
    output_shape = (n, out_channels) + out_size
    geometry = window_geometry(output_shape, kernel, stride, padding, dilation,
                               "conv_transpose2d")
    rows = reshape(permute(input, 0, 2, 3, 1), -1, in_channels)
    w_rows = reshape(permute(weight, 2, 3, 1, 0), -1, in_channels)
    if out_channels < out_size[1]:
        patches, layout = MatMul.apply(w_rows, rows, transpose_b=True), "columns"
    else:
        patches, layout = MatMul.apply(rows, w_rows, transpose_b=True), "rows"
    out = Col2Im.apply(patches, input_shape=output_shape, geometry=geometry, layout=layout)
    if bias is not None:
        out = out + reshape(bias, 1, out_channels, 1, 1)
    return out
