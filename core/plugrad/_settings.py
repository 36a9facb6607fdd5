"""Process-wide settings with PyTorch's names: deterministic algorithms, float32 matmul precision,
``set_warn_always``, the default device.

plugrad's CPU kernels (NumPy's and the Numba backend's) give the same result on every run, so
``use_deterministic_algorithms(True)`` has nothing to forbid there; the settings are kept and read back as
PyTorch reads them, for code that sets and checks them. Matmul precision is recorded the same way: every
plugrad backend multiplies float32 matrices in full float32 precision ("highest").
"""

from __future__ import annotations

import warnings
from typing import Any

_state: dict[str, Any] = {
    "deterministic": False,
    "warn_only": False,
    "matmul_precision": "highest",
    "warn_always": False,
}

_DEBUG_MODES = ("default", "warn", "error")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (PyTorch's ``torch.use_deterministic_algorithms``)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _state["deterministic"] = mode
    _state["warn_only"] = mode and warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return bool(_state["deterministic"])


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return bool(_state["warn_only"])


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """``"default"``/0 (off), ``"warn"``/1 (deterministic, warn only) or ``"error"``/2 (deterministic)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        level = _DEBUG_MODES.index(debug_mode)
    elif isinstance(debug_mode, int) and not isinstance(debug_mode, bool):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
        level = debug_mode
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode).__name__}")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``"highest"``, ``"high"`` or ``"medium"``; any other value warns and changes nothing (as in PyTorch)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current setFloat32MatmulPrecision call "
            "has no effect.", UserWarning, stacklevel=2,
        )
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return str(_state["matmul_precision"])


def set_warn_always(b: bool) -> None:
    """Whether warnings PyTorch gives once per process should be given every time (recorded, and read back)."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return bool(_state["warn_always"])


def set_default_device(device: Any) -> None:
    """Make factories create tensors on ``device`` (``"cpu"``, ``"cuda"``, a device, or None for the default).

    The default backend stays as it is when it already runs on that device (the Numba backend stays the
    CPU default if it was chosen); otherwise the backend for that device becomes the default.
    """
    from . import backend as _backend

    if device is None:
        _backend.reset_default()
        return
    dev = device if isinstance(device, _backend.Device) else None
    if dev is None:
        if isinstance(device, int) and not isinstance(device, bool):
            dev = _backend.Device("cuda", device)
        else:
            dev = _backend.Device(str(device))
    current = _backend.default_backend_obj()
    if current.device_type == dev.type:
        return
    _backend.set_default_backend(_backend.backend_for_device(dev))


def get_default_device() -> Any:
    """The device factories use when given none (PyTorch's ``torch.get_default_device``)."""
    from . import backend as _backend

    b = _backend.default_backend_obj()
    return _backend.Device(b.device_type, None if b.device_type == "cpu" else 0)


__all__ = [
    "are_deterministic_algorithms_enabled", "get_default_device", "get_deterministic_debug_mode",
    "get_float32_matmul_precision", "is_deterministic_algorithms_warn_only_enabled", "is_warn_always_enabled",
    "set_default_device", "set_deterministic_debug_mode", "set_float32_matmul_precision", "set_warn_always",
    "use_deterministic_algorithms",
]
