"""Grad mode: whether ops record the graph. Thread-local, as in PyTorch."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


class _GradModeContext:
    """Base for context managers that set grad mode; usable as decorators too."""

    mode: bool = True

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _GradModeContext:
        return self.__class__()


class _NoParamDecorator(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad`` as well as ``@no_grad()``, as in PyTorch."""

    def __new__(cls, orig_func: Any = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments; use it as `with {cls.__name__}():` or as a decorator")
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Disable graph recording inside the block (or the decorated function)."""

    mode = False


class enable_grad(_NoParamDecorator):
    """Enable graph recording inside the block, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context manager restores the old mode."""

    def __init__(self, mode: bool) -> None:
        self._prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __call__(self, fn: F) -> F:  # type: ignore[override]
        state.enabled = self._prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and the tensors made inside are inference tensors (``is_inference()``), as in PyTorch:
    they cannot be saved for backward, nor updated in place outside inference mode."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # a bare decorator: @inference_mode

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
        self._inference = mode

    def __enter__(self) -> None:
        if self._inference and not _inference_seen:
            _note_inference_seen()
        self._prev = state.enabled
        self._prev_inf = state.inference
        state.enabled = self.mode
        state.inference = self._inference

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev
        state.inference = self._prev_inf

    def clone(self) -> inference_mode:
        return inference_mode(self._inference)

    def __call__(self, fn: F) -> F:
        mode = self._inference

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and not inside a nested ``inference_mode(False)``)."""
    return state.inference


_inference_seen = False


def _note_inference_seen() -> None:
    """The first ``inference_mode()`` of the process turns on the registry's checks for inference tensors."""
    global _inference_seen
    from ..ops import registry
    from .node import refresh_saving_flag

    _inference_seen = True
    registry._inference_seen = True
    refresh_saving_flag()


def mark_inference(is_view: bool, args: tuple, res: Any) -> None:
    """Mark an op's outputs as inference tensors where PyTorch does: a view is one when its base is; any other
    output when it is made inside inference mode. (Called by dispatch once ``inference_mode()`` has been used.)"""
    if is_view:
        if not getattr(args[0], "_inference", False):
            return
    elif not state.inference:
        return
    if res.__class__ is tuple:
        for t in res:
            t._inference = True
    else:
        res._inference = True
