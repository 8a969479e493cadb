"""conv_transpose2d and nn.ConvTranspose2d: the adjoint of conv2d in its input (values),
gradcheck and gradgradcheck, PyTorch's values and initialisation (when installed),
argument validation; Kronecker factors leave it out, and its exact Hessian checks."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn, ops
from tests.helpers import check_op, float64_default, random_tensor

# (input shape, weight shape (C_in, C_out, kh, kw), stride, padding, output_padding, dilation)
CASES = [
    ((2, 3, 4, 4), (3, 2, 4, 4), 2, 1, 0, 1),
    ((1, 2, 3, 5), (2, 3, 3, 2), (2, 1), (1, 0), (1, 0), (1, 2)),
    ((2, 2, 3, 3), (2, 1, 3, 3), 1, 0, 0, 1),
    ((1, 1, 2, 3), (1, 2, 5, 5), 3, 2, 2, 1),
    ((2, 2, 2, 2), (2, 6, 2, 2), 1, 0, 0, 1),
    ((1, 3, 3, 2), (3, 5, 3, 3), 2, 1, 1, 1),
]


def conv2d_output(z, weight, stride, padding, dilation):
    return ops.conv2d(z, weight, None, stride, padding, dilation)


def dense_adjoint(x, weight, stride, padding, output_padding, dilation):
    """The transposed convolution as the transpose of conv2d's dense matrix, column by column."""
    y_shape = ops.conv_transpose2d(minigrad.tensor(x), minigrad.tensor(weight), None, stride,
                                   padding, output_padding, dilation).shape
    columns = []
    for k in range(int(numpy.prod(y_shape))):
        e = numpy.zeros(int(numpy.prod(y_shape)))
        e[k] = 1.0
        out = conv2d_output(minigrad.tensor(e.reshape(y_shape)), minigrad.tensor(weight), stride,
                            padding, dilation)
        columns.append(out.numpy().ravel())
    matrix = numpy.stack(columns)
    return (matrix @ x.ravel()).reshape(y_shape)


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,output_padding,dilation", CASES)
def test_values_are_the_transpose_of_conv2d_and_derivatives_check(x_shape, w_shape, stride,
                                                                  padding, output_padding,
                                                                  dilation):
    x, weight, bias = random_tensor(x_shape, 1), random_tensor(w_shape, 2), random_tensor(
        w_shape[1:2], 3)
    check_op(lambda x, w, b: ops.conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                  dilation),
             [x, weight, bias],
             lambda x, w, b: dense_adjoint(x, w, stride, padding, output_padding, dilation)
             + b[None, :, None, None])


@pytest.mark.parametrize("x_shape,w_shape,stride,padding,output_padding,dilation", CASES)
def test_matches_pytorch(x_shape, w_shape, stride, padding, output_padding, dilation):
    torch = pytest.importorskip("torch")
    x, weight, bias = (random_tensor(s, seed).numpy() for s, seed in
                       ((x_shape, 1), (w_shape, 2), (w_shape[1:2], 3)))
    ours = ops.conv_transpose2d(minigrad.tensor(x), minigrad.tensor(weight), minigrad.tensor(bias),
                                stride, padding, output_padding, dilation).numpy()
    theirs = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(weight), torch.tensor(bias), stride, padding,
        output_padding, 1, dilation).numpy()
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_module_maps_back_onto_the_size_a_strided_conv2d_came_from():
    nn.manual_seed(0)
    with float64_default():
        down = nn.Conv2d(3, 12, 4, stride=2, padding=1)
        up = nn.ConvTranspose2d(12, 3, 4, stride=2, padding=1)
        x = random_tensor((2, 3, 32, 32), 4)
        assert up(down(x)).shape == (2, 3, 32, 32)
        odd = nn.ConvTranspose2d(12, 3, 3, stride=2, padding=1, output_padding=1)
        assert odd(nn.Conv2d(3, 12, 3, stride=2, padding=1)(random_tensor((1, 3, 8, 8)))).shape \
            == (1, 3, 8, 8)
    assert up.weight.shape == (12, 3, 4, 4) and up.bias.shape == (3,)
    assert set(up.state_dict()) == {"weight", "bias"}
    assert "output_padding=(0, 0)" in repr(up)


def test_initialisation_bounds_use_pytorchs_fan_in():
    nn.manual_seed(0)
    layer = nn.ConvTranspose2d(2, 64, 3)
    bound = 1.0 / numpy.sqrt(64 * 3 * 3)
    for values in (layer.weight.numpy(), layer.bias.numpy()):
        assert numpy.abs(values).max() <= bound
        assert numpy.abs(values).max() > 0.9 * bound
    torch = pytest.importorskip("torch")
    reference = torch.nn.ConvTranspose2d(2, 64, 3)
    assert float(reference.weight.detach().abs().max()) <= bound


@pytest.mark.parametrize("fn,message", [
    (lambda: ops.conv_transpose2d(random_tensor((1, 2, 3, 3)), random_tensor((3, 1, 2, 2))),
     r"conv_transpose2d: weight expects 3 input channels but input has 2"),
    (lambda: ops.conv_transpose2d(random_tensor((1, 2, 3, 3)), random_tensor((2, 1, 2, 2)),
                                  random_tensor((2,))),
     r"conv_transpose2d: bias must have shape \(1,\).*got \(2,\)"),
    (lambda: ops.conv_transpose2d(random_tensor((1, 2, 3, 3)), random_tensor((2, 1, 2, 2)),
                                  stride=2, output_padding=2),
     r"output_padding \(2, 2\) must be non-negative and smaller than the stride \(2, 2\)"),
    (lambda: ops.conv_transpose2d(random_tensor((1, 2, 3, 3)), random_tensor((2, 1, 2, 2)),
                                  dilation=2, output_padding=1),
     r"output_padding \(1, 1\).*only the dilation exceeds"),
    (lambda: ops.conv_transpose2d(random_tensor((1, 2, 1, 1)), random_tensor((2, 1, 1, 1)),
                                  padding=1),
     r"conv_transpose2d: .*gives the empty output size \(-1, -1\)"),
    (lambda: ops.conv_transpose2d(random_tensor((2, 3, 3)), random_tensor((2, 1, 2, 2))),
     r"conv_transpose2d: input must be 4-D"),
    (lambda: nn.ConvTranspose2d(2, 1, 2)(random_tensor((1, 3, 4, 4)).float()),
     r"ConvTranspose2d\(2, 1.*expects input of shape \(N, 2, H, W\)"),
])
def test_bad_arguments_raise_clear_errors(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()


def test_kronecker_factors_leave_it_out_and_its_hessian_checks():
    nn.manual_seed(0)
    with float64_default():
        model = nn.Sequential(nn.Conv2d(1, 2, 2, stride=2), nn.Sigmoid(),
                              nn.ConvTranspose2d(2, 1, 2, stride=2))
        x = random_tensor((3, 1, 4, 4), 5, requires_grad=False)
        y = minigrad.tensor(numpy.random.default_rng(6).uniform(size=(3, 1, 4, 4)))
        loss_fn = nn.BCEWithLogitsLoss()
        blocks = curvature.kflr(model, loss_fn, x, y)
        assert [block.params for block in blocks] == [[model[0].weight, model[0].bias]]
        params = list(model.parameters())
        dense = minigrad.to_host(curvature.hessian(model, loss_fn, x, y))
        flat = numpy.concatenate([p.numpy().ravel() for p in params])
        steps = []
        for k in range(len(flat)):
            grads = []
            for sign in (1.0, -1.0):
                shifted, offset = flat.copy(), 0
                shifted[k] += sign * 1e-5
                for p in params:
                    p.data[...] = shifted[offset:offset + p.numel()].reshape(p.shape)
                    offset += p.numel()
                gradients = minigrad.grad(loss_fn(model(x), y), params)
                grads.append(numpy.concatenate([g.numpy().ravel() for g in gradients]))
            steps.append((grads[0] - grads[1]) / 2e-5)
        numpy.testing.assert_allclose(dense, numpy.stack(steps), rtol=1e-6, atol=1e-8)
