"""Nodes of the backward graph: one per recorded op, plus AccumulateGrad for leaves.

A node keeps what its VJP rule needs (``saved`` inputs, the output's data) and
the edges to the nodes of its inputs (``next_functions``). Its class is named
as PyTorch names it (``MulBackward0``), so ``print(y.grad_fn)`` reads the same.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second "
    "time or if you need to access saved tensors after calling backward."
)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook out again."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks_ref = weakref.ref(hooks) if _weakrefable(hooks) else (lambda: hooks)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __getstate__(self) -> tuple:
        # Note: a copied or unpickled handle refers to the copy of its hook table (deepcopy and pickle
        # memoize the table), as in PyTorch; a weak reference itself cannot be copied.
        return (self._hooks_ref(), self.id)

    def __setstate__(self, state: tuple) -> None:
        hooks, self.id = state
        if hooks is None:
            self._hooks_ref = weakref.ref(HookDict())  # a dead reference: the table is gone
        else:
            self._hooks_ref = weakref.ref(hooks) if _weakrefable(hooks) else (lambda: hooks)
        RemovableHandle._next_id = max(RemovableHandle._next_id, self.id + 1)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _weakrefable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


class HookDict(dict):
    """A dict that can be weakly referenced, so handles do not keep nodes alive."""

    __slots__ = ("__weakref__",)


class NodeHooks:
    """A node's hooks, kept apart so a node without hooks costs one ``None`` check in the engine."""

    __slots__ = ("tensor_pre", "retain", "pre", "post")

    def __init__(self) -> None:
        self.tensor_pre: dict[int, HookDict] | None = None
        self.retain: dict[int, Any] | None = None
        self.pre: HookDict | None = None
        self.post: HookDict | None = None


class _Released(tuple):
    """The ``_saved`` of a node whose saved values were freed by a backward pass (empty, so it iterates)."""

    __slots__ = ()


RELEASED = _Released()


class Node:
    """A node of the backward graph. Subclasses exist per op only to carry PyTorch's name.

    The attributes every recorded op sets are slots; the ones only users' hooks, metadata and anomaly
    mode set are class-level defaults that such a node overrides in its ``__dict__``, so recording an op
    builds no dict and stores nothing it does not need.
    """

    __slots__ = (
        "_op", "attrs", "_seq", "next_functions", "needs_input_grad", "_input_shapes", "_input_dtypes",
        "_saved", "_saved_versions", "_out", "_out_shapes", "_out_dtypes", "_backend", "__weakref__", "__dict__",
    )

    _op: Any
    attrs: tuple
    _seq: Any
    next_functions: tuple
    needs_input_grad: tuple
    _input_shapes: Any
    _input_dtypes: Any
    _saved: Any
    _saved_versions: Any  # None when no tensor was saved; else one (version counter, version) or None per saved value
    _out: Any
    _out_shapes: tuple  # one entry per output ((None,) for a single-output op's node: only the length is read)
    _out_dtypes: tuple
    _backend: Any
    # Rare attributes (set by users' hooks and metadata, anomaly mode): class defaults.
    _hooks: NodeHooks | None = None
    _metadata: dict | None = None
    _trace: Any = None

    def __init__(self) -> None:
        self._saved = None
        self._saved_versions = None
        self._out = None

    @property
    def _released(self) -> bool:
        return self._saved is RELEASED

    @property
    def metadata(self) -> dict:
        """A dict for tools to attach information to this node (PyTorch's ``Node.metadata``)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def _hook_table(self) -> NodeHooks:
        h = self._hooks
        if h is None:
            h = self._hooks = NodeHooks()
        return h

    @property
    def _tensor_pre_hooks(self) -> Any:
        return self._hooks.tensor_pre if self._hooks is not None else None

    @property
    def _retain_grad(self) -> Any:
        return self._hooks.retain if self._hooks is not None else None

    @property
    def _pre_hooks(self) -> Any:
        return self._hooks.pre if self._hooks is not None else None

    @property
    def _post_hooks(self) -> Any:
        return self._hooks.post if self._hooks is not None else None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def num_outputs(self) -> int:
        return len(self._out_shapes)

    # --- saved values, checked against versions -----------------------------------------
    def _check_released(self) -> None:
        if self._saved is RELEASED:
            raise RuntimeError(_FREED)

    @property
    def inputs(self) -> tuple:
        """The saved inputs (None where the rule did not need one), checked for in-place changes."""
        saved = self._saved
        if saved is None:
            return ()
        if saved is RELEASED:
            raise RuntimeError(_FREED)
        versions = self._saved_versions
        if versions is not None:
            if versions is PACKED:
                return tuple(x.unpack(self) if x.__class__ is SavedPacked else x for x in saved)
            for i, v in enumerate(versions):
                if v is not None and v[0][0] != v[1]:
                    _raise_modified(saved[i], v[0][0], v[1])
        return saved

    @property
    def output(self) -> Any:
        """The op's output, rebuilt from its saved data with this node as its grad_fn."""
        self._check_released()
        from ..tensor import _wrap

        out = self._out
        if out is None:
            raise RuntimeError(f"{self.name()} did not save its output")
        if isinstance(out, tuple) and len(out) == 3 and not isinstance(out[0], tuple):
            data, vc, version = out
            if vc is not None and vc[0] != version:
                _raise_modified_output(data, vc[0], version, self)
            backend = _backend_of(self)
            t = _wrap(data, backend)
            t._requires_grad = True
            t._grad_fn = self
            return t
        if out.__class__ is SavedPacked:
            return out.unpack(self)
        raise RuntimeError(f"{self.name()} has several outputs; use .outputs")

    @property
    def outputs(self) -> tuple:
        self._check_released()
        from ..tensor import _wrap

        backend = _backend_of(self)
        outs = []
        for i, item in enumerate(self._out):
            if item.__class__ is SavedPacked:
                value = item.unpack_value()
                t = _wrap(value._data, value._backend)
            else:
                t = _wrap(item[0], backend)
            diffs = self._op.differentiable_outputs
            if not diffs or diffs[i]:  # empty: a variable number of outputs, all differentiable
                t._requires_grad = True
                t._grad_fn = self
                t._output_nr = i
            outs.append(t)
        return tuple(outs)

    def input_shape(self, i: int) -> tuple:
        return self._input_shapes[i]

    def release(self) -> None:
        """Drop saved values after a backward pass without ``retain_graph``."""
        if self._saved is not None or self._out is not None:
            self._saved = RELEASED
            self._saved_versions = None
            self._out = None

    # --- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        table = self._hook_table()
        if table.post is None:
            table.post = HookDict()
        h = RemovableHandle(table.post)
        table.post[h.id] = fn
        return h

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        table = self._hook_table()
        if table.pre is None:
            table.pre = HookDict()
        h = RemovableHandle(table.pre)
        table.pre[h.id] = fn
        return h

    def _register_tensor_hook(self, output_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        table = self._hook_table()
        if table.tensor_pre is None:
            table.tensor_pre = {}
        hooks = table.tensor_pre.get(output_nr)
        if hooks is None:
            hooks = table.tensor_pre[output_nr] = HookDict()
        h = RemovableHandle(hooks)
        hooks[h.id] = fn
        return h

    def _set_retain_grad(self, output_nr: int, tensor: Any) -> None:
        table = self._hook_table()
        if table.retain is None:
            table.retain = {}
        table.retain[output_nr] = weakref.ref(tensor)

    # The engine calls this with the grads of the outputs; it returns one grad per input edge.
    def apply(self, grads: list) -> tuple:
        op = self._op
        if op.nout == 1:
            g = grads[0]
        else:
            if any(g is None for g in grads):  # Note: not `None in grads`, which calls Tensor.__eq__
                from .engine import materialize

                grads = materialize(self, grads)
            g = tuple(grads)
        result = op.vjp(self, g)
        if not isinstance(result, tuple):
            result = (result,)
        return result


def _backend_of(node: Node) -> Any:
    return node._backend


def make_node_class(name: str) -> type:
    """The Node subclass that carries PyTorch's name for an op's backward (cached per name)."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = _NODE_CLASSES[name] = type(name, (Node,), {"__slots__": ()})
    return cls


_NODE_CLASSES: dict[str, type] = {}


def _legacy_name(t: Any) -> str:
    try:
        return t.dtype.legacy
    except Exception:  # noqa: BLE001 - scalars
        return type(t).__name__


def _short_name(node: Node) -> str:
    """PyTorch names the producing op without its ``BackwardN`` suffix in version errors (``Exp``)."""
    name = node.name()
    k = name.rfind("Backward")
    return name[:k] if k > 0 else name


def _modified_message(legacy: str, shape: tuple, producer: Node | None, nr: int, now: int, expected: int) -> str:
    dims = ", ".join(str(s) for s in shape)
    where = f", which is output {nr} of {_short_name(producer)}," if producer is not None else ""
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[torch.{legacy} [{dims}]]{where} is at version {now}; expected version {expected} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _raise_modified(t: Any, now: int, expected: int) -> None:
    raise RuntimeError(_modified_message(_legacy_name(t), tuple(t._data.shape), t._grad_fn, t._output_nr, now, expected))


def _raise_modified_output(data: Any, now: int, expected: int, node: Node) -> None:
    from ..tensor import _wrap

    t = _wrap(data, _backend_of(node))
    raise RuntimeError(_modified_message(_legacy_name(t), tuple(data.shape), node, 0, now, expected))


class AccumulateGrad(Node):
    """The node behind a leaf that requires grad: adds incoming gradients into ``leaf.grad``."""

    __slots__ = ("_variable", "_post_acc_hooks", "_reached_in")

    def __init__(self, tensor: Any) -> None:
        super().__init__()
        self._variable = weakref.ref(tensor)
        self.next_functions = ()
        self._seq = float("inf")
        self._reached_in = 0  # the number of the last backward pass that accumulated into the leaf
        self._post_acc_hooks: HookDict | None = None
        self._out_shapes = (tensor._data.shape,)

    @property
    def variable(self) -> Any:
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def apply(self, grads: list) -> tuple:  # pragma: no cover - the engine accumulates directly
        return ()


# --- saved-tensor hooks and inference tensors -------------------------------------------------------------
# Recording an op looks at what it saved only while the registry's `_special_saving` flag is on: once
# inference_mode() was entered (inference tensors cannot be saved) or while saved-tensor hooks are active.

INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
    "in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
)
_PACK_MODIFIED = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook cannot be "
    "modified by in-place operations as this can lead to unexpected side-effects. Please open an issue if you need "
    "to perform in-place operations on the input to a pack hook."
)


class GradientEdge(NamedTuple):
    """An input of a node: the node and which of its inputs (PyTorch's ``torch.autograd.graph.GradientEdge``).

    ``autograd.grad`` and ``backward(inputs=...)`` take one wherever they take a tensor.
    """

    node: Any
    output_nr: int
    ownership_token: Any = None


class _SavedHooksState(threading.local):
    """The (pack, unpack) hook pairs in force in this thread, innermost last, and the message forbidding them."""

    def __init__(self) -> None:
        self.stack: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]] = []
        self.disabled: str | None = None


saved_hooks = _SavedHooksState()
_hooks_active = [0]  # pairs pushed and not yet popped, over all threads
_flags_lock = threading.Lock()


class _PackedMarker:
    """The ``_saved_versions`` of a node whose ``_saved`` holds :class:`SavedPacked` values."""

    __slots__ = ()


PACKED = _PackedMarker()


class SavedPacked:
    """A tensor saved while saved-tensor hooks were active: what ``pack_hook`` returned, the ``unpack_hook`` that
    reads it back, and the tensor's place in the graph, which the unpacked tensor takes (as in PyTorch). As in
    PyTorch, no version check is made on such a tensor: the hooks own what is kept.
    """

    __slots__ = ("packed", "unpack_hook", "is_output", "requires_grad", "grad_fn", "output_nr", "acc")

    def __init__(self, packed: Any, unpack_hook: Callable[[Any], Any], t: Any, output_nr: int | None) -> None:
        self.packed = packed
        self.unpack_hook = unpack_hook
        self.is_output = output_nr is not None
        self.requires_grad = t._requires_grad
        self.grad_fn = None if self.is_output else t._grad_fn
        self.output_nr = t._output_nr if output_nr is None else output_nr
        self.acc = t._acc

    def unpack_value(self) -> Any:
        """What ``unpack_hook`` gives back, checked to be a tensor."""
        from ..tensor import Tensor

        value = self.unpack_hook(self.packed)
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(value).__name__}"
            )
        return value

    def unpack(self, node: Node) -> Any:
        """The saved tensor for ``node``'s rule: the unpacked data, in the saved tensor's place in the graph."""
        from ..tensor import _wrap

        value = self.unpack_value()
        t = _wrap(value._data, value._backend)
        if self.is_output:  # Note: an output's node is not kept here (that would be a reference cycle)
            t._requires_grad = True
            t._grad_fn = node
            t._output_nr = self.output_nr
        elif self.requires_grad:
            t._requires_grad = True
            if self.grad_fn is not None:
                t._grad_fn = self.grad_fn
                t._output_nr = self.output_nr
            else:
                t._acc = self.acc
        return t


def pack_saved(t: Any, output_nr: int | None = None) -> SavedPacked:
    """Run the innermost ``pack_hook`` on ``t`` (with grad mode off, as PyTorch does); ``output_nr``: ``t`` is
    that output of the node saving it."""
    from . import grad_mode

    pack_hook, unpack_hook = saved_hooks.stack[-1]
    before = t._version
    state = grad_mode.state
    prev = state.enabled
    state.enabled = False
    try:
        packed = pack_hook(t)
    finally:
        state.enabled = prev
    if t._version != before:
        raise RuntimeError(_PACK_MODIFIED)
    return SavedPacked(packed, unpack_hook, t, output_nr)


def check_inference_saved(t: Any) -> None:
    if t._inference:
        raise RuntimeError(INFERENCE_SAVED)


def special_save(node: Node, outputs: Any) -> None:
    """What recording an op does while the registry's ``_special_saving`` flag is on: refuse inference tensors
    among the saved values, and, while saved-tensor hooks are active, keep what ``pack_hook`` returns instead."""
    from ..tensor import Tensor

    saved = node._saved
    if saved:
        for x in saved:
            if isinstance(x, Tensor):
                check_inference_saved(x)
    if not saved_hooks.stack:
        return
    if saved and node._saved_versions is not None:  # Note: versions are set when a tensor was saved
        node._saved = tuple(pack_saved(x) if isinstance(x, Tensor) else x for x in saved)
        node._saved_versions = PACKED
    out = node._out
    if out is not None:
        if len(outputs) == 1 and len(out) == 3 and not isinstance(out[0], tuple):
            node._out = pack_saved(outputs[0], 0)
        else:
            node._out = tuple(pack_saved(t, i) for i, t in enumerate(outputs))


def push_saved_tensors_hooks(pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
    """Make ``(pack_hook, unpack_hook)`` the pair in force in this thread (``saved_tensors_hooks.__enter__``)."""
    message = saved_hooks.disabled
    if message is not None:
        raise RuntimeError(message)
    saved_hooks.stack.append((pack_hook, unpack_hook))
    _count_hooks(1)


def pop_saved_tensors_hooks() -> None:
    saved_hooks.stack.pop()
    _count_hooks(-1)


def _count_hooks(delta: int) -> None:
    with _flags_lock:
        _hooks_active[0] += delta
        refresh_saving_flag()


def refresh_saving_flag() -> None:
    """Turn the registry's ``_special_saving`` on while it is needed (see :func:`special_save`)."""
    from ..ops import registry

    registry._special_saving = registry._inference_seen or _hooks_active[0] > 0
