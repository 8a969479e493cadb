"""Reverse-mode differentiation over the dynamic graph.

The graph is walked iteratively (an explicit stack, no recursion), so depth is
limited by memory, not by Python's recursion limit. Edges are those a node
recorded when it was made (``node.input_nodes``, ``node.needs_input_grad``),
so a tensor that later takes a new ``grad_fn`` (an in-place update) does not
reroute the gradients of the ops that used it before. Nodes are visited in
reverse topological order; each node's ``backward`` runs once with the sum of
the gradients of its output. With ``create_graph=True`` the backward ops are
themselves recorded, so the resulting gradients can be differentiated again.
"""
from .grad_mode import set_grad_enabled


def _topological_order(roots):
    """Nodes reachable from ``roots``, every consumer before its producers."""
    order, visited = [], set()
    stack = [(node, False) for node in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node.inputs is None:
            raise RuntimeError(
                f"trying to backward through {node!r} a second time, but its saved "
                "buffers were freed; call backward(retain_graph=True) the first time")
        stack.append((node, True))
        for parent in node.input_nodes:
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _nodes_leading_to(order, leaf_ids, node_ids):
    """ids of the nodes in ``order`` from which a target leaf or node is reachable."""
    needed = set()
    for node in reversed(order):
        if id(node) in node_ids or any(
                id(t) in leaf_ids if parent is None else id(parent) in needed
                for t, parent in zip(node.inputs, node.input_nodes)):
            needed.add(id(node))
    return needed


def _wanted_inputs(node, needed, leaf_targets):
    """Which of ``node``'s input gradients this pass uses: those recorded as wanted, and, when
    only some targets are asked for, only those on a path to one (PyTorch prunes the same way:
    ``grad(z, [h])`` computes no weight gradients below ``z``)."""
    if needed is None:
        return node.needs_input_grad
    return tuple(wanted and (id(t) in leaf_targets if parent is None else id(parent) in needed)
                 for t, parent, wanted in zip(node.inputs, node.input_nodes,
                                              node.needs_input_grad))


def _backward_for(node, grad, wants):
    """``node.backward(grad)`` computing only the input gradients flagged in ``wants``."""
    recorded = node.needs_input_grad
    node.needs_input_grad = wants
    try:
        return node.backward(grad)
    finally:
        node.needs_input_grad = recorded


def _accumulate(store, key, grad, owned=None):
    """Add ``grad`` into ``store[key]``.

    ``owned`` (outside ``create_graph``) collects the keys whose stored array
    is a sum this pass created: nothing else refers to it and no graph needs
    its old value, so further gradients are added to it in place. The first
    gradient of a key may be shared (``Add`` hands the same Tensor to both
    inputs), so it is never written to.
    """
    if key not in store:
        store[key] = grad
    elif owned is not None and key in owned and grad.dtype == store[key].dtype:
        store[key].data += grad.data
    else:
        store[key] = store[key] + grad
        if owned is not None:
            owned.add(key)


def run_backward(outputs, grad_outputs, retain_graph, create_graph, targets=None):
    """Back-propagate ``grad_outputs`` from ``outputs``.

    Returns ``(leaf_grads, leaves, captured)``: gradients of the leaves keyed
    by ``id``, the leaves themselves, and the gradients of the non-leaf
    tensors among ``targets``. With ``targets`` given, only nodes on a path to
    one of them run their backward (as ``torch.autograd.grad`` prunes).
    """
    capture = {id(t.grad_fn): t for t in (targets or ()) if t.grad_fn is not None}
    node_grads, leaf_grads, leaves, captured = {}, {}, {}, {}
    owned = None if create_graph else set()
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is None:
            _accumulate(leaf_grads, id(out), g)
            leaves[id(out)] = out
        else:
            _accumulate(node_grads, id(out.grad_fn), g)
    order = _topological_order([o.grad_fn for o in outputs if o.grad_fn is not None])
    leaf_targets = None if targets is None else {id(t) for t in targets if t.grad_fn is None}
    needed = None if targets is None else _nodes_leading_to(order, leaf_targets, set(capture))
    with set_grad_enabled(create_graph):
        for node in order:
            grad = node_grads.pop(id(node), None)
            if grad is None or (needed is not None and id(node) not in needed):
                continue
            if id(node) in capture:
                captured[id(capture[id(node)])] = grad
            node.check_versions()
            wants = _wanted_inputs(node, needed, leaf_targets)
            input_grads = _backward_for(node, grad, wants)
            if len(input_grads) != len(node.inputs):
                raise RuntimeError(f"{node!r}.backward returned {len(input_grads)} gradients "
                                   f"for {len(node.inputs)} inputs")
            for t, parent, wanted, g in zip(node.inputs, node.input_nodes, wants, input_grads):
                if g is None or not (wanted and t.requires_grad):
                    continue
                if g.shape != t.shape:
                    raise RuntimeError(f"{node!r}.backward returned a gradient of shape "
                                       f"{g.shape} for an input of shape {t.shape}")
                if parent is None:
                    _accumulate(leaf_grads, id(t), g, owned)
                    leaves[id(t)] = t
                else:
                    _accumulate(node_grads, id(parent), g, owned)
            if not retain_graph:
                node.release()
    return leaf_grads, leaves, captured


def _initial_grads(outputs, grad_outputs):
    from ..tensor import Tensor, as_tensor
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    result = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs, "
                                   f"got an output of shape {out.shape}; pass grad_outputs")
            g = Tensor(out.xp.ones_like(out.data))
        g = as_tensor(g, like=out)
        if g.shape != out.shape:
            raise ValueError(f"grad_outputs has shape {g.shape} but the output has shape {out.shape}")
        result.append(g)
    return result


def backward(tensor, gradient=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf requiring grad."""
    if not tensor.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = _initial_grads([tensor], None if gradient is None else [gradient])
    leaf_grads, leaves, _ = run_backward([tensor], grads, retain_graph, create_graph)
    for key, g in leaf_grads.items():
        leaf = leaves[key]
        if not create_graph:
            g = g.detach()
        leaf.grad = g if leaf.grad is None else leaf.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs`` (as ``torch.autograd.grad``).

    ``sum_i <grad_outputs[i], d outputs[i] / d inputs[j]>`` for each input j,
    returned as a tuple and not accumulated into ``.grad``. With
    ``create_graph=True`` the result is differentiable again, e.g. the
    Hessian-vector product ``grad(grad(L, w, create_graph=True)[0], w, v)``.
    """
    from ..tensor import Tensor
    single_output = isinstance(outputs, Tensor)
    outputs = [outputs] if single_output else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if isinstance(grad_outputs, Tensor) or (grad_outputs is not None and single_output
                                            and not isinstance(grad_outputs, (list, tuple))):
        grad_outputs = [grad_outputs]
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"output {i} of grad() does not require grad and has no grad_fn")
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = _initial_grads(outputs, grad_outputs)
    leaf_grads, _, captured = run_backward(outputs, grads, retain_graph, create_graph,
                                           targets=inputs)
    result = []
    for j, t in enumerate(inputs):
        g = captured.get(id(t)) if t.grad_fn is not None else leaf_grads.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"input {j} of grad() (shape {t.shape}) was not used to compute "
                               "the outputs; pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
