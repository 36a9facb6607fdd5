"""NumPy's keyword names that PyTorch accepts for its own: ``axis`` for ``dim``, ``keepdims`` for ``keepdim``.

PyTorch's argument parser takes ``torch.sum(x, axis=1, keepdims=True)`` for any function or method with a
``dim`` / ``keepdim`` parameter; here one wrapper, applied once to the exported functions and the Tensor
methods, does the same.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def accepts_numpy_names(fn: Any) -> bool:
    """Whether ``fn`` has a ``dim`` or ``keepdim`` parameter that NumPy's name should reach."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return any(torch_name in params and numpy_name not in params for numpy_name, torch_name in _ALIASES)


def with_numpy_names(fn: Any) -> Any:
    """``fn`` accepting ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``."""
    if getattr(fn, "_numpy_names", False):
        return fn
    name = getattr(fn, "__name__", "function")

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for numpy_name, torch_name in _ALIASES:
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise TypeError(f"{name}() got an unexpected keyword argument '{numpy_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    wrapper._numpy_names = True  # type: ignore[attr-defined]
    return wrapper


def add_numpy_names(namespace: dict, names: Any) -> None:
    """Replace each function in ``namespace`` named in ``names`` that has a ``dim`` parameter by its wrapper."""
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and accepts_numpy_names(fn):
            namespace[name] = with_numpy_names(fn)
