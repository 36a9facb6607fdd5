"""``nn.Parameter``: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from ..tensor import Tensor, _init_from


class Parameter(Tensor):
    """A Tensor that is a module parameter: a leaf that requires grad unless told otherwise.

    ``Parameter(t)`` shares ``t``'s data, as in PyTorch; assigning one to a Module attribute
    registers it, so it shows in ``parameters()`` and ``state_dict()``.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from ..factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(data) expects a Tensor, got {type(data).__name__}; "
                "wrap the values with plugrad.tensor(...) first"
            )
        p = object.__new__(cls)
        _init_from(p, data._data, data._backend)
        if data._inference:
            p._inference = True
        if requires_grad:
            if not (data.dtype.is_floating_point or data.dtype.is_complex):
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__; Tensor.__init__ is the legacy constructor

    def __repr__(self) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` holds for the tensors ``Buffer(...)`` returns (plain tensors, marked)."""

    def __instancecheck__(cls, instance: object) -> bool:
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute:
    ``self.running = nn.Buffer(t, persistent=False)`` is ``self.register_buffer("running", t, persistent=False)``.

    As in PyTorch, ``Buffer(t)`` returns a plain Tensor (``t`` detached, sharing its data) carrying the mark.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        if data is None:
            from ..factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(data) expects a Tensor, got {type(data).__name__}")
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent  # type: ignore[attr-defined]
        t._is_buffer = True  # type: ignore[attr-defined]
        return t


__all__ = ["Buffer", "Parameter"]
