"""Drawing the autodiff graph behind a tensor (micrograd's ``draw_dot``, torchviz's ``make_dot``).

``graph_of(tensor, names)`` walks the graph from ``tensor`` back to its leaves
(iteratively, through ``grad_fn.inputs``) and returns it as plain data: a
``Graph`` of ``nodes`` (``id → GraphNode``) and ``edges`` (``(from id, to id)``
pairs, in the direction of the forward pass). Two kinds of node alternate:

    tensor node  "name | shape | data … | grad …"   (a leaf, an intermediate or the output)
    op node      the ``Function`` class name (Mul, MatMul, Tanh, …)

so ``a * b`` gives the edges ``a → Mul``, ``b → Mul``, ``Mul → out``. Values
and gradients are shown when the tensor has at most ``max_entries`` entries
(and, for gradients, when ``.grad`` is set: on leaves after ``backward``).
``names`` maps names to tensors, as in ``dict(model.named_parameters())``.

``draw_graph(tensor, names)`` turns that ``Graph`` into a ``graphviz.Digraph``
(which a notebook shows as a picture, and ``.render`` writes to a file). It
needs the optional Graphviz extra — the ``graphviz`` Python package
(``pip install -e ".[viz]"``) and the ``dot`` program (``apt-get install
graphviz``, ``brew install graphviz``, ``conda install graphviz``). Without
either it prints one message saying which is missing and how to install it,
and returns the ``Graph``, whose text form lists every node and edge.

Draw before ``backward()``, or call it with ``retain_graph=True``: a backward
pass frees the graph's saved inputs, and the drawing then stops at the output.
"""
import shutil
import sys
from collections import namedtuple

import numpy

from .backend import to_host

GraphNode = namedtuple("GraphNode", "kind label")


class Graph(namedtuple("Graph", "nodes edges")):
    """``nodes``: id → ``GraphNode(kind, label)``; ``edges``: ``(from id, to id)`` pairs."""

    def __str__(self):
        lines = [f"{node_id}: [{node.kind}] {node.label}" for node_id, node in self.nodes.items()]
        lines += [f"{start} -> {end}" for start, end in self.edges]
        return "\n".join(lines)

    __repr__ = __str__


def _entries(array, max_entries):
    """``array`` printed on one line with 4 decimals, or ``None`` if it is too large."""
    if array is None or array.size > max_entries:
        return None
    return numpy.array2string(numpy.asarray(to_host(array)), precision=4, separator=", ",
                              max_line_width=10_000)


def _tensor_label(tensor, name, max_entries):
    fields = [name] if name else []
    fields.append(f"shape {tensor.shape}")
    data = _entries(tensor.data, max_entries)
    if data is not None:
        fields.append(f"data {data}")
    grad = tensor.grad
    grad = _entries(grad.data if hasattr(grad, "data") else grad, max_entries)
    if grad is not None:
        fields.append(f"grad {grad}")
    return " | ".join(fields)


def graph_of(tensor, names=None, max_entries=6):
    """The graph that produced ``tensor``, as a ``Graph`` (see the module docstring)."""
    name_of = {id(t): name for name, t in (names or {}).items()}
    nodes, edges = {}, []
    stack = [tensor]
    while stack:
        t = stack.pop()
        tensor_id = f"t{id(t)}"
        if tensor_id in nodes:
            continue
        nodes[tensor_id] = GraphNode("tensor", _tensor_label(t, name_of.get(id(t)), max_entries))
        fn = t.grad_fn
        if fn is None:
            continue
        op_id = f"f{id(fn)}"
        nodes[op_id] = GraphNode("op", type(fn).__name__)
        edges.append((op_id, tensor_id))
        for parent in getattr(fn, "inputs", None) or ():
            edges.append((f"t{id(parent)}", op_id))
            stack.append(parent)
    return Graph(nodes, edges)


def _graphviz_missing():
    """``None`` when ``graphviz`` and ``dot`` are both there, else what is missing and the fix."""
    try:
        import graphviz  # noqa: F401  (the optional extra)
    except ImportError:
        return ('the Python package "graphviz" is not installed: pip install -e ".[viz]" '
                '(or pip install graphviz)')
    if shutil.which("dot") is None:
        return ('the Graphviz program "dot" is not on PATH: apt-get install graphviz '
                '(brew install graphviz on macOS, conda install graphviz in conda)')
    return None


def draw_graph(tensor, names=None, max_entries=6, rankdir="LR"):
    """A ``graphviz.Digraph`` of the graph behind ``tensor``: ops, shapes, values and gradients.

    Tensor nodes are boxes (``name | shape | data | grad``), op nodes ellipses;
    ``rankdir="LR"`` draws the forward pass left to right. Without Graphviz a
    message says what to install and the ``Graph`` (printable as text) is
    returned instead.
    """
    graph = graph_of(tensor, names, max_entries)
    missing = _graphviz_missing()
    if missing is not None:
        print(f"minigrad.viz.draw_graph: {missing}. Showing the graph as text instead.",
              file=sys.stderr)
        return graph
    import graphviz
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir})
    for node_id, node in graph.nodes.items():
        shape = "record" if node.kind == "tensor" else "ellipse"
        label = "{" + node.label.replace("{", "\\{").replace("}", "\\}") + "}" \
            if node.kind == "tensor" else node.label
        dot.node(node_id, label, shape=shape)
    for start, end in graph.edges:
        dot.edge(start, end)
    return dot
