"""Functions that write one tensor into a region of a copy of another: select_scatter, slice_scatter,
diagonal_scatter, as_strided_scatter, masked_scatter, and the in-place ``fill_diagonal_``.

Each is a composition (clone, then an in-place copy through a view or a mask), so gradients flow to both the
input (outside the region) and the source (inside it) with no rule of their own.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt


def _check_region(src: Any, region: Any) -> None:
    if tuple(src.shape) != tuple(region.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(region.shape)}")


def _embed(input: Any, src: Any, region_of: Any) -> Any:  # noqa: A002
    """A copy of ``input`` whose region ``region_of(copy)`` (a view) holds ``src``."""
    from .conversion import clone

    out = clone(input)
    region = region_of(out)
    _check_region(src, region)
    region.copy_(src)
    return out


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:  # noqa: A002
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    return _embed(input, src, lambda t: t.select(dim, index))


def slice_scatter(input: Any, src: Any, dim: int = 0, start: int | None = None, end: int | None = None,  # noqa: A002
                  step: int = 1) -> Any:
    """A copy of ``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    def region(t: Any) -> Any:
        d = dim + t.ndim if dim < 0 else dim
        return t[(slice(None),) * d + (slice(start, end, step),)]

    return _embed(input, src, region)


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:  # noqa: A002
    """A copy of ``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    return _embed(input, src, lambda t: t.diagonal(offset, dim1, dim2))


def as_strided_scatter(input: Any, src: Any, size: Any, stride: Any,  # noqa: A002
                       storage_offset: int | None = None) -> Any:
    """A copy of ``input`` with ``input.as_strided(size, stride, storage_offset)`` replaced by ``src`` (the copy
    keeps ``input``'s strides, so the region indexes the same storage positions)."""
    return _embed(input, src, lambda t: t.as_strided(size, stride, storage_offset))


def masked_scatter(input: Any, mask: Any, source: Any) -> Any:  # noqa: A002
    """A copy of ``input`` whose positions where ``mask`` is True take the elements of ``source`` in row-major
    order; ``input`` and ``mask`` broadcast together (the in-place form keeps ``input``'s shape)."""
    from .conversion import clone
    from .reduction import sum as _sum
    from .shape import broadcast_shapes, broadcast_to, reshape

    if mask.dtype is not _dt.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.legacy[:-6]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{input.dtype.legacy[:-6]} and {source.dtype.legacy[:-6]}")
    shape = broadcast_shapes(input.shape, mask.shape)
    input, mask = broadcast_to(input, shape), broadcast_to(mask, shape)
    count = int(_sum(mask).item())
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = clone(input)
    out[mask] = reshape(source, (-1,))[:count]
    return out


def _masked_scatter_(self: Any, mask: Any, source: Any) -> Any:
    if mask.ndim > self.ndim:
        raise RuntimeError(f"expand({self.device.type.upper()}BoolType{{{list(mask.shape)}}}, size={list(self.shape)}): "
                           f"the number of sizes provided ({self.ndim}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({mask.ndim})")
    return self._inplace(masked_scatter, mask, source)


def _diagonal_mask(t: Any, wrap: bool) -> Any:
    """The flat positions of ``t``'s main diagonal (all dimensions equal, or a matrix), as a bool tensor of
    ``t``'s shape; ``wrap`` continues a tall matrix's diagonal below the first square block, as NumPy does."""
    from ..factories import arange
    from .comparison import eq, lt
    from .elementwise import logical_and, remainder
    from .shape import reshape

    shape = tuple(t.shape)
    if t.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if t.ndim > 2 and any(s != shape[0] for s in shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    if t.ndim == 2:
        rows, cols = shape
        step = cols + 1
        end = rows * cols if wrap else min(rows, cols) * cols
    else:
        step = sum(shape[0] ** k for k in range(t.ndim))
        end = t.numel()
    flat = arange(t.numel(), device=t.device)
    picked = logical_and(eq(remainder(flat, step), 0), lt(flat, end))
    return reshape(picked, shape)


def _fill_diagonal_(self: Any, fill_value: Any, wrap: bool = False) -> Any:
    from .comparison import where
    from .creation import full_like

    mask = _diagonal_mask(self, wrap)
    return self._inplace(lambda t: where(mask, full_like(t, fill_value), t))


TENSOR_METHODS: dict = {
    "masked_scatter_": _masked_scatter_,
    "fill_diagonal_": _fill_diagonal_,
}

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter", "masked_scatter"]
