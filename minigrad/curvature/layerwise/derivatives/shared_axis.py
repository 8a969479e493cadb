"""The contract of layers with Kronecker factors: ``output[n, s] = W @ input[n, s] + bias``.

Every Kronecker-factored layer is read in one canonical *shared-axis* form: for each sample
``n`` and each shared position ``s`` (one position for ``Linear``; the L = out_h·out_w output
positions of a ``Conv2d``, whose inputs are then the im2col patches), the output vector is
the same matrix ``W`` (out, in) times an input vector, plus the bias. The rules object gives

    shared_axis_inputs(module, x)     (N, S, in)       the input vectors a_n,s
    shared_axis_columns(module, M)    (V, N, S, out)   columns M (V, N, *out_shape) at the
                                                       output, one out-vector per position
    kfra_output_factor(module, G)     (out, out)       the output factor of KFRA from the
                                                       batch-averaged curvature G over the
                                                       whole output (out·S)²: Σ_s G[(·, s), (·, s)]

and the Kronecker code (``minigrad/curvature/layerwise/kronecker.py``) needs nothing else about the
layer. The second derivative of an affine map vanishes: ``hessian_is_zero`` is ``True``.
"""
from .base import Derivatives


class SharedAxisDerivatives(Derivatives):
    """Base of the rules of ``Linear`` and ``Conv2d`` (weight, then bias if present)."""

    def hessian_is_zero(self, module):
        return True

    def param_names(self, module):
        return ("weight", "bias") if module.bias is not None else ("weight",)

    def shared_axis_inputs(self, module, x):
        raise NotImplementedError(f"{type(self).__name__}.shared_axis_inputs")

    def shared_axis_columns(self, module, M):
        raise NotImplementedError(f"{type(self).__name__}.shared_axis_columns")

    def kfra_output_factor(self, module, G):
        raise NotImplementedError(f"{type(self).__name__}.kfra_output_factor")
