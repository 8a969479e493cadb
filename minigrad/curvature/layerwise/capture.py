"""Layer inputs and output gradients of any ``nn.Module``, captured through the engine's backward.

The Kronecker factors and the Gauss-Newton quantities need, per ``Linear`` / ``Conv2d``
layer, only its inputs ``a`` and the back-propagated columns ``C = Jᵀ S`` at its output
(``S`` (V, N, *out) the columns at the network output: the loss Hessian's square root, or
Monte-Carlo columns). The engine's own backward gives them for any graph the model's
``forward`` builds, whatever else it contains:

    forward     each layer of the shared-axis form (rules in ``derivatives/shared_axis.py``)
                records its input array and its output Tensor (one record per call)
    backward    for each column v: ``grad(z, [layer outputs], grad_outputs=S[v])``
                gives ``C[v]`` at every recorded output (``per_sample_columns``), or, one sample
                at a time, ``J_nᵀ S[v, n]`` over the parameters (``per_sample_parameter_columns``)

Without coupling between samples ``C[v, n] = J_nᵀ S[v, n]`` exactly. Batch norm in training
mode couples them through the batch statistics: ``C[v]`` is then the gradient of
``Σ_m S[v, m]·z_m`` at the layer output, the per-sample output gradient Kronecker-factored
methods use (kfac-pytorch, curvlinops), while the per-sample parameter columns stay exact (one
backward pass per column and sample). Buffers (running statistics) are restored afterwards.
"""
import contextlib

from ...autograd.engine import grad
from ...autograd.grad_mode import enable_grad
from ...tensor import Tensor
from .derivatives import DERIVATIVES
from .derivatives.shared_axis import SharedAxisDerivatives
from ..evaluation import as_input, preserved_buffers
from .losses import batch_scale, loss_derivatives_for, output_columns
from .recording import LeafStep


def kronecker_layers(model):
    """``[(module, rules)]`` of the shared-axis layers in ``model.modules()`` order, each once
    (a layer registered at two places is one layer)."""
    found, seen = [], set()
    for module in model.modules():
        rules = DERIVATIVES.get(type(module))
        if isinstance(rules, SharedAxisDerivatives) and id(module) not in seen:
            seen.add(id(module))
            found.append((module, rules))
    return found


@contextlib.contextmanager
def recording_layers(model):
    """Within the block every call of a shared-axis layer appends ``(LeafStep, output)``."""
    records, patched = [], []

    def recorder(module, rules, forward):
        def recorded_forward(x):
            out = forward(x)
            records.append((LeafStep(module, rules, x.data, out.data), out))
            return out
        return recorded_forward

    try:
        for module, rules in kronecker_layers(model):
            object.__setattr__(module, "forward", recorder(module, rules, module.forward))
            patched.append(module)
        yield records
    finally:
        for module in patched:
            del module.__dict__["forward"]


class CapturedBatch:
    """One forward pass of ``model`` on ``x`` with its layer records and the loss rules."""

    def __init__(self, model, loss, x, y):
        self.model, self.loss, self.y = model, loss, y
        self.loss_rules = loss_derivatives_for(loss)
        with enable_grad(), preserved_buffers(model), recording_layers(model) as records:
            self.output = model(as_input(x))
        self.records = records
        self.batch_size = self.output.shape[0]
        self.scale = batch_scale(loss, self.batch_size)
        self.logits = self.output.data.reshape(self.batch_size, -1)

    @property
    def steps(self):
        return [step for step, _ in self.records]

    def output_columns(self, mc_samples=None, seed=None):
        """(V, N, *out): the loss Hessian's square root, or ``mc_samples`` Monte-Carlo columns."""
        root = output_columns(self.loss_rules, self.loss, self.logits, self.y, mc_samples, seed)
        return root.reshape(root.shape[:2] + tuple(self.output.shape[1:]))

    def per_sample_columns(self, S):
        """``[(step, C)]`` with C (V, N, *layer out) at each recorded layer output."""
        outputs = [out for _, out in self.records]
        xp = self.output.xp
        columns = [[] for _ in outputs]
        for v in range(S.shape[0]):
            grads = grad(self.output, outputs, grad_outputs=Tensor(S[v]), retain_graph=True,
                         allow_unused=True)
            for found, g, out in zip(columns, grads, outputs):
                found.append(xp.zeros(out.shape, dtype=out.dtype) if g is None else g.data)
        return [(step, xp.stack(found)) for step, found in zip(self.steps, columns)]

    def per_sample_parameter_columns(self, S, params):
        """Yield ``[J_nᵀ S[v, n] for each of params]`` (arrays shaped like them) per (v, n)."""
        xp = self.output.xp
        for v in range(S.shape[0]):
            for n in range(S.shape[1]):
                cotangent = xp.zeros(S.shape[1:], dtype=S.dtype)
                cotangent[n] = S[v, n]
                grads = grad(self.output, params, grad_outputs=Tensor(cotangent),
                             retain_graph=True, allow_unused=True)
                yield [xp.zeros(p.shape, dtype=p.dtype) if g is None else g.data
                       for g, p in zip(grads, params)]
