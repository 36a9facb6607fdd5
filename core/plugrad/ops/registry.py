"""The op registry, the kernel tables, and dispatch: the per-op hot path.

An :class:`Op` is declared once: its name, how many tensor inputs it takes, the
node name PyTorch gives its backward (``MulBackward0``), its VJP rule written in
plugrad ops, what the rule needs saved, and sample inputs for the op database.
Kernels are looked up per (op, backend): the backend's own kernel, else the
generic array-API kernel bound to the backend's namespace; the result is cached
on the op, so a call costs one dict lookup.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..autograd import grad_mode as _gm
from ..autograd.anomaly import anomaly_state as _anomaly
from ..autograd.anomaly import record_trace as _record_trace
from ..autograd.node import AccumulateGrad, Node, make_node_class, special_save

VJP = Callable[..., Any]
_grad_state = _gm.state
_seq = itertools.count()
_new = object.__new__
# Off until a feature is first used, so that each costs the hot path one truth test until then (set by
# autograd.grad_mode and autograd.node): inference_mode() was entered in this process (outputs may be inference
# tensors); values saved for backward need a look (inference tensors may exist, or saved-tensor hooks are active).
_inference_seen = False
_special_saving = False


class RegistrationError(ValueError):
    """An op or kernel was registered twice without asking for an override."""


class Op:
    """One primitive operation. Calling ``op.dispatch(args, attrs)`` runs it."""

    __slots__ = (
        "name", "nin", "nout", "vjp", "node_cls", "saves", "save_all", "save_output",
        "differentiable_outputs", "samples", "owner", "doc", "_cache", "supports_gradgrad",
        "reference", "is_view", "dtypes", "_want", "__weakref__",
    )

    def __init__(
        self,
        name: str,
        nin: int,
        vjp: VJP | None,
        node: str | None = None,
        saves: Sequence[Sequence[int]] | None = None,
        save_output: bool = False,
        nout: int = 1,
        differentiable_outputs: Sequence[bool] | None = None,
        samples: Callable[..., Iterable[Any]] | None = None,
        reference: Callable[..., Any] | None = None,
        supports_gradgrad: bool = True,
        owner: str = "plugrad",
        doc: str = "",
    ) -> None:
        self.name = name
        self.nin = nin  # -1: a variable number of tensor inputs (cat, stack)
        self.nout = nout
        self.vjp = vjp
        node_name = node or (_camel(name) + "Backward0")
        self.node_cls = make_node_class(node_name)
        # saves[i]: which inputs (by index; -1 the output) the rule needs to give input i its grad.
        if saves is None:
            self.saves = None
            self.save_all = frozenset(range(nin)) if nin >= 0 else frozenset()
        else:
            self.saves = tuple(frozenset(s) for s in saves)
            self.save_all = frozenset().union(*self.saves) if self.saves else frozenset()
        self.save_output = save_output or -1 in self.save_all
        # nout -1: a variable number of outputs (split, unbind), all differentiable; the kernel returns a sequence.
        self.differentiable_outputs = tuple(differentiable_outputs or (True,) * max(nout, 0))
        self.samples = samples
        self.reference = reference
        self.supports_gradgrad = supports_gradgrad
        self.owner = owner
        self.doc = doc
        self._cache: dict[Any, Callable[..., Any]] = {}
        self._want: dict[tuple, tuple] = {}
        self.is_view = False  # set by mark_views: outputs share memory and version counter with input 0

    def __repr__(self) -> str:
        return f"<plugrad op {self.name!r} from {self.owner}>"

    def kernel(self, backend: Any) -> Callable[..., Any]:
        """The kernel that runs this op on ``backend`` (cached)."""
        k = self._cache.get(backend)
        if k is None:
            k = self._cache[backend] = kernel_for(self.name, backend)
        return k

    # The hot path. args: Tensors or Python scalars; attrs: non-tensor arguments passed on to the kernel.
    # Note: one and two arguments (nearly every call) take straight-line code; the loop handles the rest.
    def dispatch(self, args: tuple, attrs: tuple = ()) -> Any:
        n = len(args)
        a = args[0] if n else None
        if n == 2 and isinstance(a, Tensor):
            b = args[1]
            backend = a._backend
            if isinstance(b, Tensor):
                bb = b._backend
                if bb is not backend and bb.device_type != backend.device_type:
                    _device_mismatch(self, backend, bb)
                requires = a._requires_grad or b._requires_grad
                k = self._cache.get(backend) or self.kernel(backend)
                out = k(a._data, b._data, *attrs) if attrs else k(a._data, b._data)
            else:
                requires = a._requires_grad
                k = self._cache.get(backend) or self.kernel(backend)
                out = k(a._data, b, *attrs) if attrs else k(a._data, b)
        elif n == 1 and isinstance(a, Tensor):
            backend = a._backend
            requires = a._requires_grad
            k = self._cache.get(backend) or self.kernel(backend)
            out = k(a._data, *attrs) if attrs else k(a._data)
        else:
            backend = None
            datas = []
            requires = False
            for x in args:
                if isinstance(x, Tensor):
                    xb = x._backend
                    if backend is None:
                        backend = xb
                    elif xb is not backend and xb.device_type != backend.device_type:
                        _device_mismatch(self, backend, xb)
                    datas.append(x._data)
                    if x._requires_grad:
                        requires = True
                else:
                    datas.append(x)
            k = self._cache.get(backend) or self.kernel(backend)
            out = k(*datas, *attrs) if attrs else k(*datas)
        if requires:
            if _grad_state.enabled:
                res = self._record(args, attrs, out, backend)
            else:
                res = _no_history(self, out, backend)
        elif self.nout == 1:
            res = _new(Tensor)
            res._data = out
            res._backend = backend
            res._requires_grad = False
            res._grad_fn = None
            res._vc = None
            res._output_nr = 0
            res._view_of = None
        else:
            res = tuple(_wrap(o, backend) for o in out)
        if self.is_view:
            _link_view(self, args[0], attrs, res)
        if _inference_seen:
            _gm.mark_inference(self.is_view, args, res)
        return res

    def dispatch_nograd(self, args: tuple, attrs: tuple = ()) -> Any:
        """Run the op without recording (comparisons, argmax: outputs that never require grad)."""
        state = _grad_state
        prev = state.enabled
        state.enabled = False
        try:
            return self.dispatch(args, attrs)
        finally:
            state.enabled = prev

    def _record(self, args: tuple, attrs: tuple, out: Any, backend: Any) -> Any:
        node: Node = _new(self.node_cls)
        node._op = self
        node.attrs = attrs
        node._seq = next(_seq)
        node._backend = backend
        if _anomaly.enabled:
            node._trace = _record_trace()
        n = len(args)
        a = args[0]
        # Edges, which inputs need a gradient, and the inputs' shapes and dtypes (to reduce gradients to them).
        if n == 2 and isinstance(a, Tensor):
            b = args[1]
            da = a._data
            if a._requires_grad:
                fa = a._grad_fn
                ea = (fa if fa is not None else (a._acc or a._accumulator()), a._output_nr)
                na = True
            else:
                ea = _NO_EDGE
                na = False
            if isinstance(b, Tensor):
                db = b._data
                if b._requires_grad:
                    fb = b._grad_fn
                    node.next_functions = (ea, (fb if fb is not None else (b._acc or b._accumulator()), b._output_nr))
                    need_t = _NEEDS_T if na else _NEEDS_FT
                else:
                    node.next_functions = (ea, _NO_EDGE)
                    need_t = _NEEDS_TF
                node._input_shapes = (da.shape, db.shape)
                node._input_dtypes = (da.dtype, db.dtype)
            else:
                node.next_functions = (ea, _NO_EDGE)
                need_t = _NEEDS_TF
                node._input_shapes = (da.shape, None)
                node._input_dtypes = (da.dtype, None)
        elif n == 1 and isinstance(a, Tensor):
            da = a._data
            fa = a._grad_fn
            node.next_functions = ((fa if fa is not None else (a._acc or a._accumulator()), a._output_nr),)
            need_t = _NEEDS_1
            node._input_shapes = (da.shape,)
            node._input_dtypes = (da.dtype,)
        else:
            next_functions: list[tuple[Any, int]] = []
            needs: list[bool] = []
            shapes: list[Any] = []
            dtypes: list[Any] = []
            for x in args:
                if isinstance(x, Tensor):
                    data = x._data
                    shapes.append(data.shape)
                    dtypes.append(data.dtype)
                    if x._requires_grad:
                        fn = x._grad_fn
                        if fn is None:
                            fn = x._acc or x._accumulator()
                        next_functions.append((fn, x._output_nr))
                        needs.append(True)
                        continue
                else:
                    shapes.append(None)
                    dtypes.append(None)
                next_functions.append(_NO_EDGE)
                needs.append(False)
            node.next_functions = tuple(next_functions)
            need_t = tuple(needs)
            node._input_shapes = tuple(shapes)
            node._input_dtypes = tuple(dtypes)
        node.needs_input_grad = need_t
        # Save only what the rule needs for the inputs that require grad (cached per pattern of needs).
        want = self._want.get(need_t)
        if want is None:
            want = self._want_for(need_t)
        if want:
            saved: list[Any] = [None] * n
            versions: list[Any] | None = None
            for i in want:
                if i < n:
                    x = args[i]
                    saved[i] = x
                    if isinstance(x, Tensor):
                        vc = x._vc
                        if vc is None:
                            vc = x._vc = [0]
                        if versions is None:
                            versions = [None] * n
                        versions[i] = (vc, vc[0])
            node._saved = tuple(saved)
            node._saved_versions = versions
        else:
            node._saved = None
            node._saved_versions = None
        if self.nout == 1:
            t = _new(Tensor)
            t._data = out
            t._backend = backend
            t._requires_grad = True
            t._grad_fn = node
            t._output_nr = 0
            t._view_of = None
            node._out_shapes = node._out_dtypes = _ONE_OUTPUT
            if self.save_output:
                t._vc = vc = [0]
                node._out = (out, vc, 0)
            else:
                t._vc = None
                node._out = None
            if _special_saving:
                special_save(node, (t,))
            return t
        outs = []
        for i, (o, diff) in enumerate(zip(out, self.differentiable_outputs or itertools.repeat(True))):
            t = _wrap(o, backend)
            if diff:
                t._requires_grad = True
                t._grad_fn = node
                t._output_nr = i
            outs.append(t)
        node._out_shapes = tuple(o.shape for o in out)
        node._out_dtypes = tuple(o.dtype for o in out)
        node._out = tuple((o, None, 0) for o in out) if self.save_output else None
        if _special_saving:
            special_save(node, outs)
        return tuple(outs)

    def _want_for(self, needs: tuple) -> tuple:
        """The inputs to save (ascending indices) when ``needs`` says which inputs require grad."""
        saves = self.saves
        if saves is None:
            want = self.save_all
        else:
            want = frozenset().union(*(s for s, n in zip(saves, needs) if n))
        plan = tuple(sorted(i for i in want if i >= 0))
        self._want[needs] = plan
        return plan


_NO_EDGE = (None, 0)
_ONE_OUTPUT = (None,)  # _out_shapes/_out_dtypes of a single-output node: only their length is read
_NEEDS_1: tuple[bool, ...] = (True,)
_NEEDS_T: tuple[bool, ...] = (True, True)
_NEEDS_TF: tuple[bool, ...] = (True, False)
_NEEDS_FT: tuple[bool, ...] = (False, True)


def mark_views(*names: str) -> None:
    """Declare ops whose outputs are views of their first input (they share its memory when the backend can).

    A view remembers its root tensor and the chain of view ops that leads to it, shares the root's version
    counter, and an in-place op on it rewrites the root's history (see ``Tensor._inplace_on_view``).
    """
    for name in names:
        OPS[name].is_view = True


def _link_view(op: Op, base: Any, attrs: tuple, res: Any) -> None:
    outs = res if isinstance(res, tuple) else (res,)
    # Only where the backend really returned a view of the input's memory (NumPy and CuPy expose .base).
    if not outs or getattr(outs[0]._data, "base", None) is None:  # (unbind along an empty dim: no outputs)
        return
    link = base._view_of
    root, chain = (base, ()) if link is None else link
    vc = root._vc
    if vc is None:
        vc = root._vc = [0]
    for i, t in enumerate(outs):
        t._view_of = (root, (*chain, (op, attrs, i)))
        t._vc = vc


def replay_view(root: Any, chain: tuple) -> Any:
    """Apply a chain of view ops (as recorded in ``Tensor._view_of``) to ``root``."""
    t = root
    for op, attrs, i in chain:
        t = op.dispatch((t,), attrs)
        if isinstance(t, tuple):
            t = t[i]
    return t


def _no_history(op: Op, out: Any, backend: Any) -> Any:
    """Results of ops on tensors requiring grad under no_grad: remember why they have no history."""
    if op.nout == 1:
        t = _wrap(out, backend)
        t._origin = "no_grad"
        return t
    outs = tuple(_wrap(o, backend) for o in out)
    for t in outs:
        t._origin = "no_grad"
    return outs


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def _device_mismatch(op: Op, a: Any, b: Any) -> None:
    da, db = a.device_name(), b.device_name()
    raise RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {da} and {db}! "
        f"(op {op.name!r}, backends {a.name!r} and {b.name!r}). Move them with .to({da!r}) or .to({db!r}) first."
    )


# --- the tables ----------------------------------------------------------------------

OPS: dict[str, Op] = {}
NATIVE_KERNELS: dict[tuple[str, str], tuple[Callable[..., Any], str]] = {}
GENERIC_KERNELS: dict[str, tuple[Callable[[Any], Callable[..., Any]], str]] = {}
SAMPLES: dict[str, list[Callable[[], Iterable[Any]]]] = {}  # samples added by plugins for existing or new ops


def register_op(op: Op, *, override: bool = False) -> Op:
    """Add ``op`` to the registry; a second op of the same name raises unless ``override``."""
    prev = OPS.get(op.name)
    if prev is not None and not override:
        raise RegistrationError(
            f"op {op.name!r} is registered twice: by {prev.owner!r} and by {op.owner!r}; "
            f"pass override=True to replace it on purpose"
        )
    OPS[op.name] = op
    _invalidate(op.name)
    return op


def defop(name: str, nin: int = 1, **kwargs: Any) -> Op:
    """Declare a built-in op; see :class:`Op` for the arguments."""
    return register_op(Op(name, nin, kwargs.pop("vjp", None), **kwargs))


def get_op(name: str) -> Op:
    op = OPS.get(name)
    if op is None:
        from .. import plugins

        plugins.ensure_loaded()
        op = OPS.get(name)
    if op is None:
        raise KeyError(f"no op named {name!r} is registered; see `plugrad info` for the installed op plugins")
    return op


def register_kernel(op_name: str, backend_name: str, fn: Callable[..., Any], *, owner: str = "plugrad", override: bool = False) -> None:
    """A backend's own kernel for one op: takes and returns that backend's arrays."""
    key = (op_name, backend_name)
    prev = NATIVE_KERNELS.get(key)
    if prev is not None and not override:
        raise RegistrationError(
            f"kernel for op {op_name!r} on backend {backend_name!r} is registered twice: by {prev[1]!r} and by "
            f"{owner!r}; pass override=True to replace it on purpose"
        )
    NATIVE_KERNELS[key] = (fn, owner)
    _invalidate(op_name)


def register_generic_kernel(
    op_name: str, factory: Callable[[Any], Callable[..., Any]], *, owner: str = "plugrad", override: bool = False
) -> None:
    """A kernel written once against an array-API namespace: ``factory(xp)`` returns the kernel."""
    prev = GENERIC_KERNELS.get(op_name)
    if prev is not None and not override:
        raise RegistrationError(
            f"generic kernel for op {op_name!r} is registered twice: by {prev[1]!r} and by {owner!r}; "
            f"pass override=True to replace it on purpose"
        )
    GENERIC_KERNELS[op_name] = (factory, owner)
    _invalidate(op_name)


def _invalidate(op_name: str) -> None:
    op = OPS.get(op_name)
    if op is not None:
        op._cache.clear()


def kernel_source(op_name: str, backend: Any) -> str:
    """'native', 'generic' or 'none': where the kernel of ``op_name`` on ``backend`` comes from."""
    if (op_name, backend.name) in NATIVE_KERNELS:
        return "native"
    if op_name in GENERIC_KERNELS:
        return "generic"
    return "none"


def kernel_for(op_name: str, backend: Any, *, generic: bool = False) -> Callable[..., Any]:
    """Resolve a kernel: the backend's own (unless ``generic``), else the array-API one over its namespace."""
    if not generic:
        native = NATIVE_KERNELS.get((op_name, backend.name))
        if native is not None:
            return native[0]
    factory = GENERIC_KERNELS.get(op_name)
    if factory is not None:
        return factory[0](backend.namespace())
    from .. import plugins

    have = sorted(n for (o, n) in NATIVE_KERNELS if o == op_name)
    raise RuntimeError(
        f"op {op_name!r} has no kernel for backend {backend.name!r}: it has native kernels on "
        f"{have or 'no backend'} and no generic array-API kernel. Installed plugins: {plugins.summary()}"
    )


# Filled in by plugrad.tensor to avoid an import cycle; the hot path reads module globals.
Tensor: Any = None
_wrap: Callable[[Any, Any], Any] = None  # type: ignore[assignment]


def _bind_tensor(cls: Any, wrap: Callable[[Any, Any], Any]) -> None:
    global Tensor, _wrap
    Tensor = cls
    _wrap = wrap


__all__ = [
    "AccumulateGrad", "Node", "Op", "OPS", "RegistrationError", "defop", "get_op", "kernel_for",
    "kernel_source", "register_generic_kernel", "register_kernel", "register_op",
]
