"""Pictures of the autograd graph: ``make_dot(output)`` returns a ``graphviz.Digraph``.

One box per backward node, named as its ``grad_fn`` is (``MulBackward0``); the leaves that
accumulate gradients (``AccumulateGrad``) are drawn as light blue boxes labelled with the
parameter's name (from ``params``) and shape; the output is a green box. Edges point the way
gradients flow: from the output towards the leaves, along ``grad_fn.next_functions``.
``dot.source`` is plain DOT text; rendering it (``dot.render``, ``dot.pipe``) needs the Graphviz
binaries (``dot``) installed on the system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .autograd.node import AccumulateGrad
from .tensor import Tensor


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "plugrad.viz needs the graphviz Python package: pip install plugrad[examples] (to render pictures, the "
            "Graphviz binaries must be installed too, e.g. apt install graphviz or brew install graphviz)"
        ) from None
    return graphviz


def _size(shape: Any) -> str:
    return "(" + ", ".join(str(s) for s in tuple(shape)) + ")"


def make_dot(output: Tensor | tuple | list, params: Mapping[str, Tensor] | None = None,
             show_saved: bool = False) -> Any:
    """The backward graph of ``output`` (a tensor or a sequence of tensors) as a ``graphviz.Digraph``.

    ``params`` maps names to leaf tensors (``dict(model.named_parameters())``) to label the leaves;
    unnamed leaves get an empty name. ``show_saved`` adds an orange box for each tensor a node saved
    for its backward (an input or its output), joined to that node by an undirected edge.
    """
    graphviz = _graphviz()
    names = {id(v): k for k, v in (params or {}).items()}
    dot = graphviz.Digraph(
        node_attr={"style": "filled", "shape": "box", "align": "left", "fontsize": "10", "ranksep": "0.1",
                   "height": "0.2", "fontname": "monospace"},
        graph_attr={"size": "12,12"},
    )
    outputs = tuple(output) if isinstance(output, (tuple, list)) else (output,)
    seen: set[int] = set()
    stack: list[Any] = []
    saved_count = [0]

    def node_id(fn: Any) -> str:
        return f"n{id(fn)}"

    def add_leaf(fn: AccumulateGrad) -> None:
        var = fn.variable
        if var is None:
            dot.node(node_id(fn), "AccumulateGrad\n(freed leaf)", fillcolor="lightblue")
            return
        dot.node(node_id(fn), f"{names.get(id(var), '')}\n {_size(var.shape)}", fillcolor="lightblue")

    def add_saved(fn: Any) -> None:
        saved = getattr(fn, "_saved", None) or ()
        for i, t in enumerate(saved):
            if isinstance(t, Tensor):
                saved_count[0] += 1
                sid = f"s{saved_count[0]}"
                dot.node(sid, f"saved input {i}\n{_size(t.shape)}", fillcolor="orange")
                dot.edge(sid, node_id(fn), dir="none")
        out = getattr(fn, "_out", None)
        # Note: an output saved under saved-tensor hooks is packed (the hooks own it): no box for it.
        if out and not getattr(fn, "_released", False) and isinstance(out, tuple):
            datas = [out[0]] if not isinstance(out[0], tuple) else [o[0] for o in out]
            for k, data in enumerate(datas):
                saved_count[0] += 1
                sid = f"s{saved_count[0]}"
                label = "saved result" if len(datas) == 1 else f"saved result {k}"
                dot.node(sid, f"{label}\n{_size(data.shape)}", fillcolor="orange")
                dot.edge(sid, node_id(fn), dir="none")

    def visit(fn: Any) -> None:
        if fn is None or id(fn) in seen:
            return
        seen.add(id(fn))
        stack.append(fn)

    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"make_dot expects tensors, got {type(out).__name__} as output {k}")
        oid = f"o{k}"
        dot.node(oid, _size(out.shape), fillcolor="darkolivegreen1")
        fn = out.grad_fn if out.grad_fn is not None else (out._accumulator() if out.requires_grad else None)
        if fn is not None:
            dot.edge(oid, node_id(fn))
            visit(fn)

    while stack:
        fn = stack.pop()
        if isinstance(fn, AccumulateGrad):
            add_leaf(fn)
            continue
        dot.node(node_id(fn), fn.name(), fillcolor="lightgrey")
        if show_saved:
            add_saved(fn)
        for nxt, _nr in fn.next_functions:
            if nxt is None:
                continue
            dot.edge(node_id(fn), node_id(nxt))
            visit(nxt)
    return dot


__all__ = ["make_dot"]
