"""One recording of a forward pass, through ``nn.Module``'s own forward hooks, for every
layerwise quantity.

``Recording(model, x)`` calls ``model(x)`` once (gradients on, buffers restored afterwards)
with four hooks on every module: a pre-hook put first and one put last see the arguments
before and after the user's pre-hooks, a forward hook put first and one put last see the
output before and after the user's forward hooks. Each call becomes a ``ModuleCall``: the
module, its name in ``named_modules()``, its input after the user's pre-hooks (``args``), its
own output Tensor (``own_output``, before the user's forward hooks), the output its caller got
(``output``) and the calls it made (``children``). Hooks are part of the model: a layer's
inputs and output gradients are taken where its own ``forward`` sees them. An output
changed in place after its layer returned it (a forward hook that edits it and returns
``None``, or a caller's ``out.mul_(2)``; seen by the array's version counter) is refused
for every quantity: the layer's recorded output and the gradient at it would then belong
to the changed values.

From this one recording the model is, decided in one place (``Recording.refusal``):

    a chain   ``Sequential`` / ``Residual`` structure down to leaves with rules in
              ``derivatives.DERIVATIVES``, no leaf coupling the samples (batch norm in training
              mode), no hook changing an input or output, no Parameter used by two calls
              (tied weights). The exact per-sample recursion runs on its steps: ``LeafStep``
              (x (N, *in), out (N, *out) arrays on the model's backend) and ``ResidualStep``
              (output = branch(x) + shortcut(x)).
    a graph   anything else. The Gauss-Newton quantities (``ggn``, ``diag_ggn``, ``block_ggn``,
              ``kfac``, ``kflr``) take the layer inputs and the gradients at the layer outputs
              from the engine's backward (``engine_columns.py``), exact for any graph; the
              Hessian quantities refuse with the reason (the module, the hook, the Parameter).
"""
import collections
import contextlib

from ...autograd.grad_mode import enable_grad
from ...autograd.version import version
from ...nn.container import Sequential
from ...nn.residual import Residual
from ...tensor import Tensor
from ..evaluation import as_input, preserved_buffers
from .derivatives import DERIVATIVES
from .derivatives.shared_axis import SharedAxisDerivatives


class LeafStep:
    """One module application: ``out = module(x)``; ``module`` as recorded by its rules."""

    def __init__(self, module, rules, x, out):
        self.module, self.rules, self.x, self.out = module, rules, x, out
        self.param_names = rules.param_names(module)
        self.params = [getattr(module, name) for name in self.param_names]


class ResidualStep:
    """``out = branch(x) + shortcut(x)``; ``branch`` and ``shortcut`` are lists of steps."""

    def __init__(self, block, branch, shortcut, x, out):
        self.block, self.branch, self.shortcut, self.x, self.out = block, branch, shortcut, x, out
        self.params = [p for step in branch + shortcut for p in step.params]


class ModuleCall:
    """One call of a module during the recorded forward pass."""

    def __init__(self, module, name, args):
        self.module, self.name = module, name
        self.raw_args = self.args = args
        self.own_output = self.output = None
        self.own_versions = ()
        self.children = []

    @property
    def input(self):
        return self.args[0]

    def label(self):
        shown = f"model.{self.name}" if self.name else "the model"
        return f"{shown} ({type(self.module).__name__})"


@contextlib.contextmanager
def recording_calls(model):
    """Within the block every module call of ``model`` appends its finished ``ModuleCall``."""
    names = {id(module): name for name, module in model.named_modules()}
    calls, stack, handles = [], [], []

    def enter(module, args):
        call = ModuleCall(module, names[id(module)], args)
        if stack:
            stack[-1].children.append(call)
        stack.append(call)

    def entered(module, args):
        stack[-1].args = args

    def produced(module, args, output):
        stack[-1].own_output = output
        stack[-1].own_versions = _versions(output)

    def returned(module, args, output):
        call = stack.pop()
        call.output = output
        calls.append(call)

    try:
        for module in model.modules():
            handles += [module.register_forward_pre_hook(enter, prepend=True),
                        module.register_forward_pre_hook(entered),
                        module.register_forward_hook(produced, prepend=True),
                        module.register_forward_hook(returned)]
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def uncoupled_chain(module):
    """Whether ``module``'s structure shows that it treats every sample of a batch alone, so
    that ``module(x[S]) = module(x)[S]`` for any subset ``S``: ``Sequential`` / ``Residual``
    containers down to leaves with rules that do not couple samples (batch norm in training
    mode does). False when in doubt (any other module). User hooks are taken to treat the
    samples alone too, as every hook that observes or rescales a layer does."""
    if isinstance(module, Sequential):
        return all(uncoupled_chain(child) for child in module)
    if isinstance(module, Residual):
        return uncoupled_chain(module.branch) and uncoupled_chain(module.shortcut)
    rules = DERIVATIVES.get(type(module))
    return rules is not None and not rules.couples_samples(module)


def _user_hooks(hooks):
    """The user's hooks of one kind, by name (the recording hooks are gone when this runs)."""
    return ", ".join(getattr(hook, "__qualname__", repr(hook)) for hook in hooks.values())


def _tensors(output):
    """The Tensors of a module output (a Tensor, or a tuple or list holding some)."""
    return [t for t in (output if isinstance(output, (tuple, list)) else (output,))
            if isinstance(t, Tensor)]


def _versions(output):
    return tuple(version(t.data) for t in _tensors(output))


def changed_in_place(calls):
    """The error for a call whose own output changed in place after it returned, else None."""
    for call in calls:
        if _versions(call.own_output) != call.own_versions:
            return RuntimeError(
                f"the output of {call.label()} was changed in place after the layer returned "
                f"it (by a forward hook, a later layer's forward pre-hook or the code that "
                f"called it), so the layer's recorded output and the "
                f"gradient at it would belong to the changed values; change a copy instead "
                f"(a forward hook may return the new output: return output * 2)")
    return None


def _hook_refusal(call):
    """The error for a call whose input or output a user hook changed, else None."""
    module = call.module
    if len(call.args) != len(call.raw_args) or any(a is not b for a, b in
                                                    zip(call.args, call.raw_args)):
        return ValueError(f"{call.label()} has a forward pre-hook "
                          f"({_user_hooks(module._forward_pre_hooks)}) that changes its "
                          f"input")
    if call.output is not call.own_output:
        return ValueError(f"{call.label()} has a forward hook "
                          f"({_user_hooks(module._forward_hooks)}) that changes its output")
    return None


def _runs_in_order(call):
    """Whether a ``Sequential`` call applied its modules once each, output to next input."""
    children = call.children
    if [child.module for child in children] != list(call.module):
        return False
    outputs = [call.input] + [child.output for child in children]
    inputs = [child.raw_args[0] for child in children] + [call.own_output]
    return all(a is b for a, b in zip(outputs, inputs))


def _chain(call, steps):
    """Append the steps of ``call`` to ``steps``; the error saying why it is no chain, or None."""
    module = call.module
    refusal = _hook_refusal(call)
    if refusal is not None:
        return refusal
    if isinstance(module, Sequential):
        if not _runs_in_order(call):
            return ValueError(f"{call.label()} does not apply its modules one after the other")
        for child in call.children:
            refusal = _chain(child, steps)
            if refusal is not None:
                return refusal
        return None
    if isinstance(module, Residual):
        if [child.module for child in call.children] != [module.branch, module.shortcut]:
            return ValueError(f"{call.label()} does not call its branch, then its shortcut")
        branch, shortcut = [], []
        refusal = (_chain(call.children[0], branch)
                   or _chain(call.children[1], shortcut))
        if refusal is not None:
            return refusal
        steps.append(ResidualStep(module, branch, shortcut, call.input.data, call.output.data))
        return None
    rules = DERIVATIVES.get(type(module))
    if rules is None:
        supported = ", ".join(sorted(cls.__name__ for cls in DERIVATIVES))
        return TypeError(f"the layerwise curvature recursion does not support the module "
                         f"{call.label()}: {module!r}; it walks nn.Sequential chains and "
                         f"nn.Residual blocks of {supported}")
    if rules.couples_samples(module):
        return ValueError(f"{call.label()} couples the samples of a batch through its "
                          f"statistics (batch normalisation in training mode), so the per-sample "
                          f"recursion does not apply; model.eval() uses the running statistics")
    x = call.input.data
    try:
        recorded = rules.recorded_module(module, x, call.own_output)
    except ValueError as error:
        return ValueError(f"{call.label()}: {error}, so the per-sample recursion does not apply "
                          f"(an input with a shared axis, such as tokens (N, S, d), makes the "
                          f"model a graph)")
    steps.append(LeafStep(recorded, rules, x, call.own_output.data))
    return None


def _shared_refusal(model, calls):
    """The error for a Parameter used by two module calls (tied weights), else None."""
    users = collections.defaultdict(list)
    for call in calls:
        for p in call.module._parameters.values():
            if p is not None:
                users[id(p)].append(call.label())
    names = {id(p): name for name, p in model.named_parameters()}
    for key, labels in users.items():
        if len(labels) > 1:
            return ValueError(f"the Parameter {names[key]} is used by {len(labels)} calls "
                              f"({', '.join(labels)}): the per-layer recursion would treat each use as a "
                              f"layer of its own, but the curvature of a tied weight has the "
                              f"cross terms between its uses")
    return None


class Recording:
    """``model(x)`` run once with the recording hooks: ``output`` (Tensor), ``calls`` (finished
    calls, forward order of completion), ``root`` (the model's call), and ``refusal``: None
    for a chain (``steps``), else the error saying why the model is only a graph."""

    def __init__(self, model, x):
        self.model = model
        data = as_input(x).data
        with enable_grad(), preserved_buffers(model), recording_calls(model) as calls:
            self.output = model(Tensor(data, requires_grad=True))
        self.calls, self.root = calls, calls[-1]
        error = changed_in_place(calls)
        if error is not None:
            raise error
        steps = []
        self.refusal = _chain(self.root, steps) or _shared_refusal(model, calls)
        self._steps = steps

    @property
    def is_chain(self):
        return self.refusal is None

    def chain_steps(self, quantity):
        """The top-level steps of the chain; the refusal, naming ``quantity``, for a graph."""
        if self.refusal is not None:
            raise type(self.refusal)(
                f"{quantity}: {self.refusal}. The exact Hessian recursion (block_hessian, "
                f"diag_hessian, block_ggn(dense=False)) and KFRA need a chain; ggn, diag_ggn, "
                f"block_ggn, kfac and kflr take any model, hessian, hvp and "
                f"hessian_operator give the exact Hessian of any model, and Hutchinson's "
                f"estimate hutchinson_diag(hessian_operator(model, loss, x, y), n) gives the "
                f"Hessian diagonal of any model")
        return self._steps


def layer_records(calls, keep=lambda rules, module: isinstance(rules, SharedAxisDerivatives)):
    """``[(LeafStep, own output Tensor)]`` per call of a module whose rules pass ``keep``
    (by default the shared-axis layers ``Linear``, ``Conv2d``), in forward order: the layer
    inputs and outputs of the graph half."""
    records = []
    for call in calls:
        rules = DERIVATIVES.get(type(call.module))
        if rules is not None and keep(rules, call.module):
            records.append((LeafStep(call.module, rules, call.input.data, call.own_output.data),
                            call.own_output))
    return records


@contextlib.contextmanager
def recording_layers(model):
    """Within the block the calls are recorded; on exit the yielded list holds
    ``layer_records`` of them."""
    records = []
    with recording_calls(model) as calls:
        yield records
    records.extend(layer_records(calls))


def record_forward(model, x):
    """``(steps, output)``: the top-level steps of a chain and the network output array."""
    recording = Recording(model, x)
    return recording.chain_steps("record_forward"), recording.output.data


def lowest_parameterised_index(steps):
    """Index of the first top-level step holding parameters (the recursion stops below it)."""
    for i, step in enumerate(steps):
        if step.params:
            return i
    raise ValueError("the model has no parameters to take curvature of")
