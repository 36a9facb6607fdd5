"""Ops that copy or convert: dtype casts, moves between backends, clone, and the fill ops used in place."""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic, is_complex_array
from ..testing.samples import Sample, T, unary_samples
from .registry import Op, defop


def _to_dtype_vjp(ctx: Any, g: Any) -> tuple:
    return (_to_native_dtype(g, ctx._input_dtypes[0]),)


TO_COPY = defop("to_copy", 1, vjp=_to_dtype_vjp, node="ToCopyBackward0", saves=((),),
                samples=lambda: [Sample((T((3, 4)),), (_dt.float64,), name="to_float64",
                                        extra={"output_dtype": "float64"}),
                                 Sample((T((2, 3)),), (_dt.float32,), name="to_float32", gradcheck=False,
                                        gradgradcheck=False, extra={"output_dtype": "float32"})],
                reference=lambda np, x, d: x.astype(d.name))


@generic("to_copy")
def _to_copy_kernel(xp: Any) -> Any:
    def to_copy(x: Any, d: _dt.dtype) -> Any:
        if not d.is_complex and is_complex_array(xp, x):
            x = xp.real(x)  # Note: the real part, as PyTorch casts (a gradient for a real input, too)
        return x.astype(getattr(xp, d.name))

    return to_copy


def _to_dtype(t: Any, d: _dt.dtype) -> Any:
    """``t`` cast to dtype ``d`` (recorded as ToCopyBackward0 when it requires grad)."""
    if t.dtype is d:
        return t
    if t.dtype.is_complex and not d.is_complex:
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
    if t._requires_grad and not (d.is_floating_point or d.is_complex):
        return TO_COPY.dispatch_nograd((t,), (d,))
    return TO_COPY.dispatch((t,), (d,))


def _to_native_dtype(t: Any, native: Any) -> Any:
    return TO_COPY.dispatch((t,), (_dt.as_dtype(native),))


def _to_backend_vjp(ctx: Any, g: Any) -> tuple:
    source = ctx.attrs[1]
    return (_to_backend(g, source),)


# Not in the registry: moving between backends has no kernel of its own; only its node is recorded.
TO_BACKEND = Op("to_backend", 1, _to_backend_vjp, node="ToCopyBackward0", saves=((),))


def _to_backend(t: Any, target: Any) -> Any:
    """``t`` on backend ``target``: no copy between backends of one device, else a transfer through NumPy."""
    from ..tensor import _wrap

    source = t._backend
    if source is target:
        return t
    if source.device_type == target.device_type == "cpu":
        data = t._data
    else:
        data = target.from_numpy(source.to_numpy(t._data))
    from ..autograd.grad_mode import state

    if t._requires_grad and state.enabled:
        # Record through the op machinery so gradients travel back to the source device.
        out = TO_BACKEND._record((t,), (target, source), data, target)
        return out
    return _wrap(data, target)


def _clone_vjp(ctx: Any, g: Any) -> tuple:
    return (g,)


CLONE = defop("clone", 1, vjp=_clone_vjp, saves=((),), samples=unary_samples(), reference=lambda np, x: np.copy(x))


@generic("clone")
def _clone_kernel(xp: Any) -> Any:
    def clone(x: Any) -> Any:
        return xp.asarray(x, copy=True)

    return clone


def clone(input: Any, *, memory_format: Any = None) -> Any:  # noqa: A002 - PyTorch's name
    """A copy of ``input`` with its own memory; gradients flow back unchanged (CloneBackward0). It keeps
    ``input``'s strides where they are dense (``preserve_format``), or is laid out in ``memory_format``."""
    from .. import memory_formats as _mf

    fmt = _mf.check_format(memory_format, "clone")
    if fmt is _mf.preserve_format and input._view_of is None and input._layout is None:
        return CLONE.dispatch((input,))
    strides = _mf.preserved_strides(input, fmt)
    return _mf.lay_out(CLONE.dispatch((input,)), strides)


def _fill_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    return (zeros_like(g),)


FILL = defop("fill", 1, vjp=_fill_vjp, saves=((),), node="FillBackward0",
             samples=unary_samples(attrs=(0.5,)), reference=lambda np, x, v: np.full_like(x, v))


@generic("fill")
def _fill_kernel(xp: Any) -> Any:
    def fill(x: Any, value: Any) -> Any:
        return xp.full(x.shape, value, dtype=x.dtype)

    return fill


def full_like_(t: Any, value: Any) -> Any:
    """Out-of-place helper behind ``fill_``: a tensor like ``t`` filled with ``value``."""
    if hasattr(value, "_data"):
        value = value.item()
    return FILL.dispatch((t,), (value,))


def zeros_like_(t: Any) -> Any:
    """Out-of-place helper behind ``zero_``."""
    return FILL.dispatch((t,), (0,))


def _rebase_vjp(ctx: Any, g: Any) -> tuple:
    return g, g


# The root of a view that was changed in place: old root + the change spread back through the view ops.
# PyTorch names this node CopySlices; its gradient is the sum rule.
REBASE_VIEW = defop("rebase_view", 2, vjp=_rebase_vjp, node="CopySlices", saves=((), ()),
                    samples=lambda: [Sample((T((3, 4)), T((3, 4))), name="same")],
                    reference=lambda np, root, spread: root + spread)


@generic("rebase_view")
def _rebase_view_kernel(xp: Any) -> Any:
    def rebase_view(root: Any, spread: Any) -> Any:
        return root + spread

    return rebase_view


def _copy_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    return (zeros_like(g), g)


COPY_FROM = defop("copy_from", 2, vjp=_copy_vjp, node="CopyBackwards", saves=((), ()),
                  samples=lambda: [Sample((T((3, 4)), T((3, 4))), name="same"),
                                   Sample((T((3, 4)), T((4,))), name="broadcast_src"),
                                   Sample((T((2, 3)), T(())), name="scalar_src")],
                  reference=lambda np, dst, src: np.broadcast_to(src, dst.shape).astype(dst.dtype))


@generic("copy_from")
def _copy_kernel(xp: Any) -> Any:
    def copy_from(dst: Any, src: Any) -> Any:
        return xp.broadcast_to(xp.asarray(src, dtype=dst.dtype), dst.shape)

    return copy_from


def _copy_from(dst: Any, src: Any) -> Any:
    if hasattr(src, "_backend") and src._backend is not dst._backend:
        src = _to_backend(src, dst._backend)
    return COPY_FROM.dispatch((dst, src))
