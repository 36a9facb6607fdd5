"""Operand preparation for elementwise ops: PyTorch's type promotion, done before any kernel runs."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from . import registry as _reg


def _is_tensor(x: Any) -> bool:
    return isinstance(x, _reg.Tensor)


def _check_scalar(x: Any, opname: str) -> None:
    if not isinstance(x, (int, float, complex, bool)):
        raise TypeError(
            f"{opname}(): expected a Tensor or a Python number, but got {type(x).__name__}"
        )


_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2, complex: 3}
_NATIVE_CATEGORY: dict[Any, int] = {}  # a backend's native dtype -> its category (bool 0, int 1, float 2, complex 3)


def promote(x: Any, y: Any, opname: str) -> tuple[Any, Any]:
    """Cast ``x`` and ``y`` (Tensors or Python numbers, at least one Tensor) to their common dtype.

    Python numbers stay numbers when the tensor's dtype can hold them (``x * 2`` on float32 stays
    float32); otherwise the tensor is cast, e.g. int64 * 2.5 gives float32 as in PyTorch.
    """
    T = _reg.Tensor
    if isinstance(x, T):
        cat = _SCALAR_CATEGORY.get(type(y))
        if cat is not None:
            # Fast path: a Python number the tensor's dtype already holds.
            native = x._data.dtype
            tcat = _NATIVE_CATEGORY.get(native)
            if tcat is None:
                tcat = _NATIVE_CATEGORY[native] = x._backend.dtype_of(x._data).category
            if tcat >= cat:
                if cat == 1 and tcat == 1:
                    return x, _wrap_int(y, native, x)
                return x, y
            return _to(x, _scalar_target(x, tcat, cat)), y
        if isinstance(y, T):
            if x._data.shape != y._data.shape:
                check_broadcast(x._data.shape, y._data.shape)
            dx = x._data.dtype
            if dx == y._data.dtype:
                return x, y
            tx, ty = x.dtype, y.dtype
            target = _dt.result_type(((tx, x._data.ndim), (ty, y._data.ndim)))
            if tx is not target:
                x = _to(x, target)
            if ty is not target:
                y = _to(y, target)
            return x, y
        return _with_scalar(x, y, opname), y
    _check_scalar(x, opname)
    if not _is_tensor(y):
        raise TypeError(f"{opname}(): expected at least one Tensor argument, got {type(x).__name__} and {type(y).__name__}")
    return x, _with_scalar(y, x, opname)


_INT_BOUNDS: dict[Any, tuple[int, int, int]] = {}  # an integer native dtype -> (lowest, highest, 2 ** bits)


def _wrap_int(value: int, native: Any, t: Any) -> int:
    """``value`` as the integer tensor ``t``'s dtype holds it: an out-of-range Python int wraps around, as
    PyTorch casts the scalar (``uint8 + 1000`` adds 232) where the array library would raise."""
    bounds = _INT_BOUNDS.get(native)
    if bounds is None:
        d = t.dtype
        span = 1 << (8 * d.itemsize)
        lo = -(span >> 1) if d.is_signed else 0
        bounds = _INT_BOUNDS[native] = (lo, lo + span - 1, span)
    lo, hi, span = bounds
    if lo <= value <= hi:
        return value
    if value >= 1 << 64:
        raise OverflowError("int too big to convert")
    if value < -(1 << 63):
        raise OverflowError("can't convert negative int to unsigned")
    return (value - lo) % span + lo


def check_broadcast(a: tuple, b: tuple) -> None:
    """Raise PyTorch's error when shapes ``a`` and ``b`` do not broadcast (checked before any kernel runs)."""
    n = max(len(a), len(b))
    for i in range(n - 1, -1, -1):
        da = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        db = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            )


def _with_scalar(t: Any, s: Any, opname: str) -> Any:
    _check_scalar(s, opname)
    tcat = t.dtype.category
    scat = _dt.scalar_category(s)
    if scat > tcat:
        return _to(t, _scalar_target(t, tcat, scat))
    return t


def _scalar_target(t: Any, tcat: int, scat: int) -> _dt.dtype:
    """The dtype tensor ``t`` (of category ``tcat``) takes on to meet a Python number of category ``scat``."""
    if scat == 3 and tcat == 2 and t.dtype is _dt.float64:
        return _dt.complex128  # Note: a float tensor meeting a complex number keeps its precision
    return _dt.default_dtype_for_category(scat)


def is_complex_data(t: Any) -> bool:
    """Whether tensor ``t`` is complex: one lookup on its native dtype, cheap enough for the hot VJP rules."""
    native = t._data.dtype
    cat = _NATIVE_CATEGORY.get(native)
    if cat is None:
        cat = _NATIVE_CATEGORY[native] = t._backend.dtype_of(t._data).category
    return cat == 3


def float_operand(t: Any) -> Any:
    """Integer and bool tensors become the default float dtype (for div, sqrt, exp...)."""
    if t.dtype.category < 2:
        return _to(t, _dt.get_default_dtype())
    return t


def _to(t: Any, d: _dt.dtype) -> Any:
    from .conversion import _to_dtype

    return _to_dtype(t, d)
