"""``minigrad.viz``: the graph of a small expression, its drawing, and the message without Graphviz."""
import builtins
import shutil

import numpy as np
import pytest

import minigrad
from minigrad.viz import draw_graph, graph_of


def _expression():
    """``out = sum(tanh(a * b))`` with ``a`` of shape (2,) and ``b`` a scalar."""
    a = minigrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = minigrad.tensor(np.array(3.0), requires_grad=True)
    return a, b, (a * b).tanh().sum()


def _labelled_edges(graph):
    """Edges as (label, label) pairs, with tensor labels cut to their first field."""
    def short(node_id):
        node = graph.nodes[node_id]
        return node.label.split(" | ")[0] if node.kind == "tensor" else node.label
    return sorted((short(start), short(end)) for start, end in graph.edges)


def test_graph_has_one_node_per_tensor_and_op_and_the_forward_edges():
    a, b, out = _expression()
    graph = graph_of(out, names={"a": a, "b": b, "out": out})
    kinds = [node.kind for node in graph.nodes.values()]
    assert kinds.count("tensor") == 5 and kinds.count("op") == 3
    assert sorted(node.label for node in graph.nodes.values() if node.kind == "op") == \
        ["Mul", "Sum", "Tanh"]
    assert _labelled_edges(graph) == sorted([
        ("a", "Mul"), ("b", "Mul"), ("Mul", "shape (2,)"), ("shape (2,)", "Tanh"),
        ("Tanh", "shape (2,)"), ("shape (2,)", "Sum"), ("Sum", "out")])


def test_labels_show_shape_value_and_gradient_when_present():
    a, b, out = _expression()
    out.backward(retain_graph=True)
    labels = {node.label.split(" | ")[0]: node.label for node in
              graph_of(out, names={"a": a, "b": b, "out": out}).nodes.values()}
    assert labels["a"].startswith("a | shape (2,) | data [1., 2.] | grad [")
    grad_a = 3.0 * (1.0 - np.tanh(np.array([3.0, 6.0])) ** 2)
    assert labels["a"].endswith(np.array2string(grad_a, precision=4, separator=", "))
    assert labels["out"] == "out | shape () | data 1.995"
    big = minigrad.tensor(np.zeros(7), requires_grad=True)
    assert graph_of(big.sum(), names={"big": big}, max_entries=6).nodes[f"t{id(big)}"].label == \
        "big | shape (7,)"


def test_a_shared_input_appears_once():
    a = minigrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    graph = graph_of((a * a).sum(), names={"a": a})
    assert [n.label for n in graph.nodes.values()].count("a | shape (2,) | data [1., 2.]") == 1
    assert _labelled_edges(graph).count(("a", "Mul")) == 2


def test_draw_graph_gives_a_digraph_with_every_node_and_edge():
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz program dot is not installed")
    a, b, out = _expression()
    dot = draw_graph(out, names={"a": a, "b": b})
    graph = graph_of(out, names={"a": a, "b": b})
    source = dot.source
    assert all(node_id in source for node_id in graph.nodes)
    assert sum(line.strip().startswith(f"{s} -> {e}") for s, e in graph.edges
               for line in source.splitlines()) == len(graph.edges)
    assert dot.pipe(format="svg").startswith(b"<?xml")


def test_without_the_graphviz_package_a_message_says_what_to_install(monkeypatch, capsys):
    real_import = builtins.__import__

    def refuse_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("No module named 'graphviz'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_graphviz)
    a, b, out = _expression()
    shown = draw_graph(out, names={"a": a})
    message = capsys.readouterr().err
    assert 'the Python package "graphviz" is not installed: pip install -e ".[viz]"' in message
    assert "Traceback" not in message
    assert shown == graph_of(out, names={"a": a})
    assert "[op] Mul" in str(shown) and "a | shape (2,)" in repr(shown)


def test_without_the_dot_program_a_message_says_what_to_install(monkeypatch, capsys):
    pytest.importorskip("graphviz")
    monkeypatch.setattr(shutil, "which", lambda program: None)
    _, _, out = _expression()
    shown = draw_graph(out)
    assert 'the Graphviz program "dot" is not on PATH: apt-get install graphviz' in \
        capsys.readouterr().err
    assert len(shown.edges) == 7
