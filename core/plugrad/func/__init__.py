"""Composable function transforms, as ``torch.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap, functional_call, linearize.

Reverse-mode transforms run the function on private inputs (fresh leaves, or views of inputs that are in
the caller's graph) and differentiate with ``create_graph=True``, so they nest (``grad(grad(f))``); a result
stays in a graph only where it depends on something outside the transform (see :class:`_Unwrap`).
Forward-mode transforms open a private forward-AD level (``autograd.forward_ad``), so they nest with each
other and with the reverse ones (``jacfwd(jacrev(f))``). ``vmap`` runs the function once per batch entry
and stacks the results, which gives PyTorch's values and shapes for any function, nested or not.
Inputs and outputs are pytrees: nested tuples, lists and dicts of tensors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..autograd import forward_ad as _fw
from ..autograd import grad_mode as _gm
from ..autograd.engine import grad as _autograd_grad
from ..autograd.node import AccumulateGrad
from ..utils._pytree import TreeSpec, tree_flatten, tree_unflatten
from .functional_call import functional_call

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp",
           "vmap"]


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def _zeros_like(x: Any) -> Any:
    from ..ops import zeros_like

    return zeros_like(x)


# --- private inputs and unwrapping ---------------------------------------------------------------------------


def _private(x: Any, outer_grad: bool) -> Any:
    """``x`` as an input the transform differentiates with respect to (keeps its forward-AD tangents)."""
    if not isinstance(x, _tensor_cls()):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    with _gm.set_grad_enabled(outer_grad):
        return _fw._private_input(x, stand_in=False)


class _Unwrap:
    """Detach results that depend on nothing but the transform's own inputs (tangents included).

    A result keeps its graph when grad mode was on around the transform and its graph reaches a leaf that is
    not one of the transform's private inputs (nor one of forward AD's): it is then differentiable with
    respect to what the caller holds.
    """

    def __init__(self, private: list[Any], outer_grad: bool) -> None:
        self.keep = private  # Note: held, so that the ids below stay theirs
        self.private = {id(p) for p in private}
        self.outer_grad = outer_grad
        self.reaches: dict[int, bool] = {}

    def _outside(self, t: Any) -> bool:
        if not self.outer_grad or not t._requires_grad:
            return False
        if t._grad_fn is None:
            return id(t) not in self.private
        stack = [t._grad_fn]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            key = id(node)
            if key in seen:
                continue
            seen.add(key)
            known = self.reaches.get(key)
            if known is not None:
                if known:
                    return True
                continue
            if type(node) is AccumulateGrad:
                leaf = node.variable  # None: a leaf nobody holds any more (nothing can ask for its gradient)
                if leaf is not None and id(leaf) not in self.private and not leaf.__dict__.get("_fw_private"):
                    return True
                continue
            stack.extend(fn for fn, _ in node.next_functions if fn is not None)
        for key in seen:
            self.reaches[key] = False
        return False

    def __call__(self, t: Any) -> Any:
        if not isinstance(t, _tensor_cls()):
            return t
        if self._outside(t):
            return t
        out = t.detach() if t._requires_grad or t._fw is not None else t
        if t._fw is not None:
            for level, tan in t._fw.items():
                _fw.set_tangent(out, level, self(tan))
        return out


# --- argnums ----------------------------------------------------------------------------------------------------


def _check_argnums(argnums: Any, n: int) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums or not all(isinstance(a, int) and not isinstance(a, bool) for a in nums):
        if isinstance(argnums, tuple) and not argnums:
            raise RuntimeError("argnums must be non-empty")
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    out = []
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums must be unique, got {argnums}")
    return tuple(out)


def _replace_args(args: tuple, nums: tuple[int, ...], new: list[Any]) -> tuple:
    out = list(args)
    for a, v in zip(nums, new):
        out[a] = v
    return tuple(out)


def _flat_privates(values: list[Any], outer_grad: bool) -> tuple[list[Any], list[Any], list[TreeSpec]]:
    """Each value's pytree with private leaves: (the new values, all private leaves, the specs)."""
    new, leaves_all, specs = [], [], []
    for v in values:
        leaves, spec = tree_flatten(v)
        priv = [_private(x, outer_grad) for x in leaves]
        leaves_all.extend(priv)
        specs.append(spec)
        new.append(tree_unflatten(priv, spec))
    return new, leaves_all, specs


def _split(flat: list[Any], specs: list[TreeSpec]) -> list[Any]:
    out, i = [], 0
    for spec in specs:
        out.append(tree_unflatten(flat[i:i + spec.num_leaves], spec))
        i += spec.num_leaves
    return out


def _split_aux(output: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


def _grads(outputs: list[Any], inputs: list[Any], cotangents: list[Any] | None, retain: bool) -> list[Any]:
    """Gradients of ``outputs`` with respect to ``inputs`` in the private graph (zeros where unused)."""
    live = [k for k, o in enumerate(outputs) if o._requires_grad]
    res: tuple = (None,) * len(inputs)
    if live:
        with _gm.enable_grad():
            res = _autograd_grad([outputs[k] for k in live], inputs,
                                 None if cotangents is None else [cotangents[k] for k in live],
                                 retain_graph=True, create_graph=True, allow_unused=True)
    return [_zeros_like(x) if g is None else g for g, x in zip(res, inputs)]


# --- grad, grad_and_value, vjp -----------------------------------------------------------------------------------


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning ``(gradient, value)`` of ``func`` (``(gradient, (value, aux))`` with ``has_aux``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        api = "grad_and_value(f)(*args)"
        nums = _check_argnums(argnums, len(args))
        outer = _gm.state.enabled
        new, private, specs = _flat_privates([args[a] for a in nums], outer)
        with _gm.enable_grad():
            output, aux = _split_aux(func(*_replace_args(args, nums, new), **kwargs), has_aux, api)
            if not isinstance(output, _tensor_cls()):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {output.dim()} dims. "
                    "Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            flat = _grads([output], private, None, retain=False)
        unwrap = _Unwrap(private, outer)
        grads = _split([unwrap(g) for g in flat], specs)
        g = tuple(grads) if isinstance(argnums, tuple) else grads[0]
        value = unwrap(output)
        if has_aux:
            return g, (value, _tree_apply(unwrap, aux))
        return g, value

    return wrapper


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the gradient of the scalar ``func`` with respect to the ``argnums`` arguments."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _tree_apply(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def _tensor_outputs(output: Any, api: str) -> tuple[list[Any], TreeSpec]:
    leaves, spec = tree_flatten(output)
    T = _tensor_cls()
    for x in leaves:
        if not isinstance(x, T):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(x)}")
    return leaves, spec


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)`` (and ``aux``): ``vjp_fn(cotangents)`` gives one gradient per primal."""
    api = "vjp(f, *primals)"
    outer = _gm.state.enabled
    new, private, specs = _flat_privates(list(primals), outer)
    with _gm.enable_grad():
        output, aux = _split_aux(func(*new), has_aux, api)
        outs, out_spec = _tensor_outputs(output, api)
    unwrap = _Unwrap(private, outer)

    def vjp_fn(cotangents: Any, *, retain_graph: bool = True, create_graph: bool | None = None) -> tuple:
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {ct_spec}, primal output: {out_spec}"
            )
        T = _tensor_cls()
        for c in cts:
            if not isinstance(c, T):
                raise RuntimeError(f"vjp_fn: expected cotangents to be only tensors, got unsupported type {type(c)}")
        flat = _grads(outs, private, cts, retain=retain_graph)
        return tuple(_split([unwrap(g) for g in flat], specs))

    result = tree_unflatten([unwrap(o) for o in outs], out_spec)
    if has_aux:
        return result, vjp_fn, _tree_apply(unwrap, aux)
    return result, vjp_fn


# --- jvp, linearize ----------------------------------------------------------------------------------------------


def _jvp_checks(primals: Any, tangents: Any, api: str) -> tuple[list[Any], list[Any], TreeSpec]:
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For example, if primals is a "
            f"tuple of 3 tensors, tangents also must be. Got primals with structure {p_spec} and tangents with "
            f"structure {t_spec}"
        )
    if not p_leaves:
        raise RuntimeError(f"{api}: Expected primals to contain at least one Tensor.")
    T = _tensor_cls()
    for what, leaves in (("primals", p_leaves), ("tangents", t_leaves)):
        for x in leaves:
            if not isinstance(x, T):
                raise RuntimeError(f"{api}: Expected {what} to be a tuple of Tensors, got {type(x)}")
    return p_leaves, t_leaves, p_spec


def _make_dual_at(x: Any, t: Any, level: int) -> Any:
    from ..ops.shape import ALIAS

    if not _fw._is_differentiable_dtype(x):
        raise RuntimeError(
            f"jvp(f, primals, tangents): Expected primals to be floating point or complex, but got {x.dtype}"
        )
    if t.shape != x.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(x.shape)} while the given forward gradient is of size "
            f"{list(t.shape)}."
        )
    dual = ALIAS.dispatch((x,))
    _fw.set_tangent(dual, level, t)
    return dual


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J tangents)`` (and ``aux``), by forward-mode AD. ``strict`` is accepted and, as in
    PyTorch, changes nothing."""
    api = "jvp(f, primals, tangents)"
    p_leaves, t_leaves, p_spec = _jvp_checks(primals, tangents, api)
    level = _fw.new_level()
    try:
        duals = [_make_dual_at(x, t, level) for x, t in zip(p_leaves, t_leaves)]
        output, aux = _split_aux(func(*tree_unflatten(duals, p_spec)), has_aux, api)
        outs, out_spec = _tensor_outputs(output, api)
        primal_outs, tangent_outs = [], []
        for o in outs:
            p, t = _fw.unpack_dual(o, level=level)
            primal_outs.append(p)
            tangent_outs.append(_zeros_like(o) if t is None else t)
        if has_aux:
            aux = _tree_apply(lambda a: _fw.unpack_dual(a, level=level).primal, aux)
    finally:
        _fw.exit_level(level)
    result = (tree_unflatten(primal_outs, out_spec), tree_unflatten(tangent_outs, out_spec))
    return (*result, aux) if has_aux else result


def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the JVP of ``func`` at ``primals``."""
    output = jvp(func, primals, tuple(_tree_apply(_zeros_like, p) for p in primals))[0]
    p_leaves, p_spec = tree_flatten(primals)

    def jvp_fn(*tangents: Any) -> Any:
        t_leaves, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(
                f"Expected the tangents {t_spec} to have the same argument structure as the primals {p_spec}"
            )
        for p, t in zip(p_leaves, t_leaves):
            if t.shape != p.shape or t.dtype != p.dtype:
                raise RuntimeError(f"Expected tangent of shape {tuple(p.shape)} and dtype {p.dtype}, got "
                                   f"shape {tuple(t.shape)} and dtype {t.dtype}")
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


# --- jacrev, jacfwd, hessian ---------------------------------------------------------------------------------------


def _bound(func: Callable[..., Any], args: tuple, kwargs: dict, nums: tuple[int, ...]) -> Callable[..., Any]:
    def f(*diff: Any) -> Any:
        return func(*_replace_args(args, nums, list(diff)), **kwargs)

    return f


def _basis(x: Any, k: int) -> Any:
    e = _zeros_like(x).reshape(-1)
    e[k] = 1
    return e.reshape(x.shape)


def _jac_block(vectors: list[Any], out: Any, x: Any, rows_are_outputs: bool) -> Any:
    """One Jacobian block, shaped ``out.shape + x.shape``, from per-element products."""
    from ..factories import zeros
    from ..ops import stack

    shape = tuple(out.shape) + tuple(x.shape)
    if not vectors:
        return zeros(shape, dtype=out.dtype, device=out._backend)
    if rows_are_outputs:  # one VJP per output element: each vector is shaped like x
        return stack([v.reshape(-1) for v in vectors]).reshape(shape)
    return stack([v.reshape(-1) for v in vectors], dim=-1).reshape(shape)  # one JVP per input element


def _assemble(out_leaves: list[Any], out_spec: TreeSpec, in_specs: list[TreeSpec], in_leaves: list[Any],
              block: Callable[[int, int], Any], argnums: Any) -> Any:
    per_out = []
    for i in range(len(out_leaves)):
        per_arg = _split([block(i, j) for j in range(len(in_leaves))], in_specs)
        per_out.append(tuple(per_arg) if isinstance(argnums, tuple) else per_arg[0])
    return tree_unflatten(per_out, out_spec)


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable[..., Any]:
    """A function returning the Jacobian of ``func`` by reverse mode: one VJP per output element."""
    _check_chunk_size(chunk_size)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _check_argnums(argnums, len(args))
        diff = [args[a] for a in nums]
        res = vjp(_bound(func, args, kwargs, nums), *diff, has_aux=has_aux)
        output, vjp_fn = res[0], res[1]
        out_leaves, out_spec = tree_flatten(output)
        in_leaves, in_specs = [], []
        for d in diff:
            leaves, spec = tree_flatten(d)
            in_leaves.extend(leaves)
            in_specs.append(spec)
        rows: list[list[Any]] = [[[] for _ in in_leaves] for _ in out_leaves]  # type: ignore[misc]
        for i, o in enumerate(out_leaves):
            for k in range(o.numel()):
                cts = [_basis(o, k) if m == i else _zeros_like(p) for m, p in enumerate(out_leaves)]
                flat = tree_flatten(vjp_fn(tree_unflatten(cts, out_spec)))[0]
                for j, g in enumerate(flat):
                    rows[i][j].append(g)
        jac = _assemble(out_leaves, out_spec, in_specs, in_leaves,
                        lambda i, j: _jac_block(rows[i][j], out_leaves[i], in_leaves[j], True), argnums)
        return (jac, res[2]) if has_aux else jac

    return wrapper


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """A function returning the Jacobian of ``func`` by forward mode: one JVP per input element."""
    _check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _check_argnums(argnums, len(args))
        diff = tuple(args[a] for a in nums)
        f = _bound(func, args, kwargs, nums)
        in_leaves, in_spec = tree_flatten(diff)
        in_specs = list(in_spec.children)
        primal_out: Any = None
        aux: Any = None
        cols: list[list[Any]] | None = None
        for j, x in enumerate(in_leaves):
            for k in range(x.numel()):
                tangents = [_basis(p, k) if m == j else _zeros_like(p) for m, p in enumerate(in_leaves)]
                res = jvp(f, diff, tree_unflatten(tangents, in_spec), has_aux=has_aux)
                t_leaves = tree_flatten(res[1])[0]
                if cols is None:
                    primal_out, aux = res[0], (res[2] if has_aux else None)
                    cols = [[[] for _ in in_leaves] for _ in t_leaves]  # type: ignore[misc]
                for i, t in enumerate(t_leaves):
                    cols[i][j].append(t)
        if cols is None:  # no input element: evaluate once for the output's structure
            zero = tuple(_tree_apply(_zeros_like, d) for d in diff)
            res = jvp(f, diff, zero, has_aux=has_aux)
            primal_out, aux = res[0], (res[2] if has_aux else None)
            cols = [[[] for _ in in_leaves] for _ in tree_flatten(res[1])[0]]  # type: ignore[misc]
        out_leaves, out_spec = tree_flatten(primal_out)
        got = cols
        jac = _assemble(out_leaves, out_spec, in_specs, in_leaves,
                        lambda i, j: _jac_block(got[i][j], out_leaves[i], in_leaves[j], False), argnums)
        return (jac, aux) if has_aux else jac

    return wrapper


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian of ``func``: ``jacfwd(jacrev(func, argnums), argnums)``, forward over reverse."""
    return jacfwd(jacrev(func, argnums), argnums)


def _check_chunk_size(chunk_size: Any) -> None:
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


from .vmap import vmap  # noqa: E402
