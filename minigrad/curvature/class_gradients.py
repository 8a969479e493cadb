"""Class gradients of Fort & Ganguli, as Tuddenham, Prügel-Bennett & Hare define them.

``class_gradients(model, x, y)`` → ``(C, P)``: row ``k`` is the class gradient of
Fort & Ganguli as defined by Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in
the class gradient defined high-curvature subspace" (2020), eq. (1),

    c_k = (1/|D_k|) Σ_{μ ∈ D_k} ∇_θ z_k^μ,

the mean over the samples of class ``k`` of the gradient of the ``k``-th logit
(flat, ``parameters()`` order). A class with no sample in the batch gets a
zero row. With ``y=None`` the mean runs over the whole batch,
``c_k = (1/N) Σ_μ ∇_θ z_k^μ``. Cost with labels, when no module couples the
samples of a batch (``layerwise.recording.uncoupled_chain``; batch norm in eval mode is fine): one
forward and one backward pass of each class's own samples ``x[y = k]``, together
about one pass of the batch. Otherwise (batch norm in training, models outside
the chain structure) and for ``y=None``: one forward of the batch and ``C``
backward passes of the whole batch, each with the cotangent of one class.

This joins the two halves: whether the samples may be split is the layerwise half's structural
decision, the products are the engine's.
"""
import numpy

from ..autograd.engine import grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import get_array_module, to_host
from ..tensor import Tensor
from .evaluation import as_input, preserved_buffers
from .flat import arrays_to_vector, parameter_list
from .layerwise.recording import uncoupled_chain


def _labels(y, n, classes):
    """The host integer labels ``(N,)`` of ``y``, checked against ``n`` samples and C classes."""
    labels = numpy.asarray(to_host(y.data if isinstance(y, Tensor) else y))
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"class_gradients: y must hold integer class labels of shape ({n},) for "
                         f"{classes} classes, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"class_gradients: labels must lie in [0, {classes}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    return labels


def class_weights(labels, counts):
    """``(N, C)`` host weights ``[y_μ = k] / |D_k|`` (a zero column for an absent class)."""
    return numpy.eye(len(counts))[labels] / numpy.maximum(counts, 1)


def class_gradients(model, x, y=None):
    """``(C, P)`` class gradients ``c_k`` of eq. (1); see the module docstring."""
    params = parameter_list(model)
    x = as_input(x)
    with enable_grad(), preserved_buffers(model):
        if y is None:
            logits = _logits(model, x)
            weights = numpy.full(logits.shape, 1.0 / logits.shape[0])
            return class_gradient_rows(model, params, x, None, weights, logits)
        if uncoupled_chain(model):
            classes = _class_count(model, x)
            labels = _labels(y, x.shape[0], classes)
            weights = class_weights(labels, numpy.bincount(labels, minlength=classes))
            return class_gradient_rows(model, params, x, labels, weights)
        logits = _logits(model, x)
        labels = _labels(y, *logits.shape)
        weights = class_weights(labels, numpy.bincount(labels, minlength=logits.shape[1]))
        return class_gradient_rows(model, params, x, None, weights, logits)


def class_gradient_rows(model, params, x, labels, weights, logits=None):
    """``(C, P)``: row k is ``Σ_μ weights[μ, k] ∇_θ z_k^μ`` for the host ``(N, C)`` ``weights``.

    With host ``labels (N,)`` (only for models whose samples stay uncoupled,
    ``uncoupled_chain(model)``; the weights of column k must vanish off class k), class k
    back-propagates only its own samples ``x[labels = k]``; with ``labels=None``,
    ``logits`` (the model's output for all of ``x``) is back-propagated once per
    class with the whole column as cotangent.
    """
    rows = []
    classes = weights.shape[1]
    for k in range(classes):
        selected = None if labels is None else numpy.flatnonzero(labels == k)
        if selected is not None and selected.size == 0:
            rows.append(arrays_to_vector([p.xp.zeros_like(p.data) for p in params]))
            continue
        output = logits if selected is None else _logits(
            model, Tensor(x.data[x.xp.asarray(selected)]))
        column = weights[:, k] if selected is None else weights[selected, k]
        cotangent = output.xp.zeros(output.shape, dtype=output.dtype)
        cotangent[:, k] = output.xp.asarray(column, dtype=output.dtype)
        grads = grad(output, params, grad_outputs=Tensor(cotangent),
                     retain_graph=selected is None and k < classes - 1, allow_unused=True)
        rows.append(arrays_to_vector([p.xp.zeros_like(p.data) if g is None else g.data
                                      for p, g in zip(params, grads)]))
    return get_array_module(rows[0]).stack(rows)


def _logits(model, x):
    logits = model(x)
    if logits.ndim != 2:
        raise ValueError(f"class_gradients: the model must return logits (N, C), got shape "
                         f"{logits.shape}")
    return logits


def _class_count(model, x):
    """C, from the model's output for the first sample (no graph kept)."""
    with no_grad():
        return _logits(model, Tensor(x.data[:1])).shape[1]
