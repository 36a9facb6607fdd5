"""Automatic differentiation: the engine, grad mode, nodes, and the user-facing API."""

from __future__ import annotations

from typing import Any

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .variable import Variable

__all__ = [
    "Variable", "backward", "detect_anomaly", "enable_grad", "grad", "inference_mode", "is_anomaly_enabled",
    "is_grad_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled",
]


def __getattr__(name: str) -> Any:
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        from . import gradcheck as _gc

        return getattr(_gc, name)
    if name == "functional":
        from . import functional

        return functional
    if name in ("Function", "once_differentiable", "FunctionCtx"):
        from . import function as _fn

        return getattr(_fn, name)
    if name == "graph":
        from . import graph

        return graph
    raise AttributeError(f"module 'plugrad.autograd' has no attribute {name!r}")
