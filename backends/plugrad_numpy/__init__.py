"""plugrad's default CPU backend: NumPy arrays and NumPy as the array namespace.

It registers through the ``plugrad`` entry-point group like any third-party
backend. Most ops run on the generic array-API kernels over ``numpy``; the
kernels here use NumPy features the standard lacks (``np.add.at``, views of an
array's bits as integers, the floating-point error state), for speed, or to be
silent where PyTorch is.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import plugrad
from plugrad.backend import Backend
from plugrad.ops.indexing import gather_coords, index_tuple, lift
from plugrad.ops.registry import GENERIC_KERNELS

from .random import DEFAULT_SEED, TorchStream

PLUGRAD_CONTRACT = "1"


class NumpyBackend(Backend):
    """CPU tensors held as ``numpy.ndarray``."""

    name = "numpy"
    device_type = "cpu"
    extra = ""
    priority = 10

    def load_namespace(self) -> Any:
        return np

    def to_numpy(self, array: Any) -> Any:
        return array

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        if dtype is None:
            return np.asarray(data)
        # silent, as PyTorch is, when a number overflows a float dtype (1e20 in float16 is inf)
        return _quiet_asarray(data, self.native_dtype(dtype))

    def from_numpy(self, array: Any) -> Any:
        return array

    def device_name(self, index: int = 0) -> str:
        return "cpu"

    def info(self) -> dict[str, Any]:
        return {"numpy": np.__version__}

    # --- random numbers: PyTorch's CPU stream (plugrad_numpy.random), so seeded programs print its numbers ------
    def rng(self, generator: Any = None) -> TorchStream:
        """The stream to draw from: ``generator``'s, else this backend's default one."""
        if generator is not None:
            return generator
        stream = getattr(self, "_stream", None)
        if stream is None:
            stream = self._stream = TorchStream(DEFAULT_SEED if self.seed is None else self.seed)
        return stream

    def new_generator(self, seed: int) -> TorchStream:
        return TorchStream(seed)

    def manual_seed(self, seed: int) -> None:
        self.seed = seed
        self.rng().manual_seed(seed)

    def rand(self, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        return self.rng(generator).uniform(shape, self.native_dtype(dtype))

    def uniform(self, shape: tuple[int, ...], dtype: Any, low: float, high: float, generator: Any = None) -> Any:
        return self.rng(generator).uniform(shape, self.native_dtype(dtype), low, high)

    def randn(self, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        return self.rng(generator).normal(shape, self.native_dtype(dtype))

    def normal(self, shape: tuple[int, ...], dtype: Any, mean: float, std: float, generator: Any = None) -> Any:
        return self.rng(generator).normal(shape, self.native_dtype(dtype), mean, std)

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        return self.rng(generator).integers(low, high, shape, self.native_dtype(dtype))

    def randperm(self, n: int, dtype: Any, generator: Any = None) -> Any:
        return self.rng(generator).permutation(n, self.native_dtype(dtype))


@plugrad.hookimpl
def plugrad_register_backends(registry: Any) -> None:
    registry.register_backend(NumpyBackend())


# --- native kernels: scatter-adds with np.add.at (the generic ones sort and scan instead) ----------


def _index_put(x: Any, values: Any, dims: tuple, accumulate: bool, *arrays: Any) -> Any:
    out = x.copy()
    if accumulate:
        np.add.at(out, index_tuple(dims, arrays), values)
    else:
        out[index_tuple(dims, arrays)] = values
    return out


def _scatter_add(x: Any, src: Any, dim: int, index: Any) -> Any:
    out = lift(np, x.copy())
    np.add.at(out, gather_coords(np, index, dim), lift(np, np.asarray(src)))
    return out.reshape(x.shape)


def _index_add(x: Any, src: Any, dim: int, index: Any, alpha: Any) -> Any:
    out = lift(np, x.copy())
    np.add.at(out, (slice(None),) * dim + (index,), lift(np, np.asarray(src if alpha == 1 else src * alpha)))
    return out.reshape(x.shape)


def _put(x: Any, src: Any, index: Any, accumulate: bool) -> Any:
    out = x.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index.reshape(-1), np.broadcast_to(src, index.shape).reshape(-1))
    else:
        flat[index.reshape(-1)] = np.broadcast_to(src, index.shape).reshape(-1)
    return out


def _generic(op_name: str) -> Callable[..., Any]:
    """The array-API kernel of ``op_name`` over NumPy: what the kernels below run for the inputs they leave."""
    return GENERIC_KERNELS[op_name][0](np)


# --- branchless selects: ReLU's and clamp's backward, where ------------------------------------------------
# NumPy's where branches per element: on a random sign pattern (ReLU's backward on 256x512 float32) it takes
# about 550 us. Read as integers of its size, g's bits times a 0/1 mask are g's bits where the mask holds and
# all zero (+0.0) elsewhere: the same select without a branch (about 40 us), and exact for every value of g.
# (A float g * mask is not: inf * 0 is NaN and -0.0 * 0 is -0.0 where PyTorch gives 0.) Below
# _SELECT_MIN_SIZE elements np.where's single call costs less, so it keeps those, 0-d and empty arrays too.

_SELECT_MIN_SIZE = 512
_ndarray = np.ndarray
# Each dtype's bits as the signed integer of its size, by dtype character (complex128 has none: np.where).
_BITS = {c: np.dtype(f"i{np.dtype(c).itemsize}") for c in "?bBhHiIlLqQefdF"}


def _threshold_backward(generic: Callable[..., Any]) -> Callable[..., Any]:
    def threshold_backward(g: Any, x: Any, th: Any) -> Any:
        if type(g) is _ndarray and g.size >= _SELECT_MIN_SIZE:
            bits = _BITS.get(g.dtype.char)
            if bits is not None:
                # Note: not (x <= th) rather than x > th, so that NaN in x lets g through, as in PyTorch.
                return (g.view(bits) * ~(x <= th)).view(g.dtype)
        return generic(g, x, th)

    return threshold_backward


def _clamp_backward(generic: Callable[..., Any]) -> Callable[..., Any]:
    def clamp_backward(g: Any, x: Any, lo: Any, hi: Any) -> Any:
        if type(g) is _ndarray and g.size >= _SELECT_MIN_SIZE:
            bits = _BITS.get(g.dtype.char)
            if bits is not None:
                keep = x <= hi if lo is None else x >= lo if hi is None else (x >= lo) & (x <= hi)
                return (g.view(bits) * keep).view(g.dtype)
        return generic(g, x, lo, hi)

    return clamp_backward


def _where(generic: Callable[..., Any]) -> Callable[..., Any]:
    def where(x: Any, y: Any, cond: Any) -> Any:
        if (type(cond) is _ndarray and cond.size >= _SELECT_MIN_SIZE and cond.dtype.char == "?"
                and type(x) is _ndarray and type(y) is _ndarray and x.dtype == y.dtype):
            bits = _BITS.get(x.dtype.char)
            if bits is not None:
                y_bits = y.view(bits)
                out = (x.view(bits) ^ y_bits) * cond  # x ^ y where cond holds, 0 elsewhere
                out ^= y_bits
                return out.view(x.dtype)
        return generic(x, y, cond)

    return where


# --- views and sums without NumPy's Python-level wrappers ----------------------------------------------------
# np.sum, np.transpose and np.broadcast_to are Python functions around a C call (1.6, 0.3 and 1.7 us on a small
# array); the ufunc's reduce, the array's own transpose and an ndarray over the input's buffer with zero strides
# give the same arrays for 0.7, 0.08 and 0.9 us. The backward pass of every loss runs sum, t and expand.

_add_reduce = np.add.reduce


def _sum(x: Any, dims: Any, keepdim: bool) -> Any:
    return _add_reduce(x, axis=dims, keepdims=keepdim)


def _t(x: Any) -> Any:
    return x.T if x.ndim == 2 else x


def _transpose(x: Any, dim0: int, dim1: int) -> Any:
    if dim0 == dim1:
        return x
    perm = list(range(x.ndim))
    perm[dim0], perm[dim1] = dim1, dim0
    return x.transpose(perm)


def _permute(x: Any, dims: tuple) -> Any:
    return x.transpose(dims)


def _expand(x: Any, shape: tuple) -> Any:
    # Note: the caller checked that x broadcasts to shape. The result is read-only, as np.broadcast_to's is.
    if type(x) is _ndarray and x.flags.c_contiguous:
        pad = len(shape) - x.ndim
        strides = [0] * pad
        for n, s, st in zip(x.shape, shape[pad:], x.strides):
            strides.append(0 if n != s else st)
        out = _ndarray(shape, x.dtype, x, 0, strides)
        out.flags.writeable = False
        return out
    return np.broadcast_to(x, shape)


_VIEW_AND_SUM_KERNELS: dict[str, Callable[..., Any]] = {
    "sum": _sum,
    "sum_dim": _sum,
    "t": _t,
    "transpose": _transpose,
    "permute": _permute,
    "expand": _expand,
}


_OPERATOR_KERNELS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "neg": operator.neg,
}


# --- silent math, as in PyTorch ----------------------------------------------------------------------------
# NumPy warns (RuntimeWarning) on log(-1), sqrt(-1), 1 / 0, overflow in exp and the like, where PyTorch returns
# the NaN or inf without a word. The kernels of QUIET_OPS run with NumPy's floating-point errors ignored for
# the call only; the caller's error state is untouched. add, sub and mul are not among them: they are the
# per-op benchmark's hot path, and the 0.1-0.2 us a call costs there is measurable (benchmarks/README.md).

QUIET_OPS = frozenset({
    "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "exp", "exp2", "expm1",
    "acos", "asin", "atanh", "acosh", "sinh", "cosh",
    "div", "div_rounded", "pow", "pow_tensor", "rpow", "pow_backward",
    "fmod", "fmod_scalar", "remainder", "remainder_scalar",
    "lgamma", "digamma", "polygamma", "erfinv", "logit", "sinc", "special_entr", "i0", "special_i1", "xlogy",
    "hypot", "logaddexp", "logaddexp2", "logcumsumexp", "binary_cross_entropy", "isclose",
    "igamma", "igammac", "special_erfcx", "special_log_ndtr", "special_ndtri", "special_xlog1py", "special_zeta",
    "special_i0e", "special_i1e", "special_bessel_j0", "special_bessel_j1", "special_bessel_y0", "special_bessel_y1",
    "special_modified_bessel_i0", "special_modified_bessel_i1", "special_modified_bessel_k0",
    "special_modified_bessel_k1", "special_scaled_modified_bessel_k0", "special_scaled_modified_bessel_k1",
    "special_spherical_bessel_j0", "special_airy_ai",
    "special_chebyshev_polynomial_t", "special_chebyshev_polynomial_u", "special_chebyshev_polynomial_v",
    "special_chebyshev_polynomial_w", "special_shifted_chebyshev_polynomial_t", "special_shifted_chebyshev_polynomial_u",
    "special_shifted_chebyshev_polynomial_v", "special_shifted_chebyshev_polynomial_w",
    "special_hermite_polynomial_h", "special_hermite_polynomial_he", "special_laguerre_polynomial_l",
    "special_legendre_polynomial_p",
})

try:
    # NumPy >= 2 keeps its error state in a context variable: setting a ready-made "ignore" state around a call
    # adds about 0.2 us to it, np.errstate (which builds its state anew on every call) about 0.4 us as a
    # decorator and 0.9 us as a with-block. 8192 is NumPy's default buffer size.
    from numpy._core.umath import _extobj_contextvar, _make_extobj  # type: ignore[attr-defined]

    _IGNORE_ERRORS: Any = _make_extobj(all="ignore", call=None, bufsize=8192)
except (ImportError, AttributeError, TypeError):
    _IGNORE_ERRORS = None


def _quiet_by_errstate(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` under ``np.errstate(all="ignore")`` (NumPy's public way, for versions without the context variable)."""
    return np.errstate(all="ignore")(fn)


def _quiet_by_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the ready-made "ignore" error state set in NumPy's context variable during the call."""
    set_state, reset_state, ignore = _extobj_contextvar.set, _extobj_contextvar.reset, _IGNORE_ERRORS

    def quiet(*args: Any) -> Any:
        token = set_state(ignore)
        try:
            return fn(*args)
        finally:
            reset_state(token)

    quiet.__name__ = quiet.__qualname__ = getattr(fn, "__name__", "quiet")
    return quiet


_quiet = _quiet_by_errstate if _IGNORE_ERRORS is None else _quiet_by_context


def _native_kernels() -> dict[str, Callable[..., Any]]:
    kernels: dict[str, Callable[..., Any]] = {
        "index_put": _index_put,
        "scatter_add": _scatter_add,
        "index_add": _index_add,
        "put": _put,
        "threshold_backward": _threshold_backward(_generic("threshold_backward")),
        "clamp_backward": _clamp_backward(_generic("clamp_backward")),
        "where": _where(_generic("where")),
    }
    # Python's operators instead of the ufuncs: identical on arrays, and on the NumPy scalars that 0-d
    # results are, they take NumPy's fast scalar path (about 10x cheaper than a ufunc call).
    kernels.update(_OPERATOR_KERNELS)
    kernels.update(_VIEW_AND_SUM_KERNELS)
    for op_name in sorted(QUIET_OPS):
        kernels[op_name] = _quiet(kernels.get(op_name) or _generic(op_name))
    return kernels


_quiet_asarray = _quiet(np.asarray)

# The NumPy backend's own kernels by op name (every other op runs its generic array-API kernel over numpy).
# Note: built once, so that registering again (a plugin reload) registers the same functions.
KERNELS = _native_kernels()


@plugrad.hookimpl
def plugrad_register_kernels(registry: Any) -> None:
    for op_name, fn in KERNELS.items():
        registry.register_kernel(op_name, "numpy", fn)
