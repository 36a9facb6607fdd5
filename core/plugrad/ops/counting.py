"""Counting ops: unique values (sorted or consecutive runs) with their inverse and counts, and bincount.

Their results are indices and counts, never differentiable; the kernels sort and scan with the array
namespace only.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from . import registry as _reg
from .indexing import _argsort_stable, scatter_add_rows
from .shape import _concat_fn, _scalar_name

# --- unique / unique_consecutive -------------------------------------------------------------------


def _np_unique(np: Any, x: Any, consecutive: bool) -> tuple:
    flat = x.reshape(-1)
    if consecutive:
        starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
        inverse = np.cumsum(starts) - 1
        values = flat[starts]
        counts = np.bincount(inverse, minlength=values.size) if flat.size else np.zeros(0, np.int64)
    else:
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    return values, inverse.reshape(x.shape).astype(np.int64), counts.astype(np.int64)


UNIQUE = _reg.defop("unique", 1, vjp=None, nout=3, differentiable_outputs=(False, False, False),
                    samples=lambda: [Sample((T((3, 4), values=[[2, 1, 2, 0], [3, 1, 1, 0], [2, 2, 2, 5]]),), (c,),
                                            name=f"consecutive_{c}", gradcheck=False) for c in (False, True)]
                    + [Sample((T((0,)),), (False,), name="empty", gradcheck=False)],
                    reference=_np_unique)


@generic("unique")
def _unique_kernel(xp: Any) -> Any:
    concat = _concat_fn(xp)

    def unique(x: Any, consecutive: bool) -> tuple:
        flat = xp.reshape(x, (-1,))
        n = flat.shape[0]
        order = None
        if not consecutive and n:
            order = _argsort_stable(xp, flat)
            flat = xp.take(flat, order)
        if n == 0:
            return flat, xp.reshape(xp.zeros((0,), dtype=xp.int64), x.shape), xp.zeros((0,), dtype=xp.int64)
        starts = concat([xp.ones((1,), dtype=xp.bool), flat[1:] != flat[:-1]])
        group = xp.cumulative_sum(xp.astype(starts, xp.int64)) - 1 if hasattr(xp, "cumulative_sum") else \
            xp.cumsum(starts.astype(xp.int64)) - 1
        first = xp.nonzero(starts)[0]
        values = xp.take(flat, first)
        counts = concat([first[1:], xp.asarray([n], dtype=first.dtype)]) - first
        if order is not None:
            inverse = xp.zeros((n,), dtype=xp.int64)
            inverse[order] = group
        else:
            inverse = group
        return values, xp.reshape(inverse, x.shape), xp.astype(counts, xp.int64) if hasattr(xp, "astype") else \
            counts.astype(xp.int64)

    return unique


def _np_unique_dim(np: Any, x: Any, consecutive: bool, dim: int) -> tuple:
    rows = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
    if consecutive:
        starts = np.concatenate([[True], (rows[1:] != rows[:-1]).any(axis=1)]) if len(rows) else np.zeros(0, bool)
        inverse = np.cumsum(starts) - 1
        uniq = rows[starts]
        counts = np.bincount(inverse, minlength=len(uniq)) if len(rows) else np.zeros(0, np.int64)
    else:
        uniq, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    values = np.moveaxis(uniq.reshape((len(uniq),) + tuple(np.delete(x.shape, dim))), 0, dim)
    return values, inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)


UNIQUE_DIM = _reg.defop("unique_dim", 1, vjp=None, nout=3, differentiable_outputs=(False, False, False),
                        samples=lambda: [Sample((T((3, 4), values=[[2, 1, 2, 1], [0, 1, 1, 0], [2, 1, 2, 1]]),),
                                                (c, d), name=f"consecutive_{c}_dim{d}", gradcheck=False)
                                         for c in (False, True) for d in (0, 1)],
                        reference=_np_unique_dim)


@generic("unique_dim")
def _unique_dim_kernel(xp: Any) -> Any:
    concat = _concat_fn(xp)

    def unique_dim(x: Any, consecutive: bool, dim: int) -> tuple:
        n = x.shape[dim]
        perm = (dim,) + tuple(i for i in range(x.ndim) if i != dim)
        moved = xp.permute_dims(x, perm) if hasattr(xp, "permute_dims") else xp.transpose(x, perm)
        rows = xp.reshape(moved, (n, -1))
        order = None
        if not consecutive and n:
            # lexicographic order of the rows: stable sorts by each column, the last column first
            order = xp.arange(n)
            for col in range(rows.shape[1] - 1, -1, -1):
                key = xp.take(rows[:, col], order)
                order = xp.take(order, _argsort_stable(xp, key))
            rows = xp.take(rows, order, axis=0)
        if n == 0:
            return moved, xp.zeros((0,), dtype=xp.int64), xp.zeros((0,), dtype=xp.int64)
        differs = xp.any(rows[1:] != rows[:-1], axis=1) if rows.shape[1] else xp.zeros((n - 1,), dtype=xp.bool)
        starts = concat([xp.ones((1,), dtype=xp.bool), differs])
        group = xp.cumsum(xp.astype(starts, xp.int64) if hasattr(xp, "astype") else starts.astype(xp.int64)) - 1
        first = xp.nonzero(starts)[0]
        uniq = xp.take(rows, first, axis=0)
        counts = concat([first[1:], xp.asarray([n], dtype=first.dtype)]) - first
        if order is not None:
            inverse = xp.zeros((n,), dtype=xp.int64)
            inverse[order] = group
        else:
            inverse = group
        values = xp.reshape(uniq, (uniq.shape[0],) + tuple(moved.shape[1:]))
        back = tuple(perm.index(i) for i in range(x.ndim))
        values = xp.permute_dims(values, back) if hasattr(xp, "permute_dims") else xp.transpose(values, back)
        counts = xp.astype(counts, xp.int64) if hasattr(xp, "astype") else counts.astype(xp.int64)
        return values, inverse, counts

    return unique_dim


def _unique(input: Any, consecutive: bool, return_inverse: bool, return_counts: bool, dim: Any) -> Any:  # noqa: A002
    if input.dtype.is_complex:
        from .elementwise import complex_refused

        raise complex_refused("unique" if dim is None else "unique_dim", input)
    if dim is None:
        values, inverse, counts = UNIQUE.dispatch_nograd((input,), (consecutive,))
    else:
        from .shape import wrap_dim

        if input.dim() == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        values, inverse, counts = UNIQUE_DIM.dispatch_nograd((input,), (consecutive, wrap_dim(dim, input.dim())))
    if not return_inverse and not return_counts:
        return values
    return (values, *((inverse,) if return_inverse else ()), *((counts,) if return_counts else ()))


def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A001,A002
           dim: Any = None) -> Any:
    """The distinct elements of ``input`` in ascending order (as PyTorch's CPU kernel gives them whatever
    ``sorted`` says), with the ``inverse`` (each element's position among them) and ``counts`` if asked."""
    return _unique(input, False, return_inverse, return_counts, dim)


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim: Any = None) -> Any:
    """The first element of each run of equal consecutive elements, with the inverse and run lengths if asked."""
    return _unique(input, True, return_inverse, return_counts, dim)


# --- bincount -------------------------------------------------------------------------------------


def _np_bincount(np: Any, x: Any, weights: Any, minlength: int) -> Any:
    return np.bincount(x, weights=weights, minlength=minlength)


BINCOUNT = _reg.defop("bincount", 1, vjp=None,
                      samples=lambda: [Sample((T((5,), values=[0, 1, 1, 3, 1], dtype="int64"),), (None, 0),
                                              name="counts"),
                                       Sample((T((4,), values=[2, 0, 2, 1], dtype="int64"),),
                                              (T((4,), dtype="float64", grad=False), 5), name="weights")],
                      reference=_np_bincount)


@generic("bincount")
def _bincount_kernel(xp: Any) -> Any:
    def bincount(x: Any, weights: Any, minlength: int) -> Any:
        size = max(int(xp.max(x)) + 1 if x.shape[0] else 0, minlength)
        dtype = xp.int64 if weights is None else weights.dtype
        vals = xp.ones((x.shape[0], 1), dtype=dtype) if weights is None else xp.reshape(weights, (-1, 1))
        base = xp.zeros((size, 1), dtype=dtype)
        return xp.reshape(scatter_add_rows(xp, base, x, vals), (size,))

    return bincount


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Any:  # noqa: A002
    """How often each value 0, 1, ... occurs in the 1-d non-negative integer ``input`` (summing ``weights``
    instead of ones when given), at least ``minlength`` bins."""
    if input.dtype.category != 1:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_scalar_name(input.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = input._backend.namespace()
    data = input._data
    if data.ndim != 1 or (data.shape[0] and bool(xp.any(data < 0))):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None
    if weights is not None:
        if weights._data.ndim != 1 or weights._data.shape[0] != data.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        if weights.dtype not in (_dt.float32, _dt.float64):
            from .conversion import _to_dtype

            weights = _to_dtype(weights, _dt.float64)
        w = weights._data
    return BINCOUNT.dispatch_nograd((input,), (w, int(minlength)))


__all__ = ["unique", "unique_consecutive", "bincount"]
