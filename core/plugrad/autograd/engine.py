"""The engine: an iterative walk of the backward graph with dependency counts.

Nodes run in the order PyTorch runs them (ready nodes by decreasing creation
order); each gets one gradient buffer per output. Gradients arrive in an
output's broadcast shape and are reduced to each input's shape here, in one
place (``unbroadcast``), never inside the rules.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..tensor import _SAME_DTYPE
from . import grad_mode as _gm
from .anomaly import anomaly_state, check_nan, node_context
from .node import AccumulateGrad, GradientEdge, Node

ops: Any = None  # plugrad.ops, bound on first use (it imports this module's package)


def _ops() -> Any:
    global ops
    if ops is None:
        from .. import ops as _ops_mod

        ops = _ops_mod
    return ops


class _LastBackward:
    """How many accumulating backward passes ran; each leaf's AccumulateGrad node keeps the number of the
    last pass that reached it (``_reached_in``), so ``Tensor.explain_grad`` can tell if the latest did."""

    runs = 0


last_backward = _LastBackward()


class _Running(threading.local):
    """The pass running on this thread: its number and which nodes it will execute (read by multi-grad hooks)."""

    pass_id = 0
    nodes: set | None = None
    needed: set | None = None


running = _Running()
_passes = itertools.count(1)
watching = [0]  # how many multi-grad hooks are registered: only then does a pass publish its nodes in `running`
_ticks = itertools.count()


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs: Sequence[Any], grads: Sequence[Any]) -> list:
    """Check or create the initial gradients (PyTorch's ``_make_grads``, plus the 2017 broadcast leniency).

    As in PyTorch, ``outputs`` and ``grads`` are paired as ``zip`` pairs them: a count mismatch is reported
    by :func:`_check_run`, after the types of the paired gradients were checked here.
    """
    from .. import ops
    from ..tensor import Tensor

    result: list[Any] = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if not out._requires_grad:
                result.append(None)  # Note: _check_run reports the output that does not require grad
                continue
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
                )
            result.append(ops.ones_like(out))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        gs, os_ = g._data.shape, out._data.shape
        if gs != os_:
            numel_g = g.numel()
            if out.numel() == 1 and numel_g == 1:
                warnings.warn(
                    f"backward(): gradient of shape {tuple(gs)} given for an output of shape {tuple(os_)}; "
                    f"reshaping it as the one-element output (PyTorch before 0.4 allowed this; pass a gradient "
                    f"of shape {tuple(os_)})",
                    UserWarning,
                    stacklevel=4,
                )
                g = ops.reshape(g, os_)
            elif _broadcasts(gs, os_):
                warnings.warn(
                    f"backward(): gradient of shape {tuple(gs)} is broadcast to the output's shape {tuple(os_)} "
                    f"(PyTorch before 0.4 allowed this; pass a gradient of shape {tuple(os_)})",
                    UserWarning,
                    stacklevel=4,
                )
                g = ops.expand(g, os_)
            else:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_dt_size(gs)} and output[{i}] has a "
                    f"shape of {_dt_size(os_)}."
                )
        gd, od = g.dtype, out.dtype
        if gd is not od:
            if gd.is_complex != od.is_complex:
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the same dtype. "
                    f"Mismatch in dtype: grad_output[{i}] has a dtype of {gd} and output[{i}] has a dtype of {od}."
                )
        if g._backend.device_type != out._backend.device_type:
            raise RuntimeError(
                f"grad_output[{i}] is on device {g.device} but output[{i}] is on device {out.device}; "
                f"move it with .to({str(out.device)!r})"
            )
        if gd is not od:
            g = g.to(od)  # Note: PyTorch's engine casts a root gradient to its output's dtype
        result.append(g)
    return result


def _check_run(outputs: Sequence[Any], grads: Sequence[Any], inputs: Sequence[Any] | None, accumulate: bool) -> None:
    """The checks PyTorch's engine makes before a pass, in its order: counts, outputs, then ``inputs``."""
    from ..tensor import Tensor

    if len(outputs) != len(grads):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in inputs or ():
        if isinstance(t, GradientEdge):
            continue
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")
        if accumulate:
            t.retain_grad()  # Note: backward(inputs=[non_leaf]) fills non_leaf.grad, as in PyTorch
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")


def _inputs_tuple(inputs: Any, fn: str) -> tuple:
    """``inputs`` of backward() / grad() as a tuple: a tensor, a sequence, or a dict (its values)."""
    from ..tensor import Tensor

    if isinstance(inputs, (Tensor, GradientEdge)):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(
            f"`inputs` argument to `{fn}()` must be a dict, not {type(inputs).__name__}. "
            "Other Mapping types are not supported."
        )
    return tuple(inputs)


def _grads_tuple(grads: Any, n: int) -> tuple:
    """PyTorch's ``_tensor_or_tensors_to_tuple``: None for each output, one tensor, or the given sequence."""
    from ..tensor import Tensor

    if grads is None:
        return (None,) * n
    if isinstance(grads, Tensor):
        return (grads,)
    return tuple(grads)


class _CreateGraphWarning:
    """PyTorch warns once per process about ``backward(create_graph=True)``."""

    issued = False


_CREATE_GRAPH_LEAK = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid "
    "this. If you have to use this function, make sure to reset the .grad fields of your parameters to None "
    "after use to break the cycle and avoid the leak."
)


def _dt_size(shape: tuple) -> str:
    from ..dtypes import Size

    return repr(Size(shape))


def _broadcasts(src: tuple, dst: tuple) -> bool:
    if len(src) > len(dst):
        return False
    for s, d in zip(reversed(src), reversed(dst)):
        if s != d and s != 1:
            return False
    return True


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors`` (PyTorch's ``autograd.backward``)."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to `backward()`. "
                "Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    inputs_t = () if inputs is None else _inputs_tuple(inputs, "backward")
    if inputs is not None and not inputs_t:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grads = _make_grads(outputs, _grads_tuple(grad_tensors, len(outputs)))
    _check_run(outputs, grads, inputs_t, accumulate=True)
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and not _CreateGraphWarning.issued:
        _CreateGraphWarning.issued = True
        warnings.warn(_CREATE_GRAPH_LEAK, UserWarning, stacklevel=3)
    run(outputs, grads, retain_graph, create_graph, inputs_t or None, accumulate=True)


def backward_scalar(t: Any, retain_graph: bool | None) -> None:
    """``t.backward()`` for a non-leaf ``t`` with no gradient, inputs or create_graph given (a loss).

    The same checks and result as :func:`backward`, in fewer steps: a one-element real floating output gets
    a gradient of ones made straight from the backend; anything else takes :func:`backward`'s path.
    """
    data = t._data
    if getattr(data, "size", None) != 1 or not t.dtype.is_floating_point:
        backward(t, None, retain_graph)
        return
    backend = t._backend
    from ..tensor import _wrap

    ones = _wrap(backend.namespace().ones(data.shape, dtype=data.dtype), backend)
    run((t,), (ones,), bool(retain_graph), False, None, accumulate=True)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> Any:
    """Return the gradients of ``outputs`` with respect to ``inputs`` without touching ``.grad``."""
    from .. import ops

    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _inputs_tuple(inputs, "grad")
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate gradient for "
            "other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    gouts = _make_grads(outs, _grads_tuple(grad_outputs, len(outs)))
    _check_run(outs, gouts, ins, accumulate=False)
    if retain_graph is None:
        retain_graph = create_graph
    result = run(outs, gouts, retain_graph, create_graph, ins, accumulate=False)
    final = []
    for index, (t, g) in enumerate(zip(ins, result)):
        if g is None:
            if materialize_grads:
                if isinstance(t, GradientEdge):
                    raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
                g = ops.zeros_like(t, requires_grad=create_graph)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {index} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        final.append(g)
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), final))
    return tuple(final)


def _batched_grad(outputs: Any, inputs: Any, grad_outputs: Any, retain_graph: bool | None, create_graph: bool,
                  allow_unused: bool, materialize_grads: bool) -> Any:
    """``grad`` with ``is_grads_batched``: each grad_output carries a leading batch dim; one walk per batch
    entry (the graph kept until the last), the results stacked along a new first dim."""
    from .. import ops

    gouts = _as_tuple(grad_outputs)
    sizes = {g.shape[0] for g in gouts if g is not None and g.dim() > 0}
    if not gouts or any(g is None or g.dim() == 0 for g in gouts) or len(sizes) != 1:
        raise RuntimeError(
            "If `is_grads_batched=True`, every grad_output must be a Tensor with a leading batch dimension of "
            f"one common size, got shapes {[None if g is None else list(g.shape) for g in gouts]}"
        )
    (batch,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    per_entry = [grad(outputs, inputs, tuple(g[i] for g in gouts), retain_graph=keep or i < batch - 1,
                      create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
                 for i in range(batch)]
    first = per_entry[0]
    keys = list(first.keys()) if type(first) is dict else range(len(first))
    stacked = {k: None if first[k] is None else ops.stack([r[k] for r in per_entry]) for k in keys}
    return stacked if type(first) is dict else tuple(stacked[k] for k in keys)


def _root_edge(t: Any) -> tuple[Node, int]:
    if t.__class__ is GradientEdge:
        return t.node, t.output_nr
    fn = t._grad_fn
    if fn is not None:
        return fn, t._output_nr
    if t._requires_grad:
        return t._accumulator(), 0
    return None, 0  # type: ignore[return-value]


def run(outputs: Sequence[Any], grads: Sequence[Any], retain_graph: bool, create_graph: bool,
        inputs: Sequence[Any] | None, accumulate: bool) -> list:
    """Walk the graph from ``outputs``. With ``accumulate`` leaves get ``.grad``; else grads of ``inputs`` are returned.

    The arguments come checked (``_make_grads``, ``_check_run``), as PyTorch checks them before its engine runs.
    """
    _ops()
    if accumulate:
        last_backward.runs += 1

    roots: list[tuple[Node, int, Any]] = []
    for t, g in zip(outputs, grads):
        node, nr = _root_edge(t)
        roots.append((node, nr, g))

    # 1. Discover the graph and count, for each node, the edges that lead into it.
    deps, seen = dependencies([node for node, _, _ in roots])

    # 2. Which nodes to capture (autograd.grad / backward(inputs=...)) and which need to run at all.
    capture: dict[tuple[Node, int], int] = {}
    needed: set | None = None
    if inputs is not None:
        for k, t in enumerate(inputs):
            node, nr = _root_edge(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture[(node, nr)] = k
        needed = _needed_nodes(seen, {n for n, _ in capture})
    captured: list = [None] * (len(inputs) if inputs is not None else 0)

    # 3. Execute ready nodes, latest-created first.
    buffers: dict[Node, list] = {}
    for node, nr, g in roots:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _num_outputs(node)
        buf[nr] = g if buf[nr] is None else _add(buf[nr], g, create_graph)
    heap: list = []
    # Note: nodes of equal priority (AccumulateGrad nodes all have the highest) leave the heap in the order they
    # became ready, as PyTorch's ready queue gives them; the counter also keeps nodes themselves uncompared.
    tick = _ticks.__next__
    pushed = set()
    for node, _, _ in roots:
        if deps.get(node, 0) == 0 and node not in pushed:
            pushed.add(node)
            heapq.heappush(heap, (-node._seq, tick(), node))

    state = _gm.state
    prev_mode = state.enabled
    heappop = heapq.heappop
    heappush = heapq.heappush
    add = ops.registry.OPS["add"].dispatch
    # Note: `pending` holds the one ready node while the heap is empty (a chain): it is what the heap would give
    # next, so it runs without a push and a pop. A second ready node sends both to the heap.
    pending: Node | None = None
    in_grads: Any = None
    g = None
    publish = watching[0]
    if publish:
        outer = running.pass_id, running.nodes, running.needed
        running.pass_id, running.nodes, running.needed = next(_passes), seen, needed
    try:
        state.enabled = create_graph
        while True:
            if pending is not None:
                node = pending
                pending = None
            elif heap:
                node = heappop(heap)[2]
            else:
                break
            buf = buffers.pop(node, None)
            if buf is None:
                buf = [None] * _num_outputs(node)
            if needed is not None and node not in needed:
                _release_deps(node, deps, heap, retain_graph)
                continue
            if node._hooks is not None:
                buf = _run_pre_hooks(node, buf)
            if capture:
                for out_nr in range(len(buf)):
                    slot = capture.get((node, out_nr))
                    if slot is not None:
                        captured[slot] = buf[out_nr]
            if type(node) is AccumulateGrad:
                if accumulate and buf[0] is not None and (inputs is None or (node, 0) in capture):
                    in_grads = g = None  # Note: drop the previous node's references, so an unshared gradient is seen as such
                    _accumulate(node, buf[0], create_graph)
                    node._reached_in = last_backward.runs
                continue
            if needed is not None and not _leads_further(node, needed):
                _release_deps(node, deps, heap, retain_graph)
                continue
            if buf[0] is None if len(buf) == 1 else all(g is None for g in buf):
                in_grads = (None,) * len(node.next_functions)
            else:
                op = node._op
                if anomaly_state.enabled:
                    with node_context(node):
                        in_grads = _apply(node, buf)
                        check_nan(node, in_grads)
                elif op is not None and op.nout == 1:
                    in_grads = op.vjp(node, buf[0])
                    if in_grads.__class__ is not tuple:
                        in_grads = (in_grads,)
                    in_grads = _fit(node, in_grads)
                else:
                    in_grads = _apply(node, buf)
                hooks = node._hooks
                if hooks is not None and hooks.post:
                    for hook in list(hooks.post.values()):
                        res = hook(in_grads, tuple(buf))
                        if res is not None:
                            in_grads = tuple(res)
            if not retain_graph and (node._saved is not None or node._out is not None):
                node.release()
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None:
                    continue
                if g is not None:
                    nbuf = buffers.get(nxt)
                    if nbuf is None:
                        if nr == 0 and len(nxt._out_shapes) == 1:
                            buffers[nxt] = [g]
                        else:
                            nbuf = buffers[nxt] = [None] * _num_outputs(nxt)
                            nbuf[nr] = g
                    elif nbuf[nr] is None:
                        nbuf[nr] = g
                    else:
                        # Both gradients have the input's shape and dtype by now: add them without promotion.
                        nbuf[nr] = add((nbuf[nr], g))
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    if pending is None and not heap:
                        pending = nxt
                    else:
                        if pending is not None:
                            heappush(heap, (-pending._seq, tick(), pending))
                            pending = None
                        heappush(heap, (-nxt._seq, tick(), nxt))
    finally:
        state.enabled = prev_mode
        if publish:
            running.pass_id, running.nodes, running.needed = outer
    return captured


def dependencies(roots: Iterable[Node]) -> tuple[dict[Node, int], set[Node]]:
    """For the graph below ``roots``: how many edges lead into each node, and the set of all nodes."""
    deps: dict[Node, int] = {}
    seen: set[Node] = set()
    stack = []
    for node in roots:
        if node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed_nodes(all_nodes: Iterable[Node], targets: set) -> set:
    """Nodes from which some target node can be reached (the part of the graph autograd.grad must run)."""
    parents: dict[Node, list[Node]] = {}
    for n in all_nodes:
        for nxt, _ in n.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(n)
    needed = set()
    stack = [t for t in targets]
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        stack.extend(parents.get(n, ()))
    return needed


def _leads_further(node: Node, needed: set) -> bool:
    return any(nxt is not None and nxt in needed for nxt, _ in node.next_functions)


def _release_deps(node: Node, deps: dict, heap: list, retain_graph: bool) -> None:
    for nxt, _ in node.next_functions:
        if nxt is None:
            continue
        d = deps[nxt] - 1
        deps[nxt] = d
        if d == 0:
            heapq.heappush(heap, (-nxt._seq, next(_ticks), nxt))


def _num_outputs(node: Node) -> int:
    return len(node._out_shapes)


def _add(a: Any, b: Any, create_graph: bool) -> Any:
    return ops.add(a, b)



def materialize(node: Node, buf: list) -> list:
    """Zeros for the outputs of a multi-output node that received no gradient."""
    out = list(buf)
    for i, g in enumerate(out):
        if g is None:
            ref = next(x for x in buf if x is not None)
            out[i] = ops._zeros_native(node._out_shapes[i], node._out_dtypes[i], ref._backend)
    return out


def _run_pre_hooks(node: Node, buf: list) -> list:
    tph = node._tensor_pre_hooks
    if tph:
        for nr, hooks in tph.items():
            if buf[nr] is None:
                continue
            for hook in list(hooks.values()):
                value = buf[nr]
                res = hook(value)
                if res is not None:
                    _check_hook_result(hook, value, res)
                    buf[nr] = res
    rg = node._retain_grad
    if rg:
        for nr, ref in rg.items():
            t = ref()
            g = buf[nr]
            if t is None or g is None:
                continue
            if t._grad is None:
                t._grad = g if _gm.state.enabled else _detached_copy(g)
            else:
                t._grad = t._grad + g
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            res = hook(tuple(buf))
            if res is not None:
                buf = list(res)
    return buf


def _check_hook_result(hook: Any, value: Any, res: Any) -> None:
    """A tensor hook must return a tensor of the gradient's type, device and size (PyTorch's checks, in its order)."""
    from ..tensor import Tensor

    if not isinstance(res, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(res).__name__}'")
    name = getattr(hook, "__name__", "<unknown>")
    if res._data.dtype != value._data.dtype or res._backend.device_type != value._backend.device_type:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {_type_name(value)} got {_type_name(res)})")
    if res._data.shape != value._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _type_name(t: Any) -> str:
    """PyTorch's name of a tensor's type: ``torch.FloatTensor``, ``torch.cuda.FloatTensor``."""
    return f"torch.cuda.{t.dtype.legacy}" if t._backend.device_type == "cuda" else f"torch.{t.dtype.legacy}"


_getrefcount = getattr(sys, "getrefcount", None)
_NO_BASE = object()
# References to the gradient tensor in _steal: the engine's buffer list, _accumulate's argument, this
# function's argument and getrefcount's own; to its array: the tensor's attribute, the local name and getrefcount's.
_TENSOR_REFS = 4
_ARRAY_REFS = 3


def _steal(g: Any, leaf_data: Any) -> Any:
    """``g`` as the leaf's new ``.grad`` without a copy when nothing else can reach its memory, else None.

    PyTorch's AccumulateGrad does the same: a gradient referenced only by the engine becomes ``.grad``.
    The array must own its memory, or be a view spanning an array that only this view (and the internal
    tensor it was viewed from) holds, as a transposed matmul result or a reshaped sum is; it must be
    writable and have the leaf's strides (the layout the leaf's gradient must have).
    """
    if _getrefcount is None or _getrefcount(g) > _TENSOR_REFS or g._requires_grad:
        return None
    data = g._data
    if _getrefcount(data) > _ARRAY_REFS or getattr(data, "strides", None) != getattr(leaf_data, "strides", 0):
        return None
    flags = getattr(data, "flags", None)
    if flags is None or not getattr(flags, "writeable", True):
        return None
    base = getattr(data, "base", _NO_BASE)
    if base is None:
        return g
    if base is _NO_BASE:
        return None
    link = g._view_of
    root_data = None
    if link is not None:
        root = link[0]
        # the view's link, this name and getrefcount's argument: the root is an internal tensor
        if _getrefcount(root) <= 3:
            root_data = root._data
        root = None
    # Walk the chain of bases (NumPy's keepdims sum is a view of its result): each must span the same
    # memory and be held only by the view above it (and by the internal root tensor, if that is it).
    for _ in range(4):
        if getattr(base, "size", -1) != data.size:
            return None
        # the .base above it, the name `base` and getrefcount's argument (and the root's, by `root_data`)
        allowed = 5 if base is root_data else 3
        if _getrefcount(base) > allowed:
            return None
        base = getattr(base, "base", _NO_BASE)
        if base is None:
            break
        if base is _NO_BASE:
            return None
    else:
        return None
    root_data = None
    if link is None:
        return g
    from ..tensor import _wrap

    return _wrap(data, g._backend)  # a plain tensor: the leaf's gradient is no view of an internal tensor


def _detached_copy(g: Any, like: Any = None) -> Any:
    """A copy of ``g`` outside the graph; laid out row-major when ``like`` (the leaf's array) is, as PyTorch's
    AccumulateGrad gives a gradient its parameter's layout."""
    from ..tensor import _wrap

    xp = g._backend.namespace()
    data = g._data
    flags = getattr(data, "flags", None)
    like_flags = getattr(like, "flags", None)
    if flags is not None and like_flags is not None and like_flags.c_contiguous and not flags.c_contiguous:
        return _wrap(xp.reshape(xp.asarray(xp.reshape(data, (-1,)), copy=True), data.shape), g._backend)
    return _wrap(xp.asarray(data, copy=True), g._backend)


def _apply(node: Node, buf: list) -> tuple:
    """Run the node's rule, then bring each input gradient to that input's shape and dtype."""
    return _fit(node, node.apply(buf))


def _fit(node: Node, in_grads: tuple) -> tuple:
    """Check a rule's gradients and bring each to its input's shape and dtype (None where no edge needs it)."""
    nf = node.next_functions
    if len(in_grads) != len(nf):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected {len(nf)}, got {len(in_grads)})"
        )
    fixed = None
    i = 0
    for g, edge, shape, dt in zip(in_grads, nf, node._input_shapes, node._input_dtypes):
        if g is not None:
            if edge[0] is None:
                if fixed is None:
                    fixed = list(in_grads)
                fixed[i] = None
            else:
                data = g._data
                # Note: gradients arrive in the output's broadcast shape; reduce them here, once, for every op.
                if data.shape != shape:
                    if not _broadcasts(shape, data.shape):
                        raise RuntimeError(
                            f"Function {node.name()} returned an invalid gradient at index {i} - got {list(data.shape)} "
                            f"but expected shape compatible with {list(shape)}"
                        )
                    g = ops.sum_to_size(g, shape)
                    if fixed is None:
                        fixed = list(in_grads)
                    fixed[i] = g
                gd = g._data.dtype
                if dt is not None and gd is not dt and gd != dt:
                    if fixed is None:
                        fixed = list(in_grads)
                    fixed[i] = ops._to_native_dtype(g, dt)
        i += 1
    return tuple(fixed) if fixed is not None else in_grads


def _accumulate(acc: AccumulateGrad, g: Any, create_graph: bool) -> None:
    t = acc._variable()
    if t is None:
        return
    gd = t._grad_dtype
    if gd is not _SAME_DTYPE and gd is not None and g.dtype is not gd:  # the leaf's grad_dtype was set
        g = ops._to_native_dtype(g, gd)
    if t._grad is None:
        if create_graph:
            t._grad = g
        else:
            stolen = _steal(g, t._data)
            t._grad = stolen if stolen is not None else _detached_copy(g, t._data)
    elif create_graph or _gm.state.enabled:
        t._grad = t._grad + g
    else:
        old = t._grad
        if old._requires_grad:
            t._grad = old + g
        else:
            data = old._data
            data += g._data
            if data is not old._data:  # a NumPy scalar (0-d result) is immutable: += made a new one
                old._data = data
            old._bump_version()
    if acc._post_acc_hooks:
        for hook in list(acc._post_acc_hooks.values()):
            hook(t)
