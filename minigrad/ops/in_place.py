"""In-place updates of a Tensor (``x.add_(y)``, ``x -= y``, ``x.zero_()``, …), PyTorch's rules.

The new values are computed out of place by the differentiable ops, checked
(they must keep the tensor's shape, and their dtype must cast to the tensor's
dtype under NumPy's ``"same_kind"`` rule, so float values are refused by an
integer tensor as in PyTorch), and written into the tensor's own array: every
name of the tensor (a Parameter in ``model.parameters()``, an optimizer's
reference, a view of it) sees them, and the array's version
(``minigrad.autograd.version``) goes up by one.

Graph rules, as in PyTorch:

* grad mode on and the tensor a leaf that requires grad: refused with
  PyTorch's message; parameter updates belong under ``minigrad.no_grad()``.
* grad mode on and the tensor or an argument requires grad (the tensor is then
  an intermediate result, or a leaf that does not require grad): the update is
  differentiable. It is recorded on a copy of the old values that keeps the
  old ``grad_fn``, and the tensor takes the new node as its ``grad_fn``, so
  gradients flow through the update. A node that used the tensor before the
  update raises at backward (its saved version no longer matches) instead of
  receiving a gradient meant for other values.
* otherwise (``no_grad``, or nothing requires grad): the values are written and
  the graph is left alone.

``Overwrite`` is the op of updates that replace the values (``fill_``,
``copy_``, ``normal_``, ...): its output is the new values, the old values
get a zero gradient.
"""
import numpy

from ..autograd import grad_mode, version
from ..autograd.function import Function

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


class Overwrite(Function):
    backward_reads_inputs = False

    def forward(self, old, new):
        return new

    def backward(self, g):
        from ..tensor import Tensor
        return Tensor(g.xp.zeros_like(g.data)), g


def overwrite(old, new):
    """``new``, differentiable in ``new``; ``old`` (the values replaced) gets a zero gradient."""
    return Overwrite.apply(old, new)


def update(tensor, op_name, compute, *args):
    """Replace the values of ``tensor`` by ``compute(tensor, *args)`` in place; returns it."""
    from ..tensor import Tensor
    grad_enabled = grad_mode.is_grad_enabled()
    if grad_enabled and tensor.requires_grad and tensor.is_leaf:
        raise RuntimeError(f"{op_name}: {LEAF_MESSAGE} Update parameters inside "
                           "`with minigrad.no_grad():`")
    recorded = grad_enabled and (tensor.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args))
    old = Tensor(tensor.data.copy(), tensor.requires_grad, tensor.grad_fn) if recorded else tensor
    result = compute(old, *args)
    _check_result(op_name, tensor, result)
    if recorded and result.dtype != tensor.dtype:
        from .arithmetic import astype
        result = astype(result, tensor.dtype)
    _write(op_name, tensor, result.data)
    if result.grad_fn is not None:
        node = result.grad_fn
        tensor.grad_fn, tensor.requires_grad = node, True
        if node.saves_output:
            node.output, node.output_version = tensor, version.version(tensor.data)
    return tensor


def _check_result(op_name, tensor, result):
    if result.shape != tensor.shape:
        raise RuntimeError(f"{op_name}: output with shape {list(tensor.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    if not numpy.can_cast(result.dtype, tensor.dtype, casting="same_kind"):
        raise RuntimeError(f"{op_name}: result type {result.dtype} can't be cast to the desired "
                           f"output type {tensor.dtype} (the tensor changed in place, shape "
                           f"{tensor.shape})")


def _write(op_name, tensor, values):
    flags = getattr(tensor.data, "flags", None)
    if flags is not None and not flags.writeable:
        raise RuntimeError(f"{op_name}: the tensor of shape {tensor.shape} is a read-only view "
                           "(e.g. the result of expand()); clone() it before changing it in place")
    tensor.data[...] = values
    version.bump(tensor.data, op_name)
