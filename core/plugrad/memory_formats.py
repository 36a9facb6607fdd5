"""Memory formats (``contiguous_format``, ``channels_last``...) and PyTorch's rules for the strides of new tensors.

A tensor that is not a view counts as row-major unless it carries ``Tensor._layout``: the strides PyTorch would
give it, set here on tensors made in a memory format (``clone``, ``contiguous``, ``empty_like``, ``empty``,
``empty_strided``, ``to``). Its backend array is laid out the same way where the backend has strided arrays, so
``data_ptr`` arithmetic and NumPy views agree with ``stride()``.
"""

from __future__ import annotations

from typing import Any


class memory_format:  # noqa: N801 - PyTorch's name
    """How a tensor's dimensions are ordered in memory: ``torch.contiguous_format``, ``torch.channels_last``..."""

    __module__ = "plugrad"
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_CHANNELS_LAST_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}  # innermost dimension first


def check_format(value: Any, function: str) -> memory_format:
    """``value`` as a memory format (None: ``preserve_format``), or PyTorch's TypeError naming ``function``."""
    if value is None:
        return preserve_format
    if not isinstance(value, memory_format):
        raise TypeError(f"{function}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(value).__name__}")
    return value


def contiguous_strides(shape: tuple) -> tuple:
    out = []
    step = 1
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


def format_strides(shape: tuple, fmt: memory_format) -> tuple:
    """The strides of a new tensor of ``shape`` in ``fmt`` (``contiguous_format``, ``channels_last[_3d]``)."""
    if fmt is channels_last or fmt is channels_last_3d:
        rank = 4 if fmt is channels_last else 5
        if len(shape) != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
        strides = [0] * rank
        step = 1
        for d in _CHANNELS_LAST_ORDER[rank]:
            strides[d] = step
            step *= max(shape[d], 1)
        return tuple(strides)
    return contiguous_strides(shape)


def is_contiguous_as(shape: tuple, strides: tuple, fmt: memory_format) -> bool:
    """PyTorch's ``is_contiguous(memory_format=fmt)`` for these sizes and strides."""
    if fmt is contiguous_format or fmt is preserve_format:  # Note: PyTorch reads preserve_format as contiguous
        order: tuple = tuple(reversed(range(len(shape))))
        if 0 in shape:
            return True
    else:
        order = _CHANNELS_LAST_ORDER.get(len(shape), ())
        if len(shape) != (4 if fmt is channels_last else 5):
            return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def strides_like_channels_last(shape: tuple, strides: tuple) -> bool:
    """PyTorch's is_channels_last_strides_2d/3d: do the strides order the dimensions as channels_last does?"""
    order = _CHANNELS_LAST_ORDER.get(len(shape))
    if order is None or strides[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or strides[d] < low:
            return False
        # Note: ambiguous N111 layouts count as contiguous, as in PyTorch.
        if d == 0 and low == strides[1]:
            return False
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest_format(shape: tuple, strides: tuple) -> memory_format:
    """PyTorch's ``suggest_memory_format``: the format the strides look like."""
    if strides_like_channels_last(shape, strides):
        return channels_last if len(shape) == 4 else channels_last_3d
    return contiguous_format


def non_overlapping_and_dense(shape: tuple, strides: tuple) -> bool:
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    dims = sorted(range(len(shape)), key=lambda d: (shape[d] < 2, strides[d] if shape[d] >= 2 else 0))
    required = 1
    for d in dims:
        if shape[d] < 2:
            return True
        if strides[d] != required:
            return False
        required *= shape[d]
    return True


def infer_dense_strides(shape: tuple, strides: tuple) -> tuple:
    """Dense strides keeping the order of ``strides``' dimensions (PyTorch's infer_dense_strides)."""
    ndim = len(shape)
    if ndim < 2:
        return (1,) * ndim
    perm = list(reversed(range(ndim)))  # innermost first

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, ndim):
        d1 = i
        for j in range(1, i + 1):
            d0 = i - j
            cmp = should_swap(perm[d0], perm[d1])
            if cmp > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif cmp < 0:
                break
    out = [0] * ndim
    step = 1
    for d in perm:
        out[d] = step
        if shape[d] > 1:
            step *= shape[d]
    return tuple(out)


def preserved_strides(t: Any, fmt: memory_format, *, dense_only: bool = False) -> tuple:
    """The strides of a copy of ``t`` made in ``fmt``: for ``preserve_format``, ``t``'s own strides where it is
    dense, else its order of dimensions (``empty_like``, ``clone``), or, with ``dense_only``, the format its
    strides suggest (``to``)."""
    shape = tuple(t.shape)
    if fmt is not preserve_format:
        return format_strides(shape, fmt)
    strides = t._strides()
    if non_overlapping_and_dense(shape, strides):
        return strides
    if dense_only:
        return format_strides(shape, suggest_format(shape, strides))
    return infer_dense_strides(shape, strides)


def like(input: Any, t: Any, memory_format: Any, function: str) -> Any:  # noqa: A002 - PyTorch's name
    """Lay out ``t``, a fresh tensor made like ``input`` (``empty_like``, ``zeros_like``...), in
    ``memory_format`` (``preserve_format``: as ``input`` is laid out)."""
    fmt = check_format(memory_format, function)
    if fmt is preserve_format and input._view_of is None and input._layout is None:
        return t
    return lay_out(t, preserved_strides(input, fmt))


def _memory_order(shape: tuple, strides: tuple) -> list:
    """The dimensions of dense ``strides`` from outermost to innermost (size-1 dimensions where they fall)."""
    return sorted(range(len(shape)), key=lambda d: (-strides[d], d))


def lay_out(t: Any, strides: tuple) -> Any:
    """Give the fresh tensor ``t`` (no history yet, or the output of a copy) the PyTorch strides ``strides``:
    its array is re-laid in that order where the backend has strided arrays; returns ``t``."""
    shape = tuple(t.shape)
    if strides == contiguous_strides(shape):
        if t._layout is not None:
            t._layout = None
        flags = getattr(t._data, "flags", None)
        if flags is not None and not flags.c_contiguous:  # a copy that kept its source's order: make it row-major
            xp = t._backend.namespace()
            t._data = xp.reshape(xp.asarray(xp.reshape(t._data, (-1,)), copy=True), shape)
        return t
    data = t._data
    xp = t._backend.namespace()
    if non_overlapping_and_dense(shape, strides):
        order = _memory_order(shape, strides)
        inverse = [0] * len(order)
        for i, d in enumerate(order):
            inverse[d] = i
        permuted = xp.permute_dims(data, tuple(order))
        # Note: the memory is one flat row-major array, as the storage of a view made by as_strided must be.
        base = xp.reshape(xp.asarray(xp.reshape(permuted, (-1,)), copy=True), tuple(permuted.shape))
        t._data = xp.permute_dims(base, tuple(inverse))
    else:
        tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
        if tricks is not None and hasattr(data, "strides"):
            needed = 0 if 0 in shape else 1 + sum((n - 1) * st for n, st in zip(shape, strides))
            storage = xp.zeros((needed,), dtype=data.dtype)
            view = tricks.as_strided(storage, shape=shape, strides=tuple(st * data.dtype.itemsize for st in strides))
            view[...] = data
            t._data = view
    t._layout = tuple(strides)
    return t


def dim_order(t: Any, ambiguity_check: Any = False) -> tuple:
    """The dimensions of ``t`` from outermost to innermost in memory (``Tensor.dim_order``, as PyTorch orders
    the output of an elementwise op), raising where ``ambiguity_check`` asks for a unique answer."""
    bad_check = TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    if not isinstance(ambiguity_check, bool):
        if not isinstance(ambiguity_check, list) or not all(isinstance(f, memory_format) for f in ambiguity_check):
            raise bad_check
    shape = tuple(t.shape)
    strides = t._strides()
    ndim = len(shape)
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    if ambiguity_check is not False and (any(a == b for a, b in zip(strides, strides[1:])) or 1 in shape):
        if sum(is_contiguous_as(shape, strides, f) for f in formats) != 1:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the "
                               "given memory formats.")
    if ndim < 2:
        return tuple(range(ndim))
    contiguous = is_contiguous_as(shape, strides, contiguous_format)
    last = is_contiguous_as(shape, strides, channels_last)
    if contiguous and not last:
        return tuple(range(ndim))
    if last and not contiguous:
        return (0, *range(2, ndim), 1)

    def ge(a: int, b: int) -> bool:
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def should_swap(a: int, b: int) -> int:
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if ge(shape[b], shape[a]) else 1
        if ge(sb, sa):
            return -1
        return 1 if ge(sa, sb) else 0

    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):
        d1 = i
        for d0 in reversed(range(i)):
            cmp = should_swap(perm[d0], perm[d1])
            if cmp > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif cmp < 0:
                break
    if ambiguity_check is not False and any(should_swap(perm[i], perm[i + 1]) != -1 for i in range(ndim - 1)):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(perm))


__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]
