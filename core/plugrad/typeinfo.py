"""Questions about dtypes and the promotion rules: ``finfo``, ``iinfo``, ``promote_types``, ``result_type``,
``can_cast``, and the predicates ``is_floating_point``, ``is_complex``, ``is_nonzero``.

The limits are exact properties of IEEE 754 formats and two's-complement integers, so they are written here
without asking an array library.
"""

from __future__ import annotations

from typing import Any

from . import dtypes as _dt
from .tensor import Tensor

# (bits, mantissa bits, exponent bits, decimal digits of precision) of each IEEE 754 binary format.
_FLOAT_FORMATS = {"float16": (16, 10, 5, 3), "float32": (32, 23, 8, 6), "float64": (64, 52, 11, 15)}


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating point dtype (the real part's, for complex dtypes)."""

    bits: int
    eps: float
    max: float
    min: float
    tiny: float
    smallest_normal: float
    resolution: float
    dtype: str

    def __init__(self, type: _dt.dtype | None = None) -> None:  # noqa: A002 - PyTorch's argument name
        d = _dt.get_default_dtype() if type is None else _dt.as_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        name = d.to_real().name
        bits, mant, expo, digits = _FLOAT_FORMATS[name]
        max_exp = 2 ** (expo - 1) - 1
        self.bits = bits
        self.eps = 2.0 ** -mant
        self.max = (2.0 - 2.0 ** -mant) * 2.0 ** max_exp
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0 ** (1 - max_exp)
        self.resolution = 10.0 ** -digits
        self.dtype = name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )

    __str__ = __repr__


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype."""

    bits: int
    min: int
    max: int
    dtype: str

    def __init__(self, type: _dt.dtype) -> None:  # noqa: A002 - PyTorch's argument name
        d = _dt.as_dtype(type)
        if d.category != 1:
            raise TypeError(f"{d!r} is not supported by torch.iinfo")
        self.bits = d.itemsize * 8
        self.min = -(2 ** (self.bits - 1)) if d.is_signed else 0
        self.max = 2 ** (self.bits - 1) - 1 if d.is_signed else 2**self.bits - 1
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __str__ = __repr__


def promote_types(type1: _dt.dtype, type2: _dt.dtype) -> _dt.dtype:
    """The smallest dtype that holds values of both dtypes without changing category (PyTorch's table)."""
    return _dt.promote_types(_dt.as_dtype(type1), _dt.as_dtype(type2))


def _operand(x: Any) -> tuple[_dt.dtype, int] | int:
    if isinstance(x, Tensor):
        return (x.dtype, x.ndim)
    return _dt.scalar_category(x)


def result_type(tensor1: Any, tensor2: Any) -> _dt.dtype:
    """The dtype an arithmetic op on ``tensor1`` and ``tensor2`` (tensors or Python numbers) returns."""
    return _dt.result_type((_operand(tensor1), _operand(tensor2)))


def can_cast(from_: _dt.dtype, to: _dt.dtype) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` in an op's output: no lower category."""
    return _dt.as_dtype(from_).category <= _dt.as_dtype(to).category


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> bool:  # noqa: A002
    return input.dtype.is_complex


def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    """The truth of a one-element tensor (an error for any other size, as ``bool(tensor)``)."""
    return bool(input)


def typename(obj: Any, /) -> str:
    """The type of ``obj`` as a string: a tensor's legacy type (``"torch.FloatTensor"``), else the module and
    qualified name of the object (a class or function) or of its class, as PyTorch writes them."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = type(obj).__module__ or ""
        qualname = type(obj).__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"


__all__ = ["finfo", "iinfo", "promote_types", "result_type", "can_cast", "is_floating_point", "is_complex",
           "is_nonzero", "typename"]
