"""``functional_call``: call a module with some of its parameters and buffers replaced by given tensors.

The replacements go into the module's tables for the duration of the call only, so the result is a
function of the given tensors (differentiable with respect to them) and the module is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any


def _merge(dicts: Any) -> dict[str, Any]:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if not isinstance(dicts, Sequence) or not all(isinstance(d, Mapping) for d in dicts):
        raise ValueError(
            "Expected all elements of parameter_and_buffer_dicts to be dictionaries, got "
            f"{type(dicts).__name__}"
        )
    merged: dict[str, Any] = {}
    for d in dicts:
        dupes = sorted(k for k in d if k in merged)
        if dupes:
            raise ValueError(f"{dupes} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        merged.update(d)
    return merged


def _owner(module: Any, name: str) -> tuple[Any, str]:
    *path, attr = name.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


@contextmanager
def _reparametrize(module: Any, tensors: dict[str, Any], tie_weights: bool, strict: bool) -> Iterator[None]:
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    if strict:
        missing = [k for k in named if k not in tensors]
        unexpected = [k for k in tensors if k not in named]
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append("\tUnexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                lines.append("\tMissing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n" + "\n".join(lines))
    replace = dict(tensors)
    if tie_weights:  # a tensor shared under several names is replaced under all of them
        by_id: dict[int, list[str]] = {}
        for k, v in named.items():
            if v is not None:
                by_id.setdefault(id(v), []).append(k)
        for k in list(tensors):
            if k in named and named[k] is not None:
                for tied in by_id[id(named[k])]:
                    if tied in tensors and tensors[tied] is not tensors[k]:
                        raise ValueError(
                            f"functional_call got multiple values for keys {sorted(by_id[id(named[k])])}, which "
                            "are tied. Consider using tie_weights=False"
                        )
                    replace.setdefault(tied, tensors[k])
    undo: list[tuple[Any, str, str | None, Any]] = []
    try:
        for k, v in replace.items():
            owner, attr = _owner(module, k)
            for table in ("_parameters", "_buffers"):
                entries = owner.__dict__[table]
                if attr in entries:
                    undo.append((owner, attr, table, entries[attr]))
                    entries[attr] = v
                    break
            else:
                undo.append((owner, attr, None, owner.__dict__.get(attr, _MISSING)))
                object.__setattr__(owner, attr, v)
        yield
    finally:
        for owner, attr, table, old in reversed(undo):
            if table is not None:
                owner.__dict__[table][attr] = old
            elif old is _MISSING:
                owner.__dict__.pop(attr, None)
            else:
                object.__setattr__(owner, attr, old)


_MISSING = object()


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the parameters and buffers named in the dicts replaced for the call."""
    tensors = _merge(parameter_and_buffer_dicts)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, tensors, tie_weights, strict):
        return module(*args, **(kwargs or {}))


__all__ = ["functional_call"]
