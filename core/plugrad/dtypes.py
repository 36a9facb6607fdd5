"""dtypes, ``Size`` and the type-promotion rules shared by every backend.

dtypes print as PyTorch prints them (``torch.float32``) so that tutorial output
carries over unchanged; they are plugrad objects, compared by identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class dtype:
    """A tensor element type, independent of any array library."""

    __module__ = "plugrad"  # Note: public as plugrad.dtype; type(x.dtype) reads like torch.dtype
    __slots__ = ("name", "is_floating_point", "is_complex", "is_signed", "itemsize", "category", "rank", "legacy")

    def __init__(self, name: str, category: int, rank: int, itemsize: int, signed: bool, legacy: str) -> None:
        self.name = name
        self.category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.rank = rank
        self.itemsize = itemsize
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = signed
        self.legacy = legacy

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)  # type: ignore[return-value]


bool_ = dtype("bool", 0, 0, 1, False, "BoolTensor")
uint8 = dtype("uint8", 1, 1, 1, False, "ByteTensor")
int8 = dtype("int8", 1, 2, 1, True, "CharTensor")
int16 = dtype("int16", 1, 3, 2, True, "ShortTensor")
int32 = dtype("int32", 1, 4, 4, True, "IntTensor")
int64 = dtype("int64", 1, 5, 8, True, "LongTensor")
float16 = dtype("float16", 2, 6, 2, True, "HalfTensor")
float32 = dtype("float32", 2, 7, 4, True, "FloatTensor")
float64 = dtype("float64", 2, 8, 8, True, "DoubleTensor")
complex64 = dtype("complex64", 3, 9, 8, True, "ComplexFloatTensor")
complex128 = dtype("complex128", 3, 10, 16, True, "ComplexDoubleTensor")

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
BY_NAME = {d.name: d for d in ALL_DTYPES}
ALIASES = {
    "float": float32,
    "double": float64,
    "half": float16,
    "long": int64,
    "int": int32,
    "short": int16,
    "cfloat": complex64,
    "cdouble": complex128,
}

_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the dtype used for Python floats; only ``float32`` and ``float64`` are allowed."""
    global _default_float
    if d is not float32 and d is not float64:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _default_float = d


def as_dtype(value: Any) -> dtype:
    """Turn a dtype, a dtype name or a Python type (``float``, ``int``, ``bool``) into a plugrad dtype."""
    if isinstance(value, dtype):
        return value
    if value is float:
        return _default_float
    if value is int:
        return int64
    if value is bool:
        return bool_
    if value is complex:
        return complex64
    if isinstance(value, str):
        name = value[6:] if value.startswith("torch.") else value
        found = BY_NAME.get(name) or ALIASES.get(name)
        if found is not None:
            return found
    native_name = getattr(value, "name", None)  # a backend's native dtype (numpy.dtype, cupy dtype)
    if isinstance(native_name, str) and native_name in BY_NAME:
        return BY_NAME[native_name]
    known = ", ".join(d.name for d in ALL_DTYPES)
    raise TypeError(f"cannot interpret {value!r} as a plugrad dtype; known dtypes: {known}")


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to without losing their category (PyTorch's table)."""
    if a is b:
        return a
    if {a, b} == {uint8, int8}:
        return int16
    if a.category == 3 or b.category == 3:
        real = promote_types(a.to_real() if a.category == 3 else a, b.to_real() if b.category == 3 else b)
        return complex128 if real is float64 else complex64
    return a if a.rank > b.rank else b


def scalar_category(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return 1
    if isinstance(value, float):
        return 2
    if isinstance(value, complex):
        return 3
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def default_dtype_for_category(category: int) -> dtype:
    return (bool_, int64, _default_float, complex64 if _default_float is float32 else complex128)[category]


def result_type(operands: Iterable[tuple[dtype, int] | int]) -> dtype:
    """PyTorch's promotion: each operand is ``(dtype, ndim)`` for a tensor or a category for a Python scalar.

    Dimensioned tensors win over zero-dim tensors, which win over Python scalars, unless a lower priority
    operand belongs to a higher category (bool < int < float < complex): then the category rises, keeping a
    floating dtype's precision (float64 with a complex zero-dim tensor gives complex128) and otherwise taking
    the lower operand's dtype (a Python number's default dtype).
    """
    dim_t: dtype | None = None
    zero_t: dtype | None = None
    wrapped: dtype | None = None
    for op in operands:
        if isinstance(op, tuple):
            d, nd = op
            if nd:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            d = default_dtype_for_category(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    result = _combine_categories(dim_t, _combine_categories(zero_t, wrapped))
    assert result is not None
    return result


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """PyTorch's combine_categories: ``higher`` (a higher-priority operand's dtype) unless ``lower`` belongs to a
    higher category."""
    if higher is None:
        return lower
    if lower is None or higher.category == 3:
        return higher
    if lower.category == 3:
        if higher.category == 2:  # keep the floating precision (float16 has no complex32 here: complex64)
            return complex128 if higher is float64 else complex64
        return lower
    if higher.category == 2:
        return higher
    if higher is bool_ or lower.category == 2:
        return promote_types(higher, lower)
    return higher


class layout:  # noqa: N801 - PyTorch's name
    """How a tensor's elements are stored; plugrad has dense (``strided``) tensors only."""

    __module__ = "plugrad"
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


strided = layout("strided")


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    __module__ = "plugrad"  # Note: public as plugrad.Size
    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(int(s)) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):  # type: ignore[override]
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):  # type: ignore[override]
        return Size(tuple(self) + tuple(other))
