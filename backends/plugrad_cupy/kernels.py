"""Fused CUDA kernels of the CuPy backend: one pass over the data where the generic kernels take several.

Each entry of :data:`KERNELS` replaces the generic array-API kernel of one op on the ``cupy`` backend, with
the generic kernel's signature and results (same dtype and shape, values equal within float rounding). It
runs a fused ``cupy.ElementwiseKernel`` / ``ReductionKernel`` on float32 and float64 arrays, and hands any
other case (float16, complex, mixed dtypes, a bound given as a tensor) to the generic kernel.

The kernel objects are made on first use (:func:`kernel`), never at import: importing this module imports
no cupy, and CuPy compiles each kernel once per dtype the first time it runs.

    ================================  ===========================================================
    op                                fused as
    ================================  ===========================================================
    pow_backward(g, x, e)             ``g * e * x ** (e - 1)`` in one pass (x, x * x for e = 2, 3)
    tanh_backward(g, y)               ``g * (1 - y * y)``
    sigmoid_backward(g, y)            ``g * y * (1 - y)``
    threshold_backward(g, x, th)      ``x <= th ? 0 : g`` (relu's and threshold's backward)
    clamp_backward(g, x, lo, hi)      ``lo <= x <= hi ? g : 0``
    softmax_backward_data(g, y, dim)  one reduction ``sum(g * y)``, then ``y * (g - s)``
    log_softmax_backward_data(...)    ``sum(g)``, then ``g - exp(y) * s``
    cross_entropy_fused(x, t, ...)    row max, one reduction ``sum(exp(x - max))``, the row losses
    cross_entropy_fused_backward      the same reductions, then ``c * (softmax(x) - onehot(t))`` in one pass
    ================================  ===========================================================
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

_namespace: list[Any] = []  # the cupy namespace, once imported
_built: dict[str, Any] = {}  # kernel name -> cupy kernel object, made on first use
_generic: dict[str, Callable[..., Any]] = {}  # op name -> the generic kernel over cupy, for the cases not fused


def cupy_namespace() -> Any:
    """The array namespace: ``cupy`` itself, or, for a cupy whose ``asarray`` takes no ``copy=`` (before 14),
    a module with cupy's attributes and an ``asarray`` that does (the generic kernels pass it)."""
    if not _namespace:
        import cupy

        xp: Any = cupy
        if not _takes_copy(cupy.asarray):
            xp = types.ModuleType("cupy", cupy.__doc__)
            xp.__dict__.update({k: v for k, v in vars(cupy).items() if not k.startswith("__")})
            xp.__version__ = cupy.__version__
            xp.asarray = _asarray_with_copy(cupy)
        _namespace.append(xp)
    return _namespace[0]


def _takes_copy(fn: Callable[..., Any]) -> bool:
    try:
        return "copy" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: assume the current API
        return True


def _asarray_with_copy(cupy: Any) -> Callable[..., Any]:
    """``asarray`` with NumPy 2's ``copy=``: True copies, None copies only if needed, False never copies."""

    def asarray(a: Any, dtype: Any = None, order: Any = None, *, copy: Any = None, **kwargs: Any) -> Any:
        if copy:
            return cupy.array(a, dtype=dtype, order=order or "K", copy=True, **kwargs)
        out = cupy.asarray(a, dtype=dtype, order=order, **kwargs)
        if copy is False and out is not a:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return out

    return asarray


def built() -> list[str]:
    """The names of the kernels made so far (they are made on first use)."""
    return sorted(_built)


def kernel(name: str) -> Any:
    """The cupy kernel object called ``name``, made the first time it is asked for."""
    k = _built.get(name)
    if k is None:
        k = _built[name] = _MAKERS[name](cupy_namespace())
    return k


def fallback(op: str) -> Callable[..., Any]:
    """The generic array-API kernel of ``op`` over cupy: what runs the cases the fused kernels do not take."""
    k = _generic.get(op)
    if k is None:
        from plugrad.ops.registry import GENERIC_KERNELS

        k = _generic[op] = GENERIC_KERNELS[op][0](cupy_namespace())
    return k


# --- the kernel objects ---------------------------------------------------------------------------------------
# ``T`` is the float type of the arrays; scalars arrive as that type (NumPy scalars of the arrays' dtype), as
# NumPy treats a Python number next to an array, except pow's exponent, kept in double as it is in Python.


def _elementwise(in_params: str, out_params: str, operation: str, name: str) -> Callable[[Any], Any]:
    return lambda cp: cp.ElementwiseKernel(in_params, out_params, operation, name)


def _row_sum(in_params: str, map_expr: str, name: str) -> Callable[[Any], Any]:
    return lambda cp: cp.ReductionKernel(in_params, "T s", map_expr, "a + b", "s = a", "0", name)


_MAKERS: dict[str, Callable[[Any], Any]] = {
    "pow_backward": _elementwise(
        "T g, T x, float64 e", "T gx",
        "T p = e == 2.0 ? x : e == 3.0 ? x * x : (T)pow(x, (T)(e - 1.0)); gx = g * (T)e * p",
        "plugrad_pow_backward"),
    "tanh_backward": _elementwise("T g, T y", "T gx", "gx = g * (1 - y * y)", "plugrad_tanh_backward"),
    "sigmoid_backward": _elementwise("T g, T y", "T gx", "gx = g * y * (1 - y)", "plugrad_sigmoid_backward"),
    "threshold_backward": _elementwise("T g, T x, T th", "T gx", "gx = x <= th ? (T)0 : g",
                                       "plugrad_threshold_backward"),
    "clamp_backward": _elementwise(
        "T g, T x, T lo, T hi, bool has_lo, bool has_hi", "T gx",
        "gx = (!has_lo || x >= lo) && (!has_hi || x <= hi) ? g : (T)0", "plugrad_clamp_backward"),
    "sum_products": _row_sum("T g, T y", "g * y", "plugrad_sum_products"),
    "softmax_backward_data": _elementwise("T g, T y, T s", "T gx", "gx = y * (g - s)",
                                          "plugrad_softmax_backward_data"),
    "log_softmax_backward_data": _elementwise("T g, T y, T s", "T gx", "gx = g - exp(y) * s",
                                              "plugrad_log_softmax_backward_data"),
    "sum_exp_shifted": _row_sum("T x, T m", "exp(x - m)", "plugrad_sum_exp_shifted"),
    "cross_entropy_rows": _elementwise("T m, T picked, T s, T w", "T loss", "loss = w * ((m - picked) + log(s))",
                                       "plugrad_cross_entropy_rows"),
    "cross_entropy_backward": _elementwise(
        "T x, T m, T s, T c, int64 t, int64 j", "T gx", "gx = c * (exp(x - m) / s - (j == t ? (T)1 : (T)0))",
        "plugrad_cross_entropy_backward"),
}


# --- when a fused kernel applies ---------------------------------------------------------------------------


def _float_array(x: Any) -> bool:
    return type(x) is cupy_namespace().ndarray and x.dtype.char in "fd"


def _pair(g: Any, x: Any) -> bool:
    """A gradient and a saved array the fused kernels take: float32 or float64 arrays of one dtype and shape."""
    return _float_array(x) and type(g) is type(x) and g.dtype == x.dtype and g.shape == x.shape


def _number(v: Any) -> bool:
    return type(v) in (int, float)


# --- the kernels -------------------------------------------------------------------------------------------


def pow_backward(g: Any, x: Any, e: Any) -> Any:
    if not _pair(g, x) or not _number(e):
        return fallback("pow_backward")(g, x, e)
    return kernel("pow_backward")(g, x, float(e))


def tanh_backward(g: Any, out: Any) -> Any:
    if not _pair(g, out):
        return fallback("tanh_backward")(g, out)
    return kernel("tanh_backward")(g, out)


def sigmoid_backward(g: Any, out: Any) -> Any:
    if not _pair(g, out):
        return fallback("sigmoid_backward")(g, out)
    return kernel("sigmoid_backward")(g, out)


def threshold_backward(g: Any, x: Any, th: Any) -> Any:
    if not _pair(g, x) or not _number(th):
        return fallback("threshold_backward")(g, x, th)
    return kernel("threshold_backward")(g, x, x.dtype.type(th))


def clamp_backward(g: Any, x: Any, lo: Any, hi: Any) -> Any:
    if not _pair(g, x) or (lo is None and hi is None) or not all(v is None or _number(v) for v in (lo, hi)):
        return fallback("clamp_backward")(g, x, lo, hi)
    t = x.dtype.type
    return kernel("clamp_backward")(g, x, t(0 if lo is None else lo), t(0 if hi is None else hi),
                                    lo is not None, hi is not None)


def softmax_backward_data(g: Any, out: Any, dim: int) -> Any:
    if not _pair(g, out):
        return fallback("softmax_backward_data")(g, out, dim)
    s = kernel("sum_products")(g, out, axis=dim if out.ndim else None, keepdims=True)
    return kernel("softmax_backward_data")(g, out, s)


def log_softmax_backward_data(g: Any, out: Any, dim: int) -> Any:
    if not _pair(g, out):
        return fallback("log_softmax_backward_data")(g, out, dim)
    s = cupy_namespace().sum(g, axis=dim if out.ndim else None, keepdims=True)
    return kernel("log_softmax_backward_data")(g, out, s)


def _ce_applies(x: Any, target: Any, weight: Any) -> bool:
    """(N, C) float scores with N, C > 0, (N,) integer targets on the device, a weight of the scores' dtype."""
    return (_float_array(x) and x.ndim == 2 and x.size > 0 and type(target) is type(x) and target.ndim == 1
            and target.dtype.kind in "iu" and (weight is None or (type(weight) is type(x) and weight.dtype == x.dtype)))


def _row_max_and_sum_exp(x: Any) -> tuple[Any, Any]:
    """``max`` of each row and ``sum(exp(x - max))``, both (N, 1): the shift keeps exp from overflowing."""
    cp = cupy_namespace()
    m = cp.max(x, axis=1, keepdims=True)
    return m, kernel("sum_exp_shifted")(x, cp.broadcast_to(m, x.shape), axis=1, keepdims=True)


def _weights(x: Any, target: Any, weight: Any, ignore_index: int) -> tuple[Any, Any]:
    """The safe class index and the weight of each row (0 where ignored), as ``nll_loss`` computes them."""
    from plugrad.ops.nn import _nll_weights

    return _nll_weights(cupy_namespace(), x, target, weight, ignore_index)


def cross_entropy_fused(x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
    if not _ce_applies(x, target, weight):
        return fallback("cross_entropy_fused")(x, target, weight, reduction, ignore_index)
    cp = cupy_namespace()
    safe, w = _weights(x, target, weight, ignore_index)
    m, s = _row_max_and_sum_exp(x)
    picked = cp.take_along_axis(x, cp.reshape(safe, (-1, 1)), axis=1)
    losses = cp.reshape(kernel("cross_entropy_rows")(m, picked, s, cp.reshape(w, (-1, 1))), (-1,))
    if reduction == "none":
        return losses
    total = cp.sum(losses)
    return total if reduction == "sum" else total / cp.sum(w)


def cross_entropy_fused_backward(g: Any, x: Any, target: Any, weight: Any, reduction: str,
                                 ignore_index: int) -> Any:
    if not _ce_applies(x, target, weight) or type(g) is not type(x) or g.dtype != x.dtype:
        return fallback("cross_entropy_fused_backward")(g, x, target, weight, reduction, ignore_index)
    cp = cupy_namespace()
    safe, w = _weights(x, target, weight, ignore_index)
    m, s = _row_max_and_sum_exp(x)
    if reduction == "none":
        coef = w * cp.reshape(g, (-1,))
    elif reduction == "sum":
        coef = w * g
    else:
        coef = w * (g / cp.sum(w))
    columns = cp.arange(x.shape[1], dtype=cp.int64).reshape(1, -1)
    rows = cp.reshape(safe, (-1, 1)).astype(cp.int64, copy=False)
    return kernel("cross_entropy_backward")(x, m, s, cp.reshape(coef, (-1, 1)), rows, columns)


KERNELS: dict[str, Callable[..., Any]] = {
    "pow_backward": pow_backward,
    "tanh_backward": tanh_backward,
    "sigmoid_backward": sigmoid_backward,
    "threshold_backward": threshold_backward,
    "clamp_backward": clamp_backward,
    "softmax_backward_data": softmax_backward_data,
    "log_softmax_backward_data": log_softmax_backward_data,
    "cross_entropy_fused": cross_entropy_fused,
    "cross_entropy_fused_backward": cross_entropy_fused_backward,
}
"""Op name -> fused kernel, with the signature of the op's generic kernel."""
