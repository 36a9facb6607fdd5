"""The 2017 ``Variable`` API: ``Variable(tensor, requires_grad=True)`` now simply returns a Tensor."""

from __future__ import annotations

from typing import Any


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: a leaf Tensor sharing ``data``'s memory (PyTorch >= 0.4 behaviour).

    ``isinstance(t, Variable)`` is true for every Tensor, as in PyTorch.
    """

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Any:  # type: ignore[misc]
        from ..tensor import Tensor

        if data is None:
            from ..factories import zeros

            return zeros(0, requires_grad=requires_grad)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        return t
