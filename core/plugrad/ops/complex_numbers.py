"""Complex numbers: the real and imaginary views, conjugation, polar form, and views between complex and real.

The gradients follow PyTorch's convention (the conjugate Wirtinger derivative): for a real loss L and
z = x + iy, z's gradient is dL/dx + i dL/dy. The rules of the ops here are the linear maps that convention
gives them (``real``: g -> g + 0j, ``imag``: g -> g * 1j, ``view_as_real`` and ``view_as_complex`` undo
each other), and ``angle`` / ``polar`` / ``complex`` follow PyTorch's derivatives.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic, is_complex_array
from ..testing.samples import Sample, T, binary_samples, unary_samples
from .elementwise import CONJ_PHYSICAL, _short, abs, conj_physical, float_operand, mul
from .registry import defop

_J = 1j


def _real_dtype_of(xp: Any, x: Any) -> Any:
    return xp.float64 if x.dtype == xp.complex128 else xp.float32


# --- real / imag ---------------------------------------------------------------------------------


def _real_vjp(ctx: Any, g: Any) -> tuple:
    return (g,)  # Note: the engine casts it to the complex input's dtype: g + 0j


def _imag_vjp(ctx: Any, g: Any) -> tuple:
    return (mul(g, _J),)


def _complex_samples() -> list[Sample]:
    """Complex inputs (the drawn ones have a zero imaginary part; the fixed one does not)."""
    return [*(Sample((T(shape, dtype="complex128"),), name=f"shape{list(shape)}") for shape in ((), (5,), (3, 4))),
            Sample((T((2, 2), dtype="complex128", values=[[1 + 2j, -0.5 + 1j], [3 - 1j, -2j]]),), name="parts")]


# PyTorch records both as SelectBackward0 (each is a select of view_as_real).
REAL = defop("real", 1, vjp=_real_vjp, node="SelectBackward0", saves=((),), samples=_complex_samples,
             reference=lambda np, x: np.real(x))
IMAG = defop("imag", 1, vjp=_imag_vjp, node="SelectBackward0", saves=((),), samples=_complex_samples,
             reference=lambda np, x: np.imag(x))


@generic("real")
def _real_kernel(xp: Any) -> Any:
    return xp.real


@generic("imag")
def _imag_kernel(xp: Any) -> Any:
    return xp.imag


def real(input: Any) -> Any:  # noqa: A002
    """The real part of a complex tensor, as a view that shares its memory; a real tensor itself."""
    if not input.dtype.is_complex:
        return input
    return REAL.dispatch((input,))


def imag(input: Any) -> Any:  # noqa: A002
    """The imaginary part of a complex tensor, as a view that shares its memory (writable)."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    out = IMAG.dispatch((input,))
    if input._is_conj:
        out._is_neg = True  # Note: PyTorch's imag of a conj view is a negative view of the original's
    return out


# --- conj ----------------------------------------------------------------------------------------


CONJ = defop("conj", 1, vjp=lambda ctx, g: (CONJ_PHYSICAL.dispatch((g,)),), node="ConjBackward0", saves=((),),
             samples=unary_samples(), reference=lambda np, x: np.conj(x))


@generic("conj")
def _conj_kernel(xp: Any) -> Any:
    return xp.conj


def conj(input: Any) -> Any:  # noqa: A002
    """The complex conjugate (ConjBackward0), with ``is_conj()`` set; a real tensor is returned as it is.

    PyTorch's conj is a lazy view of the same memory; plugrad computes the conjugate at once, so writes to
    the result do not reach ``input``. ``resolve_conj()`` gives a tensor with the flag cleared.
    """
    if not input.dtype.is_complex:
        return input
    out = CONJ.dispatch((input,))
    if not input._is_conj:
        out._is_conj = True
    return out


def is_conj(input: Any) -> bool:  # noqa: A002
    """Whether ``input`` came from ``conj()`` (PyTorch's conjugate bit)."""
    return bool(input._is_conj)


def resolve_conj(input: Any) -> Any:  # noqa: A002
    """``input`` with the conjugate bit cleared: a copy (CloneBackward0) when it is set, else ``input``."""
    if not input._is_conj:
        return input
    from .conversion import clone

    return clone(input)


def is_neg(input: Any) -> bool:  # noqa: A002
    """Whether ``input`` carries PyTorch's negative bit (the imaginary part of a ``conj()`` result)."""
    return bool(input._is_neg)


def resolve_neg(input: Any) -> Any:  # noqa: A002
    """``input`` with the negative bit cleared: a copy (CloneBackward0) when it is set, else ``input``."""
    if not input._is_neg:
        return input
    from .conversion import clone

    return clone(input)


# --- view_as_real / view_as_complex --------------------------------------------------------------


def _view_as_real_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import select

    return (complex(select(g, -1, 0), select(g, -1, 1)),)


def _view_as_complex_vjp(ctx: Any, g: Any) -> tuple:
    return (VIEW_AS_REAL.dispatch((g,)),)


VIEW_AS_REAL = defop("view_as_real", 1, vjp=_view_as_real_vjp, saves=((),), samples=_complex_samples,
                     reference=lambda np, x: np.stack([np.real(x), np.imag(x)], axis=-1))
VIEW_AS_COMPLEX = defop("view_as_complex", 1, vjp=_view_as_complex_vjp, saves=((),),
                        samples=lambda: [Sample((T(shape),), name=f"shape{list(shape)}")
                                         for shape in ((2,), (3, 2), (2, 3, 2))],
                        reference=lambda np, x: x[..., 0] + 1j * x[..., 1])


@generic("view_as_real")
def _view_as_real_kernel(xp: Any) -> Any:
    def view_as_real(x: Any) -> Any:
        if hasattr(x, "view"):  # NumPy and CuPy: a view of the same memory, the parts interleaved
            return x[..., None].view(_real_dtype_of(xp, x))
        return xp.stack([xp.real(x), xp.imag(x)], axis=-1)

    return view_as_real


@generic("view_as_complex")
def _view_as_complex_kernel(xp: Any) -> Any:
    def view_as_complex(x: Any) -> Any:
        target = xp.complex128 if x.dtype == xp.float64 else xp.complex64
        if hasattr(x, "view") and x.strides[-1] == x.itemsize:
            return x.view(target)[..., 0]
        return xp.asarray(x[..., 0], dtype=target) + xp.asarray(x[..., 1], dtype=target) * _J

    return view_as_complex


def view_as_real(input: Any) -> Any:  # noqa: A002
    """The complex tensor as a real one with a last dimension of 2 (real, imaginary), sharing its memory."""
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if input._is_conj:
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate tensor so you can "
            "view it as real, use self.resolve_conj(); however, be warned that the resulting tensor will NOT alias "
            "the original."
        )
    return VIEW_AS_REAL.dispatch((input,))


def view_as_complex(input: Any) -> Any:  # noqa: A002
    """A real tensor whose last dimension is 2 (real, imaginary), viewed as complex; shares its memory."""
    d = input.dtype
    if d is not _dt.float32 and d is not _dt.float64:
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {_short(d)}")
    shape = input._data.shape
    if not shape or shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input._strides()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(st % 2 for st in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return VIEW_AS_COMPLEX.dispatch((input,))


# --- complex / polar -----------------------------------------------------------------------------


def _complex_vjp(ctx: Any, g: Any) -> tuple:
    need = ctx.needs_input_grad
    return (real(g) if need[0] else None), (imag(g) if need[1] else None)


def _polar_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's polar_backward: with r = abs * exp(i angle), grad_abs = Re(conj(g) sgn(r)) and
    # grad_angle = Re(conj(g) * i r).
    from .special import sgn

    out = ctx.output
    need = ctx.needs_input_grad
    gc = conj_physical(g)
    return ((real(gc * sgn(out)) if need[0] else None), (real(gc * mul(out, _J)) if need[1] else None))


COMPLEX = defop("complex", 2, vjp=_complex_vjp, saves=((), ()), samples=binary_samples(scalars=False),
                reference=lambda np, re, im: re + 1j * im)
POLAR = defop("polar", 2, vjp=_polar_vjp, saves=((-1,), (-1,)),
              samples=binary_samples(low=0.5, high=2.0, scalars=False),
              reference=lambda np, r, theta: r * np.cos(theta) + 1j * r * np.sin(theta))


def _from_parts(xp: Any, re: Any, im: Any) -> Any:
    re, im = xp.broadcast_arrays(re, im)
    target = xp.complex128 if re.dtype == xp.float64 else xp.complex64
    out = xp.empty(re.shape, dtype=target)
    # Note: the parts set one by one, so complex(0, inf) is 0+infj, not the nan that 0 + inf * 1j would give
    out.real = re
    out.imag = im
    return out


@generic("complex")
def _complex_kernel(xp: Any) -> Any:
    def complex_(re: Any, im: Any) -> Any:
        return _from_parts(xp, re, im)

    return complex_


@generic("polar")
def _polar_kernel(xp: Any) -> Any:
    def polar(r: Any, theta: Any) -> Any:
        return _from_parts(xp, r * xp.cos(theta), r * xp.sin(theta))

    return polar


def _check_parts(a: Any, b: Any) -> None:
    da, db = a.dtype, b.dtype
    floats = (_dt.float32, _dt.float64)
    if da not in floats or db not in floats:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got {_short(da)} and "
                           f"{_short(db)}")
    if da is not db:
        raise RuntimeError(f"Expected object of scalar type {_short(da)} but got scalar type {_short(db)} for second "
                           "argument")


def complex(real: Any, imag: Any) -> Any:  # noqa: A001 - PyTorch's name
    """The complex tensor ``real + i imag`` (both float32 or both float64, broadcast together)."""
    _check_parts(real, imag)
    return COMPLEX.dispatch((real, imag))


def polar(abs: Any, angle: Any) -> Any:  # noqa: A002
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``."""
    _check_parts(abs, angle)
    return POLAR.dispatch((abs, angle))


# --- angle / isreal ------------------------------------------------------------------------------


def _angle_vjp(ctx: Any, g: Any) -> tuple:
    from .comparison import where
    from .creation import zeros_like

    (x,) = ctx.inputs
    if not x.dtype.is_complex:
        return (zeros_like(g),)
    # d angle = (x dy - y dx) / |z|^2: the gradient i z / |z|^2, 0 at 0 (PyTorch's angle_backward).
    a = abs(x)
    return (where(x == 0, zeros_like(x), mul(g * x / (a * a), _J)),)


ANGLE = defop("angle", 1, vjp=_angle_vjp, saves=((0,),), samples=unary_samples(),
              reference=lambda np, x: np.where(x < 0, math.pi, np.where(np.isnan(x), x, 0.0)))


@generic("angle")
def _angle_kernel(xp: Any) -> Any:
    def angle(x: Any) -> Any:
        if is_complex_array(xp, x):
            return xp.atan2(xp.imag(x), xp.real(x))
        pi = xp.asarray(math.pi, dtype=x.dtype)
        return xp.where(x < 0, pi, xp.where(xp.isnan(x), x, xp.zeros_like(x)))

    return angle


def angle(input: Any) -> Any:  # noqa: A002
    """The argument of each element, in radians (pi for negative real numbers, 0 otherwise)."""
    return ANGLE.dispatch((float_operand(input),))


def isreal(input: Any) -> Any:  # noqa: A002
    """True where an element's imaginary part is 0 (everywhere for a real tensor)."""
    from .comparison import eq
    from .creation import ones_like

    if not input.dtype.is_complex:
        return ones_like(input, dtype=_dt.bool_)
    return eq(IMAG.dispatch_nograd((input,)), 0)


__all__ = ["real", "imag", "conj", "is_conj", "resolve_conj", "is_neg", "resolve_neg",
           "view_as_real", "view_as_complex", "complex", "polar", "angle", "isreal"]
