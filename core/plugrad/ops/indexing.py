"""Indexing: ``x[index]`` and ``x[index] = value``, gather/scatter, masks, take/put and nonzero.

``x[index]`` is decomposed as PyTorch decomposes it, so the graph reads the
same: integers become ``select`` (SelectBackward0), slices ``slice``
(SliceBackward0), ``None`` ``unsqueeze`` (UnsqueezeBackward0), and the
remaining integer/bool tensors one advanced ``index`` (IndexBackward0) whose
gradient accumulates over repeated indices. ``x[index] = value`` writes in
place when nothing is recorded; otherwise it records CopySlices (through a
view), IndexPutBackward0 (advanced indices only), or CopyBackwards /
FillBackward3 (the whole tensor, from a tensor / a scalar), as PyTorch does,
and the tensor takes over that node.

Index arrays travel to the kernels as attributes, already normalized: on the
tensor's backend, non-negative, broadcast to one shape. Repeated indices
accumulate through ``scatter_add_rows``, written against the array namespace
only; the NumPy backend registers ``np.add.at`` kernels in its place.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ..autograd import grad_mode as _gm
from ..kernels.array_api import generic
from ..plugins import _outside_level
from ..testing.samples import A, Sample, T
from . import registry as _reg
from .registry import defop
from .shape import (
    SELECT,
    SLICE,
    UNSQUEEZE,
    _alias,
    _clamp_slice,
    _concat_fn,
    _ctype,
    _permute_fn,
    _prod,
    _scalar_name,
    _slice,
    expand,
    reshape,
    wrap_dim,
    write_out,
)

_grad_state = _gm.state

# --- the array-API building blocks shared by the kernels --------------------------------------


def index_tuple(dims: Sequence[int], arrays: Sequence[Any]) -> tuple:
    """The NumPy-style index that puts ``arrays`` at positions ``dims`` and full slices elsewhere."""
    idx: list = [slice(None)] * (dims[-1] + 1)
    for d, a in zip(dims, arrays):
        idx[d] = a
    return tuple(idx)


def lift(xp: Any, a: Any) -> Any:
    """``a``, or a 0-d ``a`` as a 1-element vector (gather, scatter and index_add treat 0-d tensors as 1-d)."""
    return a if a.ndim else xp.reshape(a, (1,))


def gather_coords(xp: Any, index: Any, dim: int) -> tuple:
    """Coordinates of the elements ``gather``/``scatter`` touch: ``index`` along ``dim``, positions elsewhere."""
    index = lift(xp, index)
    n = index.ndim
    coords = []
    for d in range(n):
        if d == dim:
            coords.append(index)
        else:
            shape = [1] * n
            shape[d] = index.shape[d]
            coords.append(xp.reshape(xp.arange(index.shape[d], dtype=index.dtype), tuple(shape)))
    return tuple(coords)


def _argsort_stable(xp: Any, a: Any) -> Any:
    try:
        return xp.argsort(a, stable=True)
    except TypeError:
        return xp.argsort(a, kind="stable")


def segment_reduce(xp: Any, rows: Any, values: Any, combine: Any) -> tuple:
    """The distinct ``rows`` (n,), sorted, and ``combine`` folded over the ``values`` (n, R) of each.

    Sorting, a segmented Hillis-Steele scan and a gather: any array-API namespace. ``combine`` is an
    associative elementwise function (add, multiply, maximum, minimum).
    """
    n = rows.shape[0]
    concat = _concat_fn(xp)
    order = _argsort_stable(xp, rows)
    r = xp.take(rows, order)
    v = xp.take(values, order, axis=0)
    step = 1
    while step < n:
        same = xp.reshape(r[step:] == r[:-step], (n - step, 1))
        v = concat([v[:step], xp.where(same, combine(v[step:], v[:-step]), v[step:])], axis=0)
        step *= 2
    last = concat([r[1:] != r[:-1], xp.ones((1,), dtype=xp.bool)])
    ends = xp.nonzero(last)[0]
    return xp.take(r, ends), xp.take(v, ends, axis=0)


def scatter_add_rows(xp: Any, base: Any, rows: Any, values: Any) -> Any:
    """``base`` (N, R) plus, in each row r, the sum of the ``values`` (n, R) whose ``rows`` (n,) entry is r.

    Written with sorting, a segmented scan and ``searchsorted`` only, so it runs on any array-API
    namespace; repeated rows accumulate (backends may register a faster native kernel, e.g. ``np.add.at``).
    """
    n = rows.shape[0]
    if n == 0 or base.shape[0] == 0:
        return base
    concat = _concat_fn(xp)
    order = _argsort_stable(xp, rows)
    r = xp.take(rows, order)
    v = xp.take(values, order, axis=0)
    # Segmented inclusive scan (Hillis-Steele): after it, the last entry of each run of equal rows holds
    # the run's sum. Each entry only ever adds entries of its own run, so no cancellation creeps in.
    step = 1
    while step < n:
        same = xp.reshape(r[step:] == r[:-step], (n - step, 1))
        v = concat([v[:step], v[step:] + xp.where(same, v[:-step], xp.zeros_like(v[:-step]))], axis=0)
        step *= 2
    last = concat([r[1:] != r[:-1], xp.ones((1,), dtype=xp.bool)])
    ends = xp.nonzero(last)[0]
    u = xp.take(r, ends)
    sums = xp.take(v, ends, axis=0)
    pos = xp.arange(base.shape[0], dtype=u.dtype)
    j = xp.minimum(xp.searchsorted(u, pos), u.shape[0] - 1)
    hit = xp.reshape(xp.take(u, j) == pos, (base.shape[0], 1))
    return base + xp.where(hit, xp.take(sums, j, axis=0), xp.zeros_like(base))


def _broadcast_shapes(shapes: Sequence[tuple]) -> tuple | None:
    """The common broadcast shape, or None when the shapes do not broadcast."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, v in enumerate(s):
            k = n - len(s) + i
            if out[k] == 1:
                out[k] = v
            elif v not in (1, out[k]):
                return None
    return tuple(out)


def _adjacent(dims: Sequence[int]) -> bool:
    return tuple(dims) == tuple(range(dims[0], dims[0] + len(dims)))


def _advanced_shape(shape: Sequence[int], dims: Sequence[int], index_shape: tuple) -> tuple:
    """The shape of ``x[index_tuple(dims, arrays)]`` (NumPy's and PyTorch's placement rule)."""
    rest = tuple(s for i, s in enumerate(shape) if i not in dims)
    if _adjacent(dims):
        d0 = dims[0]
        return tuple(shape[:d0]) + index_shape + tuple(shape[d0 + len(dims):])
    return index_shape + rest


def _index_put_accumulate(xp: Any, out: Any, dims: tuple, arrays: tuple, values: Any) -> Any:
    """``out`` with ``values`` added at ``index_tuple(dims, arrays)``, repeated positions accumulating."""
    shape = out.shape
    index_shape = arrays[0].shape
    permute_dims = _permute_fn(xp)
    others = tuple(i for i in range(out.ndim) if i not in dims)
    result_shape = _advanced_shape(shape, dims, index_shape)
    vals = xp.broadcast_to(xp.asarray(values, dtype=out.dtype), result_shape)
    k = len(index_shape)
    if _adjacent(dims) and dims[0]:
        d0 = dims[0]
        perm = tuple(range(d0, d0 + k)) + tuple(range(d0)) + tuple(range(d0 + k, len(result_shape)))
        vals = permute_dims(vals, perm)
    n = _prod(index_shape)
    rest = _prod(shape[i] for i in others)
    vals = xp.reshape(vals, (n, rest))
    moved = permute_dims(out, dims + others)
    moved_shape = moved.shape
    rows = None
    for d, a in zip(dims, arrays):
        rows = a if rows is None else rows * shape[d] + a
    summed = scatter_add_rows(xp, xp.reshape(moved, (_prod(shape[d] for d in dims), rest)),
                              xp.reshape(rows, (n,)), vals)
    inverse = [0] * out.ndim
    for i, d in enumerate(dims + others):
        inverse[d] = i
    return permute_dims(xp.reshape(summed, moved_shape), tuple(inverse))


# --- index (advanced indexing) ------------------------------------------------------------


def _index_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    zeros = _zeros_native(tuple(ctx.input_shape(0)), g._data.dtype, g._backend)
    return (INDEX_PUT.dispatch((zeros, g), (ctx.attrs[0], True, *ctx.attrs[1:])),)


INDEX = defop("index", 1, vjp=_index_vjp, saves=((),),
              samples=lambda: [Sample((T((4, 3)),), ((0,), A([0, 2, 0, 3])), name="repeated_rows"),
                               Sample((T((3, 4, 2)),), ((1,), A([[1, 1], [3, 0]])), name="middle_2d_index"),
                               Sample((T((3, 4, 2)),), ((0, 2), A([0, 2, 0]), A([1, 1, 1])), name="separated"),
                               Sample((T((3, 4)),), ((0, 1), A([2, 2]), A([1, 1])), name="points"),
                               Sample((T((3, 4)),), ((0,), A([], "int64")), name="empty", gradgradcheck=False)],
              reference=lambda np, x, dims, *arrays: x[index_tuple(dims, arrays)])


@generic("index")
def _index_kernel(xp: Any) -> Any:
    def index(x: Any, dims: tuple, *arrays: Any) -> Any:
        return x[index_tuple(dims, arrays)]

    return index


def _index_put_vjp(ctx: Any, g: Any) -> tuple:
    dims, accumulate, *arrays = ctx.attrs
    need = ctx.needs_input_grad
    gx = None
    if need[0]:
        gx = g if accumulate else INDEX_PUT.dispatch((g, 0), (dims, False, *arrays))
    gv = INDEX.dispatch((g,), (dims, *arrays)) if need[1] else None
    return gx, gv


def _np_index_put(np: Any, x: Any, values: Any, dims: tuple, accumulate: bool, *arrays: Any) -> Any:
    out = x.copy()
    if accumulate:
        np.add.at(out, index_tuple(dims, arrays), values)
    else:
        out[index_tuple(dims, arrays)] = values
    return out


INDEX_PUT = defop("index_put", 2, vjp=_index_put_vjp, saves=((), ()),
                  samples=lambda: [Sample((T((4, 3)), T((4, 3))), ((0,), True, A([0, 2, 0, 3])), name="accumulate"),
                                   Sample((T((4, 3)), T((3,))), ((0,), True, A([1, 1, 1, 1])), name="broadcast"),
                                   Sample((T((3, 4, 2)), T((3, 1))), ((0, 2), True, A([0, 2, 0]), A([1, 1, 1])),
                                          name="separated"),
                                   Sample((T((4, 3)), T((2, 3))), ((0,), False, A([3, 1])), name="assign")],
                  reference=_np_index_put)


@generic("index_put")
def _index_put_kernel(xp: Any) -> Any:
    def index_put(x: Any, values: Any, dims: tuple, accumulate: bool, *arrays: Any) -> Any:
        out = xp.asarray(x, copy=True)
        if accumulate:
            return _index_put_accumulate(xp, out, dims, arrays, values)
        out[index_tuple(dims, arrays)] = values
        return out

    return index_put


# --- parsing x[index] ---------------------------------------------------------------------

_INDEX_TYPES = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"


class _Plan:
    """``x[index]`` taken apart: view steps, then one advanced index.

    ``basic``: the NumPy basic index (ints, slices, None, a trailing Ellipsis) that gives a view of the
    stepped tensor, for in-place writes. ``steps``: ``("select", dim, i)``, ``("slice", dim, a, b, s)``,
    ``("unsqueeze", dim)`` in order. ``dims``/``arrays``: the advanced index over the stepped tensor, broadcast;
    :meth:`check` bounds-checks and wraps them (setitem checks the value's shape first, as PyTorch does).
    """

    __slots__ = ("basic", "steps", "dims", "arrays", "shape", "_stepped", "_xp")

    def __init__(self, basic: tuple, steps: list, dims: tuple, arrays: tuple, shape: tuple, stepped: tuple,
                 xp: Any) -> None:
        self.basic = basic
        self.steps = steps
        self.dims = dims
        self.arrays = arrays
        self.shape = shape  # the shape of the result (the slot a setitem writes)
        self._stepped = stepped  # the shape after the view steps, before the advanced index
        self._xp = xp

    def check(self) -> _Plan:
        if self.dims:
            self.arrays = _check_indices(self._xp, self.dims, self.arrays, self._stepped, self.shape)
        return self


def _sequence_as_tuple(index: Any) -> bool:
    """PyTorch's (and old NumPy's) rule: a list holding slices, None, Ellipsis or sequences is a tuple index."""
    if isinstance(index, _reg.Tensor) or not isinstance(index, (list, tuple)) or len(index) >= 32:
        return False
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, (slice, list, tuple, _reg.Tensor)):
            return True
    return False


def _as_index_tensor(item: Any, t: Any) -> Any:
    """A list, NumPy array or tensor used as an index, as a tensor on ``t``'s backend."""
    if isinstance(item, _reg.Tensor):
        if item._backend.device_type != t._backend.device_type:
            raise RuntimeError(
                f"indices should be either on cpu or on the same device as the indexed tensor ({t.device}); "
                f"got indices on {item.device}. Move them with .to({str(t.device)!r})"
            )
        return item
    from ..factories import tensor as _tensor

    try:
        out = _tensor(item, device=t._backend)
    except (TypeError, ValueError) as exc:
        raise IndexError(f"{_INDEX_TYPES} (got {type(item).__name__})") from exc
    if isinstance(item, (list, tuple)) and len(item) == 0:
        out = out.to(_dt.int64)
    return out


def _classify(item: Any, t: Any) -> tuple:
    """One index item as (kind, value): none, ellipsis, int, slice, bool, mask or array."""
    if item is None:
        return ("none", None)
    if item is Ellipsis:
        return ("ellipsis", None)
    if isinstance(item, bool):
        return ("bool", item)
    if isinstance(item, str):
        raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    if isinstance(item, slice):
        return ("slice", item)
    if isinstance(item, int) or (hasattr(item, "__index__") and not isinstance(item, _reg.Tensor)
                                 and not hasattr(item, "shape")):
        return ("int", int(item))
    if isinstance(item, (list, tuple, _reg.Tensor)) or hasattr(item, "__array__"):
        it = _as_index_tensor(item, t)
        cat = it.dtype.category
        if it.dtype is _dt.uint8:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                          UserWarning, stacklevel=_outside_level())
        if cat == 0 or it.dtype is _dt.uint8:
            if it._data.ndim == 0:
                return ("bool", bool(it.item()))
            return ("mask", it)
        if cat == 1:
            if it._data.ndim == 0:
                return ("int", int(it.item()))
            return ("array", it)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    raise IndexError(f"{_INDEX_TYPES} (got {type(item).__name__})")


def _parse(t: Any, index: Any, keep_full_slice: bool = True) -> _Plan:
    """Take ``index`` apart against ``t``'s shape (call ``.check()`` on the result to bounds-check the indices).

    ``keep_full_slice``: a lone slice records SliceBackward0 even when it covers the dim (getitem does; setitem
    does not).
    """
    single = not isinstance(index, tuple)
    if single and _sequence_as_tuple(index):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
            "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor "
            "index, x[torch.tensor(seq)], which will result either in an error or a different result",
            UserWarning, stacklevel=_outside_level(),
        )
        index, single = tuple(index), False
    items = [_classify(it, t) for it in (index if isinstance(index, tuple) else (index,))]
    shape = list(t._data.shape)
    ndim = len(shape)
    consumed = sum(1 if k in ("int", "slice", "array") else (v._data.ndim if k == "mask" else 0) for k, v in items)
    if consumed > ndim:
        if ndim == 0 and any(k == "int" for k, _ in items):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                "convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    xp = t._backend.namespace()
    basic: list = []
    steps: list = []
    pending: list = []  # (dim, index array or mask tensor), resolved once every view step is known
    dim = 0
    seen_ellipsis = False
    for position, (kind, v) in enumerate(items):
        if kind == "none":
            steps.append(("unsqueeze", dim))
            shape.insert(dim, 1)
            basic.append(None)
            dim += 1
        elif kind == "ellipsis":
            if not seen_ellipsis:
                k = ndim - consumed
                basic.extend([slice(None)] * k)
                dim += k
                seen_ellipsis = True
        elif kind == "int":
            size = shape[dim]
            if not -size <= v < size:
                # Note: PyTorch names the position of the index in the tuple here, not the tensor's dim.
                raise IndexError(f"index {v} is out of bounds for dimension {position} with size {size}")
            v %= size
            steps.append(("select", dim, v))
            del shape[dim]
            basic.append(v)
        elif kind == "slice":
            size = shape[dim]
            a, b, s = _clamp_slice(v, size)
            # PyTorch skips a slice that covers the dim only when its start was written as 0 (or left out).
            if (single and keep_full_slice) or (a, b, s) != (0, size, 1) or (v.start is not None and int(v.start) != 0):
                steps.append(("slice", dim, a, b, s))
            shape[dim] = len(range(a, b, s))
            basic.append(slice(a, b, s))
            dim += 1
        elif kind == "bool":
            steps.append(("unsqueeze", dim))
            shape.insert(dim, 1)
            basic.append(None)
            pending.append((dim, xp.zeros((1 if v else 0,), dtype=xp.int64)))
            dim += 1
        elif kind == "mask":
            pending.append((dim, v))
            basic.extend([slice(None)] * v._data.ndim)
            dim += v._data.ndim
        else:  # array
            pending.append((dim, v._data))
            basic.append(slice(None))
            dim += 1
    basic.append(Ellipsis)
    if not pending:
        return _Plan(tuple(basic), steps, (), (), tuple(shape), tuple(shape), xp)
    adv: list = []
    for d, v in pending:
        if not isinstance(v, _reg.Tensor):
            adv.append((d, v))
            continue
        mshape = v._data.shape
        for j, m in enumerate(mshape):
            if m != shape[d + j]:
                raise IndexError(f"The shape of the mask {list(mshape)} at index {j} does not match the shape of the "
                                 f"indexed tensor {shape} at index {d + j}")
        mask = v._data if v.dtype.category == 0 else v._data != 0
        adv.extend((d + j, a) for j, a in enumerate(xp.nonzero(mask)))
    dims, arrays = _broadcast_indices(xp, adv)
    return _Plan(tuple(basic), steps, dims, arrays, _advanced_shape(shape, dims, arrays[0].shape), tuple(shape), xp)


def _broadcast_indices(xp: Any, adv: list) -> tuple[tuple, tuple]:
    """The index arrays broadcast to one shape, with PyTorch's error when they do not broadcast."""
    shapes = [tuple(a.shape) for _, a in adv]
    common = _broadcast_shapes(shapes)
    if common is None:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes))
    arrays = tuple(a if tuple(a.shape) == common else xp.broadcast_to(a, common) for _, a in adv)
    return tuple(d for d, _ in adv), arrays


def _check_indices(xp: Any, dims: tuple, arrays: tuple, shape: Sequence[int], result: tuple) -> tuple:
    """Bounds-check the broadcast index arrays and wrap negatives, with PyTorch's errors.

    Bounds are checked element by element of the broadcast index, each index array in turn, so the error
    names the entry PyTorch names (its "dimension" is the index array's position among them).
    """
    if not _prod(result):
        # PyTorch checks indices while it fills the result: an empty result checks none of them.
        return tuple(a % shape[d] if shape[d] else a for d, a in zip(dims, arrays))
    if not arrays[0].size:
        return arrays
    flat_bad = [xp.reshape((a >= shape[d]) | (a < -shape[d]), (-1,)) for d, a in zip(dims, arrays)]
    anywhere = flat_bad[0]
    for b in flat_bad[1:]:
        anywhere = anywhere | b
    if bool(xp.any(anywhere)):
        first = int(xp.argmax(anywhere))
        k = next(k for k, b in enumerate(flat_bad) if bool(b[first]))
        value = int(xp.reshape(arrays[k], (-1,))[first])
        raise IndexError(f"index {value} is out of bounds for dimension {k} with size {shape[dims[k]]}")
    return tuple(xp.where(a < 0, a + shape[d], a) if bool(xp.any(a < 0)) else a for d, a in zip(dims, arrays))


def _apply_steps(t: Any, steps: list) -> Any:
    for step in steps:
        kind = step[0]
        if kind == "select":
            t = SELECT.dispatch((t,), step[1:])
        elif kind == "slice":
            t = SLICE.dispatch((t,), step[1:])
        else:
            t = UNSQUEEZE.dispatch((t,), step[1:])
    return t


def getitem(input: Any, index: Any) -> Any:  # noqa: A002
    """``input[index]``, recorded as PyTorch records it (Select/Slice/Unsqueeze, then IndexBackward0)."""
    kind = type(index)
    if kind is int:
        shape = input._data.shape
        if shape and -shape[0] <= index < shape[0]:
            return SELECT.dispatch((input,), (0, index % shape[0]))
    elif kind is slice and input._data.ndim:
        # Note: a lone slice records SliceBackward0 even when it covers everything, as in PyTorch.
        return SLICE.dispatch((input,), (0, *_clamp_slice(index, input._data.shape[0])))
    plan = _parse(input, index).check()
    out = _apply_steps(input, plan.steps)
    if plan.dims:
        return INDEX.dispatch((out,), (plan.dims, *plan.arrays))
    return _alias(input) if out is input else out


# --- x[index] = value -----------------------------------------------------------------------


def _write(out: Any, value: Any, basic: tuple, dims: tuple, arrays: tuple) -> None:
    """Write ``value`` into the slot of ``out`` (in place): a basic view, then the advanced index on it."""
    if dims:
        view = out[basic]
        view[index_tuple(dims, arrays)] = value
    else:
        out[basic] = value


def _copy_slices_vjp(ctx: Any, g: Any) -> tuple:
    basic, dims, *arrays = ctx.attrs
    need = ctx.needs_input_grad
    gx = COPY_SLICES.dispatch((g, 0), ctx.attrs) if need[0] else None
    gv = None
    if need[1]:
        gv = _apply_steps(g, _basic_steps(basic))
        if dims:
            gv = INDEX.dispatch((gv,), (dims, *arrays))
    return gx, gv


def _basic_steps(basic: tuple) -> list:
    """The view steps a normalized basic index stands for (full slices need none)."""
    steps: list = []
    dim = 0
    for item in basic:
        if item is Ellipsis:
            break
        if item is None:
            steps.append(("unsqueeze", dim))
            dim += 1
        elif isinstance(item, slice):
            if item != slice(None):
                steps.append(("slice", dim, item.start, item.stop, item.step))
            dim += 1
        else:
            steps.append(("select", dim, item))
    return steps


def _np_copy_slices(np: Any, x: Any, value: Any, basic: tuple, dims: tuple, *arrays: Any) -> Any:
    out = x.copy()
    _write(out, value, basic, dims, arrays)
    return out


COPY_SLICES = defop("copy_slices", 2, vjp=_copy_slices_vjp, node="CopySlices", saves=((), ()),
                    samples=lambda: [Sample((T((3, 4)), T((4,))), ((1, Ellipsis), ()), name="row"),
                                     Sample((T((3, 4)), T(())), ((slice(0, 3, 2), slice(1, 3, 1), Ellipsis), ()),
                                            name="block_scalar"),
                                     Sample((T((3, 4)), T((2,))), ((1, Ellipsis), (0,), A([3, 0])), name="advanced")],
                    reference=_np_copy_slices)


@generic("copy_slices")
def _copy_slices_kernel(xp: Any) -> Any:
    def copy_slices(x: Any, value: Any, basic: tuple, dims: tuple, *arrays: Any) -> Any:
        out = xp.asarray(x, copy=True)
        _write(out, value, basic, dims, arrays)
        return out

    return copy_slices


def _strip_leading_ones(shape: tuple) -> tuple:
    """PyTorch's ``slicePrefix1sSize``: the shape without its leading 1s."""
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return tuple(shape[k:])


def _check_value_shape(vshape: tuple, slot: tuple, advanced: bool, legacy: str) -> None:
    """PyTorch's errors for a value that does not broadcast to the slot (leading 1s of the value are ignored)."""
    v = _strip_leading_ones(tuple(vshape))
    if len(v) <= len(slot) and all(a in (1, b) for a, b in zip(reversed(v), reversed(slot))):
        return
    if advanced:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
                           f"result of shape {list(slot)}")
    if len(v) > len(slot):
        raise RuntimeError(
            f"expand(torch.{legacy}{{{list(v)}}}, size={list(slot)}): the number of sizes provided "
            f"({len(slot)}) must be greater or equal to the number of dimensions in the tensor ({len(v)})"
        )
    lead = len(slot) - len(v)
    i = next(i for i in range(lead, len(slot)) if v[i - lead] not in (1, slot[i]))
    raise RuntimeError(
        f"The expanded size of the tensor ({slot[i]}) must match the existing size ({v[i - lead]}) at "
        f"non-singleton dimension {i}.  Target sizes: {list(slot)}.  Tensor sizes: {list(v)}"
    )


def _fill_value_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    need = ctx.needs_input_grad
    # Note: the value's gradient arrives in the output's shape; the engine sums it to the 0-d value.
    return (zeros_like(g) if need[0] else None), (g if need[1] else None)


FILL_VALUE = defop("fill_value", 2, vjp=_fill_value_vjp, node="FillBackward3", saves=((), ()),
                   samples=lambda: [Sample((T((3, 4)), T(())), name="tensor_value"),
                                    Sample((T((3, 4)), 2.5), name="number")],
                   reference=lambda np, x, value: np.full_like(x, value))


@generic("fill_value")
def _fill_value_kernel(xp: Any) -> Any:
    def fill_value(x: Any, value: Any) -> Any:
        return xp.broadcast_to(xp.asarray(value, dtype=x.dtype), x.shape)

    return fill_value


def setitem(tensor: Any, index: Any, value: Any) -> None:
    """``tensor[index] = value``: in place, recorded in the graph when grad mode is on and a side requires grad."""
    is_tensor = isinstance(value, _reg.Tensor)
    if not is_tensor and not isinstance(value, numbers.Number):
        kind = type(value)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"can't assign a {name} to a torch.{tensor.dtype.legacy}")
    lone = index[0] if isinstance(index, tuple) and len(index) == 1 else index
    if lone is False:
        return  # PyTorch writes nothing for a lone False
    if lone is True:
        index = None  # a lone True writes through a size-1 view, like None
    if not is_tensor or not value._data.ndim:
        _reject_byte_mask_fill(index)
    plan = _parse(tensor, index, keep_full_slice=False)
    slot = plan.shape
    if is_tensor:
        if value._backend.device_type != tensor._backend.device_type:
            raise RuntimeError(
                f"setitem: value is on {value.device} but the tensor is on {tensor.device}; move it with "
                f".to({str(tensor.device)!r}) first"
            )
        if value.dtype is not tensor.dtype:
            from .conversion import _to_dtype

            value = _to_dtype(value, tensor.dtype)
        _check_value_shape(tuple(value._data.shape), slot, bool(plan.dims), value.dtype.legacy)
    plan.check()
    recording = _grad_state.enabled and (tensor._requires_grad or (is_tensor and value._requires_grad))
    if not recording:
        data = value._data if is_tensor else value
        if is_tensor and len(data.shape) > len(slot):
            data = tensor._backend.namespace().reshape(data, _strip_leading_ones(tuple(data.shape)))
        _write(tensor._data, data, plan.basic, plan.dims, plan.arrays)
        tensor._bump_version()
        return
    if tensor._requires_grad and tensor._grad_fn is None:
        what = "a view of a leaf Variable" if plan.steps else "a leaf Variable"
        raise RuntimeError(f"{what} that requires grad is being used in an in-place operation.")
    if is_tensor:
        value = _prepare_value(value, slot, bool(plan.dims))
    if plan.steps:
        res = COPY_SLICES.dispatch((tensor, value), (plan.basic, plan.dims, *plan.arrays))
    elif plan.dims:
        res = INDEX_PUT.dispatch((tensor, value), (plan.dims, False, *plan.arrays))
    elif not is_tensor or (not value._data.ndim and slot):
        res = FILL_VALUE.dispatch((tensor, value))
    else:
        from .conversion import _copy_from

        res = _copy_from(tensor, value)
    if tensor._view_of is not None:
        tensor._rebase_view(res)  # the write also changes the root this tensor is a view of
        return
    tensor._assign_result(res)
    tensor._grad_fn = res._grad_fn
    tensor._output_nr = 0
    tensor._requires_grad = True


def _reject_byte_mask_fill(index: Any) -> None:
    """PyTorch fills through one mask with masked_fill_, which takes bool masks only (not the legacy uint8 ones)."""
    items = index if isinstance(index, tuple) else (index,)
    tensors = [it for it in items if isinstance(it, _reg.Tensor) and it._data.ndim]
    if len(tensors) == 1 and tensors[0].dtype is _dt.uint8 and not any(isinstance(it, list) for it in items):
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")


def _prepare_value(value: Any, slot: tuple, advanced: bool) -> Any:
    """Shape ``value`` for a recorded write as PyTorch does (its views and expands show in the graph).

    Advanced indices take the value without its leading 1s; otherwise a value of the slot's shape or a 0-d
    one is used as it is, and any other is viewed without its leading 1s and expanded to the slot.
    """
    shape = tuple(value._data.shape)
    stripped = _strip_leading_ones(shape)
    if advanced:
        return reshape(value, stripped) if stripped != shape else value
    if shape == slot or not shape:
        return value
    value = reshape(value, stripped)
    return expand(value, slot) if stripped != slot else value


# --- index_put ------------------------------------------------------------------------------


def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:  # noqa: A002
    """A copy of ``input`` with ``values`` put at the advanced index ``indices`` (added when ``accumulate``)."""
    plan = _parse(input, tuple(indices))
    if not plan.dims or plan.steps:
        raise IndexError("index_put: indices must be a tuple of integer or bool tensors")
    if isinstance(values, _reg.Tensor):
        if values.dtype is not input.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_scalar_name(input.dtype)} for the destination and {_scalar_name(values.dtype)} "
                               f"for the source.")
        _check_value_shape(tuple(values._data.shape), plan.shape, True, values.dtype.legacy)
        values = _prepare_value(values, plan.shape, True)
    plan.check()
    return INDEX_PUT.dispatch((input, values), (plan.dims, bool(accumulate), *plan.arrays))


# --- index_select / index_add -----------------------------------------------------------------


def _index_select_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    dim, index = ctx.attrs
    zeros = _zeros_native(tuple(ctx.input_shape(0)), g._data.dtype, g._backend)
    return (INDEX_ADD.dispatch((zeros, g), (dim, index, 1)),)


INDEX_SELECT = defop("index_select", 1, vjp=_index_select_vjp, saves=((),),
                     samples=lambda: [Sample((T((4, 3)),), (0, A([3, 0, 3])), name="rows"),
                                      Sample((T((2, 5)),), (1, A([4, 4, 1, 0])), name="cols"),
                                      Sample((T((4,)),), (0, A([], "int64")), name="empty", gradgradcheck=False)],
                     reference=lambda np, x, dim, index: np.take(x, index, axis=dim))


@generic("index_select")
def _index_select_kernel(xp: Any) -> Any:
    def index_select(x: Any, dim: int, index: Any) -> Any:
        if not x.ndim:
            return xp.reshape(xp.take(xp.reshape(x, (1,)), index, axis=0), ())
        return xp.take(x, index, axis=dim)

    return index_select


def _index_int_tensor(index: Any, fname: str, what: str) -> Any:
    if not isinstance(index, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"{fname}(): Expected dtype {what} for index")
    return index


def index_select(input: Any, dim: int, index: Any) -> Any:  # noqa: A002
    """The entries of ``input`` at positions ``index`` (a vector) along ``dim`` (IndexSelectBackward0)."""
    _index_int_tensor(index, "index_select", "int32 or int64")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    size = shape[d] if shape else 1
    xp = input._backend.namespace()
    idx = xp.reshape(index._data, (-1,))
    if not shape and idx.shape[0] != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.shape[0]} value(s)")
    if idx.size:
        if bool(xp.any(idx < 0)):
            raise IndexError("index out of range in self")
        if bool(xp.any(idx >= size)):
            bad = int(xp.max(idx))
            if d == 0:  # Note: PyTorch's kernel along dim 0 words it so; along others it is the RuntimeError below
                raise IndexError("index out of range in self")
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    return INDEX_SELECT.dispatch((input,), (d, idx))


def _index_add_vjp(ctx: Any, g: Any) -> tuple:
    dim, index, alpha = ctx.attrs
    need = ctx.needs_input_grad
    gs = None
    if need[1]:
        gs = INDEX_SELECT.dispatch((g,), (dim, index))
        if alpha != 1:
            gs = gs * alpha
    return (g if need[0] else None), gs


def _np_index_add(np: Any, x: Any, src: Any, dim: int, index: Any, alpha: Any) -> Any:
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (index,), src * alpha)
    return out


INDEX_ADD = defop("index_add", 2, vjp=_index_add_vjp, saves=((), ()),
                  samples=lambda: [Sample((T((4, 3)), T((3, 3))), (0, A([3, 0, 3]), 1), name="rows"),
                                   Sample((T((2, 5)), T((2, 2))), (1, A([4, 4]), 2.5), name="alpha")],
                  reference=_np_index_add)


@generic("index_add")
def _index_add_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)

    def index_add(x: Any, src: Any, dim: int, index: Any, alpha: Any) -> Any:
        if alpha != 1:
            src = src * alpha
        if not x.ndim:
            return xp.reshape(index_add(lift(xp, x), lift(xp, xp.asarray(src)), 0, index, 1), ())
        n = x.ndim
        perm = (dim,) + tuple(i for i in range(n) if i != dim)
        inverse = [0] * n
        for i, d in enumerate(perm):
            inverse[d] = i
        moved = permute_dims(x, perm)
        rest = _prod(moved.shape[1:])
        vals = xp.reshape(permute_dims(xp.asarray(src, dtype=x.dtype), perm), (index.shape[0], rest))
        out = scatter_add_rows(xp, xp.reshape(moved, (moved.shape[0], rest)), index, vals)
        return permute_dims(xp.reshape(out, moved.shape), tuple(inverse))

    return index_add


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """A copy of ``input`` with ``alpha * source`` added at rows ``index`` along ``dim``; repeats accumulate."""
    _index_int_tensor(index, "index_add", "int32 or int64")
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape))
    sshape = tuple(source._data.shape)
    idx = input._backend.namespace().reshape(index._data, (-1,))
    lifted, slifted = shape or (1,), sshape or (1,)
    if len(slifted) != len(lifted) or any(a != b for i, (a, b) in enumerate(zip(lifted, slifted)) if i != d) \
            or slifted[d] != idx.shape[0]:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    size = shape[d] if shape else 1
    idx = _check_bounds(input._backend.namespace(), idx, size,
                        lambda v: f"index {v} is out of bounds for dimension {d} with size {size}", RuntimeError)
    if source.dtype is not input.dtype:
        from .conversion import _to_dtype

        source = _to_dtype(source, input.dtype)
    return INDEX_ADD.dispatch((input, source), (d, idx, alpha))


# --- gather / scatter / scatter_add -----------------------------------------------------------


def _check_bounds(xp: Any, idx: Any, size: int, message: Any, exc: type = IndexError) -> Any:
    """``idx`` with negatives wrapped; ``exc(message(value))`` names the first entry outside ``[-size, size)``."""
    if not idx.size:
        return idx
    bad = (idx >= size) | (idx < -size)
    if bool(xp.any(bad)):
        first = int(xp.argmax(xp.reshape(bad, (-1,))))
        raise exc(message(int(xp.reshape(idx, (-1,))[first])))
    if bool(xp.any(idx < 0)):
        idx = xp.where(idx < 0, idx + size, idx)
    return idx


def _check_gather_index(input: Any, dim: int, index: Any, src: Any, fname: str) -> tuple[int, Any]:  # noqa: A002
    """Validate ``index`` (and ``src``) for gather/scatter as PyTorch does; the dim and the wrapped index array."""
    if not isinstance(index, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape))
    ishape = tuple(index._data.shape)
    if max(len(ishape), 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    others_fit = all(a <= b for i, (a, b) in enumerate(zip(ishape, shape)) if i != d)
    if src is None:
        for i, (a, b) in enumerate(zip(ishape, shape)):
            if i != d and a > b:
                raise RuntimeError(f"Size does not match at dimension {i} expected index {list(ishape)} to be no "
                                   f"larger than self {list(shape)} apart from dimension {d}")
    else:
        sshape = tuple(src._data.shape)
        if max(len(sshape), 1) != max(len(ishape), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        if not others_fit or any(a > b for a, b in zip(ishape, sshape)):
            raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {d} and to be no larger size than src {list(sshape)}")
    size = shape[d] if shape else 1
    idx = _check_bounds(input._backend.namespace(), index._data, size,
                        lambda v: f"index {v} is out of bounds for dimension {d} with size {size}", RuntimeError)
    return d, idx


def _gather_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    zeros = _zeros_native(tuple(ctx.input_shape(0)), g._data.dtype, g._backend)
    return (SCATTER_ADD.dispatch((zeros, g), ctx.attrs),)


def _np_gather(np: Any, x: Any, dim: int, index: Any) -> Any:
    return np.reshape(lift(np, x)[gather_coords(np, index, dim)], index.shape)


GATHER = defop("gather", 1, vjp=_gather_vjp, saves=((),),
               samples=lambda: [Sample((T((3, 4)),), (1, A([[0, 0], [3, 1], [2, 2]])), name="cols"),
                                Sample((T((3, 4)),), (0, A([[2, 0, 0, 1]])), name="rows"),
                                Sample((T((2, 3, 2)),), (2, A([[[1], [0], [1]], [[0], [0], [0]]])), name="3d")],
               reference=_np_gather)


@generic("gather")
def _gather_kernel(xp: Any) -> Any:
    def gather(x: Any, dim: int, index: Any) -> Any:
        return xp.reshape(lift(xp, x)[gather_coords(xp, index, dim)], index.shape)

    return gather


def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:  # noqa: A002
    """``out[i][j] = input[index[i][j]][j]`` along ``dim`` (GatherBackward0)."""
    d, idx = _check_gather_index(input, dim, index, None, "gather")
    return GATHER.dispatch((input,), (d, idx))


def _scatter_vjp(ctx: Any, g: Any) -> tuple:
    dim, index = ctx.attrs[:2]
    need = ctx.needs_input_grad
    gx = SCATTER_VALUE.dispatch((g,), (dim, index, 0)) if need[0] else None
    gs = GATHER.dispatch((g,), (dim, index)) if len(need) > 1 and need[1] else None
    return (gx, gs) if len(need) > 1 else (gx,)


def _np_scatter(np: Any, x: Any, src: Any, dim: int, index: Any) -> Any:
    out = x.copy()
    out[gather_coords(np, index, dim)] = src
    return out


SCATTER = defop("scatter", 2, vjp=_scatter_vjp, saves=((), ()),
                samples=lambda: [Sample((T((3, 4)), T((3, 2))), (1, A([[0, 3], [1, 2], [2, 0]])), name="cols"),
                                 Sample((T((3, 4)), T((1, 4))), (0, A([[2, 0, 1, 1]])), name="rows")],
                reference=_np_scatter)
SCATTER_VALUE = defop("scatter_value", 1, vjp=_scatter_vjp, node="ScatterBackward1", saves=((),),
                      samples=lambda: [Sample((T((3, 4)),), (1, A([[0, 3], [1, 2], [2, 0]]), 2.5), name="cols")],
                      reference=lambda np, x, dim, index, value: _np_scatter(np, x, value, dim, index))


@generic("scatter")
def _scatter_kernel(xp: Any) -> Any:
    def scatter(x: Any, src: Any, dim: int, index: Any) -> Any:
        out = lift(xp, xp.asarray(x, copy=True))
        out[gather_coords(xp, index, dim)] = lift(xp, src)
        return xp.reshape(out, x.shape)

    return scatter


@generic("scatter_value")
def _scatter_value_kernel(xp: Any) -> Any:
    def scatter_value(x: Any, dim: int, index: Any, value: Any) -> Any:
        out = lift(xp, xp.asarray(x, copy=True))
        out[gather_coords(xp, index, dim)] = value
        return xp.reshape(out, x.shape)

    return scatter_value


def _src_for(src: Any, index: Any) -> Any:
    """``src`` cut to ``index``'s shape (scatter reads only that corner of it)."""
    ishape = tuple(index._data.shape)
    for d, (a, b) in enumerate(zip(ishape, src._data.shape)):
        if a != b:
            src = _slice(src, d, 0, a)
    return src


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: Any = None) -> Any:  # noqa: A002
    """A copy of ``input`` with ``src`` (a tensor, or a number) written at ``index`` along ``dim``."""
    if src is None:
        src = value
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, _reg.Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=_outside_level())
        else:
            src = _full_like_index(index, src, input)
        if reduce == "add":
            return scatter_add(input, dim, index, src)
        return scatter_reduce(input, dim, index, src, "prod")
    if isinstance(src, _reg.Tensor):
        d, idx = _check_gather_index(input, dim, index, src, "scatter")
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        return SCATTER.dispatch((input, _src_for(src, index)), (d, idx))
    d, idx = _check_gather_index(input, dim, index, None, "scatter")
    return SCATTER_VALUE.dispatch((input,), (d, idx, src))


def _full_like_index(index: Any, value: Any, like: Any) -> Any:
    from ..tensor import _wrap

    xp = like._backend.namespace()
    return _wrap(xp.full(index._data.shape, value, dtype=like._data.dtype), like._backend)


def _scatter_add_vjp(ctx: Any, g: Any) -> tuple:
    dim, index = ctx.attrs
    need = ctx.needs_input_grad
    return (g if need[0] else None), (GATHER.dispatch((g,), (dim, index)) if need[1] else None)


def _np_scatter_add(np: Any, x: Any, src: Any, dim: int, index: Any) -> Any:
    out = x.copy()
    np.add.at(out, gather_coords(np, index, dim), src)
    return out


SCATTER_ADD = defop("scatter_add", 2, vjp=_scatter_add_vjp, saves=((), ()),
                    samples=lambda: [Sample((T((3, 4)), T((3, 2))), (1, A([[0, 0], [1, 2], [3, 3]])), name="cols"),
                                     Sample((T((3, 4)), T((2, 4))), (0, A([[2, 0, 1, 1], [2, 2, 2, 1]])), name="rows")],
                    reference=_np_scatter_add)


@generic("scatter_add")
def _scatter_add_kernel(xp: Any) -> Any:
    def scatter_add(x: Any, src: Any, dim: int, index: Any) -> Any:
        coords = gather_coords(xp, index, dim)
        shape = lift(xp, x).shape
        rows = None
        for d, c in enumerate(coords):
            rows = c if rows is None else rows * shape[d] + c
        n = _prod(index.shape)
        rows = xp.reshape(xp.broadcast_to(rows, lift(xp, index).shape), (n,))
        vals = xp.reshape(xp.asarray(src, dtype=x.dtype), (n, 1))
        out = scatter_add_rows(xp, xp.reshape(x, (_prod(x.shape), 1)), rows, vals)
        return xp.reshape(out, x.shape)

    return scatter_add


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:  # noqa: A002
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``; repeated indices accumulate."""
    d, idx = _check_gather_index(input, dim, index, src, "scatter_add")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter_add(): Expected self.dtype to be equal to src.dtype")
    return SCATTER_ADD.dispatch((input, _src_for(src, index)), (d, idx))


# --- scatter_reduce ---------------------------------------------------------------------------

_SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _scatter_reduce_vjp(ctx: Any, g: Any) -> tuple:
    from .comparison import eq, where
    from .creation import ones_like, zeros_like

    x, src = ctx.inputs
    dim, index, reduce, include_self = ctx.attrs
    need = ctx.needs_input_grad
    gx = gs = None
    if reduce == "sum":
        gx = g if include_self else SCATTER_VALUE.dispatch((g,), (dim, index, 0))
        gs = GATHER.dispatch((g,), (dim, index))
    elif reduce == "mean":
        count = SCATTER_ADD.dispatch((ones_like(g) if include_self else zeros_like(g), ones_like(src)), (dim, index))
        count = where(count == 0, ones_like(count), count)
        gx = g / count if include_self else SCATTER_VALUE.dispatch((g,), (dim, index, 0))
        gs = GATHER.dispatch((g / count,), (dim, index))
    elif reduce == "prod":
        out = ctx.output
        if include_self:
            gx = g * SCATTER_REDUCE.dispatch((ones_like(x), src), (dim, index, "prod", True))
        else:
            gx = SCATTER_VALUE.dispatch((g,), (dim, index, 0))
        # d out / d src_k: the product of everything else in its slot, without dividing by a zero src_k.
        is_zero = eq(src, 0)
        safe = where(is_zero, ones_like(src), src)
        base = where(eq(x, 0), ones_like(x), x) if include_self else ones_like(x)
        zeros_in = SCATTER_ADD.dispatch((eq(x, 0).to(x.dtype) if include_self else zeros_like(x), is_zero.to(src.dtype)),
                                        (dim, index))
        others = SCATTER_REDUCE.dispatch((base, safe), (dim, index, "prod", True))
        lone_zero = GATHER.dispatch((g * where(eq(zeros_in, 1), others, zeros_like(others)),), (dim, index))
        gs = where(is_zero, lone_zero, GATHER.dispatch((g * out,), (dim, index)) / safe)
    else:  # amax / amin: the gradient is shared evenly between the entries equal to the result
        out = ctx.output
        hit_src = eq(src, GATHER.dispatch((out,), (dim, index))).to(g.dtype)
        # Note: as in PyTorch, an input equal to the result shares in the ties even when not included.
        hit_self = eq(x, out).to(g.dtype)
        ties = SCATTER_ADD.dispatch((hit_self, hit_src), (dim, index))
        ties = where(ties == 0, ones_like(ties), ties)
        if include_self:
            gx = g * hit_self / ties
        else:
            gx = SCATTER_VALUE.dispatch((g,), (dim, index, 0))
        gs = hit_src * GATHER.dispatch((g / ties,), (dim, index))
    return (gx if need[0] else None), (gs if need[1] else None)


def _np_scatter_reduce(np: Any, x: Any, src: Any, dim: int, index: Any, reduce: str, include_self: bool) -> Any:
    coords = gather_coords(np, index, dim)
    coords = tuple(np.broadcast_to(c, index.shape) for c in coords)
    src = src[tuple(slice(0, s) for s in index.shape)]
    out = x.copy()
    if not include_self:
        out[coords] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    if reduce in ("sum", "mean"):
        np.add.at(out, coords, src)
    else:
        {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce].at(out, coords, src)
    if reduce == "mean":
        count = np.zeros(x.shape) + (1 if include_self else 0)
        np.add.at(count, coords, 1)
        out = out / np.maximum(count, 1)
    return out


def _scatter_reduce_samples() -> list:
    index = A([[0, 1, 0, 2], [2, 2, 0, 1]])
    return [Sample((T((3, 4)), T((2, 4))), (0, index, reduce, include_self), name=f"{reduce}_{include_self}")
            for reduce in _SCATTER_REDUCTIONS for include_self in (True, False)] + [
        Sample((T((2, 5)), T((2, 3))), (1, A([[4, 4, 0], [1, 1, 1]]), "prod", True), name="prod_cols"),
        Sample((T((2, 4), values=[[1.0, 0.0, 2.0, 3.0], [0.5, 2.0, 0.0, 1.0]]),
                T((2, 3), values=[[0.0, 2.0, 1.5], [3.0, 0.0, 0.0]])),
               (1, A([[0, 0, 1], [2, 2, 3]]), "prod", True), name="prod_zeros", gradgradcheck=False),
    ]


SCATTER_REDUCE = defop("scatter_reduce", 2, vjp=_scatter_reduce_vjp, saves=((0, 1, -1), (0, 1, -1)),
                       samples=_scatter_reduce_samples, reference=_np_scatter_reduce)


@generic("scatter_reduce")
def _scatter_reduce_kernel(xp: Any) -> Any:
    combine = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}

    def scatter_reduce(x: Any, src: Any, dim: int, index: Any, reduce: str, include_self: bool) -> Any:
        out = xp.reshape(xp.asarray(x, copy=True), (-1,))
        n = _prod(index.shape)
        if n == 0:
            return xp.reshape(out, x.shape)
        coords = gather_coords(xp, index, dim)
        shape = lift(xp, x).shape
        rows = None
        for d, c in enumerate(coords):
            rows = c if rows is None else rows * shape[d] + c
        rows = xp.reshape(xp.broadcast_to(rows, lift(xp, index).shape), (n,))
        vals = xp.reshape(xp.asarray(lift(xp, src)[tuple(slice(0, s) for s in lift(xp, index).shape)],
                                     dtype=x.dtype), (n, 1))
        u, red = segment_reduce(xp, rows, vals, combine[reduce])
        red = xp.reshape(red, (-1,))
        if reduce == "mean":
            _, count = segment_reduce(xp, rows, xp.ones((n, 1), dtype=x.dtype), xp.add)
            count = xp.reshape(count, (-1,))
            if include_self:
                red, count = red + xp.take(out, u), count + 1
            integral = xp.isdtype(x.dtype, "integral") if hasattr(xp, "isdtype") else x.dtype.kind in "iu"
            red = xp.floor_divide(red, count) if integral else red / count
        elif include_self:
            red = combine[reduce](xp.take(out, u), red)
        out[u] = red
        return xp.reshape(out, x.shape)

    return scatter_reduce


def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Any:
    """A copy of ``input`` with the ``src`` entries at ``index`` along ``dim`` folded into it by ``reduce``
    ("sum", "prod", "mean", "amax" or "amin"), counting ``input``'s own value unless not ``include_self``."""
    if not isinstance(src, _reg.Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in _SCATTER_REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d, idx = _check_gather_index(input, dim, index, src, "scatter")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return SCATTER_REDUCE.dispatch((input, _src_for(src, index)), (d, idx, reduce, bool(include_self)))


# --- index_reduce ----------------------------------------------------------------------------
# index_reduce(dim, index, source, reduce) folds slice i of ``source`` along ``dim`` into slice index[i] of
# the input: scatter_reduce with the 1-d index spread over the source's shape. The op keeps that spread
# index as its attribute and runs scatter_reduce's kernel and gradient rule under its own node name.

_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")
_INDEX_REDUCE_WARNED: list = []  # PyTorch warns once per process that the function is in beta


def _index_reduce_samples() -> list:
    # index [2, 0, 2] along dim 0 of a (3, 4) source into a (3, 4) input, spread over the source's shape
    rows = A([[2, 2, 2, 2], [0, 0, 0, 0], [2, 2, 2, 2]])
    cols = A([[1, 1, 0], [1, 1, 0]])  # index [1, 1, 0] along dim 1 of a (2, 3) source into a (2, 2) input
    return [Sample((T((3, 4)), T((3, 4))), (0, rows, reduce, include_self), name=f"{reduce}_{include_self}")
            for reduce in _INDEX_REDUCTIONS for include_self in (True, False)] + [
        Sample((T((2, 2)), T((2, 3))), (1, cols, reduce, True), name=f"{reduce}_cols") for reduce in _INDEX_REDUCTIONS]


INDEX_REDUCE = defop("index_reduce", 2, vjp=_scatter_reduce_vjp, node="IndexReduceBackward0",
                     saves=((0, 1, -1), (0, 1, -1)), samples=_index_reduce_samples, reference=_np_scatter_reduce)
generic("index_reduce")(_scatter_reduce_kernel)


def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Any:
    """A copy of ``input`` whose slice ``index[i]`` along ``dim`` has slice ``i`` of ``source`` folded in by
    ``reduce`` ("prod", "mean", "amax" or "amin"), counting ``input``'s own values unless not ``include_self``."""
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    for name, value in (("index", index), ("source", source)):
        if not isinstance(value, _reg.Tensor):
            raise TypeError(f"index_reduce(): argument '{name}' must be Tensor, not {type(value).__name__}")
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape))
    if index._data.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with "
                         f"type: {index.dtype.legacy[:-len('Tensor')]} and size: {list(index._data.shape)}")
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype.legacy[:-len('Tensor')]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({input.dtype.legacy[:-len('Tensor')]}) and source "
                           f"({source.dtype.legacy[:-len('Tensor')]}) must have the same scalar type")
    sshape = tuple(source._data.shape)
    n = index.numel()
    along = sshape[d] if sshape else 1
    if n != along:
        raise RuntimeError(f"index_reduce_(): Number of indices ({n}) should be equal to source.size(dim): ({along}), "
                           f"for dim: {d}")
    if len(sshape) != len(shape) or any(a != b for i, (a, b) in enumerate(zip(shape, sshape)) if i != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    xp = input._backend.namespace()
    size = shape[d] if shape else 1
    idx = xp.reshape(index._data, (-1,))
    if idx.size and bool(xp.any((idx < 0) | (idx >= size))):  # negative indices do not wrap here, as in PyTorch
        raise IndexError("index out of range in self")
    if not _INDEX_REDUCE_WARNED:
        _INDEX_REDUCE_WARNED.append(True)
        warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2)
    spread = (1,) * d + (-1,) + (1,) * (max(len(sshape), 1) - d - 1)
    idx = xp.broadcast_to(xp.reshape(xp.asarray(idx, dtype=xp.int64), spread), sshape or (1,))
    if not sshape:
        idx = xp.reshape(idx, ())
    return INDEX_REDUCE.dispatch((input, source), (d, idx, reduce, bool(include_self)))


def unravel_index(indices: Any, shape: Any) -> tuple:
    """The coordinates, one int64 tensor per dimension of ``shape``, of each flat index in ``indices``
    (row-major, as :func:`numpy.unravel_index`; indices wrap around modulo the number of elements)."""
    from ..factories import tensor as _tensor

    if not isinstance(indices, _reg.Tensor):
        raise TypeError(f"unravel_index(): argument 'indices' must be Tensor, not {type(indices).__name__}")
    if indices.dtype.category != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, bool) or not isinstance(shape, (int, Sequence)) or isinstance(shape, str):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    if isinstance(shape, int):
        shape = (shape,)
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    shape = tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        coefs[i] = coefs[i + 1] * shape[i + 1]
    device = indices._backend
    from .elementwise import floor_divide, remainder
    from .shape import unbind, unsqueeze

    coords = remainder(floor_divide(unsqueeze(indices, -1), _tensor(coefs or [1], dtype=_dt.int64, device=device)),
                       _tensor(list(shape), dtype=_dt.int64, device=device))
    return unbind(coords, -1)


# --- index_copy / index_fill -------------------------------------------------------------------


def _index_copy_vjp(ctx: Any, g: Any) -> tuple:
    dim, index = ctx.attrs
    need = ctx.needs_input_grad
    gx = INDEX_FILL.dispatch((g,), (dim, index, 0)) if need[0] else None
    gs = INDEX_SELECT.dispatch((g,), (dim, index)) if need[1] else None
    return gx, gs


def _np_index_copy(np: Any, x: Any, src: Any, dim: int, index: Any) -> Any:
    out = x.copy()
    out[(slice(None),) * dim + (index,)] = src
    return out


INDEX_COPY = defop("index_copy", 2, vjp=_index_copy_vjp, saves=((), ()),
                   samples=lambda: [Sample((T((4, 3)), T((2, 3))), (0, A([3, 0])), name="rows"),
                                    Sample((T((2, 5)), T((2, 3))), (1, A([4, 1, 2])), name="cols")],
                   reference=_np_index_copy)


@generic("index_copy")
def _index_copy_kernel(xp: Any) -> Any:
    def index_copy(x: Any, src: Any, dim: int, index: Any) -> Any:
        out = lift(xp, xp.asarray(x, copy=True))
        out[(slice(None),) * dim + (index,)] = lift(xp, src)
        return xp.reshape(out, x.shape)

    return index_copy


def _index_along(input: Any, dim: int, index: Any, fname: str, dtype_msg: str) -> tuple[int, Any]:  # noqa: A002
    """The dim and the wrapped index vector of index_copy / index_fill, with PyTorch's checks."""
    if not isinstance(index, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype is not _dt.int64:
        raise (RuntimeError if fname == "index_copy" else IndexError)(dtype_msg)
    if index._data.ndim > 1:
        raise IndexError(f"{fname}_(): Index should have dimension 1 or 0 (got {index._data.ndim})")
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape))
    size = shape[d] if shape else 1
    idx = input._backend.namespace().reshape(index._data, (-1,))
    idx = _check_bounds(input._backend.namespace(), idx, size,
                        lambda v: f"{fname}_(): index {v} is out of bounds for dimension {d} with size {size}"
                        if fname == "index_copy" else f"index {v} is out of bounds for dimension {d} with size {size}")
    return d, idx


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Any:  # noqa: A002
    """A copy of ``input`` whose entries at ``index`` along ``dim`` are the slices of ``source`` (IndexCopyBackward0)."""
    d, idx = _index_along(input, dim, index, "index_copy",
                          f"index_copy_(): Expected a long tensor for index, but got {_scalar_name(index.dtype)}"
                          if isinstance(index, _reg.Tensor) else "")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_scalar_name(input.dtype)} and (source) {_scalar_name(source.dtype)}")
    sshape = tuple(source._data.shape) or (1,)
    n = idx.shape[0]
    if len(sshape) > d and sshape[d] != n or len(sshape) <= d:
        got = sshape[d] if len(sshape) > d else 1
        raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({got})")
    shape = tuple(input._data.shape) or (1,)
    if len(sshape) != len(shape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape)) if k != d):
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {list(shape[:d] + shape[d + 1:])} at dimension {d} and source slice "
                           f"shape: {list(sshape[:d] + sshape[d + 1:])} at dimension 0.")
    return INDEX_COPY.dispatch((input, source), (d, idx))


def _index_fill_vjp(ctx: Any, g: Any) -> tuple:
    dim, index = ctx.attrs[:2]
    need = ctx.needs_input_grad
    gx = INDEX_FILL.dispatch((g,), (dim, index, 0)) if need[0] else None
    if len(need) == 1:
        return (gx,)
    # Note: the value's gradient arrives in the output's shape; the engine sums it to the 0-d value.
    gv = g - INDEX_FILL.dispatch((g,), (dim, index, 0)) if need[1] else None
    return gx, gv


def _np_index_fill(np: Any, x: Any, dim: int, index: Any, value: Any) -> Any:
    out = x.copy()
    out[(slice(None),) * dim + (index,)] = value
    return out


INDEX_FILL = defop("index_fill", 1, vjp=_index_fill_vjp, saves=((),),
                   samples=lambda: [Sample((T((3, 4)),), (1, A([0, 2, 0]), -1.5), name="cols"),
                                    Sample((T((3, 4)),), (0, A([2]), 2.0), name="row")],
                   reference=_np_index_fill)
INDEX_FILL_TENSOR = defop("index_fill_tensor", 2, vjp=_index_fill_vjp, node="IndexFillBackward1", saves=((), ()),
                          samples=lambda: [Sample((T((3, 4)), T(())), (1, A([0, 2])), name="tensor_value")],
                          reference=lambda np, x, value, dim, index: _np_index_fill(np, x, dim, index, value))


@generic("index_fill")
def _index_fill_kernel(xp: Any) -> Any:
    def index_fill(x: Any, dim: int, index: Any, value: Any) -> Any:
        out = lift(xp, xp.asarray(x, copy=True))
        out[(slice(None),) * dim + (index,)] = xp.asarray(value, dtype=x.dtype)
        return xp.reshape(out, x.shape)

    return index_fill


@generic("index_fill_tensor")
def _index_fill_tensor_kernel(xp: Any) -> Any:
    fill = _index_fill_kernel(xp)

    def index_fill_tensor(x: Any, value: Any, dim: int, index: Any) -> Any:
        return fill(x, dim, index, value)

    return index_fill_tensor


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:  # noqa: A002
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) at ``index`` along ``dim`` (IndexFillBackward0/1)."""
    d, idx = _index_along(input, dim, index, "index_fill", "index_fill_(): Expected dtype int64 for index.")
    if isinstance(value, _reg.Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value.dtype is not input.dtype:
            from .conversion import _to_dtype

            value = _to_dtype(value, input.dtype)
        return INDEX_FILL_TENSOR.dispatch((input, value), (d, idx))
    return INDEX_FILL.dispatch((input,), (d, idx, value))


# --- masked_fill / masked_select ----------------------------------------------------------------


def _mask_array(input: Any, mask: Any, fname: str) -> tuple[Any, tuple]:  # noqa: A002
    """The bool mask as a backend array broadcast with ``input``, and the broadcast shape."""
    if not isinstance(mask, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype is not _dt.bool_:
        raise RuntimeError(f"{fname} only supports boolean masks, but got mask with dtype {_ctype(mask.dtype)}")
    shape = tuple(input._data.shape)
    mshape = tuple(mask._data.shape)
    common = _broadcast_shapes([shape, mshape])
    if common is None:
        # Note: PyTorch names the first mismatch from the right, with the mask as tensor a.
        n = max(len(shape), len(mshape))
        a, b, k = next((mshape[i - n + len(mshape)], shape[i - n + len(shape)], i) for i in range(n - 1, -1, -1)
                       if i - n + len(mshape) >= 0 and i - n + len(shape) >= 0
                       and 1 not in (mshape[i - n + len(mshape)], shape[i - n + len(shape)])
                       and mshape[i - n + len(mshape)] != shape[i - n + len(shape)])
        raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                           f"dimension {k}")
    data = mask._data
    if mshape != common:
        data = input._backend.namespace().broadcast_to(data, common)
    return data, common


def _masked_fill_vjp(ctx: Any, g: Any) -> tuple:
    mask = ctx.attrs[0]
    need = ctx.needs_input_grad
    gx = MASKED_FILL.dispatch((g,), (mask, 0)) if need[0] else None
    if len(need) == 1:
        return (gx,)
    gv = None
    if need[1]:
        # Note: the value's gradient arrives in the output's shape; the engine sums it to the 0-d value.
        gv = MASKED_FILL.dispatch((g,), (g._backend.namespace().logical_not(mask), 0))
    return gx, gv


_MASK_SAMPLE_VALUES = [[True, False, False, True], [False, False, True, True], [True, True, False, False]]
MASKED_FILL = defop("masked_fill", 1, vjp=_masked_fill_vjp, saves=((),),
                    samples=lambda: [Sample((T((3, 4)),), (A(_MASK_SAMPLE_VALUES, "bool"), 2.5), name="scalar"),
                                     Sample((T((4,)),), (A(_MASK_SAMPLE_VALUES, "bool"), -1.0), name="broadcast")],
                    reference=lambda np, x, mask, value: np.where(mask, np.asarray(value, dtype=x.dtype), x))
MASKED_FILL_TENSOR = defop("masked_fill_tensor", 2, vjp=_masked_fill_vjp, node="MaskedFillBackward1",
                           saves=((), ()),
                           samples=lambda: [Sample((T((3, 4)), T(())), (A(_MASK_SAMPLE_VALUES, "bool"),),
                                                   name="tensor_value")],
                           reference=lambda np, x, value, mask: np.where(mask, value.astype(x.dtype), x))


@generic("masked_fill")
def _masked_fill_kernel(xp: Any) -> Any:
    def masked_fill(x: Any, mask: Any, value: Any) -> Any:
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    return masked_fill


@generic("masked_fill_tensor")
def _masked_fill_tensor_kernel(xp: Any) -> Any:
    def masked_fill_tensor(x: Any, value: Any, mask: Any) -> Any:
        return xp.where(mask, xp.astype(value, x.dtype) if hasattr(xp, "astype") else value.astype(x.dtype), x)

    return masked_fill_tensor


def masked_fill(input: Any, mask: Any, value: Any) -> Any:  # noqa: A002
    """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` (broadcast) is True."""
    m, _ = _mask_array(input, mask, "masked_fill_")
    if isinstance(value, _reg.Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value.dtype is not input.dtype:
            from .conversion import _to_dtype

            value = _to_dtype(value, input.dtype)
        return MASKED_FILL_TENSOR.dispatch((input, value), (m,))
    return MASKED_FILL.dispatch((input,), (m, value))


def _masked_select_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    (mask,) = ctx.attrs
    arrays = tuple(g._backend.namespace().nonzero(mask))
    zeros = _zeros_native(tuple(mask.shape), g._data.dtype, g._backend)
    return (INDEX_PUT.dispatch((zeros, g), (tuple(range(len(arrays))), False, *arrays)),)


MASKED_SELECT = defop("masked_select", 1, vjp=_masked_select_vjp, saves=((),),
                      samples=lambda: [Sample((T((3, 4)),), (A(_MASK_SAMPLE_VALUES, "bool"),), name="same"),
                                       Sample((T((4,)),), (A(_MASK_SAMPLE_VALUES, "bool"),), name="broadcast")],
                      reference=lambda np, x, mask: np.broadcast_to(x, mask.shape)[mask])


@generic("masked_select")
def _masked_select_kernel(xp: Any) -> Any:
    def masked_select(x: Any, mask: Any) -> Any:
        if x.shape != mask.shape:
            x = xp.broadcast_to(x, mask.shape)
        return x[mask]

    return masked_select


def masked_select(input: Any, mask: Any) -> Any:  # noqa: A002
    """The elements of ``input`` where the bool ``mask`` (broadcast with it) is True, as a 1-d tensor."""
    m, common = _mask_array(input, mask, "masked_select")
    if not common:
        xp = input._backend.namespace()
        return MASKED_SELECT.dispatch((reshape(input, (1,)),), (xp.reshape(m, (1,)),))
    return MASKED_SELECT.dispatch((input,), (m,))


# --- take / put -------------------------------------------------------------------------------


def _take_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native

    (index,) = ctx.attrs
    zeros = _zeros_native(tuple(ctx.input_shape(0)), g._data.dtype, g._backend)
    return (PUT.dispatch((zeros, g), (index, True)),)


TAKE = defop("take", 1, vjp=_take_vjp, saves=((),),
             samples=lambda: [Sample((T((3, 4)),), (A([0, 11, 5, 5]),), name="flat"),
                              Sample((T((3, 4)),), (A([[1, 1], [7, 2]]),), name="2d_index")],
             reference=lambda np, x, index: np.take(x.reshape(-1), index))


@generic("take")
def _take_kernel(xp: Any) -> Any:
    def take(x: Any, index: Any) -> Any:
        flat = xp.take(xp.reshape(x, (-1,)), xp.reshape(index, (-1,)))
        return xp.reshape(flat, index.shape)

    return take


def _flat_index(input: Any, index: Any, fname: str) -> Any:  # noqa: A002
    if not isinstance(index, _reg.Tensor):
        raise TypeError(f"{fname}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype is not _dt.int64:
        raise RuntimeError(f"{fname}(): Expected a long tensor for index, but got {_scalar_name(index.dtype)}")
    n = input.numel()
    return _check_bounds(input._backend.namespace(), index._data, n,
                         lambda v: f"out of range: tried to access index {v} on a tensor of {n} elements.")


def take(input: Any, index: Any) -> Any:  # noqa: A002
    """The elements of the flattened ``input`` at ``index``, in ``index``'s shape (TakeBackward0)."""
    return TAKE.dispatch((input,), (_flat_index(input, index, "take"),))


def _put_vjp(ctx: Any, g: Any) -> tuple:
    index, accumulate = ctx.attrs
    need = ctx.needs_input_grad
    gx = None
    if need[0]:
        gx = g if accumulate else PUT.dispatch((g, 0), (index, False))
    gs = TAKE.dispatch((g,), (index,)) if need[1] else None
    return gx, gs


def _np_put(np: Any, x: Any, src: Any, index: Any, accumulate: bool) -> Any:
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, index.reshape(-1), np.broadcast_to(src, index.shape).reshape(-1))
    else:
        out[index.reshape(-1)] = np.broadcast_to(src, index.shape).reshape(-1)
    return out.reshape(x.shape)


PUT = defop("put", 2, vjp=_put_vjp, saves=((), ()),
            samples=lambda: [Sample((T((3, 4)), T((4,))), (A([0, 11, 5, 5]), True), name="accumulate"),
                             Sample((T((3, 4)), T((2, 2))), (A([[1, 2], [7, 0]]), False), name="assign")],
            reference=_np_put)


@generic("put")
def _put_kernel(xp: Any) -> Any:
    def put(x: Any, src: Any, index: Any, accumulate: bool) -> Any:
        n = _prod(index.shape)
        rows = xp.reshape(index, (n,))
        vals = xp.reshape(xp.broadcast_to(xp.asarray(src, dtype=x.dtype), index.shape), (n,))
        flat = xp.reshape(xp.asarray(x, copy=True), (-1,))
        if accumulate:
            out = scatter_add_rows(xp, xp.reshape(flat, (flat.shape[0], 1)), rows, xp.reshape(vals, (n, 1)))
            return xp.reshape(out, x.shape)
        flat[rows] = vals
        return xp.reshape(flat, x.shape)

    return put


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:  # noqa: A002
    """A copy of ``input`` with ``source`` written (or added) at the flat positions ``index`` (PutBackward0)."""
    idx = _flat_index(input, index, "put")
    if source.numel() != index.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self ({_scalar_name(input.dtype)}) and source ({_scalar_name(source.dtype)}) "
                           "must have the same scalar type")
    if tuple(source._data.shape) != tuple(idx.shape):
        source = reshape(source, tuple(idx.shape))
    return PUT.dispatch((input, source), (idx, bool(accumulate)))


# --- nonzero ------------------------------------------------------------------------------------


NONZERO = defop("nonzero", 1, vjp=None, saves=((),),
                samples=lambda: [Sample((T((3, 4)),), name="2d", gradcheck=False, gradgradcheck=False)],
                reference=lambda np, x: np.argwhere(x))


@generic("nonzero")
def _nonzero_kernel(xp: Any) -> Any:
    def nonzero(x: Any) -> Any:
        if x.ndim == 0:
            hits = xp.nonzero(xp.reshape(x, (1,)))[0]
            return xp.zeros((hits.shape[0], 0), dtype=xp.int64)
        return xp.astype(xp.stack(xp.nonzero(x), axis=1), xp.int64) if hasattr(xp, "astype") else \
            xp.stack(xp.nonzero(x), axis=1).astype(xp.int64)

    return nonzero


def nonzero(input: Any, *, out: Any = None, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of ndim vectors."""
    if out is not None:
        return write_out("nonzero", out, (), lambda: nonzero(input, as_tuple=as_tuple))
    from .shape import unbind

    if input._data.ndim == 0:
        input = reshape(input.detach(), (1,)) if as_tuple else input
    res = NONZERO.dispatch_nograd((input,))
    if not as_tuple:
        return res
    return unbind(res, 1)


def argwhere(input: Any) -> Any:  # noqa: A002
    """The indices of the non-zero elements as an (n, ndim) int64 tensor."""
    return nonzero(input)


# --- Tensor methods -----------------------------------------------------------------------------


def _inplace(name: str, fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`."
    return method


TENSOR_METHODS: dict = {
    "__getitem__": getitem,
    "index_put_": _inplace("index_put_", index_put),
    "index_add_": _inplace("index_add_", index_add),
    "masked_fill_": _inplace("masked_fill_", masked_fill),
    "scatter_": _inplace("scatter_", scatter),
    "scatter_add_": _inplace("scatter_add_", scatter_add),
    "scatter_reduce_": _inplace("scatter_reduce_", scatter_reduce),
    "index_reduce_": _inplace("index_reduce_", index_reduce),
    "index_copy_": _inplace("index_copy_", index_copy),
    "index_fill_": _inplace("index_fill_", index_fill),
    "put_": _inplace("put_", put),
}

def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """An int64 tensor of shape ``(*tensor.shape, num_classes)``: 1 at each index of ``tensor``, 0 elsewhere.

    ``num_classes=-1`` takes one more than the largest index.
    """
    from ..factories import arange
    from .comparison import eq
    from .shape import unsqueeze

    if tensor.dtype is not _dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes < 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        top = int(tensor.max().item())
        if num_classes == -1:
            num_classes = top + 1
        elif top >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    if num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, device=tensor._backend)
    return eq(unsqueeze(tensor, -1), classes).to(_dt.int64)


__all__ = [
    "index_put", "index_select", "index_add", "gather", "scatter", "scatter_add", "scatter_reduce", "index_copy",
    "index_fill", "masked_fill", "masked_select",
    "take", "put", "nonzero", "argwhere", "index_reduce", "unravel_index",
]
