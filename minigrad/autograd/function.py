"""The base class of every differentiable op.

An op is a subclass of ``Function`` with two methods:

* ``forward(self, *arrays, **params) -> array`` computes the output from the
  input arrays (NumPy or CuPy; the op takes the array module from them). It may
  keep on ``self`` whatever its backward needs (a mask, argmax indices, ...).
* ``backward(self, grad_output) -> tuple`` receives the gradient of the output
  as a ``Tensor`` and returns one gradient ``Tensor`` (or ``None``) per input,
  built from differentiable ops. Because the backward pass is itself a graph,
  differentiating it again gives exact second derivatives (double backward),
  which is how ``minigrad.grad(..., create_graph=True)`` yields exact
  Hessian-vector products.

Inside ``backward`` the op reads its inputs as ``self.inputs`` (Tensors) and
its output as ``self.output`` when the class sets ``saves_output = True``;
``self.needs_input_grad`` tells which input gradients are wanted. After a
backward pass without ``retain_graph`` the engine calls ``release`` and the
saved buffers are dropped.

When a node is created it records the producer of each input
(``input_nodes``: the graph's edges) and the version
(``minigrad.autograd.version``) of each input array and of a saved output;
``check_versions``, called by the engine before ``backward``, raises if one
of them was changed in place since. An op whose backward needs only the
inputs' shapes (``add``, ``reshape``, indexing, …) sets
``backward_reads_inputs = False``: changing its inputs in place afterwards is
harmless, as in PyTorch.

The public face of an op is a lowercase function (``exp(x)``) that calls
``Exp.apply(x)`` and holds the docstring.
"""
from ..backend import get_array_module
from .grad_mode import is_grad_enabled
from .version import check_saved, version


class Function:
    """A node of the graph: one application of a differentiable op."""

    saves_output = False
    backward_reads_inputs = True

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (Tensors, arrays or Python scalars)."""
        from ..tensor import Tensor, as_tensor
        tensors = [t if isinstance(t, Tensor) else None for t in inputs]
        reference = next((t for t in tensors if t is not None), None)
        tensors = tuple(t if t is not None else as_tensor(x, like=reference)
                        for t, x in zip(tensors, inputs))
        fn = cls()
        data = fn.forward(*(t.data for t in tensors), **params)
        requires_grad = is_grad_enabled() and any(t.requires_grad for t in tensors)
        if not requires_grad:
            return Tensor(data)
        out = Tensor(data, requires_grad=True, grad_fn=fn)
        fn.inputs = tensors
        fn.needs_input_grad = tuple(t.requires_grad for t in tensors)
        fn.input_nodes = tuple(t.grad_fn for t in tensors)
        fn.input_versions = tuple(version(t.data) for t in tensors)
        if cls.saves_output:
            fn.output = out
            fn.output_version = version(data)
        return out

    def check_versions(self):
        """Raise if an input or the saved output was changed in place after this node was made."""
        if self.backward_reads_inputs:
            check_saved(self, self.inputs, self.input_versions, "input")
        if self.saves_output:
            check_saved(self, (self.output,), (self.output_version,), "output")

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def release(self):
        """Drop everything saved for backward; a later backward raises."""
        self.__dict__.clear()
        self.inputs = None

    @staticmethod
    def xp(*arrays):
        """The array module of ``arrays`` (NumPy or CuPy)."""
        return get_array_module(*arrays)

    def __repr__(self):
        return f"<{type(self).__name__}>"
