"""``ConvTranspose2d``: the transposed 2-D convolution (PyTorch's ``nn.ConvTranspose2d``).

    y[n, o, y·s_h + i·d_h − p_h, z·s_w + j·d_w − p_w] += Σ_c W[c, o, i, j] x[n, c, y, z]

plus the bias ``b[o]``, with weight ``W`` of shape ``(in_channels, out_channels, kh, kw)``:
the adjoint of ``Conv2d`` in its input, so a strided ``Conv2d`` and a
``ConvTranspose2d`` of the same geometry map between the same two sizes,
``H_out = (H − 1) s_h − 2 p_h + d_h (kh − 1) + output_padding_h + 1`` (likewise
``W_out``). Computed by ``functional.conv_transpose2d`` (one matrix product and a
``col2im``), differentiable to any order. No Kronecker-factor rule covers it: like a
LayerNorm's, its parameters get no block from ``kfac``/``kflr``/``kfra``/``ekfac`` (the
Kronecker-factored optimizers give them the plain step), while Hessian-vector
products, exact Hessians and Gauss-Newton products, computed by autodiff, cover it.

Initialisation as PyTorch: ``W ~ U(−1/√fan_in, 1/√fan_in)`` (``kaiming_uniform``
with ``a = √5``) and ``b ~ U(−1/√fan_in, 1/√fan_in)``, where PyTorch takes
``fan_in = out_channels·kh·kw`` from the weight's second axis.
"""
from ..ops.conv import _pair
from . import functional as F
from .conv import _Convolution


class ConvTranspose2d(_Convolution):
    """Transposed convolution: ``(N, in_channels, H, W)`` → ``(N, out_channels, H_out, W_out)``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         transposed=True)
        self.output_padding = _pair(output_padding, "ConvTranspose2d", "output_padding")

    def forward(self, x):
        self.check_input(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, "
                f"output_padding={self.output_padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
