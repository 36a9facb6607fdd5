"""Printing tensors the way PyTorch prints them."""

from __future__ import annotations

from typing import Any


def tensor_repr(t: Any) -> str:
    arr = t._backend.to_numpy(t._data)
    body = _format_values(arr.tolist(), arr.ndim)
    suffixes = []
    d = t.dtype
    from . import dtypes as _dt

    if t._backend.device_type != "cpu":
        suffixes.append(f"device='{t._backend.device_name()}'")
    default_shown = d is _dt.get_default_dtype() or d is _dt.int64 or d is _dt.bool_
    if not default_shown:
        suffixes.append(f"dtype={d!r}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    if suffixes:
        return f"tensor({body}, {', '.join(suffixes)})"
    return f"tensor({body})"


def _format_values(values: Any, ndim: int) -> str:
    return str(values)
