"""plugrad.viz.make_dot: the autograd graph as a graphviz Digraph (the DOT source; rendering is optional)."""

from __future__ import annotations

import re
import shutil
import sys

import plugrad
import pytest
from plugrad import nn, viz

graphviz = pytest.importorskip("graphviz", reason="make_dot builds a graphviz.Digraph (pip install plugrad[examples])")


def _labels(dot):
    """node id -> label, and the list of (tail, head) edges, parsed from the DOT source."""
    nodes = dict(re.findall(r'^\t(\w+) \[label="?(.*?)"? fillcolor', dot.source, flags=re.M | re.S))
    edges = re.findall(r"^\t(\w+) -> (\w+)", dot.source, flags=re.M)
    return nodes, edges


def test_mlp_graph_names_nodes_like_grad_fn_and_points_edges_along_gradient_flow():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(plugrad.randn(5, 3)).pow(2).mean()
    dot = viz.make_dot(loss, params=dict(model.named_parameters()))
    assert isinstance(dot, graphviz.Digraph)
    nodes, edges = _labels(dot)
    names = sorted(nodes.values())
    assert names.count("AddmmBackward0") == 2 and names.count("TBackward0") == 2
    assert {"MeanBackward0", "PowBackward0", "ReluBackward0"} <= set(names)
    assert "0.weight\n (4, 3)" in names and "2.bias\n (2)" in names
    by_label = {v: k for k, v in nodes.items()}
    # output -> its grad_fn -> ... -> the leaves: the direction gradients flow
    assert (by_label["()"], by_label["MeanBackward0"]) in edges
    assert (by_label["MeanBackward0"], by_label["PowBackward0"]) in edges
    leaves = [k for k, v in nodes.items() if "\n (" in v]
    assert len(leaves) == 4 and all(not any(tail == leaf for tail, _ in edges) for leaf in leaves)


def test_unnamed_leaves_saved_tensors_and_several_outputs():
    a = plugrad.ones(2, 3, requires_grad=True)
    b = a * 2
    dot = viz.make_dot((b.sum(), b.exp().sum()), show_saved=True)
    nodes, _ = _labels(dot)
    labels = list(nodes.values())
    assert "\n (2, 3)" in labels and labels.count("SumBackward0") == 2
    assert any(v.startswith("saved result") for v in labels)  # exp saves its output
    assert "fillcolor=orange" in dot.source


def test_source_needs_no_graphviz_binaries_and_render_works_where_they_exist():
    x = plugrad.ones(2, requires_grad=True)
    dot = viz.make_dot((x * x).sum())
    assert dot.source.startswith("digraph {")
    if shutil.which("dot"):
        assert b"<svg" in dot.pipe(format="svg")


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install plugrad\[examples\]"):
        viz.make_dot(plugrad.ones(1, requires_grad=True))
