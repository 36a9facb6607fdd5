"""Activations: relu and its relatives, softmax / log_softmax, gelu, silu, softplus, elu...

Each op: its declaration with PyTorch's node name, its VJP rule in plugrad ops (so
``create_graph=True`` works), its generic kernel, samples and a NumPy reference.
Functions take PyTorch's ``torch.nn.functional`` arguments, ``inplace`` included.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T, unary_samples
from ._promote import is_complex_data
from .comparison import ge, gt, le, lt, where
from .elementwise import (
    _CLAMP_COMPLEX,
    _erf_kernel,
    _not_implemented,
    _short,
    _sigmoid_kernel,
    complex_refused,
    erf,
    exp,
    logical_and,
    logical_or,
    neg,
    sigmoid,
    tanh,
)
from .reduction import _dims, sum
from .registry import defop


def _check_float(kernel: str, input: Any) -> None:  # noqa: A002
    if not input.dtype.is_floating_point:
        if input.dtype.is_complex:
            raise complex_refused(kernel, input)
        raise _not_implemented(kernel, input, "this activation needs a floating point tensor; use .float() first")


def _no_bool(name: str, input: Any) -> None:  # noqa: A002
    if input.dtype is _dt.bool_:
        raise RuntimeError(f"Boolean inputs not supported for {name}; convert the tensor with .float() first")


def _maybe_inplace(fn: Any, input: Any, inplace: bool, *args: Any) -> Any:  # noqa: A002
    """``fn(input, *args)``, or written into ``input`` (``fn`` dispatches the op; it takes no ``inplace``)."""
    if inplace:
        return input._inplace(fn, *args)
    return fn(input, *args)


def _dispatcher(op: Any) -> Any:
    def run(input: Any) -> Any:  # noqa: A002
        return op.dispatch((input,))

    run.__name__ = op.name
    return run


# --- relu, hardtanh, relu6, threshold -------------------------------------------------------------


def _relu_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's threshold_backward on the output: no gradient where the output is <= 0.
    return (THRESHOLD_BACKWARD.dispatch((g, ctx.output), (0,)),)


RELU = defop("relu", 1, vjp=_relu_vjp, saves=((-1,),), samples=unary_samples(),
             reference=lambda np, x: np.maximum(x, x.dtype.type(0)))


_relu = _dispatcher(RELU)


@generic("relu")
def _relu_kernel(xp: Any) -> Any:
    def relu(x: Any) -> Any:
        # maximum keeps NaN, as PyTorch's relu does; x second, so that -0.0 stays -0.0 (NumPy's gives the second
        # of two equal values)
        return xp.maximum(xp.asarray(0, dtype=x.dtype), x)

    return relu


def relu(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``max(input, 0)``; integer tensors stay integer. The gradient is 0 where the output is 0."""
    category = input.dtype.category
    if category == 0:
        _no_bool("relu", input)
    elif category == 3:
        raise NotImplementedError(_CLAMP_COMPLEX)  # Note: PyTorch's relu is a clamp
    return _maybe_inplace(_relu, input, inplace)


def relu_(input: Any) -> Any:  # noqa: A002
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def _hardtanh_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    lo, hi = ctx.attrs
    return (where(logical_or(le(x, lo), ge(x, hi)), 0.0, g),)


HARDTANH = defop("hardtanh", 1, vjp=_hardtanh_vjp, saves=((0,),),
                 samples=lambda: [*unary_samples(attrs=(-1.0, 1.0), low=-2.0, high=2.0)(),
                                  *unary_samples(attrs=(0.0, 6.0), low=-3.0, high=8.0)()],
                 reference=lambda np, x, lo, hi: np.minimum(np.maximum(x, x.dtype.type(lo)), x.dtype.type(hi)))


@generic("hardtanh")
def _hardtanh_kernel(xp: Any) -> Any:
    def hardtanh(x: Any, lo: Any, hi: Any) -> Any:
        return xp.minimum(xp.maximum(x, xp.asarray(lo, dtype=x.dtype)), xp.asarray(hi, dtype=x.dtype))

    return hardtanh


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:  # noqa: A002
    """``input`` clamped to ``[min_val, max_val]``; the gradient passes strictly inside the interval."""
    category = input.dtype.category
    if category == 0:
        raise RuntimeError("Bool inputs not supported for hardtanh; convert the tensor with .float() first")
    if category == 3:
        raise NotImplementedError(_CLAMP_COMPLEX)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def _hardtanh(input: Any, min_val: float, max_val: float) -> Any:  # noqa: A002
    return HARDTANH.dispatch((input,), (min_val, max_val))


def relu6(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``min(max(input, 0), 6)``: :func:`hardtanh` on ``[0, 6]`` (HardtanhBackward0, as in PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (THRESHOLD_BACKWARD.dispatch((g, x), (ctx.attrs[0],)),)


# threshold_backward(g, x, th): g where x > th, else 0 (PyTorch's threshold_backward, behind relu and
# threshold): one op, so that a backend can apply the mask in one pass.


def _threshold_backward_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    need = ctx.needs_input_grad
    return (THRESHOLD_BACKWARD.dispatch((g, ctx.inputs[1]), ctx.attrs) if need[0] else None,
            zeros_like(g) if need[1] else None)


def _threshold_backward_samples() -> list[Sample]:
    out = []
    for th in (0, 0.25):
        for shape in ((), (5,), (3, 4), (2, 3, 2)):
            out.append(Sample((T(shape), T(shape, -1.0, 1.0)), (th,), name=f"th{th}_shape{list(shape)}"))
    out.append(Sample((T((0, 3)), T((0, 3))), (0,), name="empty", gradgradcheck=False))
    return out


THRESHOLD_BACKWARD = defop("threshold_backward", 2, vjp=_threshold_backward_vjp, saves=((1,), ()),
                           samples=_threshold_backward_samples,
                           reference=lambda np, g, x, th: np.where(x <= th, 0.0, g))


@generic("threshold_backward")
def _threshold_backward_kernel(xp: Any) -> Any:
    def threshold_backward(g: Any, x: Any, th: Any) -> Any:
        return xp.where(x <= th, xp.zeros((), dtype=g.dtype), g)

    return threshold_backward


THRESHOLD = defop("threshold", 1, vjp=_threshold_vjp, saves=((0,),),
                  samples=unary_samples(attrs=(0.1, 20.0)),
                  reference=lambda np, x, th, value: np.where(x > th, x, x.dtype.type(value)))


@generic("threshold")
def _threshold_kernel(xp: Any) -> Any:
    def threshold(x: Any, th: Any, value: Any) -> Any:
        return xp.where(x > th, x, xp.asarray(value, dtype=x.dtype))

    return threshold


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Any:  # noqa: A002
    """``input`` where it is greater than ``threshold``, else ``value``."""
    if is_complex_data(input):
        raise complex_refused("threshold_cpu", input)
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def _threshold(input: Any, th: float, value: float) -> Any:  # noqa: A002
    return THRESHOLD.dispatch((input,), (th, value))


# --- leaky_relu, elu, selu, celu ---------------------------------------------------------------


def _leaky_relu_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (where(gt(x, 0), g, g * ctx.attrs[0]),)


LEAKY_RELU = defop("leaky_relu", 1, vjp=_leaky_relu_vjp, saves=((0,),),
                   samples=lambda: [*unary_samples(attrs=(0.01,))(), *unary_samples(attrs=(0.2,))()],
                   reference=lambda np, x, slope: np.where(x > 0, x, x * x.dtype.type(slope)))


@generic("leaky_relu")
def _leaky_relu_kernel(xp: Any) -> Any:
    def leaky_relu(x: Any, slope: float) -> Any:
        return xp.where(x > 0, x, x * xp.asarray(slope, dtype=x.dtype))

    return leaky_relu


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:  # noqa: A002
    """``input`` where positive, else ``negative_slope * input``."""
    _check_float("leaky_relu_cpu", input)
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


def _leaky_relu(input: Any, negative_slope: float) -> Any:  # noqa: A002
    return LEAKY_RELU.dispatch((input,), (negative_slope,))


def _elu_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's elu_backward on the input: x <= 0 takes the exponential branch (0 included), while
    # its derivative (elu_double_backward) is 0 at x = 0: the exponent sees x only where x < 0.
    (x,) = ctx.inputs
    alpha, scale, input_scale = ctx.attrs
    negative = g * (input_scale * alpha * scale) * exp(where(lt(x, 0), x, 0.0) * input_scale)
    return (where(le(x, 0), negative, g * scale),)


def _np_elu(np: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
    t = x.dtype.type
    return np.where(x > 0, x * t(scale), t(scale * alpha) * np.expm1(np.minimum(x, 0) * t(input_scale)))


def _elu_samples() -> list[Sample]:
    return [*unary_samples(attrs=(1.0, 1.0, 1.0), low=-2.0, high=2.0)(),
            *unary_samples(attrs=(0.5, 1.0, 1.0), low=-2.0, high=2.0)(),
            *unary_samples(attrs=(_SELU_ALPHA, _SELU_SCALE, 1.0), low=-2.0, high=2.0)()]


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

ELU = defop("elu", 1, vjp=_elu_vjp, saves=((0,),), samples=_elu_samples, reference=_np_elu)
CELU = defop("celu", 1, vjp=_elu_vjp, saves=((0,),),
             samples=lambda: [*unary_samples(attrs=(2.0, 1.0, 0.5), low=-2.0, high=2.0)()], reference=_np_elu)


def _elu_kernel(xp: Any) -> Any:
    def elu(x: Any, alpha: float, scale: float, input_scale: float) -> Any:
        zero = xp.asarray(0, dtype=x.dtype)
        negative = xp.expm1(xp.minimum(x, zero) * xp.asarray(input_scale, dtype=x.dtype))
        positive = x * xp.asarray(scale, dtype=x.dtype)
        return xp.where(x > 0, positive, negative * xp.asarray(scale * alpha, dtype=x.dtype))

    return elu


generic("elu")(_elu_kernel)
generic("celu")(_elu_kernel)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:  # noqa: A002
    """``input`` where positive, else ``alpha * (exp(input) - 1)``."""
    _check_float("elu_cpu", input)
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0)


def _elu(input: Any, alpha: float, scale: float, input_scale: float) -> Any:  # noqa: A002
    return ELU.dispatch((input,), (alpha, scale, input_scale))


def selu(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """Scaled ELU with the self-normalizing constants (EluBackward0, as in PyTorch)."""
    _check_float("elu_cpu", input)
    return _maybe_inplace(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:  # noqa: A002
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _check_float("elu_cpu", input)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(_celu, input, inplace, alpha)


def _celu(input: Any, alpha: float) -> Any:  # noqa: A002
    return CELU.dispatch((input,), (alpha, 1.0, 1.0 / alpha))


# --- softmax / log_softmax ----------------------------------------------------------------------


def _softmax_vjp(ctx: Any, g: Any) -> tuple:
    return (SOFTMAX_BACKWARD_DATA.dispatch((g, ctx.output), ctx.attrs),)


def _log_softmax_vjp(ctx: Any, g: Any) -> tuple:
    return (LOG_SOFTMAX_BACKWARD_DATA.dispatch((g, ctx.output), ctx.attrs),)


# The backward ops of softmax and log_softmax (PyTorch's _softmax_backward_data and
# _log_softmax_backward_data), each one op so that a backend can run it in one pass over each row:
# softmax_backward_data(g, out, dim) = out * (g - sum(g * out, dim)),
# log_softmax_backward_data(g, out, dim) = g - exp(out) * sum(g, dim).


def _softmax_backward_data_vjp(ctx: Any, gg: Any) -> tuple:
    g, out = ctx.inputs
    (dim,) = ctx.attrs
    need = ctx.needs_input_grad
    d_g = SOFTMAX_BACKWARD_DATA.dispatch((gg, out), ctx.attrs) if need[0] else None
    d_out = None
    if need[1]:
        d_out = gg * (g - sum(g * out, dim, keepdim=True)) - g * sum(gg * out, dim, keepdim=True)
    return d_g, d_out


def _log_softmax_backward_data_vjp(ctx: Any, gg: Any) -> tuple:
    g, out = ctx.inputs
    (dim,) = ctx.attrs
    need = ctx.needs_input_grad
    e = exp(out)
    d_g = gg - sum(gg * e, dim, keepdim=True) if need[0] else None
    d_out = -gg * e * sum(g, dim, keepdim=True) if need[1] else None
    return d_g, d_out


def _softmax_backward_samples(log: bool) -> Any:
    def gen() -> list[Sample]:
        # Note: outputs drawn from the range of (log_)softmax: the VJP formulas hold for any values.
        low, high = (-3.0, -0.1) if log else (0.05, 0.9)
        return [Sample((T((3, 4)), T((3, 4), low, high)), (1,), name="dim1"),
                Sample((T((3, 4)), T((3, 4), low, high)), (0,), name="dim0"),
                Sample((T((2, 3, 4)), T((2, 3, 4), low, high)), (2,), name="last"),
                Sample((T((2, 3, 4)), T((2, 3, 4), low, high)), (1,), name="middle"),
                Sample((T((5,)), T((5,), low, high)), (0,), name="vector"),
                Sample((T(()), T((), low, high)), (0,), name="zero_dim"),
                Sample((T((0, 3)), T((0, 3), low, high)), (1,), name="empty", gradgradcheck=False)]

    return gen


def _np_softmax_backward(np: Any, g: Any, out: Any, dim: int, log: bool) -> Any:
    axis = dim if out.ndim else None
    if log:
        return g - np.exp(out) * np.sum(g, axis=axis, keepdims=True)
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


def _softmax_samples() -> list[Sample]:
    return [Sample((T((3, 4), -3.0, 3.0),), (1,), name="dim1"),
            Sample((T((3, 4), -3.0, 3.0),), (0,), name="dim0"),
            Sample((T((2, 3, 4), -3.0, 3.0),), (2,), name="last"),
            Sample((T((5,), -3.0, 3.0),), (0,), name="vector"),
            Sample((T(()),), (0,), name="zero_dim"),
            Sample((T((2, 3), values=[[1000.0, 1000.0, -1000.0], [-5.0, 0.0, 5.0]]),), (1,), name="large",
                   gradgradcheck=False),
            Sample((T((0, 3)),), (1,), name="empty", gradgradcheck=False)]


def _np_softmax(np: Any, x: Any, dim: int, log: bool) -> Any:
    axis = dim if x.ndim else None
    if x.size == 0:
        return x.copy()
    shifted = x - np.max(x, axis=axis, keepdims=True)
    if log:
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


SOFTMAX = defop("softmax", 1, vjp=_softmax_vjp, saves=((-1,),), samples=_softmax_samples,
                reference=lambda np, x, dim: _np_softmax(np, x, dim, False))
LOG_SOFTMAX = defop("log_softmax", 1, vjp=_log_softmax_vjp, saves=((-1,),), samples=_softmax_samples,
                    reference=lambda np, x, dim: _np_softmax(np, x, dim, True))


def _softmax_kernel(log: bool) -> Any:
    def factory(xp: Any) -> Any:
        def softmax(x: Any, dim: int) -> Any:
            if x.size == 0:
                return xp.asarray(x, copy=True)
            axis = dim if x.ndim else None
            # Note: shifting by the max keeps exp from overflowing; the result is unchanged.
            shifted = x - xp.max(x, axis=axis, keepdims=True)
            if log:
                return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
            e = xp.exp(shifted)
            return e / xp.sum(e, axis=axis, keepdims=True)

        return softmax

    return factory


generic("softmax")(_softmax_kernel(False))
generic("log_softmax")(_softmax_kernel(True))

SOFTMAX_BACKWARD_DATA = defop("softmax_backward_data", 2, vjp=_softmax_backward_data_vjp,
                              saves=((1,), (0, 1)), samples=_softmax_backward_samples(False),
                              reference=lambda np, g, out, dim: _np_softmax_backward(np, g, out, dim, False))
LOG_SOFTMAX_BACKWARD_DATA = defop("log_softmax_backward_data", 2, vjp=_log_softmax_backward_data_vjp,
                                  saves=((1,), (0, 1)), samples=_softmax_backward_samples(True),
                                  reference=lambda np, g, out, dim: _np_softmax_backward(np, g, out, dim, True))


def _softmax_backward_kernel(log: bool) -> Any:
    def factory(xp: Any) -> Any:
        def softmax_backward_data(g: Any, out: Any, dim: int) -> Any:
            axis = dim if out.ndim else None
            if log:
                return g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True)
            return out * (g - xp.sum(g * out, axis=axis, keepdims=True))

        return softmax_backward_data

    return factory


generic("softmax_backward_data")(_softmax_backward_kernel(False))
generic("log_softmax_backward_data")(_softmax_backward_kernel(True))


def _softmax_input(name: str, input: Any, dim: Any, dtype: Any) -> tuple:  # noqa: A002
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    d = _dims(dim, input.ndim)
    axis = d[0] if d else 0
    if not input.dtype.is_floating_point:
        last = "lastdim_" if axis == input.ndim - 1 or not input.ndim else ""
        raise _not_implemented(f"{name}_{last}kernel_impl", input, f"pass dtype=torch.float32 to {name}, or "
                                                                  "convert the input with .float()")
    return input, axis


def softmax(input: Any, dim: int, dtype: Any = None) -> Any:  # noqa: A002
    """``exp(input) / sum(exp(input), dim)``, computed stably; ``dtype`` casts the input first."""
    x, axis = _softmax_input("softmax", input, dim, dtype)
    return SOFTMAX.dispatch((x,), (axis,))


def log_softmax(input: Any, dim: int, dtype: Any = None) -> Any:  # noqa: A002
    """``log(softmax(input, dim))``, computed stably as ``input - max - log(sum(exp(input - max)))``."""
    x, axis = _softmax_input("log_softmax", input, dim, dtype)
    return LOG_SOFTMAX.dispatch((x,), (axis,))


def softmin(input: Any, dim: int, dtype: Any = None) -> Any:  # noqa: A002
    """``softmax(-input, dim)``."""
    from .conversion import _to_dtype

    if dtype is not None:
        input = _to_dtype(input, _dt.as_dtype(dtype))
    return softmax(neg(input), dim)


# --- gelu, silu, mish, softplus, logsigmoid, hardsigmoid, hardswish --------------------------------

_SQRT1_2 = math.sqrt(0.5)
_ONE_SIXTH_F32 = 0.1666666716337204  # float32(1 / 6)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


def _gelu_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    if ctx.attrs[0] == "tanh":
        inner = _GELU_BETA * (x + _GELU_KAPPA * x * x * x)
        t = tanh(inner)
        left = 0.5 * x
        right = 1 + t
        dright = left * (1 - t * t) * _GELU_BETA * (1 + 3 * _GELU_KAPPA * x * x)
        return (g * (0.5 * right + dright),)
    cdf = 0.5 * (1 + erf(x * _SQRT1_2))
    pdf = exp(-0.5 * x * x) * _INV_SQRT_2PI
    return (g * (cdf + x * pdf),)


def _np_gelu(np: Any, x: Any, approximate: str) -> Any:
    import math as _math

    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_GELU_BETA * (x + _GELU_KAPPA * x ** 3)))
    erf_ = np.vectorize(_math.erf, otypes=[x.dtype])
    return 0.5 * x * (1 + erf_(x * _SQRT1_2))


GELU = defop("gelu", 1, vjp=_gelu_vjp, saves=((0,),),
             samples=lambda: [*unary_samples(attrs=("none",), low=-3.0, high=3.0)(),
                              *unary_samples(attrs=("tanh",), low=-3.0, high=3.0)()],
             reference=_np_gelu)


@generic("gelu")
def _gelu_kernel(xp: Any) -> Any:
    erf_ = _erf_kernel(xp)

    def gelu(x: Any, approximate: str) -> Any:
        if approximate == "tanh":
            inner = (x + x * x * x * _GELU_KAPPA) * _GELU_BETA
            return x * 0.5 * (1 + xp.tanh(inner))
        return x * 0.5 * (1 + erf_(x * _SQRT1_2))

    return gelu


def gelu(input: Any, approximate: str = "none") -> Any:  # noqa: A002
    """``x * Phi(x)`` (Phi the standard normal CDF), or its tanh approximation with ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh (got {approximate!r})")
    _check_float("GeluKernelImpl", input)
    return GELU.dispatch((input,), (approximate,))


def _silu_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    s = sigmoid(x)
    return (g * s * (1 + x * (1 - s)),)


SILU = defop("silu", 1, vjp=_silu_vjp, saves=((0,),), samples=unary_samples(low=-3.0, high=3.0),
             reference=lambda np, x: x / (1 + np.exp(-x)))


_silu = _dispatcher(SILU)


@generic("silu")
def _silu_kernel(xp: Any) -> Any:
    sigmoid_ = _sigmoid_kernel(xp)

    def silu(x: Any) -> Any:
        return x * sigmoid_(x)

    return silu


def silu(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``input * sigmoid(input)`` (also called swish)."""
    _check_float("silu_cpu", input)
    return _maybe_inplace(_silu, input, inplace)


def _softplus_array(xp: Any, x: Any) -> Any:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    return xp.maximum(x, xp.asarray(0, dtype=x.dtype)) + xp.log1p(xp.exp(-xp.abs(x)))


def _mish_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    t = tanh(softplus(x))
    return (g * (t + x * sigmoid(x) * (1 - t * t)),)


MISH = defop("mish", 1, vjp=_mish_vjp, saves=((0,),), samples=unary_samples(low=-3.0, high=3.0),
             reference=lambda np, x: x * np.tanh(np.logaddexp(0, x)))


_mish = _dispatcher(MISH)


@generic("mish")
def _mish_kernel(xp: Any) -> Any:
    def mish(x: Any) -> Any:
        return x * xp.tanh(_softplus_array(xp, x))

    return mish


def mish(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``input * tanh(softplus(input))``."""
    _check_float("mish_cpu", input)
    return _maybe_inplace(_mish, input, inplace)


def _softplus_vjp(ctx: Any, g: Any) -> tuple:
    # The slope is sigmoid(beta * x) up to the threshold; PyTorch's double backward counts only
    # beta * x < threshold, so at the threshold itself the slope is held constant.
    (x,) = ctx.inputs
    beta, th = ctx.attrs
    scaled = x * beta
    return (where(gt(scaled, th), g, g * sigmoid(where(lt(scaled, th), scaled, float(th)))),)


SOFTPLUS = defop("softplus", 1, vjp=_softplus_vjp, saves=((0,),),
                 samples=lambda: [*unary_samples(attrs=(1.0, 20.0), low=-3.0, high=3.0)(),
                                  *unary_samples(attrs=(2.0, 1.0), low=-3.0, high=3.0)()],
                 reference=lambda np, x, beta, th: np.where(x * beta > th, x, np.logaddexp(0, x * beta) / beta))


@generic("softplus")
def _softplus_kernel(xp: Any) -> Any:
    def softplus(x: Any, beta: float, th: float) -> Any:
        scaled = x * xp.asarray(beta, dtype=x.dtype)
        return xp.where(scaled > th, x, _softplus_array(xp, scaled) / xp.asarray(beta, dtype=x.dtype))

    return softplus


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:  # noqa: A002
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``; computed without overflow."""
    _check_float("softplus_cpu", input)
    return SOFTPLUS.dispatch((input,), (beta, threshold))


def _logsigmoid_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (g * sigmoid(neg(x)),)


LOGSIGMOID = defop("logsigmoid", 1, vjp=_logsigmoid_vjp, node="LogSigmoidBackward0", saves=((0,),),
                   samples=unary_samples(low=-5.0, high=5.0), reference=lambda np, x: -np.logaddexp(0, -x))


@generic("logsigmoid")
def _logsigmoid_kernel(xp: Any) -> Any:
    def logsigmoid(x: Any) -> Any:
        return -_softplus_array(xp, -x)

    return logsigmoid


def logsigmoid(input: Any) -> Any:  # noqa: A002
    """``log(sigmoid(input))`` = ``-softplus(-input)``, computed without overflow."""
    _check_float("log_sigmoid_forward", input)
    return LOGSIGMOID.dispatch((input,))


def _hardsigmoid_vjp(ctx: Any, g: Any) -> tuple:
    # Note: PyTorch multiplies by 1/6 rounded to float32 (its kernel's constant), in every dtype.
    (x,) = ctx.inputs
    return (where(logical_and(gt(x, -3.0), lt(x, 3.0)), g * _ONE_SIXTH_F32, 0.0),)


HARDSIGMOID = defop("hardsigmoid", 1, vjp=_hardsigmoid_vjp, saves=((0,),), samples=unary_samples(low=-5.0, high=5.0),
                    reference=lambda np, x: np.minimum(np.maximum(x + 3, 0), 6) / 6)


_hardsigmoid = _dispatcher(HARDSIGMOID)


@generic("hardsigmoid")
def _hardsigmoid_kernel(xp: Any) -> Any:
    def hardsigmoid(x: Any) -> Any:
        zero = xp.asarray(0, dtype=x.dtype)
        return xp.minimum(xp.maximum(x + 3, zero), zero + 6) / 6

    return hardsigmoid


def hardsigmoid(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``relu6(input + 3) / 6``."""
    _check_float("hardsigmoid_cpu", input)
    return _maybe_inplace(_hardsigmoid, input, inplace)


def _hardswish_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's hardswish_backward: 0 up to -3 (inclusive), x / 3 + 1/2 strictly inside, 1 from 3 on.
    (x,) = ctx.inputs
    return (where(le(x, -3.0), 0.0, where(lt(x, 3.0), g * (x / 3 + 0.5), g)),)


HARDSWISH = defop("hardswish", 1, vjp=_hardswish_vjp, saves=((0,),), samples=unary_samples(low=-5.0, high=5.0),
                  reference=lambda np, x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6)


_hardswish = _dispatcher(HARDSWISH)


@generic("hardswish")
def _hardswish_kernel(xp: Any) -> Any:
    def hardswish(x: Any) -> Any:
        zero = xp.asarray(0, dtype=x.dtype)
        return x * xp.minimum(xp.maximum(x + 3, zero), zero + 6) / 6

    return hardswish


def hardswish(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """``input * relu6(input + 3) / 6``."""
    _check_float("hardswish_cpu", input)
    return _maybe_inplace(_hardswish, input, inplace)


def softsign(input: Any) -> Any:  # noqa: A002
    """``input / (1 + |input|)`` (recorded as PyTorch records it: DivBackward0)."""
    from .elementwise import abs

    return input / (abs(input) + 1)


def tanhshrink(input: Any) -> Any:  # noqa: A002
    """``input - tanh(input)`` (SubBackward0)."""
    return input - tanh(input)


# --- prelu: leaky_relu with a learned slope per channel (dim 1), or one shared slope ------------------------


def _prelu_slope(w: Any, nd: int) -> Any:
    """The slope ``w`` (C,) laid along dim 1 of an ``nd``-dim input (a single slope broadcasts as it is)."""
    from .shape import reshape

    if w.numel() == 1 or nd < 2:
        return w
    return reshape(w, (1, -1) + (1,) * (nd - 2))


def _prelu_vjp(ctx: Any, g: Any) -> tuple:
    x, w = ctx.inputs
    need = ctx.needs_input_grad
    pos = gt(x, 0)
    gx = where(pos, g, g * _prelu_slope(w, x.dim())) if need[0] else None
    gw = None
    if need[1]:
        gxw = where(pos, g * 0, g * x)
        w_shape = tuple(ctx.input_shape(1))  # w itself is saved only when the input needs a gradient
        if math.prod(w_shape) == 1:
            gw = sum(gxw).reshape(w_shape)
        else:
            gw = sum(gxw, (0,) + tuple(range(2, x.dim()))) if x.dim() >= 2 else gxw
    return gx, gw


def _np_prelu(np: Any, x: Any, w: Any) -> Any:
    slope = w if (w.size == 1 or x.ndim < 2) else w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, x * slope)


PRELU = defop("prelu", 2, vjp=_prelu_vjp, node="PreluKernelBackward0", saves=((0, 1), (0,)),
              samples=lambda: [Sample((T((2, 3, 4)), T((3,), 0.0, 0.5)), name="per_channel"),
                               Sample((T((4, 3)), T((1,), 0.0, 0.5)), name="shared"),
                               Sample((T((5,)), T((1,), 0.0, 0.5)), name="vector")],
              reference=_np_prelu)


@generic("prelu")
def _prelu_kernel(xp: Any) -> Any:
    def prelu(x: Any, w: Any) -> Any:
        slope = w if (w.size == 1 or x.ndim < 2) else xp.reshape(w, (1, -1) + (1,) * (x.ndim - 2))
        return xp.where(x > 0, x, x * slope)

    return prelu


def prelu(input: Any, weight: Any) -> Any:  # noqa: A002
    """``input`` where positive, else ``weight * input``, ``weight`` one slope or one per channel (dim 1)."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else 1
        if input.dim() == 0 or n != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and "
                f"channel size = {channels}."
            )
    if is_complex_data(input) or is_complex_data(weight):
        if input.dtype is not weight.dtype:
            raise RuntimeError(f"prelu: Type promoting not supported. Got {_short(input.dtype)} and "
                               f"{_short(weight.dtype)}")
        raise complex_refused("prelu_cpu", input)
    return PRELU.dispatch((input, weight))



# --- softshrink, hardshrink, rrelu (compositions) ---


def _lambda_range_check(name: str, input: Any, lambd: float) -> None:  # noqa: A002
    if not input.dtype.is_floating_point:
        raise _not_implemented(f"{name}_check", input, f"{name} needs a floating point tensor; use .float() first")
    if lambd < 0:
        top = "3.40282e+38" if input.dtype is _dt.float32 else "1.79769e+308" if input.dtype is _dt.float64 \
            else "65504"
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype {input.dtype.legacy[:-6]}, but "
                           f"found {lambd:g}")


def softshrink(input: Any, lambd: float = 0.5) -> Any:  # noqa: A002
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, 0 between."""
    _lambda_range_check("softshrink", input, lambd)
    return where(gt(input, lambd), input - lambd, where(lt(input, -lambd), input + lambd, 0.0))


def hardshrink(input: Any, lambd: float = 0.5) -> Any:  # noqa: A002
    """``input`` where ``|input| > lambd``, else 0."""
    _check_float("hardshrink_cpu", input)
    return where(logical_or(gt(input, lambd), lt(input, -lambd)), input, 0.0)


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False) -> Any:
    """Leaky ReLU whose slope is ``(lower + upper) / 2`` in eval mode and drawn from ``U(lower, upper)`` per
    non-positive element in training (one double each, in order, from the generator, as PyTorch draws them)."""
    from ..autograd.grad_mode import no_grad
    from ..factories import empty
    from .creation import ones_like

    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _check_float("rrelu_with_noise_cpu", input)
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    with no_grad():
        negative = le(input, 0)
        count = int(negative.sum().item())
        noise = ones_like(input)
        if count:
            draws = empty(count, dtype=_dt.float64, device=input._backend).uniform_(lower, upper)
            noise[negative] = draws.to(input.dtype)
    if inplace:
        return input.mul_(noise)
    return input * noise


def rrelu_(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Any:  # noqa: A002
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)



# --- in-place forms of the activations that take inplace= ---

_threshold_fn = threshold  # the parameter of threshold_ below shadows the function's name


def elu_(input: Any, alpha: float = 1.0) -> Any:  # noqa: A002
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Any, negative_slope: float = 0.01) -> Any:  # noqa: A002
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:  # noqa: A002
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input: Any) -> Any:  # noqa: A002
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu_(input: Any, alpha: float = 1.0) -> Any:  # noqa: A002
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def threshold_(input: Any, threshold: float, value: float) -> Any:  # noqa: A002
    """In-place :func:`threshold`."""
    return _threshold_fn(input, threshold, value, inplace=True)

__all__ = [
    "relu", "relu_", "relu6", "hardtanh", "threshold", "leaky_relu", "elu", "selu", "celu", "softmax",
    "log_softmax", "softmin", "gelu", "silu", "mish", "softplus", "logsigmoid", "hardsigmoid", "hardswish",
    "softsign", "tanhshrink", "prelu", "softshrink", "hardshrink", "rrelu", "rrelu_", "celu_", "selu_", "threshold_",
]
TENSOR_METHODS: dict = {}
