"""``nn.utils.skip_init``: build a module without running its parameter initialization."""

from __future__ import annotations

import inspect
from typing import Any


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """``module_cls(*args, **kwargs)`` with uninitialized parameters and buffers on ``device`` (default cpu).

    PyTorch builds the module on its ``meta`` device, so no random numbers are drawn; plugrad builds it on
    ``device`` and restores the state of that device's default generator afterwards, to the same effect.
    """
    from ... import factories
    from ...backend import resolve
    from ..modules.module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = final_device
    stream = factories.default_generator._stream(resolve(final_device))
    state = stream.get_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        stream.set_state(state)
    return module.to_empty(device=final_device)


__all__ = ["skip_init"]
