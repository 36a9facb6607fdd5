"""Reductions: sum, mean, and the sum-to-shape the engine uses to unbroadcast gradients."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from .registry import defop


def _dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalize ``dim`` (int, sequence or None) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, int) or hasattr(dim, "__index__"):
        dim = (int(dim),)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def _restore_dims(g: Any, dims: tuple[int, ...] | None, keepdim: bool, in_ndim: int) -> Any:
    """Reinsert reduced axes into ``g`` so it broadcasts against the input."""
    if keepdim or dims is None or not in_ndim:
        return g
    from .shape import reshape

    shape = list(g.shape)
    for d in dims:
        shape.insert(d, 1)
    return reshape(g, tuple(shape))


def _reduction_samples() -> list[Sample]:
    return [
        Sample((T(()),), (None, False), name="zero_dim"),
        Sample((T((3, 4)),), (None, False), name="all"),
        Sample((T((3, 4)),), ((1,), False), name="dim1"),
        Sample((T((2, 3, 4)),), ((0, 2), True), name="dims_keepdim"),
        Sample((T((2, 3)),), ((0,), True), name="keepdim"),
        Sample((T((0, 3)),), ((1,), False), name="empty", gradgradcheck=False),
    ]


# --- sum ----------------------------------------------------------------------------------


def _sum_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import expand

    shape = ctx.input_shape(0)
    dims, keepdim = ctx.attrs[0], ctx.attrs[1]
    return (expand(_restore_dims(g, dims, keepdim, len(shape)), shape),)


SUM = defop("sum", 1, vjp=_sum_vjp, node="SumBackward0", saves=((),),
            samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is None],
            reference=lambda np, x, dims, keepdim: np.sum(x, axis=dims, keepdims=keepdim))
SUM_DIM = defop("sum_dim", 1, vjp=_sum_vjp, node="SumBackward1", saves=((),),
                samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is not None],
                reference=lambda np, x, dims, keepdim: np.sum(x, axis=dims, keepdims=keepdim))


@generic("sum")
def _sum_kernel(xp: Any) -> Any:
    def sum_(x: Any, dims: Any, keepdim: bool) -> Any:
        return xp.sum(x, axis=dims, keepdims=keepdim)

    return sum_


@generic("sum_dim")
def _sum_dim_kernel(xp: Any) -> Any:
    def sum_dim(x: Any, dims: Any, keepdim: bool) -> Any:
        return xp.sum(x, axis=dims, keepdims=keepdim)

    return sum_dim


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A001,A002
    """Sum of all elements, or over ``dim`` (int or tuple); bool and integer inputs sum as int64."""
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    elif input.dtype.category < 2:
        input = _to_dtype(input, _dt.int64)
    if dim is None:
        return SUM.dispatch((input,), (None, False))
    return SUM_DIM.dispatch((input,), (_dims(dim, input.ndim), keepdim))


# --- mean ---------------------------------------------------------------------------------


def _mean_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import expand

    shape = ctx.input_shape(0)
    dims, keepdim = ctx.attrs[0], ctx.attrs[1]
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return (expand(_restore_dims(g, dims, keepdim, len(shape)), shape) / max(n, 1) if n else
            expand(_restore_dims(g, dims, keepdim, len(shape)), shape) * float("nan"),)


MEAN = defop("mean", 1, vjp=_mean_vjp, node="MeanBackward0", saves=((),),
             samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is None and s.name != "empty"],
             reference=lambda np, x, dims, keepdim: np.mean(x, axis=dims, keepdims=keepdim))
MEAN_DIM = defop("mean_dim", 1, vjp=_mean_vjp, node="MeanBackward1", saves=((),),
                 samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is not None and s.name != "empty"],
                 reference=lambda np, x, dims, keepdim: np.mean(x, axis=dims, keepdims=keepdim))


@generic("mean")
def _mean_kernel(xp: Any) -> Any:
    def mean(x: Any, dims: Any, keepdim: bool) -> Any:
        return xp.mean(x, axis=dims, keepdims=keepdim)

    return mean


@generic("mean_dim")
def _mean_dim_kernel(xp: Any) -> Any:
    def mean_dim(x: Any, dims: Any, keepdim: bool) -> Any:
        return xp.mean(x, axis=dims, keepdims=keepdim)

    return mean_dim


def mean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """Mean of all elements, or over ``dim``; needs a floating dtype, as in PyTorch."""
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    d = input.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {d.legacy[:-6] if d.legacy.endswith('Tensor') else d.name}"
        )
    if dim is None:
        return MEAN.dispatch((input,), (None, False))
    return MEAN_DIM.dispatch((input,), (_dims(dim, input.ndim), keepdim))


# --- sum_to_size: the engine's unbroadcast ---------------------------------------------------


def _sum_to_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import expand

    return (expand(g, ctx.input_shape(0)),)


SUM_TO_SIZE = defop("sum_to_size", 1, vjp=_sum_to_vjp, saves=((),),
                    samples=lambda: [Sample((T((3, 4)),), ((4,),), name="leading"),
                                     Sample((T((2, 3, 4)),), ((3, 1),), name="keep1"),
                                     Sample((T((2, 3)),), ((),), name="to_scalar")],
                    reference=lambda np, x, shape: _np_sum_to(np, x, shape))


def _np_sum_to(np: Any, x: Any, shape: tuple) -> Any:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


@generic("sum_to_size")
def _sum_to_kernel(xp: Any) -> Any:
    def sum_to_size(x: Any, shape: tuple) -> Any:
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
        )
        if axes:
            x = xp.sum(x, axis=axes, keepdims=True)
        return xp.reshape(x, shape)

    return sum_to_size


def sum_to_size(input: Any, *size: Any) -> Any:  # noqa: A002
    """Sum ``input`` down to ``size``, which it must broadcast from (the reduction behind broadcasting's gradient)."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)
    if tuple(input.shape) == shape:
        return input
    return SUM_TO_SIZE.dispatch((input,), (shape,))


__all__ = ["sum", "mean", "sum_to_size"]
