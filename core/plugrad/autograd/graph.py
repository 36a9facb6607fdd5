"""Look at a backward graph and control what it keeps (PyTorch's ``torch.autograd.graph``).

``walk(t)`` yields the nodes reachable from ``t.grad_fn`` (each once, users
before producers). ``saved_tensors_report(t)`` lists, per node, the tensors its
rule saved and their sizes, so a user can see why memory grows with a graph.
``saved_tensors_hooks(pack_hook, unpack_hook)`` changes how saved tensors are
kept (``save_on_cpu()`` keeps them on the CPU); ``disable_saved_tensors_hooks``
forbids that inside a block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import engine as _engine
from .engine import dependencies
from .node import (
    AccumulateGrad,
    GradientEdge,
    Node,
    SavedPacked,
    pop_saved_tensors_hooks,
    push_saved_tensors_hooks,
    saved_hooks,
)


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
            if s is not None and hasattr(s, "_data"):  # Note: a value packed by saved-tensor hooks is not counted
                e = _entry(f"input {i}", s._data)
                if id(s._data) in counted:
                    e.nbytes = 0
                counted.add(id(s._data))
                rep.saved.append(e)
        out = node._out
        if out is not None and out.__class__ is not SavedPacked:
            items = out if isinstance(out[0], (tuple, SavedPacked)) else (out,)
            for k, item in enumerate(items):
                if item.__class__ is SavedPacked:
                    continue
                e = _entry("output" if len(items) == 1 else f"output {k}", item[0])
                if id(item[0]) in counted:
                    e.nbytes = 0
                counted.add(id(item[0]))
                rep.saved.append(e)
        pairs = getattr(node, "__dict__", {}).get("_saved_pairs")
        for k, pair in enumerate(pairs or ()):
            if pair[0] is not None and pair[0].__class__ is not SavedPacked:
                e = _entry(f"ctx.saved_tensors[{k}]", pair[0]._data)
                if id(pair[0]._data) in counted:
                    e.nbytes = 0
                counted.add(id(pair[0]._data))
                rep.saved.append(e)
        reports.append(rep)
    return SavedTensorsReport(reports)


class saved_tensors_hooks:
    """Inside the block, each tensor an op saves for backward is kept as ``pack_hook(tensor)``, and its rule reads
    ``unpack_hook(packed)`` instead (PyTorch's ``torch.autograd.graph.saved_tensors_hooks``).

    ``pack_hook`` runs when the tensor is saved, with grad mode off, and must not change it in place;
    ``unpack_hook`` runs each time backward (or ``grad_fn``) reads it and must return a tensor with the same
    values. Only the innermost pair is used. Tensors kept this way are not checked against in-place changes.
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        push_saved_tensors_hooks(self.pack_hook, self.unpack_hook)

    def __exit__(self, *args: object) -> None:
        pop_saved_tensors_hooks()


class save_on_cpu(saved_tensors_hooks):
    """Keep the tensors saved for backward on the CPU and move each back to its device when backward reads it.

    On a CPU backend the saved tensor is kept as is. ``pin_memory`` asks for page-locked memory for the copies
    (where the ``device_type`` module says its device is available).
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        import plugrad

        device_module = getattr(plugrad, device_type, plugrad.cuda)

        def pack_to_cpu(tensor: Any) -> tuple[Any, Any]:
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            is_pinnable = device_module.is_available()
            packed = plugrad.empty(tensor.size(), dtype=tensor.dtype, layout=tensor.layout, pin_memory=is_pinnable)
            packed.copy_(tensor, non_blocking=is_pinnable)
            return (tensor.device, packed)

        def unpack_from_cpu(packed: tuple[Any, Any]) -> Any:
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Generator[None, None, None]:
    """Inside the block, using saved-tensor hooks raises ``RuntimeError(error_message)`` (for features that do
    not work with them); entering it while hooks are active raises the same."""
    prev = saved_hooks.disabled
    try:
        saved_hooks.disabled = error_message
        if saved_hooks.stack:
            raise RuntimeError(error_message)
        yield
    finally:
        saved_hooks.disabled = prev


def get_gradient_edge(tensor: Any) -> GradientEdge:
    """The edge a gradient for ``tensor`` flows along: its grad_fn (or its AccumulateGrad node, for a leaf)
    and its output number. ``autograd.grad`` and ``backward(inputs=...)`` take the edge in place of the tensor."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    fn = tensor.grad_fn
    if fn is None:
        return GradientEdge(tensor._accumulator(), 0)
    return GradientEdge(fn, tensor._output_nr)


def increment_version(tensor: Any) -> None:
    """Bump ``tensor``'s version counter, as an in-place change would (for changes autograd cannot see)."""
    for t in (tensor,) if not isinstance(tensor, (list, tuple)) else tensor:
        t._bump_version()


class _MultiHandle:
    """Removes every tensor hook that one ``register_multi_grad_hook`` call placed."""

    def __init__(self, handles: list) -> None:
        self._handles = handles
        _engine.watching[0] += 1  # passes publish the nodes they will run while a multi-grad hook exists

    def remove(self) -> None:
        if self._handles:
            _engine.watching[0] -= 1
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _will_run(t: Any) -> bool:
    """Whether the pass running now reaches ``t``'s node (and needs it, when the pass has ``inputs``)."""
    node = t.grad_fn if t.grad_fn is not None else t._accumulator()
    nodes, needed = _engine.running.nodes, _engine.running.needed
    return nodes is not None and node in nodes and (needed is None or node in needed)


def register_multi_grad_hook(tensors: Any, fn: Callable[..., Any], *, mode: str = "all") -> _MultiHandle:
    """Call ``fn`` once per backward pass over gradients of several tensors.

    ``mode="all"``: after the gradients of every tensor the pass reaches are computed, with the sequence of
    gradients (None for a tensor the pass does not reach). ``mode="any"``: on the first of them, with that
    gradient. The gradients are passed on unchanged. Returns a handle whose ``remove()`` unregisters it.
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state: dict[str, Any] = {"pass": None}

    def begin() -> None:
        if state["pass"] != _engine.running.pass_id:
            state["pass"] = _engine.running.pass_id
            state["grads"] = [None] * len(tensors)
            state["seen"] = 0
            state["done"] = False
            state["expected"] = sum(1 for t in tensors if _will_run(t)) if mode == "all" else 1

    def make_hook(i: int) -> Callable[[Any], None]:
        def hook(grad: Any) -> None:
            begin()
            if state["done"]:
                return
            if mode == "any":
                state["done"] = True
                fn(grad)
                return
            state["grads"][i] = grad
            state["seen"] += 1
            if state["seen"] >= state["expected"]:
                state["done"] = True
                fn(tuple(state["grads"]))

        return hook

    handles = [t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad]
    return _MultiHandle(handles)


__all__ = [
    "GradientEdge", "get_gradient_edge", "increment_version", "register_multi_grad_hook",
    "walk", "saved_tensors_report", "SavedTensorsReport", "NodeReport", "SavedEntry", "saved_tensors_hooks",
    "save_on_cpu", "disable_saved_tensors_hooks",
]
