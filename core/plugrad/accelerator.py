"""``plugrad.accelerator``: the device-neutral questions of ``torch.accelerator``, answered for CUDA.

plugrad's one accelerator type is CUDA (through a backend plugin such as CuPy), so
``plugrad.accelerator.current_accelerator().type if plugrad.accelerator.is_available() else "cpu"`` gives
``"cuda"`` where such a backend works and ``"cpu"`` elsewhere.
"""

from __future__ import annotations

from typing import Any

from . import cuda as _cuda
from .backend import Device


def is_available() -> bool:
    """Whether an accelerator device can run tensors."""
    return _cuda.is_available()


def current_accelerator(check_available: bool = False) -> Any:
    """The accelerator's device (``device(type='cuda')``), or None when there is none."""
    if not is_available():
        return None
    return Device("cuda")


def device_count() -> int:
    return _cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device (plugrad's CUDA backends use device 0); -1 without one."""
    return 0 if is_available() else -1


current_device_idx = current_device_index

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "is_available"]
