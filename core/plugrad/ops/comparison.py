"""Comparisons and ``where``. Comparison results are bool tensors that never require grad."""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import direct, generic
from ..testing.samples import Mask, Sample, T, binary_samples
from ._promote import is_complex_data, promote
from .elementwise import _require_input
from .registry import defop


def _no_vjp(ctx: Any, g: Any) -> tuple:
    raise RuntimeError(f"{ctx.name()} is not differentiable")


def _comparison(name: str, xp_name: str, ordered: bool = False) -> Any:
    op = defop(name, 2, vjp=_no_vjp, saves=((), ()), samples=binary_samples(),
               reference=lambda np, x, y, _n=xp_name: getattr(np, _n)(x, y))
    direct(name, xp_name)

    def fn(input: Any, other: Any) -> Any:  # noqa: A002
        x, y = promote(input, other, name)
        if not hasattr(x, "_data"):
            x, y = y, x
            if ordered and is_complex_data(x):
                raise _unordered(name, x)
            return _REVERSED[name].dispatch_nograd((x, y))
        if ordered and is_complex_data(x):
            raise _unordered(name, x)
        return op.dispatch_nograd((x, y))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{xp_name}`` comparison, giving a bool tensor (never requires grad)."
    return op, fn


EQ, eq = _comparison("eq", "equal")
NE, ne = _comparison("ne", "not_equal")
LT, lt = _comparison("lt", "less", ordered=True)
LE, le = _comparison("le", "less_equal", ordered=True)
GT, gt = _comparison("gt", "greater", ordered=True)
GE, ge = _comparison("ge", "greater_equal", ordered=True)
_REVERSED = {"eq": EQ, "ne": NE, "lt": GT, "le": GE, "gt": LT, "ge": LE}
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _unordered(name: str, t: Any) -> NotImplementedError:
    """Complex numbers have no order: PyTorch has no kernel of ``<``, ``<=``, ``>``, ``>=`` for them."""
    return NotImplementedError(f"\"{name}_cpu\" not implemented for '{_short(t.dtype)}'")


def _where_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    cond = ctx.attrs[0]
    z = zeros_like(g)
    need = ctx.needs_input_grad
    return (WHERE.dispatch((g, z), (cond,)) if need[0] else None,
            WHERE.dispatch((z, g), (cond,)) if need[1] else None)


WHERE = defop("where", 2, vjp=_where_vjp, saves=((), ()),
              samples=lambda: [Sample((T((3, 4)), T((3, 4))), (Mask((3, 4)),), name="same"),
                               Sample((T((3, 1)), T((4,))), (Mask((3, 4)),), name="broadcast")],
              reference=lambda np, x, y, cond: np.where(cond, x, y))


@generic("where")
def _where_kernel(xp: Any) -> Any:
    def where_(x: Any, y: Any, cond: Any) -> Any:
        return xp.where(cond, x, y)

    return where_


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (broadcast together)."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond_dtype = getattr(condition, "dtype", None)
    if cond_dtype is not None and cond_dtype is not _dt.bool_:
        if cond_dtype is not _dt.uint8:
            raise RuntimeError(
                f"where expected condition to be a boolean tensor, but got a tensor with dtype {_short(cond_dtype)}")
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed in "
                      "a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
    if not hasattr(input, "_data") and not hasattr(other, "_data"):
        if cond_dtype is None:
            raise TypeError("where(): at least one of condition, input and other must be a Tensor")
        # Two Python numbers: the result has the condition's shape and the numbers' default dtype (where(c, 1, 0)
        # is int64, where(c, 1, 0.5) the default float).
        from .creation import full_like

        category = max(_dt.scalar_category(input), _dt.scalar_category(other))
        input = full_like(condition, input, dtype=_dt.default_dtype_for_category(category))
    x, y = promote(input, other, "where")
    if not hasattr(x, "_data"):
        from .creation import full_like

        x = full_like(y, x)
    if not hasattr(y, "_data"):
        from .creation import full_like

        y = full_like(x, y)
    cond = condition._data if hasattr(condition, "_data") else condition
    if hasattr(condition, "dtype") and condition.dtype.category != 0:
        cond = cond != 0
    out = WHERE.dispatch((x, y), (cond,))
    shape = tuple(out._data.shape)
    cshape = tuple(getattr(cond, "shape", ()))
    if cshape != shape and len(cshape) >= len(shape):
        from .shape import expand

        out = expand(out, _broadcast_shapes(cshape, shape))
    return out


def _short(d: Any) -> str:
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _broadcast_shapes(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b))


def _isclose_samples() -> list[Sample]:
    return [Sample((T((3, 4)), T((3, 4))), (1e-5, 1e-8, False), name="random", gradcheck=False, gradgradcheck=False),
            Sample((T((3, 4)), T((4,))), (0.5, 0.5, True), name="broadcast_loose", gradcheck=False, gradgradcheck=False)]


ISCLOSE = defop("isclose", 2, vjp=None, samples=_isclose_samples,
                reference=lambda np, x, y, rtol, atol, equal_nan: np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


@generic("isclose")
def _isclose_kernel(xp: Any) -> Any:
    # PyTorch's algorithm: equal values are close (equal infinities too); otherwise the difference must be
    # finite and within atol + |rtol * other| (so nothing finite is close to an infinity).
    def isclose(x: Any, y: Any, rtol: float, atol: float, equal_nan: bool) -> Any:
        close = x == y
        if equal_nan:
            close = xp.logical_or(close, xp.logical_and(xp.isnan(x), xp.isnan(y)))
        if rtol == 0 and atol == 0:
            return close
        if not (xp.isdtype(x.dtype, ("real floating", "complex floating")) if hasattr(xp, "isdtype")
                else x.dtype.kind in "fc"):
            x = xp.asarray(x, dtype=xp.float32)
            y = xp.asarray(y, dtype=xp.float32)
        actual = xp.abs(x - y)
        allowed = atol + xp.abs(rtol * y)
        return xp.logical_or(close, xp.logical_and(xp.isfinite(actual), actual <= allowed))

    return isclose


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:  # noqa: A002
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor (NaNs equal only with ``equal_nan``)."""
    _require_input("isclose", input)
    if not hasattr(other, "_data"):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    if input.dtype is not other.dtype:  # PyTorch compares tensors of one dtype only
        raise RuntimeError(f"{input.dtype.legacy[:-len('Tensor')]} did not match {other.dtype.legacy[:-len('Tensor')]}")
    x, y = promote(input, other, "isclose")
    return ISCLOSE.dispatch_nograd((x, y), (rtol, atol, equal_nan))


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """True when :func:`isclose` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """True when both tensors have the same shape and the same values."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(eq(input, other).all().item())


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "where",
           "isclose", "allclose", "equal"]
