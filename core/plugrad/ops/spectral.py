"""Discrete Fourier transforms: PyTorch's three FFT primitives, their gradients, and ``torch.fft``'s functions.

Every transform in ``plugrad.fft`` is built, as in PyTorch, from three ops: ``fft_c2c`` (complex to complex,
either direction), ``fft_r2c`` (a real input's forward transform, the whole spectrum or its one-sided half) and
``fft_c2r`` (a one-sided Hermitian spectrum's inverse transform to a real signal). Each takes the dims it
transforms and a normalization *mode* (0: none, 1: by 1/sqrt(n), 2: by 1/n, with n the product of the signal
sizes), not NumPy's direction-dependent ``norm`` string, so that a gradient is the same op with the same mode.

The gradients are PyTorch's (the conjugate Wirtinger convention): c2c's is c2c the other way; r2c's is the real
part of an inverse c2c of the gradient zero-filled to the full spectrum; c2r's is an r2c of the gradient with the
bins that stand for two (each bin's conjugate mirror) doubled. Padding and truncation (``n`` / ``s``) are
ConstantPadNdBackward0 / SliceBackward0 before the transform; real inputs to c2c transforms are cast first
(ToCopyBackward0), and the inverse of a real input is the conjugate of its forward transform (ConjBackward0).
Nothing here imports an FFT library: the kernels reach ``xp.fft`` when they first run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from .registry import defop

__all__ = ["stft", "istft"]

_NORM_NONE, _NORM_BY_ROOT_N, _NORM_BY_N = 0, 1, 2
# NumPy's norm string that scales a forward / an inverse transform by each mode
_FORWARD_NORM = ("backward", "ortho", "forward")
_INVERSE_NORM = ("forward", "ortho", "backward")


def _complex_of(xp: Any, x: Any) -> Any:
    return xp.complex128 if x.dtype in (xp.float64, xp.complex128) else xp.complex64


def _real_of(xp: Any, x: Any) -> Any:
    return xp.float64 if x.dtype in (xp.float64, xp.complex128) else xp.float32


# --- the primitives ------------------------------------------------------------------------------


def _fft_c2c_vjp(ctx: Any, g: Any) -> tuple:
    dims, norm, forward = ctx.attrs
    return (FFT_C2C.dispatch((g,), (dims, norm, not forward)),)


def _fft_r2c_vjp(ctx: Any, g: Any) -> tuple:
    from .complex_numbers import real

    dims, norm, onesided = ctx.attrs
    if onesided:
        # The one-sided spectrum is the full one with its upper half dropped: fill that half with zeros.
        last = dims[-1]
        missing = ctx.input_shape(0)[last] - g._data.shape[last]
        if missing > 0:
            g = _pad_dims(g, (last,), (missing,))
    return (real(FFT_C2C.dispatch((g,), (dims, norm, False))),)


def _fft_c2r_vjp(ctx: Any, g: Any) -> tuple:
    from .shape import _slice, cat

    dims, norm, last_dim_size = ctx.attrs
    gi = FFT_R2C.dispatch((g,), (dims, norm, True))
    # Bins 1 .. n - (n // 2 + 1) each stand for themselves and their conjugate mirror, which c2r fills in.
    last = dims[-1]
    half = gi._data.shape[last]
    doubled = last_dim_size - half
    if doubled > 0:
        gi = cat([_slice(gi, last, 0, 1), _slice(gi, last, 1, 1 + doubled) * 2, _slice(gi, last, 1 + doubled, half)],
                 last)
    return (gi,)


def _complex_values(shape: tuple[int, ...], seed: int = 0) -> list[complex]:
    """Fixed complex values with non-zero imaginary parts (flat; the sample reshapes them)."""
    return [complex(math.sin(1.7 * i + seed), math.cos(0.9 * i * i + 2 * seed)) for i in range(math.prod(shape))]


def _ct(shape: tuple[int, ...], seed: int = 0) -> T:
    return T(shape, dtype="complex128", values=_complex_values(shape, seed))


def _fft_c2c_samples() -> list[Sample]:
    return [Sample((_ct((5,)),), ((0,), _NORM_NONE, True), name="forward_1d"),
            Sample((_ct((3, 4), 1),), ((1,), _NORM_BY_ROOT_N, False), name="inverse_ortho_last"),
            Sample((_ct((2, 3, 4), 2),), ((0, 2), _NORM_BY_N, True), name="forward_by_n_two_dims"),
            Sample((_ct((3, 4), 3),), ((0, 1), _NORM_BY_N, False), name="inverse_2d"),
            Sample((_ct((4, 3), 4),), ((1, 0), _NORM_NONE, False), name="inverse_dims_reversed")]


def _fft_r2c_samples() -> list[Sample]:
    return [Sample((T((5,)),), ((0,), _NORM_NONE, False), name="full_1d"),
            Sample((T((3, 4)),), ((1,), _NORM_BY_ROOT_N, True), name="onesided_even"),
            Sample((T((3, 5)),), ((1,), _NORM_BY_N, True), name="onesided_odd"),
            Sample((T((4, 3)),), ((0,), _NORM_NONE, True), name="onesided_first_dim"),
            Sample((T((2, 3, 4)),), ((2, 0), _NORM_BY_ROOT_N, True), name="onesided_two_dims"),
            Sample((T((3, 4)),), ((0, 1), _NORM_BY_N, False), name="full_2d"),
            Sample((T((2, 1)),), ((1,), _NORM_NONE, True), name="length_one")]


def _fft_c2r_samples() -> list[Sample]:
    return [Sample((_ct((3, 3)),), ((1,), _NORM_BY_N, 4), name="even_last"),
            Sample((_ct((3, 3), 1),), ((1,), _NORM_NONE, 5), name="odd_last"),
            Sample((_ct((3, 2), 2),), ((0,), _NORM_BY_ROOT_N, 4), name="first_dim"),
            Sample((_ct((2, 3, 3), 3),), ((0, 2), _NORM_BY_N, 5), name="two_dims"),
            Sample((_ct((4, 3), 4),), ((1, 0), _NORM_BY_ROOT_N, 6), name="dims_reversed"),
            Sample((_ct((2, 1), 5),), ((1,), _NORM_NONE, 1), name="length_one")]


def _np_c2c(np: Any, x: Any, dims: tuple, norm: int, forward: bool) -> Any:
    if forward:
        return np.fft.fftn(x, axes=dims, norm=_FORWARD_NORM[norm])
    return np.fft.ifftn(x, axes=dims, norm=_INVERSE_NORM[norm])


def _np_r2c(np: Any, x: Any, dims: tuple, norm: int, onesided: bool) -> Any:
    return (np.fft.rfftn if onesided else np.fft.fftn)(x, axes=dims, norm=_FORWARD_NORM[norm])


def _np_c2r(np: Any, x: Any, dims: tuple, norm: int, last_dim_size: int) -> Any:
    s = [x.shape[d] for d in dims[:-1]] + [last_dim_size]
    return np.fft.irfftn(x, s=s, axes=dims, norm=_INVERSE_NORM[norm])


FFT_C2C = defop("fft_c2c", 1, vjp=_fft_c2c_vjp, node="FftC2CBackward0", saves=((),), samples=_fft_c2c_samples,
                reference=_np_c2c)
FFT_R2C = defop("fft_r2c", 1, vjp=_fft_r2c_vjp, node="FftR2CBackward0", saves=((),), samples=_fft_r2c_samples,
                reference=_np_r2c)
FFT_C2R = defop("fft_c2r", 1, vjp=_fft_c2r_vjp, node="FftC2RBackward0", saves=((),), samples=_fft_c2r_samples,
                reference=_np_c2r)


@generic("fft_c2c")
def _fft_c2c_kernel(xp: Any) -> Any:
    def fft_c2c(x: Any, dims: tuple, norm: int, forward: bool) -> Any:
        if not dims:
            return xp.asarray(x, copy=True)
        if forward:
            out = xp.fft.fftn(x, axes=dims, norm=_FORWARD_NORM[norm])
        else:
            out = xp.fft.ifftn(x, axes=dims, norm=_INVERSE_NORM[norm])
        return xp.asarray(out, dtype=x.dtype)

    return fft_c2c


@generic("fft_r2c")
def _fft_r2c_kernel(xp: Any) -> Any:
    def fft_r2c(x: Any, dims: tuple, norm: int, onesided: bool) -> Any:
        transform = xp.fft.rfftn if onesided else xp.fft.fftn
        return xp.asarray(transform(x, axes=dims, norm=_FORWARD_NORM[norm]), dtype=_complex_of(xp, x))

    return fft_r2c


@generic("fft_c2r")
def _fft_c2r_kernel(xp: Any) -> Any:
    def fft_c2r(x: Any, dims: tuple, norm: int, last_dim_size: int) -> Any:
        s = [x.shape[d] for d in dims[:-1]] + [last_dim_size]
        out = xp.fft.irfftn(x, s=s, axes=dims, norm=_INVERSE_NORM[norm])
        return xp.asarray(out, dtype=_real_of(xp, x))

    return fft_c2r


# --- argument handling, shared by the transforms -------------------------------------------------


def _norm_mode(norm: str | None, forward: bool) -> int:
    """NumPy's ``norm`` string as the scaling of a transform in direction ``forward`` (PyTorch's norm_from_string)."""
    if norm is None or norm == "backward":
        return _NORM_NONE if forward else _NORM_BY_N
    if norm == "forward":
        return _NORM_BY_N if forward else _NORM_NONE
    if norm == "ortho":
        return _NORM_BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap_fft_dim(dim: Any, ndim: int) -> int:
    """``dim`` as an axis; unlike most ops, a 0-d tensor has no dim to transform."""
    d = int(dim)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    return d % ndim


def _promote(x: Any, require_complex: bool) -> Any:
    """PyTorch's promote_tensor_fft: integers and bools to the default float dtype, complex when required."""
    from .conversion import _to_dtype

    d = x.dtype
    if d.is_complex:
        return x
    if not d.is_floating_point:
        d = _dt.get_default_dtype()
    if d is not _dt.float32 and d is not _dt.float64:
        raise RuntimeError(f"Unsupported dtype {_scalar_type(d)}")
    if require_complex:
        d = _dt.complex64 if d is _dt.float32 else _dt.complex128
    return _to_dtype(x, d)


def _scalar_type(d: Any) -> str:
    """PyTorch's ScalarType name of a dtype, as its messages print it ('Float', 'ComplexFloat')."""
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _pad_dims(x: Any, dims: Sequence[int], amounts: Sequence[int]) -> Any:
    """``x`` zero-padded at the end of each of ``dims`` by ``amounts`` (ConstantPadNdBackward0)."""
    from .nn import CONSTANT_PAD

    nd = x._data.ndim
    after = [0] * nd
    for d, a in zip(dims, amounts):
        after[d] = a
    deepest = min(d for d, a in zip(dims, amounts) if a > 0)
    pads = tuple((0, after[nd - 1 - k]) for k in range(nd - deepest))
    return CONSTANT_PAD.dispatch((x,), (pads, 0.0))


def _resize(x: Any, dims: Sequence[int], sizes: Sequence[int]) -> Any:
    """``x`` with ``x.size(dims[i]) == sizes[i]``: sliced from the start, or zero-padded at the end."""
    from .shape import _slice

    pad_dims, pad_amounts = [], []
    for d, n in zip(dims, sizes):
        have = x._data.shape[d]
        if have > n:
            x = _slice(x, d, 0, n)
        elif have < n:
            pad_dims.append(d)
            pad_amounts.append(n - have)
    return _pad_dims(x, pad_dims, pad_amounts) if pad_dims else x


def _check_points(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _shape_and_dims(x: Any, s: Any, dim: Any) -> tuple[list[int], list[int]]:
    """PyTorch's canonicalize_fft_shape_and_dim_args: the transformed dims and the signal size in each."""
    ndim = x._data.ndim
    sizes = x._data.shape
    dims: list[int] = []
    if dim is not None:
        dims = [_wrap_fft_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [int(v) for v in ((s,) if isinstance(s, int) else s)]
        if dim is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        if dim is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [sizes[d] if n == -1 else n for d, n in zip(dims, s)]
    elif dim is None:
        dims = list(range(ndim))
        shape = list(sizes)
    else:
        shape = [sizes[d] for d in dims]
    for n in shape:
        _check_points(n)
    return shape, dims


def _finish(fname: str, out: Any, inputs: Sequence[Any], compute: Any) -> Any:
    if out is None:
        return compute()
    from .shape import write_out

    return write_out(fname, out, inputs, compute)


# --- 1-d transforms ------------------------------------------------------------------------------


def _c2c(fname: str, x: Any, n: int | None, dim: int, norm: str | None, forward: bool) -> Any:
    d = _wrap_fft_dim(dim, x._data.ndim)
    size = x._data.shape[d] if n is None else int(n)
    _check_points(size)
    if n is not None:
        x = _resize(x, (d,), (size,))
    return FFT_C2C.dispatch((x,), ((d,), _norm_mode(norm, forward), forward))


def _r2c(fname: str, x: Any, n: int | None, dim: int, norm: str | None, forward: bool, onesided: bool) -> Any:
    from .complex_numbers import conj

    if x.dtype.is_complex:
        raise RuntimeError(f"{fname} expects a real input tensor, but got {_scalar_type(x.dtype)}")
    x = _promote(x, False)
    d = _wrap_fft_dim(dim, x._data.ndim)
    size = x._data.shape[d] if n is None else int(n)
    _check_points(size)
    if n is not None:
        x = _resize(x, (d,), (size,))
    out = FFT_R2C.dispatch((x,), ((d,), _norm_mode(norm, forward), onesided))
    return out if forward else conj(out)


def _c2r(fname: str, x: Any, n: int | None, dim: int, norm: str | None, forward: bool) -> Any:
    from .complex_numbers import conj

    x = _promote(x, True)
    d = _wrap_fft_dim(dim, x._data.ndim)
    size = 2 * (x._data.shape[d] - 1) if n is None else int(n)
    _check_points(size)
    if n is not None:
        x = _resize(x, (d,), (size // 2 + 1,))
    if forward:
        x = conj(x)
    return FFT_C2R.dispatch((x,), ((d,), _norm_mode(norm, forward), size))


def fft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The one-dimensional discrete Fourier transform of ``input`` along ``dim`` (``n`` points: cropped or
    zero-padded); a real input gives the full spectrum (FftR2CBackward0)."""
    if input.dtype.is_complex:
        return _finish("fft", out, (input,), lambda: _c2c("fft", input, n, dim, norm, True))
    return _finish("fft", out, (input,), lambda: _r2c("fft", input, n, dim, norm, True, False))


def ifft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`fft`."""
    if input.dtype.is_complex:
        return _finish("ifft", out, (input,), lambda: _c2c("ifft", input, n, dim, norm, False))
    return _finish("ifft", out, (input,), lambda: _r2c("ifft", input, n, dim, norm, False, False))


def rfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The one-sided transform of a real ``input``: the ``n // 2 + 1`` non-negative frequencies."""
    return _finish("rfft", out, (input,), lambda: _r2c("rfft", input, n, dim, norm, True, True))


def irfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`rfft`: a real signal of ``n`` points (``2 * (m - 1)`` by default)."""
    return _finish("irfft", out, (input,), lambda: _c2r("irfft", input, n, dim, norm, False))


def hfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The transform of a Hermitian-symmetric signal given by its one-sided half: a real spectrum."""
    return _finish("hfft", out, (input,), lambda: _c2r("hfft", input, n, dim, norm, True))


def ihfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`hfft`: the one-sided half of a real ``input``'s inverse transform."""
    return _finish("ihfft", out, (input,), lambda: _r2c("ihfft", input, n, dim, norm, False, True))


# --- n-d transforms ------------------------------------------------------------------------------


def _c2c_n(x: Any, s: Any, dim: Any, norm: str | None, forward: bool) -> Any:
    shape, dims = _shape_and_dims(x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    return FFT_C2C.dispatch((x,), (tuple(dims), _norm_mode(norm, forward), forward))


def _c2r_shape_and_dims(fname: str, x: Any, s: Any, dim: Any) -> tuple[list[int], list[int], int]:
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    s_last = None if s is None else ([s] if isinstance(s, int) else list(s))[-1]
    last_dim_size = 2 * (x._data.shape[dims[-1]] - 1) if s_last is None or s_last == -1 else shape[-1]
    _check_points(last_dim_size)
    shape[-1] = last_dim_size // 2 + 1
    return shape, dims, last_dim_size


def _rfftn(x: Any, s: Any, dim: Any, norm: str | None) -> Any:
    if x.dtype.is_complex:
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {_scalar_type(x.dtype)}")
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(x, False), dims, shape)
    return FFT_R2C.dispatch((x,), (tuple(dims), _norm_mode(norm, True), True))


def _irfftn(x: Any, s: Any, dim: Any, norm: str | None) -> Any:
    shape, dims, last_dim_size = _c2r_shape_and_dims("irfftn", x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    return FFT_C2R.dispatch((x,), (tuple(dims), _norm_mode(norm, False), last_dim_size))


def _hfftn(x: Any, s: Any, dim: Any, norm: str | None) -> Any:
    from .complex_numbers import conj

    shape, dims, last_dim_size = _c2r_shape_and_dims("hfftn", x, s, dim)
    x = _resize(_promote(x, True), dims, shape)
    mode = _norm_mode(norm, True)
    if len(dims) > 1:
        x = FFT_C2C.dispatch((x,), (tuple(dims[:-1]), mode, True))
    return FFT_C2R.dispatch((conj(x),), ((dims[-1],), mode, last_dim_size))


def _ihfftn(x: Any, s: Any, dim: Any, norm: str | None) -> Any:
    from .complex_numbers import conj
    from .elementwise import conj_physical

    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    if x.dtype.is_complex:  # Note: PyTorch's message is its r2c kernel's
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_scalar_type(x.dtype)}")
    x = _resize(_promote(x, False), dims, shape)
    mode = _norm_mode(norm, False)
    half = FFT_R2C.dispatch((x,), ((dims[-1],), mode, True))
    if len(dims) == 1:
        return conj(half)
    return FFT_C2C.dispatch((conj_physical(half),), (tuple(dims[:-1]), mode, False))


_DIMS_2D = (-2, -1)


def fftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The n-dimensional discrete Fourier transform over ``dim`` (all dims, or the last ``len(s)``)."""
    return _finish("fftn", out, (input,), lambda: _c2c_n(input, s, dim, norm, True))


def ifftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`fftn`."""
    return _finish("ifftn", out, (input,), lambda: _c2c_n(input, s, dim, norm, False))


def rfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The n-dimensional transform of a real ``input``, one-sided in the last of ``dim``."""
    return _finish("rfftn", out, (input,), lambda: _rfftn(input, s, dim, norm))


def irfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`rfftn`."""
    return _finish("irfftn", out, (input,), lambda: _irfftn(input, s, dim, norm))


def hfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The n-dimensional transform of a Hermitian-symmetric signal given by its one-sided half."""
    return _finish("hfftn", out, (input,), lambda: _hfftn(input, s, dim, norm))


def ihfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`hfftn`."""
    return _finish("ihfftn", out, (input,), lambda: _ihfftn(input, s, dim, norm))


def fft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`fftn` over the last two dims."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`ifftn` over the last two dims."""
    return ifftn(input, s, dim, norm, out=out)


def rfft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`rfftn` over the last two dims."""
    return rfftn(input, s, dim, norm, out=out)


def irfft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`irfftn` over the last two dims."""
    return irfftn(input, s, dim, norm, out=out)


def hfft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`hfftn` over the last two dims."""
    return hfftn(input, s, dim, norm, out=out)


def ihfft2(input: Any, s: Any = None, dim: Any = _DIMS_2D, norm: str | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """:func:`ihfftn` over the last two dims."""
    return ihfftn(input, s, dim, norm, out=out)


# --- frequencies and shifts ----------------------------------------------------------------------


def _freq_tensor(fname: str, count: int, n: int, d: float, dtype: Any, device: Any, requires_grad: bool,
                 negative: bool) -> Any:
    from ..autograd.grad_mode import no_grad
    from ..factories import arange, empty

    d_type = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    if not (d_type.is_floating_point or d_type.is_complex):
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    if d_type.is_complex:
        device_type = empty(0, device=device).device.type
        raise NotImplementedError(f"\"arange_{device_type}\" not implemented for '{_scalar_type(d_type)}'")
    product = n * float(d)
    if not product:  # Note: PyTorch multiplies by 1 / 0 = inf, so rfftfreq(0) is [nan]; no warning here either
        from ..factories import tensor

        inf = math.copysign(math.inf, product)
        first = (count + 1) // 2 if negative else count
        values = [math.nan if k == 0 else k * inf for k in [*range(first), *range(first - count, 0)]]
        out = tensor(values, dtype=d_type, device=device)
        return out.requires_grad_(requires_grad) if requires_grad else out
    scale = 1.0 / product
    with no_grad():
        out = arange(count, dtype=d_type, device=device)
        if negative and count:
            from .shape import cat

            first = (count + 1) // 2
            out = cat([out[:first], arange(-(count // 2), 0, dtype=d_type, device=device)])
        out = out * scale
    return out.requires_grad_(requires_grad) if requires_grad else out


def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None, device: Any = None,
            requires_grad: bool = False) -> Any:
    """The sample frequencies of an ``n``-point :func:`fft` with sample spacing ``d``: ``[0, 1, ..., -1] / (d n)``."""
    n = int(n)
    return _freq_tensor("fftfreq", n, n, d, dtype, device, requires_grad, True)


def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Any:
    """The sample frequencies of an ``n``-point :func:`rfft`: ``[0, 1, ..., n // 2] / (d n)``."""
    n = int(n)
    return _freq_tensor("rfftfreq", n // 2 + 1, n, d, dtype, device, requires_grad, False)


def _shift(x: Any, dim: Any, inverse: bool) -> Any:
    from .shape import roll

    ndim = x._data.ndim
    if dim is None:
        dims = list(range(ndim))
    else:
        dims = [_wrap_fft_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    if not dims:
        raise RuntimeError("`shifts` required")
    sizes = x._data.shape
    shifts = [(sizes[d] + 1) // 2 if inverse else sizes[d] // 2 for d in dims]
    return roll(x, shifts, dims)


def fftshift(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """Move the zero frequency to the middle of each of ``dim`` (all dims by default): a roll by ``size // 2``."""
    return _shift(input, dim, False)


def ifftshift(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """The inverse of :func:`fftshift`: a roll by ``(size + 1) // 2``."""
    return _shift(input, dim, True)


# --- short-time Fourier transforms ---------------------------------------------------------------

_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """PyTorch's TORCH_WARN_ONCE: a warning the first time in a process only."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def _opt(value: Any) -> str:
    return "None" if value is None else str(int(value))


def _centered_window(window: Any, win_length: int, n_fft: int, like: Any) -> Any:
    """The window zero-padded on both sides to ``n_fft`` (ones when there is none); None for no window at all."""
    if win_length == n_fft:
        return window
    if window is None:
        from ..factories import ones

        real = _dt.float64 if like.dtype in (_dt.float64, _dt.complex128) else _dt.float32
        window = ones(win_length, dtype=real, device=like.device)
    left = (n_fft - win_length) // 2
    from .nn import CONSTANT_PAD

    return CONSTANT_PAD.dispatch((window,), (((left, n_fft - win_length - left),), 0.0))


def stft(input: Any, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
         window: Any = None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: bool | None = None, return_complex: bool | None = None, align_to_window: bool | None = None) -> Any:
    """The short-time Fourier transform: the FFTs of windowed frames ``hop_length`` apart, as
    ``(batch?, frequencies, frames)`` (PyTorch's ``torch.stft``)."""
    from .complex_numbers import view_as_real
    from .nn import pad as _pad
    from .shape import reshape, unfold

    if window is None:
        _warn_once("stft_window", "A window was not provided. A rectangular window will be applied,which is known to "
                   "cause spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                   "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                   "explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    if window is not None and window.device != input.device:
        raise RuntimeError(f"stft input and window must be on the same device but got self on {input.device} and "
                           f"window on {window.device}")
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false.")
    n_fft = int(n_fft)
    if center:
        ndim = input.dim()
        amount = n_fft // 2
        input = _pad(reshape(input, (1,) * (3 - ndim) + tuple(input.shape)), (amount, amount), pad_mode)  # noqa: A001
        input = reshape(input, tuple(input.shape)[-ndim:])  # noqa: A001
    hop = n_fft >> 2 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    complex_out = return_complex if return_complex is not None else (
        input.dtype.is_complex or (window is not None and window.dtype.is_complex))
    if not complex_out:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        _warn_once("stft_real", "stft with return_complex=False is deprecated. In a future pytorch release, stft will "
                   "return complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you "
                   "can still call torch.view_as_real on the complex output to recover the old return format.")
    where = "torch.cuda." if input.device.type == "cuda" else "torch."
    shown = f"{where}{input.dtype.legacy}"
    shown_window = "None" if window is None else (
        f"{where}{window.dtype.legacy}{{{list(window.shape)}}}")
    prefix = (f"stft({shown}{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
              f"window={shown_window}, normalized={int(bool(normalized))}, onesided={_opt(onesided)}, "
              f"return_complex={_opt(return_complex)}, align_to_window={_opt(align_to_window)}) ")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(prefix + ": expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        raise RuntimeError(prefix + ": expected a 1D or 2D tensor")
    x = reshape(input, (1, *input.shape)) if input.dim() == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(prefix + f": expected 0 < n_fft < {length}, but got n_fft={win}")
    if hop <= 0:
        raise RuntimeError(prefix + f": expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(prefix + f": expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(prefix + f": expected a 1D window tensor of size equal to win_length={win}, but got "
                           f"window with size {list(window.shape)}")
    full_window = _centered_window(window, win, n_fft, x)
    if not center and align_to_window:
        side = (n_fft - win) // 2
        frames = unfold(_pad(x, (side, side), pad_mode), 1, n_fft, hop)
        frames = frames[:, :1 + (length - win) // hop]
    else:
        frames = unfold(x, 1, n_fft, hop)
    if full_window is not None:
        frames = frames * full_window
    mode = _NORM_BY_ROOT_N if normalized else _NORM_NONE
    if frames.dtype.is_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = FFT_C2C.dispatch((frames,), ((2,), mode, True))
    else:
        out = FFT_R2C.dispatch((frames,), ((2,), mode, True if onesided is None else bool(onesided)))
    out = out.transpose_(1, 2)
    if input.dim() == 1:
        out = out.squeeze_(0)
    return out if complex_out else view_as_real(out)


def _overlap_add(frames: Any, length: int, hop: int) -> Any:
    """Frames ``(channels, n, size)`` added back into signals of ``length``, frame i at ``i * hop`` (the
    transpose of ``unfold``)."""
    from .creation import _zeros_native
    from .indexing import INDEX_ADD
    from .shape import _unfold_windows, reshape

    channels, n, size = frames.shape
    merged = reshape(frames, (channels, n * size))
    zeros = _zeros_native((channels, length), frames._data.dtype, frames._backend)
    positions = _unfold_windows(frames._backend.namespace(), length, size, hop)
    return INDEX_ADD.dispatch((zeros, merged), (1, positions, 1))


def istft(input: Any, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
          window: Any = None, center: bool = True, normalized: bool = False, onesided: bool | None = None,
          length: int | None = None, return_complex: bool = False) -> Any:
    """The inverse of :func:`stft` by overlap-add, divided by the window's squared envelope (PyTorch's
    ``torch.istft``)."""
    from .complex_numbers import abs as _abs
    from .reduction import amin
    from .shape import _slice, reshape, squeeze, unsqueeze

    if window is None:
        _warn_once("istft_window", "A window was not provided. A rectangular window will be applied.Please provide "
                   "the same window used by stft to make the inversion lossless.To suppress this warning and use a "
                   "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    if window is not None and window.device != input.device:
        raise RuntimeError(f"istft input and window must be on the same device but got self on {input.device} and "
                           f"window on {window.device}")
    n_fft = int(n_fft)
    hop = n_fft >> 2 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    where = input.device.type.upper()
    shown_window = "None" if window is None else (
        f"{'torch.cuda.' if window.device.type == 'cuda' else 'torch.'}{window.dtype.legacy}{{{list(window.shape)}}}")
    prefix = (f"istft({where}{_scalar_type(input.dtype)}Type{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
              f"win_length={win}, window={shown_window}, center={int(bool(center))}, "
              f"normalized={int(bool(normalized))}, onesided={_opt(onesided)}, length={_opt(length)}, "
              f"return_complex={int(bool(return_complex))}) ")
    ndim = input.dim() + 1  # the dims of PyTorch's view_as_real of it
    if input.numel() == 0:
        raise RuntimeError(prefix + ": input tensor cannot be empty.")
    if ndim not in (3, 4):
        raise RuntimeError(prefix + f": expected a tensor with 3 or 4 dimensions, but got {ndim}")
    n_frames, fft_size = input.shape[-1], input.shape[-2]
    one_sided = fft_size != n_fft if onesided is None else bool(onesided)
    if one_sided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(prefix + ": expected the frequency dimension (3rd to the last) of the input tensor to "
                           f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    if not one_sided and n_fft != fft_size:
        raise RuntimeError(prefix + ": expected the frequency dimension (3rd to the last) of the input tensor to "
                           f"match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(prefix + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(prefix + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(prefix + ": Invalid window shape. window has to be 1D and length of `win_length`")
    full_window = _centered_window(window, win, n_fft, input)
    if full_window is None:
        from ..factories import ones

        real = _dt.float64 if input.dtype is _dt.complex128 else _dt.float32
        full_window = ones(n_fft, dtype=real, device=input.device)
    x = unsqueeze(input, 0) if ndim == 3 else input
    x = x.transpose(1, 2)  # (channels, frames, frequencies)
    mode = _NORM_BY_ROOT_N if normalized else _NORM_BY_N
    if return_complex:
        if one_sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        x = FFT_C2C.dispatch((x,), ((2,), mode, False))
    else:
        if window is not None and window.dtype.is_complex:
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not one_sided:
            x = _slice(x, 2, 0, n_fft // 2 + 1)
        x = FFT_C2R.dispatch((x,), ((2,), mode, n_fft))
    expected = n_fft + hop * (n_frames - 1)
    y = _overlap_add(x * reshape(full_window, (1, 1, n_fft)), expected, hop)
    squared = (full_window * full_window).expand((1, n_frames, n_fft))
    envelope = _overlap_add(squared, expected, hop)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = expected - n_fft // 2 if center else expected
    stop = min(max(end, start), expected)
    y = _slice(y, 1, start, stop)
    envelope = _slice(envelope, 1, start, stop)
    if bool((amin(_abs(envelope)) < 1e-11).item()):
        raise RuntimeError(prefix + f"window overlap add min: 1\n[ {where}BoolType{{}} ]")
    y = y / envelope
    if ndim == 3:
        y = squeeze(y, 0)
    if end > expected:
        _warn_once("istft_length", "The length of signal is shorter than the length parameter. Result is being padded "
                   "with zeros in the tail. Please check your center and hop_length settings.")
        y = _pad_dims(y, (y.dim() - 1,), (end - expected,))
    return y


TENSOR_METHODS = {"stft": stft, "istft": istft}
