"""Anomaly mode: remember where each node was created, and name it when its backward fails or yields NaN."""

from __future__ import annotations

import contextlib
import traceback
import warnings
from collections.abc import Iterator
from typing import Any


class _AnomalyState:
    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


anomaly_state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    return anomaly_state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return anomaly_state.check_nan


def record_trace() -> list[str]:
    """The user's stack at the point an op was recorded (plugrad's own frames dropped)."""
    stack = traceback.format_stack()[:-3]
    return [line for line in stack if "/plugrad/" not in line.split("\n", 1)[0]] or stack


class set_detect_anomaly:
    """Turn anomaly detection on or off; as a context manager, restore the old setting afterwards."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = anomaly_state.enabled
        self.prev_check_nan = anomaly_state.check_nan
        anomaly_state.enabled = bool(mode)
        anomaly_state.check_nan = check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        anomaly_state.enabled = self.prev
        anomaly_state.check_nan = self.prev_check_nan


class detect_anomaly:
    """Context manager (and decorator) enabling anomaly detection inside its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self.prev = anomaly_state.enabled
        self.prev_check_nan = anomaly_state.check_nan
        anomaly_state.enabled = True
        anomaly_state.check_nan = self.check_nan

    def __exit__(self, *exc: object) -> None:
        anomaly_state.enabled = self.prev
        anomaly_state.check_nan = self.prev_check_nan

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def _forward_trace(node: Any) -> str:
    trace = getattr(node, "_trace", None)
    if not trace:
        return "(no forward trace was recorded; enable anomaly mode before the forward pass)"
    return "".join(trace)


@contextlib.contextmanager
def node_context(node: Any) -> Iterator[None]:
    """Run a node's backward; on error, warn with the stack of the forward call that created it."""
    try:
        yield
    except Exception:
        warnings.warn(
            f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{_forward_trace(node)}",
            UserWarning,
            stacklevel=3,
        )
        raise


def check_nan(node: Any, grads: tuple) -> None:
    if not anomaly_state.check_nan:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        xp = g._backend.namespace()
        if bool(xp.any(xp.isnan(g._data))):
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. "
                f"The op was created here:\n{_forward_trace(node)}"
            )
