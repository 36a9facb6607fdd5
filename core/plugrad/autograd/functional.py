"""Higher-order functional API, as ``torch.autograd.functional``: vjp, jvp, jacobian, hessian, hvp, vhp.

Forward-mode products (``jvp``, ``hvp``) use the double-VJP trick: the VJP
``u -> J^T u`` is linear in ``u``, so differentiating ``<J^T u, v>``-style
expressions with respect to ``u`` gives ``J v`` with reverse mode only. Every
op in plugrad's registry supports it because VJP rules are written in plugrad
ops. ``vectorize=True`` is accepted and computes the same result row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import grad as _grad
from .grad_mode import enable_grad


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    T = _tensor_cls()
    if isinstance(x, T):
        return False, (x,)
    if isinstance(x, (tuple, list)):
        for i, el in enumerate(x):
            if not isinstance(el, T):
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                    f"value at index {i} has type {type(el).__name__}."
                )
        return True, tuple(x)
    raise TypeError(
        f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the given "
        f"{arg_name} has type {type(x).__name__}."
    )


def _prep_inputs(inputs: tuple, create_graph: bool) -> tuple:
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x) if hasattr(x, "view_as") else x * 1)
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _post(t: Any, create_graph: bool) -> Any:
    if t is None:
        return None
    return t if create_graph else t.detach()


def _fill_none(grads: tuple, refs: tuple, strict: bool, what: str) -> tuple:
    from .. import ops

    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. This is not allowed "
                    f"in strict mode ({what})."
                )
            g = ops.zeros_like(r)
        out.append(g)
    return tuple(out)


def _check_v(v: Any, refs: tuple, fn_name: str, what: str) -> tuple:
    is_tuple, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, refs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(
                f"Entry {i} in v has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}. "
                f"v must have the shape of the {what}."
            )
    return vs


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _prep_inputs(ins, create_graph)
        outputs = func(*ins)
        is_out_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the user-provided function returns a single Tensor with a "
                    "single element."
                )
            vs: tuple | None = None
        else:
            vs = _check_v(v, outs, "vjp", "outputs")
        diff = [o for o in outs if o.requires_grad]
        if diff:
            gv = None if vs is None else [vv for o, vv in zip(outs, vs) if o.requires_grad]
            grads = _grad(diff, ins, gv, create_graph=create_graph, retain_graph=True, allow_unused=True)
        else:
            grads = (None,) * len(ins)
        grads = _fill_none(grads, ins, strict, "vjp")
    out_res = tuple(_post(o, create_graph) for o in outs)
    g_res = tuple(_post(g, create_graph) for g in grads)
    return (out_res if is_out_tuple else out_res[0]), (g_res if is_in_tuple else g_res[0])


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-VJP trick."""
    from .. import ops

    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _prep_inputs(ins, create_graph)
        if v is None:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function is a single Tensor "
                    "with a single element."
                )
            vs = (ops.ones_like(ins[0]),)
        else:
            vs = _check_v(v, ins, "jvp", "inputs")
        outputs = func(*ins)
        is_out_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        us = tuple(ops.zeros_like(o).requires_grad_(True) for o in outs)
        diff = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        if diff:
            g = _grad([o for o, _ in diff], ins, [u for _, u in diff], create_graph=True, allow_unused=True)
        else:
            g = (None,) * len(ins)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
        if pairs:
            jv = _grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
        jv = _fill_none(jv, outs, strict, "jvp")
    out_res = tuple(_post(o, create_graph) for o in outs)
    jv_res = tuple(_post(j, create_graph) for j in jv)
    return (out_res if is_out_tuple else out_res[0]), (jv_res if is_out_tuple else jv_res[0])


def _jacobian_rows(outs: tuple, ins: tuple, create_graph: bool, strict: bool) -> list[list[Any]]:
    """For each output, for each input: the Jacobian block shaped output.shape + input.shape."""
    from .. import ops

    blocks: list[list[Any]] = []
    for i, out in enumerate(outs):
        flat = out.reshape(-1)
        rows: list[list[Any]] = [[] for _ in ins]
        for k in range(flat.shape[0]):
            if out.requires_grad:
                gs = _grad(flat[k], ins, retain_graph=True, create_graph=create_graph, allow_unused=True)
            else:
                gs = (None,) * len(ins)
            for j, (g, x) in enumerate(zip(gs, ins)):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input {j}. This is not "
                            "allowed in strict mode."
                        )
                    g = ops.zeros_like(x)
                rows[j].append(g)
        row_blocks = []
        for j, x in enumerate(ins):
            if rows[j]:
                block = ops.stack(rows[j]).reshape(tuple(out.shape) + tuple(x.shape))
            else:
                from ..factories import zeros

                block = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype, device=x._backend)
            row_blocks.append(_post(block, create_graph))
        blocks.append(row_blocks)
    return blocks


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` per (output, input) pair."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise ValueError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` requires `vectorize=True`.")
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _prep_inputs(ins, create_graph)
        outputs = func(*ins)
        is_out_tuple, outs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        blocks = _jacobian_rows(outs, ins, create_graph, strict)
    if is_out_tuple:
        return tuple(tuple(b) if is_in_tuple else b[0] for b in blocks)
    return tuple(blocks[0]) if is_in_tuple else blocks[0][0]


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: shape ``input_i.shape + input_j.shape`` per pair."""
    is_in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def jac_func(*xs: Any) -> Any:
        out = func(*xs)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        grads = _grad(outs[0], xs, create_graph=True, allow_unused=True) if outs[0].requires_grad else (None,) * len(xs)
        return _fill_none(grads, xs, strict, "hessian")

    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    # jac_func returns a tuple (one gradient per input), so res is a tuple of rows.
    if is_in_tuple:
        return res
    return res[0][0]


def _scalar_output(outs: tuple, fn_name: str) -> Any:
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(
            f"The function given to {fn_name} should return a single Tensor with a single element"
        )
    return outs[0]


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T H)`` for a scalar ``func``."""
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "vhp")
        ins = _prep_inputs(ins, create_graph)
        out = _scalar_output(_as_tuple(func(*ins), "outputs of the user-provided function", "vhp")[1], "vhp")
        vs = _check_v(v, ins, "vhp", "inputs") if v is not None else _default_v(ins, "vhp")
        g = _grad(out, ins, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(ins)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
        if pairs:
            res = _grad([p[0] for p in pairs], ins, [p[1] for p in pairs], create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(ins)
        res = _fill_none(res, ins, strict, "vhp")
    r = tuple(_post(x, create_graph) for x in res)
    return _post(out, create_graph), (r if is_in_tuple else r[0])


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), H v)`` for a scalar ``func``, by the double-VJP trick."""
    from .. import ops

    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "hvp")
        ins = _prep_inputs(ins, create_graph)
        out = _scalar_output(_as_tuple(func(*ins), "outputs of the user-provided function", "hvp")[1], "hvp")
        vs = _check_v(v, ins, "hvp", "inputs") if v is not None else _default_v(ins, "hvp")
        g = _grad(out, ins, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(ins)
        us = tuple(ops.zeros_like(x).requires_grad_(True) for x in ins)
        pairs = [(gi, ui) for gi, ui in zip(g, us) if gi is not None and gi.requires_grad]
        if pairs:
            gu = _grad([p[0] for p in pairs], ins, [p[1] for p in pairs], create_graph=True, allow_unused=True)
            live = [(a, b) for a, b in zip(gu, vs) if a is not None and a.requires_grad]
            if live:
                res = _grad([a for a, _ in live], us, [b for _, b in live], create_graph=create_graph,
                            allow_unused=True)
            else:
                res = (None,) * len(ins)
        else:
            res = (None,) * len(ins)
        res = _fill_none(res, ins, strict, "hvp")
    r = tuple(_post(x, create_graph) for x in res)
    return _post(out, create_graph), (r if is_in_tuple else r[0])


def _default_v(ins: tuple, fn_name: str) -> tuple:
    from .. import ops

    if len(ins) != 1 or ins[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
            "single element."
        )
    return (ops.ones_like(ins[0]),)


__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]
