"""Automatic differentiation: the engine, grad mode, nodes, and the user-facing API."""

from __future__ import annotations

import importlib
from typing import Any

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401 - Note: binds the functions over the submodule
from .variable import Variable

__all__ = [
    "Function", "FunctionCtx", "Variable", "backward", "detect_anomaly", "enable_grad", "grad", "inference_mode",
    "is_anomaly_enabled", "is_grad_enabled", "no_grad", "once_differentiable", "set_detect_anomaly",
    "set_grad_enabled",
]

# Loaded on first use, so that `import plugrad` stays fast.
_LAZY = {
    "forward_ad": ("forward_ad", None),
    "functional": ("functional", None),
    "graph": ("graph", None),
}


def __getattr__(name: str) -> Any:
    entry = _LAZY.get(name)
    if entry is None:
        raise AttributeError(f"module 'plugrad.autograd' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{entry[0]}")
    return module if entry[1] is None else getattr(module, entry[1])
