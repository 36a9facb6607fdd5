"""Generic kernels, written once against an array-API namespace ``xp``.

Each entry is a factory: ``factory(xp)`` returns the kernel for that namespace,
so a call on the hot path is the library's own function with no wrapper when
possible. Backends override single ops where they have something faster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ops.registry import register_generic_kernel

Factory = Callable[[Any], Callable[..., Any]]


def generic(name: str) -> Callable[[Factory], Factory]:
    """Decorator: register ``factory`` as the array-API kernel of op ``name``."""

    def deco(factory: Factory) -> Factory:
        register_generic_kernel(name, factory)
        return factory

    return deco


def direct(name: str, attr: str | None = None) -> None:
    """The kernel of ``name`` is ``xp.<attr>`` itself."""
    fn_name = attr or name
    register_generic_kernel(name, lambda xp: getattr(xp, fn_name))


def is_complex_array(xp: Any, x: Any) -> bool:
    """Whether array ``x`` holds complex numbers (``xp.isdtype`` where the namespace has it)."""
    if hasattr(xp, "isdtype"):
        return bool(xp.isdtype(x.dtype, "complex floating"))
    return getattr(x.dtype, "kind", "") == "c"


def normalize_axis(dim: Any, ndim: int) -> Any:
    if dim is None:
        return None
    if isinstance(dim, tuple):
        return tuple(d % ndim if ndim else 0 for d in dim)
    return dim % ndim if ndim else 0
