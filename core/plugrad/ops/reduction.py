"""Reductions: sum, mean, prod, max/min, var/std, norms, logsumexp, cumulative ops, and the
sum-to-shape the engine uses to unbroadcast gradients."""

from __future__ import annotations

import builtins as _builtins
import warnings
from typing import Any

from .. import dtypes as _dt
from .. import return_types
from ..kernels.array_api import generic, is_complex_array
from ..testing.samples import Sample, T
from . import registry as _reg
from ._promote import is_complex_data
from .elementwise import complex_refused, holomorphic
from .registry import defop


def _dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalize ``dim`` (int, sequence or None) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, int) or hasattr(dim, "__index__"):
        dim = (int(dim),)
    n = _builtins.max(ndim, 1)
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


def _reduce_over_dims(fn_name: str) -> Any:
    """The kernel factory of a reduction ``(x, dims, keepdim)``: ``xp.<fn_name>`` over ``dims`` (None: all)."""

    def factory(xp: Any) -> Any:
        reduce = getattr(xp, fn_name)

        def kernel(x: Any, dims: Any, keepdim: bool) -> Any:
            return reduce(x, axis=dims, keepdims=keepdim)

        return kernel

    return factory


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
    from .shape import EXPAND

    shape = ctx.input_shape(0)
    dims, keepdim = ctx.attrs[0], ctx.attrs[1]
    # Note: the restored gradient broadcasts to the input's shape by construction: expand without re-checking.
    return (EXPAND.dispatch((_restore_dims(g, dims, keepdim, len(shape)),), (tuple(shape),)),)


SUM = defop("sum", 1, vjp=_sum_vjp, node="SumBackward0", saves=((),),
            samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is None],
            reference=lambda np, x, dims, keepdim: np.sum(x, axis=dims, keepdims=keepdim))
SUM_DIM = defop("sum_dim", 1, vjp=_sum_vjp, node="SumBackward1", saves=((),),
                samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is not None],
                reference=lambda np, x, dims, keepdim: np.sum(x, axis=dims, keepdims=keepdim))


generic("sum")(_reduce_over_dims("sum"))
generic("sum_dim")(_reduce_over_dims("sum"))


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A001,A002
    """Sum of all elements, or over ``dim`` (int or tuple); bool and integer inputs sum as int64."""
    input = _int_to_long(input, dtype)
    if dim is None:
        return SUM.dispatch((input,), (None, False))
    return SUM_DIM.dispatch((input,), (_dims(dim, input.ndim), keepdim))


# --- mean ---------------------------------------------------------------------------------


def _mean_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import expand

    shape = ctx.input_shape(0)
    dims, keepdim = ctx.attrs[0], ctx.attrs[1]
    n = _count(shape, dims)
    spread = expand(_restore_dims(g, dims, keepdim, len(shape)), shape)
    return (spread / n if n else spread * float("nan"),)


MEAN = defop("mean", 1, vjp=_mean_vjp, node="MeanBackward0", saves=((),),
             samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is None and s.name != "empty"],
             reference=lambda np, x, dims, keepdim: np.mean(x, axis=dims, keepdims=keepdim))
MEAN_DIM = defop("mean_dim", 1, vjp=_mean_vjp, node="MeanBackward1", saves=((),),
                 samples=lambda: [s for s in _reduction_samples() if s.attrs[0] is not None and s.name != "empty"],
                 reference=lambda np, x, dims, keepdim: np.mean(x, axis=dims, keepdims=keepdim))


generic("mean")(_reduce_over_dims("mean"))
generic("mean_dim")(_reduce_over_dims("mean"))


def mean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """Mean of all elements, or over ``dim``; needs a floating dtype, as in PyTorch."""
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    d = input.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {_short(d)}"
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


# --- shared helpers -------------------------------------------------------------------------


def _xp(t: Any) -> Any:
    return t._backend.namespace()


def _mask(arr: Any, like: Any) -> Any:
    """A backend bool array as a tensor on ``like``'s backend (a constant: masks never carry gradient)."""
    from ..tensor import _wrap

    return _wrap(arr, like._backend)


def _where(cond: Any, a: Any, b: Any) -> Any:
    from .comparison import where

    return where(cond, a, b)


def _one_dim(dim: Any, ndim: int) -> int:
    """A single ``dim`` normalized to a non-negative axis (0 for a 0-d tensor)."""
    if not isinstance(dim, int) and not hasattr(dim, "__index__"):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    d = _dims(int(dim), ndim)
    return d[0] if d else 0


def _count(shape: tuple, dims: tuple[int, ...] | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def _has_zero(x: Any) -> bool:
    return bool(_xp(x).any(x._data == 0))


def _unsqueeze(t: Any, axis: int) -> Any:
    from .shape import reshape

    shape = tuple(t.shape)
    return reshape(t, shape[:axis] + (1,) + shape[axis:])


def _pair_mask(x: Any, axis: int, relation: str) -> Any:
    """Bool tensor over the axis pair (axis, axis + 1) of size n x n: ``k == i`` or ``i >= k``."""
    xp = _xp(x)
    n = x.shape[axis]
    k = xp.reshape(xp.arange(n), (n, 1))
    i = xp.reshape(xp.arange(n), (1, n))
    m = (k == i) if relation == "eq" else (i >= k)
    return _mask(xp.reshape(m, (1,) * axis + (n, n) + (1,) * (x.ndim - axis - 1)), x)


def _leave_one_out(x: Any, axis: int) -> Any:
    """R with a new axis before ``axis``: ``R[..., k, i, ...] = x[..., i, ...]``, except 1 where ``i == k``.

    Reducing R over ``axis + 1`` leaves element k out of each product: the O(n^2) but twice
    differentiable form of the gradients of prod and cumprod when the input holds zeros.
    """
    from .shape import expand

    shape = tuple(x.shape)
    n = shape[axis]
    spread = expand(_unsqueeze(x, axis), shape[:axis] + (n,) + shape[axis:])
    return _where(_pair_mask(x, axis, "eq"), 1.0, spread)


def _slice(ndim: int, axis: int, sl: slice) -> tuple:
    idx = [slice(None)] * ndim
    idx[axis] = sl
    return tuple(idx)


def _cumulative(xp: Any, kind: str) -> Any:
    fn = getattr(xp, "cumulative_" + kind, None)
    return fn if fn is not None else getattr(xp, "cum" + kind)


def _reverse_cumsum_array(xp: Any, x: Any, axis: int) -> Any:
    cumsum = _cumulative(xp, "sum")
    return xp.flip(cumsum(xp.flip(x, axis=axis), axis=axis), axis=axis)


def _grad_enabled() -> bool:
    from ..autograd.grad_mode import state

    return state.enabled


def _float_only(name: str, input: Any) -> None:  # noqa: A002
    d = input.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_short(d)}")


def _short(d: Any) -> str:
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _nonempty(name: str, input: Any, dims: tuple[int, ...] | None) -> None:  # noqa: A002
    """Reductions without an identity (max, argmax, amax) need non-empty reduced dimensions."""
    if dims is None:
        if input.numel() == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return
    for d in dims:
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _int_to_long(input: Any, dtype: Any) -> Any:  # noqa: A002
    """sum/prod/cumsum rule: an explicit dtype wins, else bool and integer inputs accumulate in int64."""
    if dtype is not None:
        from .conversion import _to_dtype

        return _to_dtype(input, _dt.as_dtype(dtype))
    if input.dtype.category < 2:
        from .conversion import _to_dtype

        return _to_dtype(input, _dt.int64)
    return input


# --- prod -----------------------------------------------------------------------------------


def _prod_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import reshape

    (x,) = ctx.inputs
    dims, keepdim = ctx.attrs
    shape = ctx.input_shape(0)
    if not shape:
        return (g,)
    g = _restore_dims(g, dims, keepdim, len(shape))
    if not _has_zero(x):
        return (g * (_restore_dims(ctx.output, dims, keepdim, len(shape)) / x),)
    # Zeros: the product of all the other elements, computed without dividing.
    flat, axis = (reshape(x, (-1,)), 0) if dims is None else (x, dims[0])
    if _grad_enabled():
        others = prod(_leave_one_out(flat, axis), axis + 1)
    else:
        others = PROD_EXCEPT.dispatch_nograd((flat,), (axis,))
    return (g * (reshape(others, shape) if dims is None else others),)


def _prod_samples() -> list[Sample]:
    return [Sample((T(()),), (None, False), name="zero_dim"),
            Sample((T((3, 4), 0.5, 1.5),), (None, False), name="all"),
            Sample((T((3, 4), 0.5, 1.5),), ((1,), False), name="dim1"),
            Sample((T((2, 3, 4), 0.5, 1.5),), ((2,), True), name="keepdim"),
            Sample((T((3,), values=[0.0, 2.0, 3.0]),), (None, False), name="one_zero"),
            Sample((T((2, 3), values=[[0.0, 0.0, 3.0], [1.0, 0.0, 2.0]]),), ((1,), False), name="zeros_dim"),
            Sample((T((0, 3)),), ((0,), False), name="empty", gradgradcheck=False)]


PROD = defop("prod", 1, vjp=holomorphic(_prod_vjp), node="ProdBackward0", saves=((0, -1),),
             samples=lambda: [s for s in _prod_samples() if s.attrs[0] is None],
             reference=lambda np, x, dims, keepdim: np.prod(x, axis=dims, keepdims=keepdim))
PROD_DIM = defop("prod_dim", 1, vjp=holomorphic(_prod_vjp), node="ProdBackward1", saves=((0, -1),),
                 samples=lambda: [s for s in _prod_samples() if s.attrs[0] is not None],
                 reference=lambda np, x, dims, keepdim: np.prod(x, axis=dims, keepdims=keepdim))


generic("prod")(_reduce_over_dims("prod"))
generic("prod_dim")(_reduce_over_dims("prod"))


def _np_prod_except(np: Any, x: Any, axis: int) -> Any:
    out = np.empty_like(x)
    for i in range(x.shape[axis]):
        rest = np.delete(x, i, axis=axis)
        out[_slice(x.ndim, axis, slice(i, i + 1))] = np.prod(rest, axis=axis, keepdims=True)
    return out


PROD_EXCEPT = defop("prod_except", 1, vjp=None,
                    samples=lambda: [Sample((T((2, 4), values=[[0.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 2.0]]),), (1,),
                                            name="zeros", gradcheck=False, gradgradcheck=False),
                                     Sample((T((3, 2)),), (0,), name="plain", gradcheck=False, gradgradcheck=False)],
                    reference=_np_prod_except)


@generic("prod_except")
def _prod_except_kernel(xp: Any) -> Any:
    cumprod = _cumulative(xp, "prod")

    def prod_except(x: Any, axis: int) -> Any:
        # products of the elements before and after each position, along `axis`; no division
        n = x.shape[axis]
        if n <= 1:
            return xp.ones_like(x)
        ones = xp.ones(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype)
        head = x[_slice(x.ndim, axis, slice(0, n - 1))]
        before = xp.concat([ones, cumprod(head, axis=axis)], axis=axis)
        tail = xp.flip(x[_slice(x.ndim, axis, slice(1, n))], axis=axis)
        after = xp.flip(xp.concat([ones, cumprod(tail, axis=axis)], axis=axis), axis=axis)
        return before * after

    return prod_except


def prod(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """Product of all elements, or along one ``dim``; bool and integer inputs multiply as int64.
    The gradient is exact with zeros present (no division by the input)."""
    input = _int_to_long(input, dtype)
    if dim is None:
        return PROD.dispatch((input,), (None, False))
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return PROD_DIM.dispatch((input,), ((_one_dim(dim, input.ndim),) if input.ndim else (), keepdim))


# --- max / min: full, along a dim (values and indices), amax / amin, argmax / argmin ----------------


def _evenly_vjp(ctx: Any, g: Any) -> tuple:
    # Note: PyTorch spreads the gradient of a full max/min evenly over the tied elements (NaN ties NaN).
    from .comparison import eq
    from .elementwise import isnan, logical_and, logical_or

    (x,) = ctx.inputs
    out = ctx.output
    picked = logical_or(eq(x, out), logical_and(isnan(x), isnan(out)))
    return (_where(picked, g / sum(picked), 0.0),)


def _full_extremum_samples() -> list[Sample]:
    return [Sample((T(()),), name="zero_dim"),
            Sample((T((3, 4)),), name="matrix"),
            Sample((T((5,), values=[1.0, 3.0, 3.0, -2.0, 0.5]),), name="ties", gradcheck=False)]


MAX = defop("max", 1, vjp=_evenly_vjp, node="MaxBackward1", saves=((0, -1),), samples=_full_extremum_samples,
            reference=lambda np, x: np.max(x))
MIN = defop("min", 1, vjp=_evenly_vjp, node="MinBackward1", saves=((0, -1),), samples=_full_extremum_samples,
            reference=lambda np, x: np.min(x))
generic("max")(lambda xp: xp.max)
generic("min")(lambda xp: xp.min)


def _select_vjp(ctx: Any, grads: Any) -> tuple:
    # Note: the gradient of values goes to the element the index names (PyTorch's value_selecting backward).
    g = grads[0]
    indices = ctx.outputs[1]
    dim, keepdim = ctx.attrs[0], ctx.attrs[1]  # (kthvalue's k follows)
    shape = ctx.input_shape(0)
    if not shape:
        return (g,)
    if not keepdim:
        g = _unsqueeze(g, dim)
        indices = _unsqueeze(indices, dim)
    xp = _xp(g)
    n = shape[dim]
    positions = xp.reshape(xp.arange(n), (1,) * dim + (n,) + (1,) * (len(shape) - dim - 1))
    return (_where(_mask(positions == indices._data, g), g, 0.0),)


def _dim_extremum_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, False), name="dim1"),
            Sample((T((3, 4)),), (0, True), name="keepdim"),
            Sample((T((2, 3, 4)),), (2, False), name="last"),
            Sample((T(()),), (0, False), name="zero_dim"),
            Sample((T((2, 4), values=[[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 5.0]]),), (1, False), name="ties",
                   gradcheck=False),
            Sample((T((0, 3)),), (1, False), name="empty_kept_dim", gradgradcheck=False)]


def _np_select(np: Any, x: Any, dim: int, keepdim: bool, kind: str) -> tuple:
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    values = (np.max if kind == "max" else np.min)(x, axis=dim, keepdims=keepdim)
    indices = (np.argmax if kind == "max" else np.argmin)(x, axis=dim, keepdims=keepdim).astype(np.int64)
    return values, indices


MAX_DIM = defop("max_dim", 1, vjp=_select_vjp, node="MaxBackward0", nout=2, differentiable_outputs=(True, False),
                saves=((-1,),), samples=_dim_extremum_samples,
                reference=lambda np, x, dim, keepdim: _np_select(np, x, dim, keepdim, "max"))
MIN_DIM = defop("min_dim", 1, vjp=_select_vjp, node="MinBackward0", nout=2, differentiable_outputs=(True, False),
                saves=((-1,),), samples=_dim_extremum_samples,
                reference=lambda np, x, dim, keepdim: _np_select(np, x, dim, keepdim, "min"))


def _select_kernel(kind: str) -> Any:
    def factory(xp: Any) -> Any:
        reduce = xp.max if kind == "max" else xp.min
        arg = xp.argmax if kind == "max" else xp.argmin

        def select(x: Any, dim: int, keepdim: bool) -> tuple:
            if x.ndim == 0:
                return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
            indices = arg(x, axis=dim, keepdims=keepdim)
            if indices.dtype != xp.int64:
                indices = xp.astype(indices, xp.int64) if hasattr(xp, "astype") else indices.astype(xp.int64)
            return reduce(x, axis=dim, keepdims=keepdim), indices

        return select

    return factory


generic("max_dim")(_select_kernel("max"))
generic("min_dim")(_select_kernel("min"))


def _extremum(name: str, full: Any, along: Any, result: type, pair: str, input: Any, dim: Any,  # noqa: A002
              keepdim: bool) -> Any:
    if hasattr(dim, "_data"):
        from . import elementwise

        return getattr(elementwise, pair)(input, dim)
    if is_complex_data(input):
        if dim is None:
            raise complex_refused(f"{name}_all", input)
        raise RuntimeError(f"{name}(): does not support complex input")
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments: keepdim needs a dim")
        _nonempty(name, input, None)
        return full.dispatch((input,))
    d = _one_dim(dim, input.ndim)
    _nonempty(name, input, (d,))
    return result(along.dispatch((input,), (d, keepdim)))


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001,A002
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, :func:`maximum`.

    The full reduction spreads its gradient evenly over tied elements; along a dim the gradient
    goes to the element the index names (the first of the ties).
    """
    return _extremum("max", MAX, MAX_DIM, return_types.max, "maximum", input, dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001,A002
    """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, :func:`minimum`."""
    return _extremum("min", MIN, MIN_DIM, return_types.min, "minimum", input, dim, keepdim)


# --- sort / argsort / topk ----------------------------------------------------------------

def _sort_vjp(ctx: Any, grads: Any) -> tuple:
    # Note: each value's gradient goes back to the position its index names (scatter-add into zeros).
    from .creation import _zeros_native
    from .indexing import SCATTER_ADD

    g = grads[0]
    shape = tuple(ctx.input_shape(0))
    if not shape:
        return (g,)
    zeros = _zeros_native(shape, g._data.dtype, g._backend)
    return (SCATTER_ADD.dispatch((zeros, g), (ctx.attrs[0], ctx.outputs[1]._data)),)


def _stable_argsort(xp: Any, x: Any, dim: int, descending: bool) -> Any:
    """Indices that sort ``x`` along ``dim``; ties keep their order, NaN counts as the largest value."""
    if not descending:
        idx = xp.argsort(x, axis=dim, kind="stable")
    else:
        # Sorting the reversed array and reversing the result keeps ties in their original order.
        idx = (x.shape[dim] - 1) - xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
    return idx if idx.dtype == xp.int64 else idx.astype(xp.int64)


def _np_sort(np: Any, x: Any, dim: int, descending: bool, k: int | None = None) -> tuple:
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    idx = _stable_argsort(np, x, dim, descending)
    if k is not None:
        idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


@generic("sort")
def _sort_kernel(xp: Any) -> Any:
    def sort_(x: Any, dim: int, descending: bool) -> tuple:
        return _np_sort(xp, x, dim, descending)

    return sort_


@generic("topk")
def _topk_kernel(xp: Any) -> Any:
    def topk_(x: Any, dim: int, k: int, largest: bool) -> tuple:
        return _np_sort(xp, x, dim, largest, k)

    return topk_


def _sort_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, False), name="rows"),
            Sample((T((3, 4)),), (0, True), name="descending"),
            Sample((T((2, 3, 4)),), (2, True), name="last"),
            Sample((T(()),), (0, False), name="zero_dim"),
            Sample((T((0, 3)),), (1, False), name="empty", gradgradcheck=False)]


def _topk_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, 2, True), name="largest"),
            Sample((T((3, 4)),), (0, 2, False), name="smallest"),
            Sample((T((2, 3, 4)),), (2, 4, True), name="all"),
            Sample((T(()),), (0, 1, True), name="zero_dim")]


SORT = defop("sort", 1, vjp=_sort_vjp, node="SortBackward0", nout=2, differentiable_outputs=(True, False),
             saves=((-1,),), samples=_sort_samples,
             reference=lambda np, x, dim, descending: _np_sort(np, x, dim, descending))
TOPK = defop("topk", 1, vjp=_sort_vjp, node="TopkBackward0", nout=2, differentiable_outputs=(True, False),
             saves=((-1,),), samples=_topk_samples,
             reference=lambda np, x, dim, k, largest: _np_sort(np, x, dim, largest, k))


def _refuse_complex_sort(what: str, input: Any) -> None:  # noqa: A002
    if is_complex_data(input):
        raise RuntimeError(f" {what} does not support complex dtypes on CPU")  # Note: PyTorch's leading space


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:  # noqa: A002
    """``(values, indices)``: ``input`` sorted along ``dim``; plugrad's sort is always stable (ties keep their order)."""
    _refuse_complex_sort("Sort", input)
    d = _one_dim(dim, input.ndim)
    return return_types.sort(SORT.dispatch((input,), (d, bool(descending))))


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:  # noqa: A002
    """The indices that sort ``input`` along ``dim`` (as :func:`sort` returns them)."""
    _refuse_complex_sort("Sort", input)
    d = _one_dim(dim, input.ndim)
    return SORT.dispatch_nograd((input,), (d, bool(descending)))[1]


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along ``dim``, in order.

    Ties are taken in index order (PyTorch leaves their order unspecified).
    """
    _refuse_complex_sort("topk", input)
    if input.dtype is _dt.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = _one_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(TOPK.dispatch((input,), (d, int(k), bool(largest))))


# --- median / kthvalue / mode: an element picked along a dim, with its index -----------------------------


def _np_kth(np: Any, x: Any, dim: int, keepdim: bool, k: int, nan_first: bool) -> tuple:
    """The ``k``-th smallest (1-based) element along ``dim`` and its index (ties in index order; NaN counts as
    the largest value, and with ``nan_first`` a NaN in the slice is the answer, as median has it)."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    idx = _stable_argsort(np, x, dim, False)
    pick = np.take(idx, np.asarray([k - 1]), axis=dim)
    if nan_first and x.dtype.kind in "fc":
        nan = np.isnan(x)
        first_nan = np.argmax(nan, axis=dim, keepdims=True)
        if first_nan.dtype != np.int64:
            first_nan = first_nan.astype(np.int64)
        pick = np.where(np.any(nan, axis=dim, keepdims=True), first_nan, pick)
    values = np.take_along_axis(x, pick, axis=dim)
    if not keepdim:
        values, pick = np.squeeze(values, axis=dim), np.squeeze(pick, axis=dim)
    return values, pick


def _np_mode(np: Any, x: Any, dim: int, keepdim: bool) -> tuple:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and its last index."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    last = np.moveaxis(x, dim, -1)
    n = last.shape[-1]
    same = last[..., :, None] == last[..., None, :]
    floating = getattr(x.dtype, "kind", "") == "f"
    nan = np.isnan(last) if floating else np.zeros(last.shape, dtype=bool)
    if floating:  # NaNs count as one value (PyTorch sorts them together, after every number)
        same = same | (nan[..., :, None] & nan[..., None, :])
    counts = np.sum(same, axis=-1)
    best = np.max(counts, axis=-1, keepdims=True)
    # Among the most frequent, the smallest number wins (NaN only when it alone is the most frequent): rank
    # the others above every candidate.
    number = (counts == best) & ~nan
    top = np.max(np.where(nan, last.dtype.type(-np.inf) if floating else last, last), axis=-1, keepdims=True)
    value = np.min(np.where(number, last, top), axis=-1, keepdims=True)
    if floating:
        value = np.where(np.any(number, axis=-1, keepdims=True), value, last.dtype.type(np.nan))
    positions = np.reshape(np.arange(n, dtype=np.int64), (1,) * (last.ndim - 1) + (n,))
    hit = (last == value) | (nan & np.isnan(value)) if floating else last == value
    index = np.max(np.where(hit, positions, -1), axis=-1, keepdims=True)
    value, index = np.moveaxis(value, -1, dim), np.moveaxis(index, -1, dim)
    if not keepdim:
        value, index = np.squeeze(value, axis=dim), np.squeeze(index, axis=dim)
    return value, index


def _kth_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, False, 2), name="dim1"),
            Sample((T((3, 5)),), (0, True, 3), name="keepdim"),
            Sample((T((2, 3, 4)),), (2, False, 4), name="largest"),
            Sample((T(()),), (0, False, 1), name="zero_dim")]


def _median_dim_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, False), name="even"),
            Sample((T((3, 5)),), (0, True), name="keepdim"),
            Sample((T((2, 3, 5)),), (2, False), name="odd"),
            Sample((T(()),), (0, False), name="zero_dim")]


def _mode_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1, False), name="distinct"),
            Sample((T((2, 5), values=[[2.0, 1.0, 2.0, 1.0, 3.0], [5.0, 5.0, 0.0, 0.0, 0.0]]),), (1, True),
                   name="repeats", gradcheck=False, gradgradcheck=False),
            Sample((T(()),), (0, False), name="zero_dim")]


KTHVALUE = defop("kthvalue", 1, vjp=_select_vjp, node="KthvalueBackward0", nout=2,
                 differentiable_outputs=(True, False), saves=((-1,),), samples=_kth_samples,
                 reference=lambda np, x, dim, keepdim, k: _np_kth(np, x, dim, keepdim, k, False))
MEDIAN_DIM = defop("median_dim", 1, vjp=_select_vjp, node="MedianBackward1", nout=2,
                   differentiable_outputs=(True, False), saves=((-1,),), samples=_median_dim_samples,
                   reference=lambda np, x, dim, keepdim: _np_kth(np, x, dim, keepdim, (_size(x, dim) + 1) // 2,
                                                                 True))
MEDIAN = defop("median", 1, vjp=_evenly_vjp, node="MedianBackward0", saves=((0, -1),),
               samples=_full_extremum_samples,
               reference=lambda np, x: _np_kth(np, np.reshape(x, (-1,)), 0, False, (x.size + 1) // 2, True)[0])
MODE = defop("mode", 1, vjp=_select_vjp, node="ModeBackward0", nout=2, differentiable_outputs=(True, False),
             saves=((-1,),), samples=_mode_samples, reference=_np_mode)


def _size(x: Any, dim: int) -> int:
    return x.shape[dim] if x.ndim else 1


generic("kthvalue")(lambda xp: lambda x, dim, keepdim, k: _np_kth(xp, x, dim, keepdim, k, False))
generic("median_dim")(lambda xp: lambda x, dim, keepdim: _np_kth(xp, x, dim, keepdim, (_size(x, dim) + 1) // 2,
                                                                 True))
generic("median")(lambda xp: lambda x: _np_kth(xp, xp.reshape(x, (-1,)), 0, False, (x.size + 1) // 2, True)[0])
generic("mode")(lambda xp: lambda x, dim, keepdim: _np_mode(xp, x, dim, keepdim))


def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """``(values, indices)`` of the ``k``-th smallest element along ``dim`` (ties are taken in index order)."""
    if is_complex_data(input):
        raise complex_refused("kthvalue_cpu", input)
    if input.dtype is _dt.bool_:
        raise NotImplementedError('"kthvalue_cpu" not implemented for \'Bool\'')
    d = _one_dim(dim, input.ndim)
    if not 1 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return return_types.kthvalue(KTHVALUE.dispatch((input,), (d, bool(keepdim), int(k))))


def median(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median of all elements; with ``dim``, ``(values, indices)`` along it. NaN propagates.

    The full reduction spreads its gradient evenly over tied elements, as PyTorch does."""
    if input.dtype is _dt.bool_:
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not implemented for \'Bool\'')
    if is_complex_data(input):
        raise complex_refused("median_cpu" if dim is None else "median_out", input)
    if dim is None:
        if input.numel() == 0:
            from .creation import full_like

            return full_like(_empty_scalar(input), float("nan"))
        return MEDIAN.dispatch((input,))
    d = _one_dim(dim, input.ndim)
    _nonempty("median", input, (d,))
    return return_types.median(MEDIAN_DIM.dispatch((input,), (d, bool(keepdim))))


def _empty_scalar(input: Any) -> Any:  # noqa: A002
    from .creation import _zeros_native

    return _zeros_native((), input._data.dtype, input._backend)


def mode(input: Any, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally frequent ones)
    and the index of its last occurrence."""
    if is_complex_data(input):
        raise complex_refused("mode_cpu", input)
    d = _one_dim(dim, input.ndim)
    _nonempty("mode", input, (d,))
    return return_types.mode(MODE.dispatch((input,), (d, bool(keepdim))))


def _amax_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's scale_grad_by_count: ties share the gradient evenly.
    from .comparison import eq

    (x,) = ctx.inputs
    dims, keepdim = ctx.attrs
    ndim = len(ctx.input_shape(0))
    picked = eq(x, _restore_dims(ctx.output, dims, keepdim, ndim))
    g = _restore_dims(g, dims, keepdim, ndim)
    return ((g / sum(picked, dims, keepdim=True)) * picked,)


def _amax_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (None, False), name="all"),
            Sample((T((3, 4)),), ((1,), False), name="dim1"),
            Sample((T((2, 3, 4)),), ((0, 2), True), name="dims_keepdim"),
            Sample((T(()),), (None, False), name="zero_dim"),
            Sample((T((2, 4), values=[[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 5.0]]),), ((1,), False), name="ties",
                   gradcheck=False)]


AMAX = defop("amax", 1, vjp=_amax_vjp, saves=((0, -1),), samples=_amax_samples,
             reference=lambda np, x, dims, keepdim: np.max(x, axis=dims, keepdims=keepdim))
AMIN = defop("amin", 1, vjp=_amax_vjp, saves=((0, -1),), samples=_amax_samples,
             reference=lambda np, x, dims, keepdim: np.min(x, axis=dims, keepdims=keepdim))


generic("amax")(_reduce_over_dims("max"))
generic("amin")(_reduce_over_dims("min"))


def _all_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """``dim`` for amax-like ops: None or ``()`` mean every dimension."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return _dims(dim, ndim)


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Any:  # noqa: A002
    """The largest values over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    if is_complex_data(input):
        raise complex_refused("max_values_cpu", input)
    dims = _all_dims(dim, input.ndim)
    _nonempty("amax", input, dims)
    return AMAX.dispatch((input,), (dims, keepdim))


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Any:  # noqa: A002
    """The smallest values over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    if is_complex_data(input):
        raise complex_refused("min_values_cpu", input)
    dims = _all_dims(dim, input.ndim)
    _nonempty("amin", input, dims)
    return AMIN.dispatch((input,), (dims, keepdim))


def _arg_samples() -> list[Sample]:
    return [Sample((T((3, 4), grad=False),), (None, False), name="all", gradcheck=False, gradgradcheck=False),
            Sample((T((3, 4), grad=False),), (1, True), name="dim_keepdim", gradcheck=False, gradgradcheck=False),
            Sample((T((2, 3, 4), grad=False),), (0, False), name="dim0", gradcheck=False, gradgradcheck=False)]


def _np_arg(np: Any, x: Any, dim: Any, keepdim: bool, fn: str) -> Any:
    f = getattr(np, fn)
    if dim is None:
        r = f(x.reshape(-1))
        return np.asarray(r, dtype=np.int64).reshape((1,) * x.ndim if keepdim else ())
    return f(x, axis=dim, keepdims=keepdim).astype(np.int64)


ARGMAX = defop("argmax", 1, vjp=None, samples=_arg_samples,
               reference=lambda np, x, dim, keepdim: _np_arg(np, x, dim, keepdim, "argmax"))
ARGMIN = defop("argmin", 1, vjp=None, samples=_arg_samples,
               reference=lambda np, x, dim, keepdim: _np_arg(np, x, dim, keepdim, "argmin"))


def _arg_kernel(name: str) -> Any:
    def factory(xp: Any) -> Any:
        fn = getattr(xp, name)

        def arg(x: Any, dim: Any, keepdim: bool) -> Any:
            if dim is None:
                r = fn(xp.reshape(x, (-1,)))
                r = xp.reshape(r, (1,) * x.ndim if keepdim else ())
            elif x.ndim == 0:
                r = xp.zeros((), dtype=xp.int64)
            else:
                r = fn(x, axis=dim, keepdims=keepdim)
            return r if r.dtype == xp.int64 else xp.astype(r, xp.int64)

        return arg

    return factory


generic("argmax")(_arg_kernel("argmax"))
generic("argmin")(_arg_kernel("argmin"))


def _arg(name: str, op: Any, input: Any, dim: Any, keepdim: bool) -> Any:  # noqa: A002
    category = input.dtype.category
    if category == 0:
        raise RuntimeError(f"{name}(): does not support bool input; convert it with .int() first")
    if category == 3:
        raise RuntimeError(f"{name}(): does not support complex input")
    d = None if dim is None else _one_dim(dim, input.ndim)
    _nonempty(name, input, None if d is None else (d,))
    return op.dispatch_nograd((input,), (d, keepdim))


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """Index of the largest element (of the flattened input without ``dim``), int64, first of ties."""
    return _arg("argmax", ARGMAX, input, dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """Index of the smallest element (of the flattened input without ``dim``), int64, first of ties."""
    return _arg("argmin", ARGMIN, input, dim, keepdim)


# --- var / std ------------------------------------------------------------------------------


def _var_grad(x: Any, g: Any, dims: Any, correction: Any, keepdim: bool) -> Any:
    shape = tuple(x.shape)
    dof = _count(shape, dims) - correction
    # Note: PyTorch's var_backward divides by the unclamped dof; 2 / 0 is inf, so a single element gives NaN.
    scale = 2.0 / dof if dof else float("inf")
    centered = x - mean(x, dims, keepdim=True) if dims is not None else x - mean(x)
    return scale * _restore_dims(g, dims, keepdim, len(shape)) * centered


def _var_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    dims, correction, keepdim = ctx.attrs
    return (_var_grad(x, g, dims, correction, keepdim),)


def _std_vjp(ctx: Any, g: Any) -> tuple:
    from .comparison import eq

    (x,) = ctx.inputs
    dims, correction, keepdim = ctx.attrs
    out = ctx.output
    # where the std is 0 the gradient is 0 (PyTorch's std_backward)
    g = _where(eq(out, 0), 0.0, g / (2 * _where(eq(out, 0), 1.0, out)))
    return (_var_grad(x, g, dims, correction, keepdim),)


def _var_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (None, 1, False), name="all"),
            Sample((T((3, 4)),), ((1,), 1, False), name="dim1"),
            Sample((T((3, 4)),), ((0,), 0, True), name="biased_keepdim"),
            Sample((T((2, 3, 4)),), ((0, 2), 2, False), name="dims_correction2"),
            Sample((T((5,)),), (None, 0, False), name="vector_biased")]


VAR = defop("var", 1, vjp=_var_vjp, saves=((0,),), samples=_var_samples,
            reference=lambda np, x, dims, c, keepdim: np.var(x, axis=dims, ddof=c, keepdims=keepdim))
STD = defop("std", 1, vjp=_std_vjp, saves=((0, -1),), samples=_var_samples,
            reference=lambda np, x, dims, c, keepdim: np.std(x, axis=dims, ddof=c, keepdims=keepdim))


def _var_array(xp: Any, x: Any, dims: Any, correction: Any, keepdim: bool) -> Any:
    n = _count(x.shape, dims)
    out_shape = xp.sum(x, axis=dims, keepdims=keepdim).shape
    dof = n - correction
    centered = x - xp.mean(x, axis=dims, keepdims=True) if n else x
    if is_complex_array(xp, x):
        # Note: a complex variance is real, the mean squared distance |x - mean|^2 (var of the real part plus
        # var of the imaginary part), as PyTorch's
        re, im = xp.real(centered), xp.imag(centered)
        squares = re * re + im * im
    else:
        squares = centered * centered
    real_dtype = squares.dtype
    if n == 0:
        return xp.full(out_shape, float("nan"), dtype=real_dtype)
    ss = xp.sum(squares, axis=dims, keepdims=keepdim)
    if dof <= 0:
        # x / 0 without a division warning: inf where the sum of squares is positive, NaN where it is 0 or NaN
        return xp.where(ss > 0, xp.asarray(float("inf"), dtype=real_dtype),
                        xp.asarray(float("nan"), dtype=real_dtype))
    return ss / xp.asarray(dof, dtype=real_dtype)


@generic("var")
def _var_kernel(xp: Any) -> Any:
    def var(x: Any, dims: Any, correction: Any, keepdim: bool) -> Any:
        return _var_array(xp, x, dims, correction, keepdim)

    return var


@generic("std")
def _std_kernel(xp: Any) -> Any:
    def std(x: Any, dims: Any, correction: Any, keepdim: bool) -> Any:
        return xp.sqrt(_var_array(xp, x, dims, correction, keepdim))

    return std


def _var_args(name: str, input: Any, dim: Any, unbiased: Any, correction: Any) -> tuple:  # noqa: A002
    d = input.dtype
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(f"std and var only support floating point and complex dtypes (got {d}); use .float() first")
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{name}: can't pass both unbiased and correction; correction=0 is unbiased=False")
    c = correction if correction is not None else (0 if unbiased is False else 1)
    dims = None if dim is None else _dims(dim, input.ndim)
    if dims == () and input.ndim:
        dims = None
    n = _count(tuple(input.shape), dims)
    if n - c <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
            "(input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return dims, c


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Any:
    """Variance over ``dim`` (all by default), divided by ``N - correction`` (Bessel's ``correction=1``
    unless ``unbiased=False``)."""
    dims, c = _var_args("var", input, dim, unbiased, correction)
    return VAR.dispatch((input,), (dims, c, keepdim))


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Any:
    """Standard deviation: the square root of :func:`var`; the gradient is 0 where it is 0."""
    dims, c = _var_args("std", input, dim, unbiased, correction)
    return STD.dispatch((input,), (dims, c, keepdim))


def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple:
    """``(var, mean)`` over ``dim``, as :func:`var` and :func:`mean` give them."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim if dim is not None else None, keepdim))


def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple:
    """``(std, mean)`` over ``dim``, as :func:`std` and :func:`mean` give them."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim if dim is not None else None, keepdim))


def aminmax(input: Any, *, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``(min, max)``: :func:`amin` and :func:`amax` over ``dim`` (an int; all elements by default)."""
    if is_complex_data(input):
        raise complex_refused("aminmax_cpu", input)
    if dim is None:
        if keepdim and input.ndim:
            dims = tuple(range(input.ndim))
            return return_types.aminmax((amin(input, dims, True), amax(input, dims, True)))
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        return return_types.aminmax((amin(input), amax(input)))
    d = _one_dim(dim, input.ndim)
    return return_types.aminmax((amin(input, d, keepdim), amax(input, d, keepdim)))


def _nan_as_zero(input: Any) -> Any:  # noqa: A002
    from .elementwise import isnan

    return _where(isnan(input), 0.0, input) if input.dtype.category >= 2 else input


def nansum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """:func:`sum` counting NaN as zero (the gradient at a NaN is 0)."""
    if is_complex_data(input):
        raise RuntimeError("nansum on CPU does not support complex inputs")
    return sum(_nan_as_zero(input), dim, keepdim, dtype=dtype)


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """:func:`mean` of the elements that are not NaN (NaN where all of them are)."""
    if is_complex_data(input):
        raise RuntimeError("nansum on CPU does not support complex inputs")  # Note: PyTorch's nanmean is a nansum
    from .elementwise import isnan, logical_not

    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_short(input.dtype)}")
    counted = sum(logical_not(isnan(input)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


# --- logsumexp ------------------------------------------------------------------------------


def _logsumexp_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import exp

    (x,) = ctx.inputs
    dims, keepdim = ctx.attrs
    ndim = len(ctx.input_shape(0))
    out = _restore_dims(ctx.output, dims, keepdim, ndim)
    return (_restore_dims(g, dims, keepdim, ndim) * exp(x - out),)


LOGSUMEXP = defop("logsumexp", 1, vjp=holomorphic(_logsumexp_vjp), saves=((0, -1),),
                  samples=lambda: [Sample((T((3, 4), -3.0, 3.0),), ((1,), False), name="dim1"),
                                   Sample((T((2, 3, 4), -3.0, 3.0),), ((0, 2), True), name="dims_keepdim"),
                                   Sample((T(()),), ((), False), name="zero_dim"),
                                   Sample((T((2, 3), values=[[1000.0, 1000.0, -1000.0], [-5.0, 0.0, 5.0]]),),
                                          ((1,), False), name="large", gradgradcheck=False)],
                  reference=lambda np, x, dims, keepdim: _np_logsumexp(np, x, dims, keepdim))


def _np_logsumexp(np: Any, x: Any, dims: Any, keepdim: bool) -> Any:
    m = np.max(x, axis=dims, keepdims=True)
    m = np.where(np.isinf(m), 0, m)
    r = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
    return r if keepdim else r.reshape(np.sum(x, axis=dims).shape)


@generic("logsumexp")
def _logsumexp_kernel(xp: Any) -> Any:
    def logsumexp(x: Any, dims: Any, keepdim: bool) -> Any:
        if x.size == 0:
            shape = xp.sum(x, axis=dims, keepdims=keepdim).shape
            return xp.full(shape, float("-inf"), dtype=x.dtype)
        m = xp.max(x, axis=dims, keepdims=True)
        m = xp.where(xp.isinf(m), xp.asarray(0, dtype=x.dtype), m)  # all -inf (or +inf) rows stay finite here
        s = xp.sum(xp.exp(x - m), axis=dims, keepdims=True)
        empty = s == 0
        r = xp.where(empty, xp.asarray(float("-inf"), dtype=x.dtype),
                     xp.log(xp.where(empty, xp.asarray(1, dtype=x.dtype), s)) + m)
        if not keepdim:
            r = xp.reshape(r, xp.sum(x, axis=dims).shape)
        return r

    return logsumexp


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Any:  # noqa: A002
    """``log(sum(exp(input), dim))`` computed stably (shifted by the max); integer inputs give floats."""
    from ._promote import float_operand

    input = float_operand(input)
    dims = _dims(dim, input.ndim)
    if dims == () and input.ndim:
        dims = tuple(range(input.ndim))
    return LOGSUMEXP.dispatch((input,), (dims, keepdim))


# --- norm -----------------------------------------------------------------------------------


def _norm_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's norm_backward, case by case; subgradient 0 where the norm is 0.
    from .comparison import eq
    from .elementwise import abs, isnan, logical_or, sign

    (x,) = ctx.inputs
    p, dims, keepdim = ctx.attrs
    ndim = len(ctx.input_shape(0))
    g = _restore_dims(g, dims, keepdim, ndim)
    norm = _restore_dims(ctx.output, dims, keepdim, ndim)
    if p == 0:
        return (None,)
    if is_complex_data(x):
        from .special import sgn as sign  # Note: x / |x| (0 at 0), the derivative of |x| for complex x
    if p == 1:
        return (sign(x) * g,)
    zero = eq(norm, 0)
    safe_norm = _where(zero, 1.0, norm)
    if p == 2:
        return (g * _where(zero, 0.0, x / safe_norm),)
    if p in (float("inf"), float("-inf")):
        ax = abs(x)
        picked = logical_or(eq(ax, norm), isnan(ax))
        return (sign(x) * ((g / sum(picked, dims, keepdim=True)) * picked),)
    if p < 1:
        x_zero = eq(x, 0)
        scaled = sign(x) * _where(x_zero, 0.0, abs(_where(x_zero, 1.0, x)) ** (p - 1))
        return (scaled * g * norm ** (1 - p),)
    scaled = sign(x) * abs(x) ** (p - 1) if p < 2 else x * abs(x) ** (p - 2)
    return (scaled * _where(zero, 0.0, g / safe_norm ** (p - 1)),)


def _norm_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (2.0, None, False), name="fro"),
            Sample((T((3, 4)),), (2.0, (1,), True), name="dim_keepdim"),
            Sample((T((3, 4)),), (1.0, (0,), False), name="p1"),
            Sample((T((2, 3, 4)),), (3.0, (0, 2), False), name="p3"),
            Sample((T((3, 4)),), (1.5, None, False), name="p1_5"),
            Sample((T((3, 4)),), (0.5, (1,), False), name="p0_5"),
            Sample((T((3, 4)),), (float("inf"), (1,), False), name="inf"),
            Sample((T((3, 4)),), (float("-inf"), None, False), name="neg_inf"),
            Sample((T((3, 4)),), (0.0, None, False), name="p0", gradcheck=False, gradgradcheck=False),
            Sample((T((2, 2), values=[[0.0, 0.0], [3.0, 4.0]]),), (2.0, (1,), False), name="zero_row",
                   gradcheck=False),
            Sample((T(()),), (2.0, None, False), name="zero_dim")]


def _np_norm(np: Any, x: Any, p: float, dims: Any, keepdim: bool) -> Any:
    a = np.abs(x)
    if p == float("inf"):
        return np.max(a, axis=dims, keepdims=keepdim)
    if p == float("-inf"):
        return np.min(a, axis=dims, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
    return np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)


VECTOR_NORM = defop("vector_norm", 1, vjp=_norm_vjp, node="LinalgVectorNormBackward0", saves=((0, -1),),
                    samples=_norm_samples, reference=_np_norm)


@generic("vector_norm")
def _vector_norm_kernel(xp: Any) -> Any:
    def vector_norm(x: Any, p: float, dims: Any, keepdim: bool) -> Any:
        a = xp.abs(x)
        if p == float("inf"):
            return xp.max(a, axis=dims, keepdims=keepdim)
        if p == float("-inf"):
            return xp.min(a, axis=dims, keepdims=keepdim)
        if p == 0:
            nonzero = a != 0
            return xp.sum(nonzero if nonzero.dtype == a.dtype else
                          (xp.astype(nonzero, a.dtype) if hasattr(xp, "astype") else nonzero.astype(a.dtype)),
                          axis=dims, keepdims=keepdim)
        if p == 1:
            return xp.sum(a, axis=dims, keepdims=keepdim)
        if p == 2:
            return xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
        return xp.pow(xp.sum(xp.pow(a, p), axis=dims, keepdims=keepdim), 1.0 / p)

    return vector_norm


def vector_norm(input: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Any:
    """The vector ``ord``-norm over ``dim`` (all elements by default): PyTorch's ``linalg.vector_norm``."""
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    _float_only("linalg.vector_norm", input)
    p = float(ord)
    dims = _all_dims(dim, input.ndim)
    if p in (float("inf"), float("-inf")) and input.numel() == 0:
        if dims is None:
            raise RuntimeError(
                "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not "
                "have an identity"
            )
        for d in dims:
            if input.shape[d] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the inf norm on the dimension {d} because this dimension "
                    "is empty and the operation does not have an identity"
                )
    return VECTOR_NORM.dispatch((input,), (p, dims, keepdim))


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,  # noqa: A002
         dtype: Any = None) -> Any:
    """The ``p``-norm of ``input`` over ``dim`` (all elements by default); ``'fro'`` is the 2-norm.

    The gradient at a zero norm is the subgradient 0, as in PyTorch.
    """
    if out is not None:
        raise TypeError("norm(): plugrad has no out= arguments; use the returned tensor (or out.copy_(result))")
    if p is None or p == "fro":
        p = 2.0
    elif isinstance(p, str):
        raise RuntimeError(
            f"norm(): p={p!r} is not supported; plugrad.norm computes vector norms: pass p='fro' or a number "
            "(the nuclear norm is the sum of the singular values)"
        )
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


# --- all / any / count_nonzero: no gradient ---------------------------------------------------


def _bool_reduction(name: str) -> Any:
    op = defop(name, 1, vjp=None,
               samples=lambda: [Sample((T((3, 4), grad=False),), (None, False), name="all_dims", gradcheck=False,
                                       gradgradcheck=False),
                                Sample((T((3, 4), dtype="bool", grad=False),), ((1,), True), name="bool_dim",
                                       gradcheck=False, gradgradcheck=False)],
               reference=lambda np, x, dims, keepdim, _n=name: getattr(np, _n)(x, axis=dims, keepdims=keepdim))

    generic(name)(_reduce_over_dims(name))

    def user(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
        from .conversion import _to_dtype

        dims = None if dim is None else _dims(dim, input.ndim)
        out = op.dispatch_nograd((input,), (dims, keepdim))
        return _to_dtype(out, _dt.uint8) if input.dtype is _dt.uint8 else out

    user.__name__ = user.__qualname__ = name
    user.__doc__ = (f"Whether {'every' if name == 'all' else 'any'} element (over ``dim``) is nonzero, "
                    "as a bool tensor (uint8 for uint8 input).")
    return op, user


ALL, all = _bool_reduction("all")  # noqa: A001 - PyTorch's names
ANY, any = _bool_reduction("any")  # noqa: A001


COUNT_NONZERO = defop("count_nonzero", 1, vjp=None,
                      samples=lambda: [Sample((T((3, 4), values=[[0.0, 1.0, 2.0, 0.0]] * 3, grad=False),), (None,),
                                              name="all", gradcheck=False, gradgradcheck=False),
                                       Sample((T((2, 3), values=[[0.0, 1.0, 0.0], [3.0, 0.0, 0.0]], grad=False),),
                                              ((1,),), name="dim", gradcheck=False, gradgradcheck=False)],
                      reference=lambda np, x, dims: np.asarray(np.count_nonzero(x, axis=dims), dtype=np.int64))


@generic("count_nonzero")
def _count_nonzero_kernel(xp: Any) -> Any:
    def count_nonzero(x: Any, dims: Any) -> Any:
        nonzero = x != 0
        return xp.sum(xp.astype(nonzero, xp.int64) if hasattr(xp, "astype") else nonzero.astype(xp.int64),
                      axis=dims)

    return count_nonzero


def count_nonzero(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """The number of nonzero elements (over ``dim``), int64."""
    dims = None if dim is None else _dims(dim, input.ndim)
    return COUNT_NONZERO.dispatch_nograd((input,), (dims,))


# --- cumsum / cumprod ------------------------------------------------------------------------


def _cumsum_vjp(ctx: Any, g: Any) -> tuple:
    (dim,) = ctx.attrs
    if not ctx.input_shape(0):
        return (g,)
    return (REVERSE_CUMSUM.dispatch((g,), (dim,)),)


def _cumulative_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1,), name="dim1"),
            Sample((T((3, 4)),), (0,), name="dim0"),
            Sample((T((2, 3, 4)),), (2,), name="last"),
            Sample((T(()),), (0,), name="zero_dim"),
            Sample((T((0, 3)),), (1,), name="empty", gradgradcheck=False)]


CUMSUM = defop("cumsum", 1, vjp=_cumsum_vjp, saves=((),), samples=_cumulative_samples,
               reference=lambda np, x, dim: np.cumsum(x, axis=dim) if x.ndim else x.copy())
REVERSE_CUMSUM = defop("reverse_cumsum", 1, vjp=lambda ctx, g: (cumsum(g, ctx.attrs[0]),), saves=((),),
                       samples=lambda: [s for s in _cumulative_samples() if s.name != "zero_dim"],
                       reference=lambda np, x, dim: np.flip(np.cumsum(np.flip(x, dim), axis=dim), dim))


def _cumulative_kernel(kind: str) -> Any:
    """The kernel factory of ``cum<kind>`` along ``dim`` (a 0-d input comes back as a copy)."""

    def factory(xp: Any) -> Any:
        accumulate = _cumulative(xp, kind)

        def kernel(x: Any, dim: int) -> Any:
            if x.ndim == 0:
                return xp.asarray(x, copy=True)
            return accumulate(x, axis=dim)

        return kernel

    return factory


generic("cumsum")(_cumulative_kernel("sum"))


@generic("reverse_cumsum")
def _reverse_cumsum_kernel(xp: Any) -> Any:
    def reverse_cumsum(x: Any, dim: int) -> Any:
        return _reverse_cumsum_array(xp, x, dim)

    return reverse_cumsum


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """Running sums along ``dim``; bool and integer inputs accumulate as int64."""
    input = _int_to_long(input, dtype)
    return CUMSUM.dispatch((input,), (_one_dim(dim, input.ndim),))


def _cumprod_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    (dim,) = ctx.attrs
    shape = ctx.input_shape(0)
    if not shape or shape[dim] <= 1:
        return (g,)
    out = ctx.output
    if not _has_zero(x):
        return (REVERSE_CUMSUM.dispatch((g * out,), (dim,)) / x,)
    if _grad_enabled():
        # d out_j / d x_k = prod_{i <= j, i != k} x_i: cumulative products with element k left out
        left_out = cumprod(_leave_one_out(x, dim), dim + 1)
        later = _pair_mask(x, dim, "ge")
        return (sum(_where(later, _unsqueeze(g, dim) * left_out, 0.0), dim + 1),)
    return (CUMPROD_BACKWARD.dispatch_nograd((x, g, out), (dim,)),)


CUMPROD = defop("cumprod", 1, vjp=holomorphic(_cumprod_vjp), saves=((0, -1),),
                samples=lambda: [*_cumulative_samples(),
                                 Sample((T((2, 4), values=[[1.5, 0.0, 2.0, 0.0], [0.0, -1.0, 2.0, 3.0]]),), (1,),
                                        name="zeros")],
                reference=lambda np, x, dim: np.cumprod(x, axis=dim) if x.ndim else x.copy())


generic("cumprod")(_cumulative_kernel("prod"))


def _np_cumprod_backward(np: Any, x: Any, g: Any, out: Any, axis: int) -> Any:
    # sum_{j >= k} g_j prod_{i <= j, i != k} x_i, element by element
    xm, gm = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    grad = np.zeros_like(xm)
    n = xm.shape[-1]
    for k in range(n):
        left_out = xm.copy()
        left_out[..., k] = 1
        grad[..., k] = np.sum((gm * np.cumprod(left_out, axis=-1))[..., k:], axis=-1)
    return np.moveaxis(grad, -1, axis)


_CUMPROD_X = [[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, -1.0, 2.0, 3.0, 0.5], [2.0, 1.0, -1.0, 0.0, 4.0]]
_CUMPROD_G = [[0.5, -1.0, 2.0, 1.0, 0.25], [1.0, 1.0, -2.0, 0.5, 1.5], [-0.5, 2.0, 1.0, 1.0, 3.0]]
_CUMPROD_OUT = [[1.5, 0.0, 0.0, 0.0, 0.0], [0.0, -0.0, -0.0, -0.0, -0.0], [2.0, 2.0, -2.0, -0.0, -0.0]]

# The O(n) gradient of cumprod where the input holds zeros (run without recording: first-order only).
CUMPROD_BACKWARD = defop("cumprod_backward", 3, vjp=None,
                         samples=lambda: [Sample((T((3, 5), values=_CUMPROD_X, grad=False),
                                                  T((3, 5), values=_CUMPROD_G, grad=False),
                                                  T((3, 5), values=_CUMPROD_OUT, grad=False)), (1,), name="zeros",
                                                 gradcheck=False, gradgradcheck=False)],
                         reference=_np_cumprod_backward)


@generic("cumprod_backward")
def _cumprod_backward_kernel(xp: Any) -> Any:
    cumsum = _cumulative(xp, "sum")
    cumprod = _cumulative(xp, "prod")

    def cumprod_backward(x: Any, g: Any, out: Any, axis: int) -> Any:
        # The O(n) gradient of cumprod with zeros (PyTorch's cumprod_backward): before the first zero
        # z the usual reverse_cumsum(g * out) / x; at z, out[z-1] * sum_{j >= z} g_j prod_{z < i <= j} x_i;
        # after it 0 (every term holds two zeros).
        one = xp.asarray(1, dtype=x.dtype)
        zero = xp.asarray(0, dtype=x.dtype)
        is_zero = x == 0
        zeros_so_far = cumsum(xp.astype(is_zero, xp.int64), axis=axis)
        before = zeros_so_far == 0
        first = is_zero & (zeros_so_far == 1)
        grad = xp.where(before, _reverse_cumsum_array(xp, g * out, axis) / xp.where(before, x, one), zero)
        from_first = zeros_so_far >= 1
        since = cumprod(xp.where(from_first & ~first, x, one), axis=axis)
        total = xp.sum(xp.where(from_first, g * since, zero), axis=axis, keepdims=True)
        lead = xp.prod(xp.where(before, x, one), axis=axis, keepdims=True)
        return xp.where(first, total * lead, grad)

    return cumprod_backward


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """Running products along ``dim``; bool and integer inputs multiply as int64; exact gradients with zeros."""
    input = _int_to_long(input, dtype)
    return CUMPROD.dispatch((input,), (_one_dim(dim, input.ndim),))


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:  # noqa: A002
    """The ``n``-th forward difference along ``dim`` (``x[1:] - x[:-1]``, n times), after joining ``prepend`` and
    ``append`` to ``input`` along it; bools give ``x[1:] != x[:-1]``. Built from slices and sub (SubBackward0)."""
    from .elementwise import logical_xor, sub
    from .shape import _slice, cat

    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _one_dim(dim, ndim)
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, _reg.Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t._data.ndim != ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for k, (a, b) in enumerate(zip(input._data.shape, t._data.shape)):
            if k != d and a != b:
                raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input "
                                   f"except along the differencing dimension; input.size({k}) = {a}, but got "
                                   f"tensor.size({k}) = {b}")
        parts.append((name, t))
    if parts:
        before = [t for name, t in parts if name == "prepend"]
        after = [t for name, t in parts if name == "append"]
        input = cat([*before, input, *after], d)
    out = input
    for _ in range(n):
        size = out._data.shape[d]
        if size == 0:
            break
        hi, lo = _slice(out, d, 1, size), _slice(out, d, 0, size - 1)
        out = logical_xor(hi, lo) if out.dtype is _dt.bool_ else sub(hi, lo)
    return out


def norm_except_dim(v: Any, pow: float = 2, dim: int = 0) -> Any:  # noqa: A002 - PyTorch's name
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, keeping them as size 1; ``dim=-1`` means all
    dimensions (a 0-d result), as weight normalization's ``dim=None``."""
    if dim == -1:
        return vector_norm(v, pow)
    from .shape import wrap_dim

    d = wrap_dim(dim, v.ndim)
    return vector_norm(v, pow, tuple(i for i in range(v.ndim) if i != d), True)


def _weight_norm(v: Any, g: Any, dim: int = 0) -> Any:
    """Weight normalization: ``v * (g / norm_except_dim(v, 2, dim))``."""
    if dim != -1:
        from .shape import wrap_dim

        wrap_dim(dim, v.ndim)
    return v * (g / norm_except_dim(v, 2, dim))


TENSOR_METHODS = {
    "cumsum_": lambda self, dim, *, dtype=None: self._inplace(cumsum, dim, dtype=dtype),
    "cumprod_": lambda self, dim, *, dtype=None: self._inplace(cumprod, dim, dtype=dtype),
}

__all__ = [
    "sum", "mean", "sum_to_size", "diff", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
    "logsumexp", "norm", "all", "any", "count_nonzero", "cumsum", "cumprod", "sort", "argsort", "topk",
    "kthvalue", "median", "mode", "var_mean", "std_mean", "aminmax", "nansum", "nanmean", "norm_except_dim",
    "_weight_norm",
]
