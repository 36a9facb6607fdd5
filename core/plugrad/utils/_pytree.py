"""Pytrees as ``torch.utils._pytree`` knows them: nested tuples, lists, dicts and namedtuples; anything
else is a leaf. ``tree_flatten`` gives the leaves and a spec that ``tree_unflatten`` rebuilds from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class TreeSpec:
    """The structure of a pytree: the container type, its context (dict keys) and the children's specs."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type: Any, context: Any, children: list[TreeSpec]) -> None:  # noqa: A002
        self.type = type
        self.context = context
        self.children = children
        self.num_leaves: int = 1 if type is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeSpec) and self.type == other.type and self.context == other.context
                and self.children == other.children)

    def __hash__(self) -> int:
        return hash((self.type, str(self.context), len(self.children)))

    def __repr__(self) -> str:
        if self.type is None:
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.type is dict:
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.context, self.children))
            return "{" + inner + "}"
        if self.type is list:
            return f"[{inner}]"
        if self.type is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        return f"{self.type.__name__}({inner})"


LEAF_SPEC = TreeSpec(None, None, [])


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree: Any) -> tuple[list[Any], TreeSpec]:
    leaves: list[Any] = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree: Any, leaves: list[Any]) -> TreeSpec:
    if isinstance(tree, (list, tuple)) and (type(tree) in (list, tuple) or _is_namedtuple(tree)):
        return TreeSpec(type(tree), None, [_flatten(c, leaves) for c in tree])
    if type(tree) is dict:
        keys = list(tree)
        return TreeSpec(dict, keys, [_flatten(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return LEAF_SPEC


def tree_unflatten(leaves: list[Any], spec: TreeSpec) -> Any:
    it = iter(leaves)
    out = _unflatten(it, spec)
    return out


def _unflatten(it: Any, spec: TreeSpec) -> Any:
    if spec.type is None:
        return next(it)
    children = [_unflatten(it, c) for c in spec.children]
    if spec.type is dict:
        return dict(zip(spec.context, children))
    if spec.type in (list, tuple):
        return spec.type(children)
    return spec.type(*children)  # a namedtuple


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def tree_leaves(tree: Any) -> list[Any]:
    return tree_flatten(tree)[0]


__all__ = ["LEAF_SPEC", "TreeSpec", "tree_flatten", "tree_leaves", "tree_map", "tree_unflatten"]
