"""Forward-mode automatic differentiation, as ``torch.autograd.forward_ad``.

A dual tensor carries a tangent per *level* (``Tensor._fw``: level -> tangent). While a level is active,
:class:`~plugrad.ops.registry.Op` dispatch is swapped for :func:`_dispatch_dual`, which runs the op and then
gives each output its tangent at every level an input has one; with no level active the class holds its own
dispatch again, so forward AD costs the per-op path nothing when unused.

No op needs a JVP rule of its own. The tangent of an op's output is obtained from its VJP rule by the
double-VJP trick: ``u -> J^T u`` is linear in ``u``, so the gradient of ``<J^T u, t>`` with respect to ``u``
is ``J t``. It is computed in a private graph (:func:`jvp_by_double_vjp`, also the code path of
``autograd.functional.jvp``) with the level itself hidden, so the computation propagates the tangents of the
*other* levels: nested levels (``func.jvp`` of ``func.jvp``, ``jacfwd`` of ``jacfwd``) give exact higher
derivatives. A few hot ops have explicit rules in :data:`JVP_RULES` (tested against the generic path).

Forward AD is independent of grad mode: under ``no_grad`` tangents still propagate (and the results do not
require grad).
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import grad_mode as _gm

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]


class UnpackedDualTensor(namedtuple("UnpackedDualTensor", ["primal", "tangent"])):
    r"""Namedtuple returned by :func:`unpack_dual` containing the primal and tangent components of the dual tensor."""


# --- levels --------------------------------------------------------------------------------------------------
# The public API has at most one level (PyTorch's rule); the function transforms open private ones above it.
_PUBLIC_LEVEL = 0
_active: list[int] = []  # levels in the order they were entered
_public_active = False
_hidden: frozenset[int] = frozenset()  # levels whose own tangent is being computed (they see no tangent)
_members: dict[int, list[weakref.ref]] = {}  # level -> the tensors holding a tangent at it (cleared on exit)
_saved_methods: dict[str, Any] = {}


def _enter(level: int) -> int:
    if not _active:
        _install()
    _active.append(level)
    _members[level] = []
    return level


def _exit(level: int) -> None:
    _active.remove(level)
    for ref in _members.pop(level, ()):
        t = ref()
        if t is not None and t._fw is not None:
            t._fw.pop(level, None)
            if not t._fw:
                t._fw = None
    if not _active:
        _uninstall()


def enter_dual_level() -> int:
    """Enter a new forward grad level; tensors made dual with :func:`make_dual` use it. Returns the level."""
    global _public_active
    if _public_active:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _public_active = True
    return _enter(_PUBLIC_LEVEL)


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the forward grad level: every tangent at that level is dropped."""
    global _public_active
    if level is None:
        level = _PUBLIC_LEVEL if _public_active else -1
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if not _public_active or level != _PUBLIC_LEVEL:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    _public_active = False
    _exit(level)


class dual_level:
    """Context manager for forward AD, inside which all forward AD computation must occur.

    ``with dual_level():`` enters a level, makes it the default of :func:`make_dual` and :func:`unpack_dual`,
    and on exit drops every tangent made at it.
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


def new_level() -> int:
    """Enter a private level (for the function transforms); leave it with :func:`exit_level`."""
    level = max(_active, default=_PUBLIC_LEVEL) + 1
    return _enter(level)


def exit_level(level: int) -> None:
    _exit(level)


def _current_public(fn_name: str, level: int | None, none_message: str) -> int:
    if level is None:
        if not _public_active:
            raise RuntimeError(none_message)
        return _PUBLIC_LEVEL
    if level not in _active:
        raise RuntimeError(f"Invalid level given to {fn_name}")
    return level


# --- dual tensors --------------------------------------------------------------------------------------------


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def set_tangent(t: Any, level: int, tangent: Any) -> None:
    """Give ``t`` the tangent ``tangent`` at ``level`` (remembered, so that exiting the level drops it)."""
    fw = t._fw
    if fw is None:
        fw = t._fw = {}
    if level not in fw:
        _members[level].append(weakref.ref(t))
    fw[level] = tangent


def get_tangent(t: Any, level: int) -> Any:
    fw = t._fw
    return None if fw is None else fw.get(level)


def _is_differentiable_dtype(t: Any) -> bool:
    return t.dtype.is_floating_point or t.dtype.is_complex


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient at ``level`` (the current one)."""
    T = _tensor_cls()
    level = _current_public(
        "_make_dual", level,
        "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.",
    )
    if not isinstance(tensor, T) or not isinstance(tangent, T):
        raise TypeError(
            f"make_dual(): argument 'tensor' and 'tangent' must be Tensors, not {type(tensor).__name__} and "
            f"{type(tangent).__name__}"
        )
    if not _is_differentiable_dtype(tensor):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not _is_differentiable_dtype(tangent):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if tangent._backend.device_type != tensor._backend.device_type:
        raise RuntimeError(
            f"Expected tangent to be on the same device as the primal: the primal is on "
            f"{tensor._backend.device_name()} and the tangent on {tangent._backend.device_name()}; move it with "
            f".to({tensor._backend.device_name()!r})"
        )
    if get_tangent(tensor, level) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the same level "
            f"{level} is not supported."
        )
    from ..ops.shape import ALIAS

    dual = ALIAS.dispatch((tensor,))  # a view: keeps the graph and the tangents of the other levels
    set_tangent(dual, level, tangent)
    return dual


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor at ``level``: the primal is a view without that tangent; the
    tangent is None where there is none (and for anything that is not a Tensor)."""
    T = _tensor_cls()
    if level is None:
        if not _public_active:
            return UnpackedDualTensor(tensor, None)
        level = _PUBLIC_LEVEL
    elif level not in _active:
        raise RuntimeError("Invalid level given to _fw_primal")
    if not isinstance(tensor, T):
        return UnpackedDualTensor(tensor, None)
    tangent = get_tangent(tensor, level)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    from ..ops.shape import ALIAS

    with _hiding(level):
        primal = ALIAS.dispatch((tensor,))
    return UnpackedDualTensor(primal, tangent)


class _hiding:
    """While computing tangents at ``level``, that level's tangents are invisible (the others propagate)."""

    __slots__ = ("level", "prev")

    def __init__(self, level: int) -> None:
        self.level = level

    def __enter__(self) -> None:
        global _hidden
        self.prev = _hidden
        _hidden = _hidden | {self.level}

    def __exit__(self, *exc: Any) -> None:
        global _hidden
        _hidden = self.prev


# --- propagation ---------------------------------------------------------------------------------------------


def jvp_by_double_vjp(outputs: Sequence[Any], inputs: Sequence[Any], tangents: Sequence[Any] | None,
                      create_graph: bool, check_vjps: Callable[[tuple], None] | None = None) -> tuple:
    """``J t`` for ``outputs`` computed (with a graph) from ``inputs``, by the double-VJP trick.

    ``tangents[i]`` goes with ``inputs[i]``. The gradient of ``<J^T u, t>`` with respect to ``u`` is ``J t``;
    ``u`` (zeros) never shows in the result since the VJP is linear in it. One entry per output, None where
    the output does not depend on the inputs. ``tangents`` None: implicit ones (one one-element input);
    ``check_vjps`` sees the VJPs ``J^T u`` first (``autograd.functional``'s strict checks).
    """
    from .. import ops
    from .engine import grad as _grad

    live = [i for i, o in enumerate(outputs) if o is not None and o.requires_grad]
    if not live:
        return (None,) * len(outputs)
    with _gm.enable_grad():
        us = [ops.zeros_like(outputs[i]).requires_grad_(True) for i in live]
        vjps = _grad([outputs[i] for i in live], list(inputs), us, create_graph=True, allow_unused=True)
    if check_vjps is not None:
        check_vjps(vjps)
    if tangents is None:
        tangents = (None,) * len(vjps)
    pairs = [(g, t) for g, t in zip(vjps, tangents) if g is not None and g.requires_grad]
    if not pairs:
        return (None,) * len(outputs)
    with _gm.set_grad_enabled(create_graph):
        jts = _grad([g for g, _ in pairs], us, [t for _, t in pairs], create_graph=create_graph,
                    allow_unused=True)
    res: list[Any] = [None] * len(outputs)
    for i, jt in zip(live, jts):
        res[i] = jt
    return tuple(res)


def _private_input(x: Any, stand_in: bool = True) -> Any:
    """``x`` as an input of a private graph: a view when it is already in the caller's graph (so the result
    stays differentiable through it), else a fresh leaf; either way with the tangents of the visible levels."""
    from ..ops.shape import ALIAS

    if x._requires_grad and _gm.state.enabled:
        return ALIAS.dispatch((x,))
    q = x.detach().requires_grad_(True)
    if stand_in:
        q._fw_private = True  # stands in for a tensor outside any graph: nothing outside asks for its gradient
    if x._fw is not None:
        for level, tan in x._fw.items():
            if level not in _hidden:
                set_tangent(q, level, tan)
    return q


def _generic_jvp(op: Any, args: tuple, attrs: tuple, level: int, tangents: list, outs: tuple) -> tuple:
    # The tangent joins the caller's graph only where something it depends on is in that graph.
    T = _tensor_cls()
    outer_grad = _gm.state.enabled and any(
        isinstance(a, T) and (a._requires_grad or (a._fw is not None and any(
            t._requires_grad for t in a._fw.values())))
        for a in args
    )
    with _hiding(level):
        with _gm.enable_grad():
            qs = list(args)
            ins, tans = [], []
            for i, t in enumerate(tangents):
                if t is not None:
                    qs[i] = _private_input(args[i])
                    ins.append(qs[i])
                    tans.append(t)
            res = op.dispatch(tuple(qs), attrs)
        res_t = res if isinstance(res, tuple) else (res,)
        return jvp_by_double_vjp(res_t, ins, tans, outer_grad)


JvpRule = Callable[[tuple, tuple, list], Any]
JVP_RULES: dict[str, JvpRule] = {}


def _rule(name: str) -> Callable[[JvpRule], JvpRule]:
    def register(fn: JvpRule) -> JvpRule:
        JVP_RULES[name] = fn
        return fn

    return register


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


@_rule("add")
def _add_jvp(args: tuple, attrs: tuple, tangents: list) -> Any:
    return _plus(tangents[0], tangents[1] if len(tangents) > 1 else None)


@_rule("sub")
def _sub_jvp(args: tuple, attrs: tuple, tangents: list) -> Any:
    ta, tb = tangents
    return ta if tb is None else (-tb if ta is None else ta - tb)


@_rule("neg")
def _neg_jvp(args: tuple, attrs: tuple, tangents: list) -> Any:
    return -tangents[0]


@_rule("mul")
def _mul_jvp(args: tuple, attrs: tuple, tangents: list) -> Any:
    a, b = args
    ta, tb = tangents
    return _plus(None if ta is None else ta * b, None if tb is None else a * tb)


def _bilinear(name: str) -> None:
    """mm and bmm: the tangent of ``a @ b`` is ``ta @ b + a @ tb`` (the op itself, on the tangents)."""

    def rule(args: tuple, attrs: tuple, tangents: list) -> Any:
        from ..ops.registry import OPS

        op = OPS[name]
        a, b = args
        ta, tb = tangents
        return _plus(None if ta is None else op.dispatch((ta, b), attrs),
                     None if tb is None else op.dispatch((a, tb), attrs))

    JVP_RULES[name] = rule


_bilinear("mm")
_bilinear("bmm")


def _dispatch_dual(op: Any, args: tuple, attrs: tuple = ()) -> Any:
    """Op dispatch while a level is active: the op, then its outputs' tangents at each level in use."""
    out = _plain_dispatch(op, args, attrs)
    T = _tensor_cls()
    levels: set[int] | None = None
    for a in args:
        if isinstance(a, T) and a._fw is not None:
            for level in a._fw:
                if level not in _hidden:
                    if levels is None:
                        levels = set()
                    levels.add(level)
    if levels is None:
        return out
    outs = out if isinstance(out, tuple) else (out,)
    diff = [isinstance(o, T) and _is_differentiable_dtype(o) and (op.nout == -1 or op.differentiable_outputs[k])
            for k, o in enumerate(outs)]
    if not any(diff):
        return out
    if op.vjp is None:
        raise RuntimeError(
            f"Trying to use forward AD with {op.name} that does not support it because it has not been "
            "implemented yet."
        )
    rule = JVP_RULES.get(op.name) if op.nout == 1 else None
    for level in sorted(levels):
        tangents = [get_tangent(a, level) if isinstance(a, T) else None for a in args]
        if rule is not None:
            with _hiding(level):
                jts: tuple = (rule(args, attrs, tangents),)
        else:
            jts = _generic_jvp(op, args, attrs, level, tangents, outs)
        for o, jt, d in zip(outs, jts, diff):
            if d:
                set_tangent(o, level, _fit_tangent(jt, o))
    if op.save_output:
        node = getattr(outs[0], "_grad_fn", None)
        if node is not None:
            # The rule reads its output back from saved data: it must come back with its tangents.
            node._fw_out = tuple(getattr(o, "_fw", None) for o in outs)
    return out


def _with_saved_tangents(node: Any, outs: tuple) -> None:
    fws = node.__dict__.get("_fw_out")
    if fws is None:
        return
    for o, fw in zip(outs, fws):
        if fw and o._fw is None:
            for level, tan in fw.items():
                set_tangent(o, level, tan)


def _node_output(node: Any) -> Any:
    out = _plain_output.fget(node)
    _with_saved_tangents(node, (out,))
    return out


def _node_outputs(node: Any) -> Any:
    outs = _plain_outputs.fget(node)
    _with_saved_tangents(node, outs)
    return outs


def _fit_tangent(jt: Any, out: Any) -> Any:
    """The tangent in the output's shape and dtype (zeros when the output does not depend on the input)."""
    from .. import ops

    if jt is None:
        return ops.zeros_like(out)
    if jt.shape != out.shape:
        jt = jt.expand(out.shape)
    if jt.dtype != out.dtype:
        jt = jt.to(out.dtype)
    return jt


def _dispatch_nograd_plain(op: Any, args: tuple, attrs: tuple = ()) -> Any:
    """``dispatch_nograd`` runs an op that is deliberately outside differentiation: no tangent either."""
    state = _gm.state
    prev = state.enabled
    state.enabled = False
    try:
        return _plain_dispatch(op, args, attrs)
    finally:
        state.enabled = prev


def _inplace_dual(self: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """In-place ops while a level is active: the tensor takes the result's tangents along with its value."""
    captured: list[Any] = []

    def run(src: Any, *a: Any, **k: Any) -> Any:
        res = fn(src, *a, **k)
        captured.append(res)
        return res

    out = _plain_inplace(self, run, *args, **kwargs)
    res = captured[0] if captured else None
    if res is not None and res is not self and res._fw is not None:
        for level, tan in list(res._fw.items()):
            if level not in _hidden:
                set_tangent(self, level, tan.to(self.dtype) if tan.dtype != self.dtype else tan)
    return out


def _direct_operand_dual(self: Any, other: Any) -> Any:
    """In-place ops on or with a dual tensor take the general path (the one that carries tangents)."""
    from ..tensor import _NO_DIRECT

    if self._fw is not None or getattr(other, "_fw", None) is not None:
        return _NO_DIRECT
    return _plain_direct_operand(self, other)


_plain_dispatch: Any = None
_plain_inplace: Any = None
_plain_direct_operand: Any = None
_plain_output: Any = None
_plain_outputs: Any = None


def _install() -> None:
    """Swap dispatch (and in-place writes) for their tangent-propagating forms while a level is active."""
    global _plain_dispatch, _plain_inplace, _plain_direct_operand, _plain_output, _plain_outputs
    from ..ops.registry import Op
    from ..tensor import Tensor
    from .node import Node

    _saved_methods["dispatch"] = _plain_dispatch = Op.dispatch
    _saved_methods["dispatch_nograd"] = Op.dispatch_nograd
    _saved_methods["_inplace"] = _plain_inplace = Tensor._inplace
    _saved_methods["_direct_operand"] = _plain_direct_operand = Tensor._direct_operand
    Op.dispatch = _dispatch_dual  # type: ignore[method-assign,assignment]
    Op.dispatch_nograd = _dispatch_nograd_plain  # type: ignore[method-assign,assignment]
    Tensor._inplace = _inplace_dual  # type: ignore[method-assign]
    Tensor._direct_operand = _direct_operand_dual  # type: ignore[method-assign]
    _saved_methods["output"] = _plain_output = Node.__dict__["output"]
    _saved_methods["outputs"] = _plain_outputs = Node.__dict__["outputs"]
    Node.output = property(_node_output)  # type: ignore[assignment,method-assign]
    Node.outputs = property(_node_outputs)  # type: ignore[assignment,method-assign]


def _uninstall() -> None:
    from ..ops.registry import Op
    from ..tensor import Tensor
    from .node import Node

    Node.output = _saved_methods.pop("output")  # type: ignore[method-assign]
    Node.outputs = _saved_methods.pop("outputs")  # type: ignore[method-assign]

    Op.dispatch = _saved_methods.pop("dispatch")  # type: ignore[method-assign]
    Op.dispatch_nograd = _saved_methods.pop("dispatch_nograd")  # type: ignore[method-assign]
    Tensor._inplace = _saved_methods.pop("_inplace")  # type: ignore[method-assign]
    Tensor._direct_operand = _saved_methods.pop("_direct_operand")  # type: ignore[method-assign]


def active_levels() -> Iterator[int]:
    return iter(_active)
