"""Views and tensors defined by their memory layout: as_strided, frombuffer, empty_permuted, dim_order.

plugrad's storage of a tensor is its root's elements in row-major order (see ``Tensor._strides``); a view made
by :func:`as_strided` indexes that storage with explicit sizes, strides and offset, as PyTorch's does.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from . import registry as _reg
from .registry import defop

_MB_WARNED = [False]


def _strided_positions(xp: Any, size: tuple, stride: tuple, offset: int) -> Any:
    """The storage position of every element of a ``size``/``stride`` view starting at ``offset``, row-major."""
    pos = xp.asarray(offset, dtype=xp.int64)
    for d, (n, st) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + xp.reshape(xp.arange(n, dtype=xp.int64) * st, tuple(shape))
    return xp.reshape(pos + xp.zeros(tuple(size), dtype=xp.int64), (-1,))


def _as_strided_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import _zeros_native
    from .indexing import INDEX_ADD
    from .shape import reshape

    size, stride, offset, in_stride, in_offset, storage_numel = ctx.attrs
    shape = tuple(ctx.input_shape(0))
    xp = g._backend.namespace()
    # Note: overlapping elements of the view add up in the storage position they share, then each element of
    # the input takes the gradient of its own storage position (PyTorch's as_strided_backward).
    zeros = _zeros_native((storage_numel,), g._data.dtype, g._backend)
    flat = reshape(g, (-1,))
    storage = INDEX_ADD.dispatch((zeros, flat), (0, _strided_positions(xp, size, stride, offset), 1))
    return (reshape(storage[_reg._wrap(_strided_positions(xp, shape, in_stride, in_offset), g._backend)], shape),)


def _storage_of(xp: Any, x: Any, in_stride: tuple, in_offset: int, storage_numel: int) -> Any:
    """A flat array of the storage ``x`` lies in: its memory where the backend lets us reach it, else a copy
    holding ``x``'s elements at their positions (positions ``x`` does not cover read as zero)."""
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    if tricks is not None and hasattr(x, "strides"):
        base = x
        while getattr(base, "base", None) is not None and hasattr(base.base, "strides"):
            base = base.base
        item = x.dtype.itemsize
        if base.dtype == x.dtype and base.flags.c_contiguous:
            start = (x.__array_interface__["data"][0] if hasattr(x, "__array_interface__") else x.data.ptr) - \
                in_offset * item
            base_start = base.__array_interface__["data"][0] if hasattr(base, "__array_interface__") else \
                base.data.ptr
            skip, rem = divmod(start - base_start, item)
            flat = xp.reshape(base, (-1,))
            if not rem and skip >= 0 and skip + storage_numel <= flat.shape[0]:
                return flat[skip:skip + storage_numel]
    storage = xp.zeros((storage_numel,), dtype=x.dtype)
    storage[_strided_positions(xp, tuple(x.shape), in_stride, in_offset)] = xp.reshape(x, (-1,))
    return storage


def _np_as_strided(np: Any, x: Any, size: tuple, stride: tuple, offset: int, in_stride: tuple, in_offset: int,
                   storage_numel: int) -> Any:
    storage = np.zeros((storage_numel,), dtype=x.dtype)
    storage[_strided_positions(np, tuple(x.shape), in_stride, in_offset)] = np.reshape(x, (-1,))
    return storage[_strided_positions(np, size, stride, offset)].reshape(size)


AS_STRIDED = defop("as_strided", 1, vjp=_as_strided_vjp, node="AsStridedBackward0", saves=((),),
                   samples=lambda: [Sample((T((3, 4)),), ((2, 2), (1, 2), 1, (4, 1), 0, 12), name="gaps"),
                                    Sample((T((6,)),), ((3, 2), (1, 1), 0, (1,), 0, 6), name="overlapping"),
                                    Sample((T((2, 3)),), ((3, 2), (1, 3), 0, (3, 1), 0, 6), name="transpose"),
                                    Sample((T((4,)),), ((), (), 2, (1,), 0, 4), name="scalar")],
                   reference=_np_as_strided)


@generic("as_strided")
def _as_strided_kernel(xp: Any) -> Any:
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)

    def as_strided(x: Any, size: tuple, stride: tuple, offset: int, in_stride: tuple, in_offset: int,
                   storage_numel: int) -> Any:
        storage = _storage_of(xp, x, in_stride, in_offset, storage_numel)
        if tricks is not None and hasattr(storage, "strides"):
            item = storage.dtype.itemsize
            # A real view of the memory, so writes through it reach the input.
            return tricks.as_strided(storage[offset:], shape=size, strides=tuple(st * item for st in stride))
        return xp.reshape(xp.take(storage, _strided_positions(xp, size, stride, offset)), size)

    return as_strided


def _int_list(value: Any, what: str) -> tuple:
    if isinstance(value, int):
        return (value,)
    return tuple(int(v) for v in value)


def as_strided(input: Any, size: Any, stride: Any, storage_offset: Any = None) -> Any:  # noqa: A002
    """A view of ``input``'s storage with the given ``size``, ``stride`` and ``storage_offset`` (``input``'s own
    offset when None), whose gradient adds back into the storage positions it read (AsStridedBackward0)."""
    size, stride = _int_list(size, "size"), _int_list(stride, "stride")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    link = input._view_of
    item = input.dtype.itemsize
    available = input.numel() if link is None else link[0].numel()
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
    if needed > available:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {needed * item} are out of bounds for "
                           f"storage of size {available * item}")
    return AS_STRIDED.dispatch((input,), (size, stride, offset, tuple(input.stride()), input.storage_offset(),
                                          available))


# --- tensors over a Python buffer, or laid out in a given order ----------------------------------------------


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Any:
    """A 1-D CPU tensor over the bytes of ``buffer`` (anything with the buffer protocol), from ``offset`` bytes
    in, ``count`` elements (-1: all that fit). It shares the buffer's memory when the buffer is writable; a
    read-only buffer (``bytes``) is copied, with PyTorch's warning, since plugrad tensors are always writable."""
    from ..backend import resolve
    from ..factories import _made

    d = _dt.as_dtype(dtype)
    view = memoryview(buffer)
    length = view.nbytes
    item = d.itemsize
    count, offset = int(count), int(offset)
    if length <= 0 and count == 0 or length == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count <= 0 and (length - offset) % item:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                         f"multiple of element size ({item})")
    if count < 0:
        count = (length - offset) // item
    if offset + count * item > length:
        raise ValueError(f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({length} bytes)")
    backend = resolve("cpu")
    import numpy as np  # the CPU backend's arrays are NumPy's

    arr = np.frombuffer(view.cast("B") if view.format != "B" or view.ndim != 1 else view,
                        dtype=backend.native_dtype(d), count=count, offset=offset)
    if not arr.flags.writeable:
        if not _MB_WARNED[0]:
            _MB_WARNED[0] = True
            warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. "
                          "plugrad copies it.", UserWarning, stacklevel=2)
        arr = arr.copy()
    t = _made(backend.from_numpy(arr), backend)
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty_permuted(size: Any, physical_layout: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Any:
    """An uninitialised tensor of ``size`` whose memory holds the dimensions in the order ``physical_layout``
    (outermost first): ``empty_permuted((2, 3, 5), (0, 2, 1))`` has strides ``(15, 1, 3)``."""
    from ..factories import empty
    from .shape import permute

    size = tuple(int(n) for n in size)
    order = tuple(int(p) for p in physical_layout)
    if len(order) != len(size):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"size = {list(size)}, physical_layout = {list(order)}")
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout: {list(order)}")
    inverse = [0] * len(order)
    for i, p in enumerate(order):
        inverse[p] = i
    with _no_grad():
        t = permute(empty(tuple(size[p] for p in order), dtype=dtype, device=device), tuple(inverse))
    if requires_grad:
        t = t.detach().requires_grad_(True)  # Note: detach keeps the view's strides as the tensor's layout
    return t


def _no_grad() -> Any:
    from ..autograd.grad_mode import no_grad

    return no_grad()


def _dim_order(self: Any, *, ambiguity_check: Any = False) -> tuple:
    """The dimensions from outermost to innermost in memory (see :func:`plugrad.memory_formats.dim_order`)."""
    from ..memory_formats import dim_order

    return dim_order(self, ambiguity_check)


def _as_strided_method(self: Any, size: Any, stride: Any, storage_offset: Any = None) -> Any:
    return as_strided(self, size, stride, storage_offset)


TENSOR_METHODS: dict = {"dim_order": _dim_order, "as_strided": _as_strided_method}

_reg.mark_views("as_strided")

__all__ = ["as_strided", "frombuffer", "empty_permuted"]
