"""im2col, col2im and conv2d: values against naive loops over output positions,
gradcheck and gradgradcheck, the adjoint identity, and argument validation."""
import numpy
import pytest

from minigrad import ops
from minigrad.ops import conv
from minigrad.ops.conv import fold_array, unfold_array, window_geometry
from tests.helpers import check_op, random_tensor


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _output_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def naive_im2col(x, kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (kernel, stride, padding, dilation))
    n, c, h, w = x.shape
    padded = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = _output_size(h, kh, sh, ph, dh), _output_size(w, kw, sw, pw, dw)
    cols = numpy.zeros((n, c * kh * kw, oh * ow))
    for b in range(n):
        for y in range(oh):
            for z in range(ow):
                for ch in range(c):
                    for i in range(kh):
                        for j in range(kw):
                            cols[b, (ch * kh + i) * kw + j, y * ow + z] = \
                                padded[b, ch, y * sh + i * dh, z * sw + j * dw]
    return cols


def naive_conv2d(x, weight, bias, stride, padding, dilation):
    (sh, sw), (ph, pw), (dh, dw) = map(_pair, (stride, padding, dilation))
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    padded = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = _output_size(h, kh, sh, ph, dh), _output_size(w, kw, sw, pw, dw)
    out = numpy.zeros((n, out_channels, oh, ow))
    for b in range(n):
        for o in range(out_channels):
            for y in range(oh):
                for z in range(ow):
                    window = padded[b, :, y * sh:y * sh + dh * (kh - 1) + 1:dh,
                                    z * sw:z * sw + dw * (kw - 1) + 1:dw]
                    out[b, o, y, z] = numpy.sum(window * weight[o])
                    if bias is not None:
                        out[b, o, y, z] += bias[o]
    return out


# (input shape, weight shape, stride, padding, dilation, with bias)
CONV_CASES = [
    ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0, 1, False),
    ((2, 2, 7, 5), (3, 2, 3, 3), 2, 1, 1, True),
    ((1, 2, 7, 5), (2, 2, 3, 2), 1, 2, 2, True),
    ((2, 3, 4, 3), (2, 3, 1, 1), 1, 0, 1, True),
    ((1, 1, 6, 6), (2, 1, 5, 5), 1, 2, 1, False),
    ((1, 2, 5, 7), (2, 2, 3, 3), (2, 1), (1, 0), (1, 2), True),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,with_bias", CONV_CASES)
def test_conv2d_matches_naive_loops(x_shape, w_shape, stride, padding, dilation, with_bias):
    x, weight = random_tensor(x_shape, 1), random_tensor(w_shape, 2)
    if with_bias:
        bias = random_tensor(w_shape[:1], 3)
        check_op(lambda x, w, b: ops.conv2d(x, w, b, stride, padding, dilation), [x, weight, bias],
                 lambda x, w, b: naive_conv2d(x, w, b, stride, padding, dilation))
    else:
        check_op(lambda x, w: ops.conv2d(x, w, None, stride, padding, dilation), [x, weight],
                 lambda x, w: naive_conv2d(x, w, None, stride, padding, dilation))


@pytest.mark.parametrize("x_shape,kernel,stride,padding,dilation", [
    ((1, 1, 4, 4), 2, 1, 0, 1), ((2, 2, 7, 5), 3, 2, 1, 1), ((1, 2, 5, 6), (3, 2), 1, 2, 2),
    ((1, 1, 5, 5), 1, 2, 0, 1)])
def test_im2col_and_col2im(x_shape, kernel, stride, padding, dilation):
    x = random_tensor(x_shape, 4)
    check_op(lambda x: ops.im2col(x, kernel, stride, padding, dilation), [x],
             lambda x: naive_im2col(x, kernel, stride, padding, dilation))
    cols = random_tensor(naive_im2col(x.numpy(), kernel, stride, padding, dilation).shape, 5)

    def naive_col2im(c):
        # the adjoint of a linear map, column by column: col2im(c) = Jᵀ c with J = ∂cols/∂x
        basis = numpy.eye(x.numel()).reshape((x.numel(),) + x_shape)
        jacobian = numpy.stack([naive_im2col(e, kernel, stride, padding, dilation).ravel()
                                for e in basis], axis=1)
        return (jacobian.T @ c.ravel()).reshape(x_shape)

    check_op(lambda c: ops.col2im(c, x_shape, kernel, stride, padding, dilation), [cols],
             naive_col2im)


def test_col2im_is_adjoint_of_im2col_with_overlaps():
    x = random_tensor((2, 3, 6, 5), 6)
    unfolded = ops.im2col(x, 3, 1, 1)
    cols = random_tensor(unfolded.shape, 7)
    folded = ops.col2im(cols, x.shape, 3, 1, 1)
    numpy.testing.assert_allclose(numpy.sum(unfolded.numpy() * cols.numpy()),
                                  numpy.sum(x.numpy() * folded.numpy()), rtol=1e-12)


def test_fold_and_unfold_use_pytorch_argument_order():
    x = random_tensor((1, 2, 5, 5), 8)
    numpy.testing.assert_array_equal(ops.unfold(x, 3, dilation=1, padding=1, stride=2).numpy(),
                                     ops.im2col(x, 3, 2, 1, 1).numpy())
    cols = ops.im2col(x, 2)
    numpy.testing.assert_array_equal(ops.fold(cols, (5, 5), 2).numpy(),
                                     ops.col2im(cols, x.shape, 2).numpy())


@pytest.mark.parametrize("fn,message", [
    (lambda: ops.conv2d(random_tensor((1, 2, 5, 5)), random_tensor((3, 4, 3, 3))),
     r"conv2d: weight expects 4 input channels but input has 2 .*\(1, 2, 5, 5\).*\(3, 4, 3, 3\)"),
    (lambda: ops.conv2d(random_tensor((1, 1, 3, 3)), random_tensor((1, 1, 5, 5))),
     r"conv2d: kernel \(5, 5\).*spans more than the padded input.*\(1, 1, 3, 3\)"),
    (lambda: ops.conv2d(random_tensor((1, 5, 5)), random_tensor((1, 1, 3, 3))),
     r"conv2d: input must be 4-D .*\(1, 5, 5\)"),
    (lambda: ops.conv2d(random_tensor((1, 1, 5, 5)), random_tensor((2, 1, 3, 3)),
                        random_tensor((3,))),
     r"conv2d: bias must have shape \(2,\).*got \(3,\)"),
    (lambda: ops.conv2d(random_tensor((1, 1, 5, 5)), random_tensor((2, 1, 3, 3)), stride=0),
     r"conv2d: stride must be >= 1"),
    (lambda: ops.im2col(random_tensor((5, 5)), 2), r"im2col: input must be 4-D .*\(5, 5\)"),
    (lambda: ops.col2im(random_tensor((1, 4, 5)), (1, 1, 3, 3), 2),
     r"col2im: cols must have shape \(1, 4, 4\).*got \(1, 4, 5\)"),
])
def test_bad_arguments_raise_clear_errors(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()


@pytest.mark.parametrize("x_shape,kernel,stride,padding,dilation", [
    ((2, 3, 6, 5), 3, 1, 1, 1), ((2, 2, 7, 6), 2, 2, 0, 1), ((1, 2, 7, 7), 3, 2, 2, 2),
    ((3, 1, 4, 4), 1, 1, 0, 1)])
def test_rows_and_columns_layouts_are_the_per_sample_layout_rearranged(x_shape, kernel, stride,
                                                                      padding, dilation):
    x = random_tensor(x_shape, 9)
    geometry = window_geometry(x_shape, kernel, stride, padding, dilation, "test")
    (kh, kw), channels = geometry[0], x_shape[1]
    per_sample = unfold_array(x.data, geometry)
    n, size, positions = per_sample.shape

    def as_rows(cols):
        return cols.reshape(n, channels, kh, kw, positions).transpose(0, 4, 2, 3, 1).reshape(
            n * positions, size)

    cols = numpy.random.default_rng(10).standard_normal(per_sample.shape)
    for layout, arrange in (("rows", as_rows), ("columns", lambda c: as_rows(c).T)):
        numpy.testing.assert_array_equal(unfold_array(x.data, geometry, layout),
                                         arrange(per_sample))
        numpy.testing.assert_allclose(fold_array(arrange(cols), x_shape, geometry, layout),
                                      fold_array(cols, x_shape, geometry), rtol=1e-14)
    check_op(lambda x: ops.conv2d(x, random_tensor((2,) + x_shape[1:2] + _pair(kernel), 11),
                                  stride=stride, padding=padding, dilation=dilation), [x])


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation", [
    ((2, 3, 1, 1), (2, 3, 3, 3), 1, 1, 1), ((2, 2, 2, 2), (3, 2, 3, 3), 2, 1, 1),
    ((1, 2, 1, 3), (2, 2, 3, 3), 1, 1, 1), ((1, 1, 2, 2), (1, 1, 5, 5), 1, 2, 1),
    ((1, 1, 3, 2), (2, 1, 3, 3), 1, 2, 2)])
def test_kernel_offsets_on_padding_only_are_left_out_exactly(x_shape, w_shape, stride, padding,
                                                             dilation):
    geometry = window_geometry(x_shape, w_shape[2:], stride, padding, dilation, "test")
    assert conv._taps_inside(x_shape, geometry)[1][0] != w_shape[2:]
    x, w, b = random_tensor(x_shape, 12), random_tensor(w_shape, 13), random_tensor(w_shape[:1], 14)
    check_op(lambda x, w, b: ops.conv2d(x, w, b, stride, padding, dilation), [x, w, b],
             lambda x, w, b: naive_conv2d(x, w, b, stride, padding, dilation))


def test_an_unknown_layout_is_refused():
    geometry = window_geometry((1, 1, 4, 4), 3, 1, 0, 1, "test")
    with pytest.raises(ValueError, match=r"layout must be one of .*got 'batch_last'"):
        unfold_array(numpy.zeros((1, 1, 4, 4)), geometry, "batch_last")
    with pytest.raises(ValueError, match=r"layout must be one of .*got 'rows '"):
        fold_array(numpy.zeros((9, 4)), (1, 1, 4, 4), geometry, "rows ")
