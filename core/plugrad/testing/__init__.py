"""Testing tools: PyTorch's ``assert_close`` and ``make_tensor``, and plugrad's op database samples,
gradcheck helpers and conformance kit (in the submodules)."""

from typing import Any

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# Loaded on first use: the op families import plugrad.testing.samples while `import plugrad` runs.
_LAZY = {"assert_allclose": "_comparison", "assert_close": "_comparison", "make_tensor": "_creation"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'plugrad.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
