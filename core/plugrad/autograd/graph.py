"""Look at a backward graph: walk its nodes, and report what each node keeps alive.

``walk(t)`` yields the nodes reachable from ``t.grad_fn`` (each once, users
before producers). ``saved_tensors_report(t)`` lists, per node, the tensors its
rule saved and their sizes, so a user can see why memory grows with a graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .engine import dependencies
from .node import AccumulateGrad, Node


def _root(t: Any) -> Node | None:
    if isinstance(t, Node):
        return t
    fn = getattr(t, "grad_fn", None)
    if fn is None and getattr(t, "requires_grad", False):
        return t._accumulator()
    return fn


def walk(t: Any) -> Iterator[Node]:
    """The nodes of ``t``'s backward graph in topological order (a node before the nodes it feeds gradients to)."""
    root = _root(t)
    if root is None:
        return
    indeg, _ = dependencies([root])
    ready = [root]
    while ready:
        n = ready.pop()
        yield n
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)


@dataclass
class SavedEntry:
    """One value a node keeps for its backward rule."""

    what: str  # "input 0", "output", "ctx.saved_tensors[1]"
    shape: tuple
    dtype: str
    nbytes: int


@dataclass
class NodeReport:
    node: str
    saved: list[SavedEntry] = field(default_factory=list)
    freed: bool = False

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self.saved)


@dataclass
class SavedTensorsReport:
    nodes: list[NodeReport]

    @property
    def total_bytes(self) -> int:
        return sum(n.nbytes for n in self.nodes)

    def __str__(self) -> str:
        lines = [f"{'node':<28} {'saved':<44} {'bytes':>12}"]
        for n in self.nodes:
            if n.freed:
                lines.append(f"{n.node:<28} {'(freed after backward)':<44} {0:>12}")
                continue
            if not n.saved:
                lines.append(f"{n.node:<28} {'-':<44} {0:>12}")
            for i, e in enumerate(n.saved):
                desc = f"{e.what}: {list(e.shape)} {e.dtype}"
                lines.append(f"{n.node if i == 0 else '':<28} {desc:<44} {e.nbytes:>12,}")
        lines.append(f"{'total':<28} {'':<44} {self.total_bytes:>12,}")
        return "\n".join(lines)


def _entry(what: str, data: Any) -> SavedEntry:
    shape = tuple(getattr(data, "shape", ()))
    n = 1
    for s in shape:
        n *= s
    dtype = getattr(data, "dtype", None)
    itemsize = getattr(dtype, "itemsize", 0)
    return SavedEntry(what, shape, str(getattr(dtype, "name", dtype)), n * itemsize)


def saved_tensors_report(t: Any) -> SavedTensorsReport:
    """Which tensors each node of ``t``'s graph keeps for backward, and how many bytes (shared data counted once)."""
    reports = []
    counted: set[int] = set()
    for node in walk(t):
        if isinstance(node, AccumulateGrad):
            continue
        rep = NodeReport(node.name(), freed=node._released)
        saved = node._saved or ()
        for i, s in enumerate(saved):
            if s is not None and hasattr(s, "_data"):
                e = _entry(f"input {i}", s._data)
                if id(s._data) in counted:
                    e.nbytes = 0
                counted.add(id(s._data))
                rep.saved.append(e)
        out = node._out
        if out is not None:
            items = out if isinstance(out[0], tuple) else (out,)
            for k, item in enumerate(items):
                e = _entry("output" if len(items) == 1 else f"output {k}", item[0])
                if id(item[0]) in counted:
                    e.nbytes = 0
                counted.add(id(item[0]))
                rep.saved.append(e)
        pairs = getattr(node, "__dict__", {}).get("_saved_pairs")
        for k, pair in enumerate(pairs or ()):
            if pair[0] is not None:
                e = _entry(f"ctx.saved_tensors[{k}]", pair[0]._data)
                if id(pair[0]._data) in counted:
                    e.nbytes = 0
                counted.add(id(pair[0]._data))
                rep.saved.append(e)
        reports.append(rep)
    return SavedTensorsReport(reports)


__all__ = ["walk", "saved_tensors_report", "SavedTensorsReport", "NodeReport", "SavedEntry"]
