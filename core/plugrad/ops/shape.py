"""Shape ops: reshape/view, expand/broadcast_to."""

from __future__ import annotations

from typing import Any

from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from .registry import defop


def _sizes(size: tuple) -> tuple:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(size) == 1 and not isinstance(size[0], int) and not hasattr(size[0], "__index__"):
        return tuple(int(s) for s in size[0])
    if len(size) == 1 and hasattr(size[0], "__iter__"):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _infer_shape(shape: tuple, numel: int, in_shape: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_vjp(ctx: Any, g: Any) -> tuple:
    return (reshape(g, ctx.input_shape(0)),)


RESHAPE = defop("reshape", 1, vjp=_reshape_vjp, node="ViewBackward0", saves=((),),
                samples=lambda: [Sample((T((3, 4)),), ((4, 3),), name="2d"),
                                 Sample((T((2, 3, 4)),), ((6, 4),), name="merge"),
                                 Sample((T(()),), ((1, 1),), name="from_scalar"),
                                 Sample((T((1,)),), ((),), name="to_scalar")],
                reference=lambda np, x, shape: np.reshape(x, shape))


@generic("reshape")
def _reshape_kernel(xp: Any) -> Any:
    def reshape_(x: Any, shape: tuple) -> Any:
        return xp.reshape(x, shape)

    return reshape_


def reshape(input: Any, *shape: Any) -> Any:  # noqa: A002
    """``input`` with a new shape of the same number of elements; one dimension may be -1."""
    s = _infer_shape(_sizes(shape), input.numel(), input.shape)
    if s == input._data.shape:
        return _alias_view(input)
    return RESHAPE.dispatch((input,), (s,))


def _alias_view(t: Any) -> Any:
    return RESHAPE.dispatch((t,), (t._data.shape,))


def view(input: Any, *shape: Any) -> Any:  # noqa: A002
    """Like :func:`reshape`; plugrad's arrays may copy where PyTorch would share memory only for non-contiguous input."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)) and not hasattr(shape[0], "__iter__"):
        from .. import dtypes as _dt

        if isinstance(shape[0], _dt.dtype):
            raise RuntimeError("view(dtype) is not supported by plugrad; use .to(dtype), which copies")
    return reshape(input, *shape)


def _expand_vjp(ctx: Any, g: Any) -> tuple:
    from .reduction import sum_to_size

    return (sum_to_size(g, ctx.input_shape(0)),)


EXPAND = defop("expand", 1, vjp=_expand_vjp, saves=((),),
               samples=lambda: [Sample((T((3, 1)),), ((3, 4),), name="2d"),
                                Sample((T((4,)),), ((2, 3, 4),), name="new_dims"),
                                Sample((T(()),), ((2, 2),), name="scalar")],
               reference=lambda np, x, shape: np.broadcast_to(x, shape))


@generic("expand")
def _expand_kernel(xp: Any) -> Any:
    def expand_(x: Any, shape: tuple) -> Any:
        return xp.broadcast_to(x, shape)

    return expand_


def expand(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """A broadcast view of ``input`` with the given sizes (-1 keeps a dimension)."""
    shape = _sizes(sizes)
    in_shape = input._data.shape
    if len(shape) < len(in_shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(in_shape)}}}, size={list(shape)}): the number of sizes provided "
            f"({len(shape)}) must be greater or equal to the number of dimensions in the tensor ({len(in_shape)})"
        )
    lead = len(shape) - len(in_shape)
    out = []
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = in_shape[i - lead]
        elif i >= lead and in_shape[i - lead] not in (1, s):
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({in_shape[i - lead]}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(shape)}.  Tensor sizes: {list(in_shape)}"
            )
        out.append(s)
    return EXPAND.dispatch((input,), (tuple(out),))


def broadcast_to(input: Any, size: Any) -> Any:  # noqa: A002
    """``input`` broadcast to ``size`` (ExpandBackward0)."""
    return expand(input, tuple(size))


__all__ = ["reshape", "view", "expand", "broadcast_to"]
