"""``vmap``: map a function over a batch dimension of its inputs.

It runs the function once per batch entry (on the entries selected along each input's ``in_dim``) and
stacks the results along ``out_dims``: PyTorch's values and shapes for any function, including nested
``vmap`` and ``vmap`` of ``grad``. ``randomness`` chooses what random ops do across the batch: ``"error"``
refuses them, ``"different"`` draws anew per entry, ``"same"`` replays one draw for every entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..utils._pytree import TreeSpec, tree_flatten, tree_unflatten


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


def _fn_name(func: Any) -> str:
    return getattr(func, "__name__", repr(func))


def _broadcast_dims(dims: Any, tree: Any, where: str) -> list[Any]:
    """``dims`` (an int, None, or a tree that is a prefix of ``tree``'s) as one entry per leaf of ``tree``."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(tree_flatten(tree)[0])
    d_leaves, d_spec = tree_flatten(dims)
    t_leaves, t_spec = tree_flatten(tree)
    if d_spec == t_spec:
        return d_leaves
    if d_spec.type is not None and d_spec.type == t_spec.type and len(d_spec.children) == len(t_spec.children):
        keys = range(len(dims)) if not isinstance(dims, dict) else list(dims)
        if isinstance(dims, dict) and list(dims) != list(tree):
            raise ValueError(where)
        out: list[Any] = []
        for k in keys:
            out.extend(_broadcast_dims(dims[k], tree[k], where))
        return out
    raise ValueError(where)


class _RandomGuard:
    """What ``randomness`` asks for, by the default generators' states of the backends in use."""

    def __init__(self, randomness: str, backends: list[Any], fn_name: str) -> None:
        from ..backend import default_backend_obj

        self.mode = randomness
        seen: dict[str, Any] = {}
        for b in [default_backend_obj(), *backends]:
            seen.setdefault(b.name, b)
        self.streams = [b.rng() for b in seen.values()]
        self.start = [s.get_state() for s in self.streams]

    def before(self) -> None:
        if self.mode == "same":
            for s, state in zip(self.streams, self.start):
                s.set_state(state)

    def after(self) -> None:
        if self.mode == "error":
            import numpy as np

            for s, state in zip(self.streams, self.start):
                if not np.array_equal(np.asarray(s.get_state()), np.asarray(state)):
                    raise RuntimeError(
                        "vmap: called random operation while in randomness error mode. Please either use the 'same' "
                        "or 'different' randomness flags on vmap or perform the randomness operation out of vmap"
                    )


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable[..., Any]:
    """``func`` mapped over dimension ``in_dims`` of its inputs; results stacked along ``out_dims``."""
    from . import _check_randomness

    _check_randomness(randomness)
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapper


def _vmap_call(func: Callable[..., Any], in_dims: Any, out_dims: Any, randomness: str, args: tuple,
               kwargs: dict) -> Any:
    from ..ops import stack

    T = _tensor_cls()
    name = _fn_name(func)
    head = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    leaves, spec = tree_flatten(args)
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(
            f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
            f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}."
        )
    dims = _broadcast_dims(
        in_dims, args,
        f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
        f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.",
    )
    sizes = []
    batched: list[tuple[int, int]] = []
    for k, (x, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"{head}: in_dim for each input must be an int or None, got {type(d)}")
        if not isinstance(x, T):
            raise ValueError(
                f"{head}: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot vmap over "
                "non-Tensor arguments, please use None as the respective in_dim"
            )
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(
                f"{head}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality {n} so "
                f"expected in_dim to satisfy {-n} <= in_dim < {n}."
            )
        sizes.append(x.shape[d])
        batched.append((k, d % n))
    if not batched:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a Tensor "
                         "batched along an in_dim (all in_dims are None)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    size = sizes[0]
    guard = _RandomGuard(randomness, [leaves[k]._backend for k, _ in batched], name)
    results: list[list[Any]] = []
    out_spec: TreeSpec | None = None
    for b in range(max(size, 1)):
        entry = list(leaves)
        for k, d in batched:
            x = leaves[k]
            # An empty batch still runs the function once (on zeros) to learn the results' shapes.
            entry[k] = x.select(d, b) if size else x.new_zeros(x.shape[:d] + x.shape[d + 1:])
        guard.before()
        out = func(*tree_unflatten(entry, spec), **kwargs)
        guard.after()
        o_leaves, o_spec = tree_flatten(out)
        if out_spec is None:
            out_spec = o_spec
        elif o_spec != out_spec:
            raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures across the "
                             f"batch: {out_spec} and {o_spec}")
        results.append(o_leaves)
    assert out_spec is not None
    out_template = tree_unflatten(results[0], out_spec)
    odims = _broadcast_dims(
        out_dims, out_template,
        f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure of "
        f"`outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has structure {out_spec}.",
    )
    stacked = []
    for i, od in enumerate(odims):
        column = [r[i] for r in results]
        if od is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], T):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(column[0])}. "
                             "Did you mean to set out_dims= to None for output?")
        s = stack(column, dim=od)
        stacked.append(s if size else s.narrow(od % s.dim(), 0, 0))
    return tree_unflatten(stacked, out_spec)


__all__ = ["vmap"]
