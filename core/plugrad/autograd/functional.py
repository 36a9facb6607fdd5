"""Higher-order functional API, as ``torch.autograd.functional``: vjp, jvp, jacobian, hessian, hvp, vhp.

Forward-mode products (``jvp``, ``hvp``) use the double-VJP trick: the VJP
``u -> J^T u`` is linear in ``u``, so differentiating ``<J^T u, v>``-style
expressions with respect to ``u`` gives ``J v`` with reverse mode only. Every
op in plugrad's registry supports it because VJP rules are written in plugrad
ops. ``vectorize=True`` (and ``strategy="forward-mode"``, which PyTorch allows
only with it) is accepted and computes the same result row by row.

The argument checks, the ``strict`` checks and their messages follow PyTorch's,
so that code written against ``torch.autograd.functional`` fails the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import grad as _grad
from .forward_ad import jvp_by_double_vjp
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_tuple, tuple_of_tensors)``; only a Tensor or a tuple of Tensors is accepted."""
    T = _tensor_cls()
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, T):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                f"{where} has type {type(el)}."
            )
    return is_tuple, items


def _unpack(res: Any, was_tuple: bool) -> Any:
    return res if was_tuple else res[0]


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """New tensor objects for ``inputs``: still attached to their graph with ``create_graph``, else fresh leaves.

    A new object is made even for a leaf, so that tensors the function captures from the caller's scope are
    told apart from the inputs given to it.
    """
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(need_graph))
    return tuple(out)


def _grad_postprocess(values: tuple, create_graph: bool) -> tuple:
    """Detach the results unless the caller asked for a graph (``create_graph=True``); nested tuples too."""
    if isinstance(values[0], _tensor_cls()):
        return values if create_graph else tuple(v.detach() for v in values)
    return tuple(_grad_postprocess(v, create_graph) for v in values)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


def _check_requires_grad(values: tuple, kind: str, strict: bool) -> None:
    """In strict mode, refuse results that cannot depend on the inputs (``kind`` names what they are)."""
    if not strict:
        return
    for i, t in enumerate(values):
        if t is None:  # only gradients can be None
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode."
            )
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is independent of the input. "
                "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
                "and that the hessian depends on the inputs."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                f"input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
                "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the user-provided "
                "function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs must be computed in "
            "a differentiable manner from the input when running in strict mode."
        )


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None, create_graph: bool = False,
                   retain_graph: bool | None = None) -> tuple:
    """``autograd.grad`` that skips outputs which do not require grad (None for every input when none does)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not live:
        return (None,) * len(inputs)
    return _grad([o for o, _ in live], inputs, [g for _, g in live], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
                  "the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                         "This is not allowed in strict mode as it prevents from using the double backward trick to "
                         "replace forward mode AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros (shaped like ``refs``) where a gradient is None; in strict mode an error naming ``stage`` instead."""
    from .. import ops

    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            g = ops.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outs, "outputs", strict)
        vs = None
        if v is not None:
            _, vs = _as_tuple(v, "v", "vjp")
            vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
            _validate_v(vs, outs, is_outputs_tuple)
        elif len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with a single "
                "element."
            )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(outs, ins, vs, create_graph=create_graph)
        res = _fill_in_zeros(grads, ins, strict, create_graph, "back")
    return (_unpack(_grad_postprocess(outs, create_graph), is_outputs_tuple),
            _unpack(_grad_postprocess(res, create_graph), is_inputs_tuple))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-VJP trick (forward AD's generic rule)."""
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        vs = _v_like_inputs(v, ins, is_inputs_tuple, create_graph, "jvp")
        is_outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outs, "outputs", strict)
        grads = jvp_by_double_vjp(outs, ins, vs, create_graph,
                                  lambda vjps: _check_requires_grad(vjps, "grad_inputs", strict))
    res = _fill_in_zeros(grads, outs, strict, create_graph, "back_trick")
    return (_unpack(_grad_postprocess(outs, create_graph), is_outputs_tuple),
            _unpack(_grad_postprocess(res, create_graph), is_outputs_tuple))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` per (output, input) pair.

    A Tensor for one input and one output; a tuple over inputs, over outputs, or a tuple (outputs) of tuples
    (inputs) when ``inputs`` and the result of ``func`` are tuples.
    """
    from .. import ops
    from ..factories import zeros

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                'supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for "
                "`vectorize=True`."
            )
    with enable_grad():
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        blocks = []
        for i, out in enumerate(outs):
            flat = out.reshape(-1)
            rows: list[list[Any]] = [[] for _ in ins]
            for k in range(out.numel()):
                vj = _autograd_grad((flat[k],), ins, retain_graph=True, create_graph=create_graph)
                for j, (g, x) in enumerate(zip(vj, ins)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of input {j}. This is not "
                                "allowed in strict mode."
                            )
                        g = ops.zeros_like(x)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of input {i}. This is not "
                            "allowed in strict mode when create_graph=True."
                        )
                    rows[j].append(g)
            blocks.append(tuple(
                ops.stack(rows[j]).view(out.shape + x.shape) if rows[j]
                else zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype, device=x._backend)
                for j, x in enumerate(ins)
            ))
        res = _grad_postprocess(tuple(blocks), create_graph)
    if not is_inputs_tuple:
        res = tuple(b[0] for b in res)
    return _unpack(res, is_outputs_tuple)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: shape ``input_i.shape + input_j.shape`` per pair."""
    is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*xs: Any) -> Any:
        out = func(*xs)
        is_out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if is_out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*xs: Any) -> Any:
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) for x in xs)
        jac = jacobian(single_output, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    # jac_func returns a tuple (one gradient per input), so the result is a tuple (rows) of tuples.
    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return res if is_inputs_tuple else res[0][0]


def _scalar_output(func: Callable[..., Any], ins: tuple, strict: bool, fn_name: str) -> tuple:
    is_outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outs, "outputs", strict)
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outs


def _v_like_inputs(v: Any, ins: tuple, is_inputs_tuple: bool, create_graph: bool, fn_name: str) -> tuple | None:
    """``v`` of jvp, vhp and hvp, checked against the inputs; None (implicit ones) only for one one-element input."""
    if v is not None:
        _, vs = _as_tuple(v, "v", fn_name)
        vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
        _validate_v(vs, ins, is_inputs_tuple)
        return vs
    if len(ins) != 1 or ins[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
            "single element."
        )
    return None


def _gradient_of_scalar(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool,
                        fn_name: str) -> tuple:
    """What vhp and hvp share, under grad mode: the inputs, ``v``, ``func``'s one-element output and its
    gradient with respect to the inputs (the Jacobian whose own Jacobian is the Hessian)."""
    is_inputs_tuple, ins = _as_tuple(inputs, "inputs", fn_name)
    ins = _grad_preprocess(ins, create_graph=create_graph, need_graph=True)
    vs = _v_like_inputs(v, ins, is_inputs_tuple, create_graph, fn_name)
    outs = _scalar_output(func, ins, strict, fn_name)
    jac = _autograd_grad(outs, ins, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, ins, vs, outs, jac


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T H)`` for a scalar ``func``."""
    with enable_grad():
        is_inputs_tuple, ins, vs, outs, jac = _gradient_of_scalar(func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(jac, ins, vs, create_graph=create_graph)
        res = _fill_in_zeros(grads, ins, strict, create_graph, "double_back")
    return (_grad_postprocess(outs, create_graph)[0],
            _unpack(_grad_postprocess(res, create_graph), is_inputs_tuple))


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), H v)`` for a scalar ``func``, by the double-VJP trick."""
    with enable_grad():
        is_inputs_tuple, ins, vs, outs, jac = _gradient_of_scalar(func, inputs, v, create_graph, strict, "hvp")
        _check_requires_grad(jac, "hessian", strict)
        grads = jvp_by_double_vjp(jac, ins, vs, create_graph)  # H v: the JVP of the gradient
    res = _fill_in_zeros(grads, ins, strict, create_graph, "double_back_trick")
    return (_grad_postprocess(outs, create_graph)[0],
            _unpack(_grad_postprocess(res, create_graph), is_inputs_tuple))


__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]
