"""Tensors made like another tensor (``zeros_like``...) and small helpers the VJP rules share."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt


def _native(t: Any, dtype: Any) -> Any:
    return t._backend.native_dtype(_dt.as_dtype(dtype)) if dtype is not None else t._data.dtype


def zeros_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
              memory_format: Any = None, **_: Any) -> Any:
    """Zeros with ``input``'s shape, dtype and backend."""
    return _like(input, 0, dtype, device, requires_grad, memory_format)


def ones_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
              memory_format: Any = None, **_: Any) -> Any:
    """Ones with ``input``'s shape, dtype and backend."""
    return _like(input, 1, dtype, device, requires_grad, memory_format, "ones_like")


def full_like(input: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, memory_format: Any = None, **_: Any) -> Any:
    """``fill_value`` everywhere, with ``input``'s shape, dtype and backend."""
    if isinstance(fill_value, float) and dtype is None and input.dtype.category < 2:
        return _like(input, fill_value, dtype, device, requires_grad, memory_format, "full_like")
    return _like(input, fill_value, dtype, device, requires_grad, memory_format, "full_like")


def _like(input: Any, value: Any, dtype: Any, device: Any, requires_grad: bool,  # noqa: A002
          memory_format: Any = None, function: str = "zeros_like") -> Any:
    from ..backend import resolve
    from ..factories import _made
    from ..memory_formats import like

    backend = input._backend if device is None else resolve(device)
    xp = backend.namespace()
    native = backend.native_dtype(_dt.as_dtype(dtype)) if dtype is not None else (
        input._data.dtype if backend is input._backend else backend.native_dtype(input.dtype))
    t = _made(xp.full(input._data.shape, value, dtype=native), backend)
    like(input, t, memory_format, function)
    if requires_grad:
        t._factory_requires_grad()
    return t


def _zeros_native(shape: tuple, native_dtype: Any, backend: Any) -> Any:
    from ..tensor import _wrap

    return _wrap(backend.namespace().zeros(shape, dtype=native_dtype), backend)


def where_zero(x: Any, values: Any) -> Any:
    """``values`` where ``x != 0``, else 0 (keeps 0 * log(0) terms of pow's gradient finite)."""
    from .. import ops

    return ops.where(ops.ne(x, 0), values, ops.zeros_like(values))
