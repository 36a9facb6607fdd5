"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, comparisons.

Each op: its declaration (name, node name, what its rule saves), its VJP rule
written in plugrad ops, its generic kernel, its samples, and the user-facing
function that applies PyTorch's type promotion before dispatch.
"""

from __future__ import annotations

from typing import Any

from ..kernels.array_api import direct, generic
from ..testing.samples import Sample, T, binary_samples, unary_samples
from ._promote import float_operand, promote
from .registry import defop

# --- add / sub ----------------------------------------------------------------------------


def _add_vjp(ctx: Any, g: Any) -> tuple:
    return g, g


ADD = defop("add", 2, vjp=_add_vjp, saves=((), ()), samples=binary_samples(),
            reference=lambda np, x, y: np.add(x, y))
direct("add")


def _sub_vjp(ctx: Any, g: Any) -> tuple:
    return g, -g


SUB = defop("sub", 2, vjp=_sub_vjp, saves=((), ()), samples=binary_samples(),
            reference=lambda np, x, y: np.subtract(x, y))
direct("sub", "subtract")


def add(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``input + alpha * other`` with broadcasting and type promotion."""
    if alpha != 1:
        other = mul(other, alpha)
    x, y = promote(input, other, "add")
    if not hasattr(x, "_data"):
        x, y = y, x  # Note: keeps the tensor first so `2 + x` records AddBackward0 with edges (x, None)
    return ADD.dispatch((x, y))


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``input - alpha * other`` with broadcasting and type promotion."""
    if alpha != 1:
        other = mul(other, alpha)
    x, y = promote(input, other, "sub")
    if not hasattr(x, "_data"):
        return rsub(y, x)
    return SUB.dispatch((x, y))


def _rsub_vjp(ctx: Any, g: Any) -> tuple:
    return (-g,)


RSUB = defop("rsub", 1, vjp=_rsub_vjp, node="RsubBackward1", saves=((),),
             samples=unary_samples(attrs=(2.5,)), reference=lambda np, x, s: s - x)


@generic("rsub")
def _rsub_kernel(xp: Any) -> Any:
    def rsub(x: Any, scalar: Any) -> Any:
        return xp.subtract(scalar, x)

    return rsub


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """``other - alpha * input``."""
    if alpha != 1:
        input = mul(input, alpha)
    if hasattr(other, "_data"):
        return sub(other, input)
    x, s = promote(input, other, "rsub")
    return RSUB.dispatch((x,), (s,))


# --- mul / div ----------------------------------------------------------------------------


def _mul_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    return (g * y if need[0] else None, g * x if need[1] else None)


MUL = defop("mul", 2, vjp=_mul_vjp, saves=((1,), (0,)), samples=binary_samples(),
            reference=lambda np, x, y: np.multiply(x, y))
direct("mul", "multiply")


def mul(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``input * other`` with broadcasting and type promotion."""
    x, y = promote(input, other, "mul")
    if not hasattr(x, "_data"):
        x, y = y, x
    return MUL.dispatch((x, y))


def _div_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    gx = g / y if need[0] else None
    gy = -g * x / (y * y) if need[1] else None
    return gx, gy


DIV = defop("div", 2, vjp=_div_vjp, saves=((1,), (0, 1)),
            samples=binary_samples(low=0.5, high=2.0), reference=lambda np, x, y: np.divide(x, y))
direct("div", "divide")


def _div_floor_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    return zeros_like(g), None


DIV_ROUNDED = defop("div_rounded", 2, vjp=_div_floor_vjp, node="DivBackward2", saves=((), ()),
                    supports_gradgrad=False)


@generic("div_rounded")
def _div_rounded_kernel(xp: Any) -> Any:
    def div_rounded(x: Any, y: Any, mode: str) -> Any:
        q = xp.divide(x, y)
        r = xp.floor(q) if mode == "floor" else xp.trunc(q)
        if xp.isdtype(x.dtype, "integral") if hasattr(xp, "isdtype") else False:
            return xp.astype(r, x.dtype) if hasattr(xp, "astype") else r.astype(x.dtype)
        return r

    return div_rounded


def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Any:  # noqa: A002
    """True division (integer inputs give the default float dtype), or floor/trunc with ``rounding_mode``."""
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
            )
        x, y = promote(input, other, "div")
        if not hasattr(x, "_data"):
            from ..factories import full_like

            x = full_like(y, x)
        return DIV_ROUNDED.dispatch((x, y), (rounding_mode,))
    x, y = promote(input, other, "div")
    if hasattr(x, "_data"):
        x = float_operand(x)
        if hasattr(y, "_data"):
            y = float_operand(y) if y.dtype is not x.dtype else y
            if y.dtype is not x.dtype:
                x, y = promote(x, y, "div")
        return DIV.dispatch((x, y))
    # scalar / tensor: PyTorch computes reciprocal(y) * x (MulBackward0 over ReciprocalBackward0)
    return mul(reciprocal(float_operand(y)), x)


true_divide = divide = div


def floor_divide(input: Any, other: Any) -> Any:  # noqa: A002
    return div(input, other, rounding_mode="floor")


def _neg_vjp(ctx: Any, g: Any) -> tuple:
    return (-g,)


NEG = defop("neg", 1, vjp=_neg_vjp, saves=((),), samples=unary_samples(),
            reference=lambda np, x: np.negative(x))
direct("neg", "negative")


def neg(input: Any) -> Any:  # noqa: A002
    """``-input``."""
    if input.dtype.category == 0:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )
    return NEG.dispatch((input,))


negative = neg


def _reciprocal_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (-g * out * out,)


RECIPROCAL = defop("reciprocal", 1, vjp=_reciprocal_vjp, saves=((-1,),),
                   samples=unary_samples(low=0.5, high=2.0), reference=lambda np, x: 1.0 / x)


@generic("reciprocal")
def _reciprocal_kernel(xp: Any) -> Any:
    def reciprocal(x: Any) -> Any:
        return xp.divide(xp.asarray(1, dtype=x.dtype), x)

    return reciprocal


def reciprocal(input: Any) -> Any:  # noqa: A002
    """``1 / input``."""
    return RECIPROCAL.dispatch((float_operand(input),))


# --- pow ----------------------------------------------------------------------------------


def _pow_scalar_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    (e,) = ctx.attrs
    if e == 0:
        from .creation import zeros_like

        return (zeros_like(g),)
    return (g * e * x ** (e - 1),)


POW = defop("pow", 1, vjp=_pow_scalar_vjp, node="PowBackward0", saves=((0,),),
            samples=lambda: [*unary_samples(attrs=(2,), low=0.5, high=2.0)(),
                             *unary_samples(attrs=(3,))(), *unary_samples(attrs=(-1.5,), low=0.5, high=2.0)(),
                             *unary_samples(attrs=(0.5,), low=0.5, high=2.0)()],
            reference=lambda np, x, e: np.power(x, e))


@generic("pow")
def _pow_kernel(xp: Any) -> Any:
    def pow_scalar(x: Any, e: Any) -> Any:
        if e == 2:
            return xp.multiply(x, x)
        return xp.pow(x, e) if hasattr(xp, "pow") else xp.power(x, e)

    return pow_scalar


def _pow_tensor_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    from .creation import where_zero
    gx = g * y * x ** (y - 1) if need[0] else None
    gy = None
    if need[1]:
        out = x ** y
        gy = g * out * where_zero(x, log(x))
    return gx, gy


POW_TENSOR = defop("pow_tensor", 2, vjp=_pow_tensor_vjp, node="PowBackward1", saves=((0, 1), (0, 1)),
                   samples=binary_samples(low=0.5, high=2.0), reference=lambda np, x, y: np.power(x, y))
direct("pow_tensor", "pow")


def _rpow_vjp(ctx: Any, g: Any) -> tuple:
    (base,) = ctx.attrs
    import math

    out = ctx.output
    return (g * out * math.log(base) if base > 0 else g * out * float("nan"),)


RPOW = defop("rpow", 1, vjp=_rpow_vjp, node="PowBackward2", saves=((-1,),),
             samples=unary_samples(attrs=(2.0,)), reference=lambda np, x, b: np.power(b, x))


@generic("rpow")
def _rpow_kernel(xp: Any) -> Any:
    def rpow(x: Any, base: Any) -> Any:
        return xp.pow(xp.asarray(base, dtype=x.dtype), x)

    return rpow


def pow(input: Any, exponent: Any) -> Any:  # noqa: A001,A002 - PyTorch's names
    """``input ** exponent``; either side may be a Python number."""
    if hasattr(input, "_data"):
        if hasattr(exponent, "_data"):
            x, y = promote(input, exponent, "pow")
            return POW_TENSOR.dispatch((x, y))
        x, _ = promote(input, exponent, "pow")
        return POW.dispatch((x,), (exponent,))
    x, y = promote(input, exponent, "pow")
    y = float_operand(y) if isinstance(input, float) else y
    return RPOW.dispatch((y,), (input,))


float_power = pow


# --- unary math ---------------------------------------------------------------------------


def _unary(name: str, vjp: Any, saves: Any, node: str | None = None, low: float = -1.0, high: float = 1.0,
           xp_name: str | None = None, ref: Any = None, gradgrad: bool = True) -> Any:
    op = defop(name, 1, vjp=vjp, saves=(saves,), node=node, samples=unary_samples(low=low, high=high),
               reference=ref or (lambda np, x, _n=xp_name or name: getattr(np, _n)(x)),
               supports_gradgrad=gradgrad)
    direct(name, xp_name)

    def fn(input: Any) -> Any:  # noqa: A002
        return op.dispatch((float_operand(input),))

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of ``input`` (integer inputs give the default float dtype)."
    return op, fn


EXP, exp = _unary("exp", lambda ctx, g: (g * ctx.output,), (-1,))
LOG, log = _unary("log", lambda ctx, g: (g / ctx.inputs[0],), (0,), low=0.5, high=2.0)
LOG1P, log1p = _unary("log1p", lambda ctx, g: (g / (ctx.inputs[0] + 1),), (0,), node="Log1PBackward0",
                      low=-0.5, high=1.0)
EXPM1, expm1 = _unary("expm1", lambda ctx, g: (g * (ctx.output + 1),), (-1,))
SQRT, sqrt = _unary("sqrt", lambda ctx, g: (g / (2 * ctx.output),), (-1,), low=0.5, high=2.0)
SIN, sin = _unary("sin", lambda ctx, g: (g * cos(ctx.inputs[0]),), (0,))
COS, cos = _unary("cos", lambda ctx, g: (-g * sin(ctx.inputs[0]),), (0,))
TANH, tanh = _unary("tanh", lambda ctx, g: (g * (1 - ctx.output * ctx.output),), (-1,))


def _tan_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (g * (1 + out * out),)


TAN, tan = _unary("tan", _tan_vjp, (-1,))


def _rsqrt_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (-0.5 * g * out * out * out,)


RSQRT = defop("rsqrt", 1, vjp=_rsqrt_vjp, saves=((-1,),), samples=unary_samples(low=0.5, high=2.0),
              reference=lambda np, x: 1 / np.sqrt(x))


@generic("rsqrt")
def _rsqrt_kernel(xp: Any) -> Any:
    def rsqrt(x: Any) -> Any:
        return xp.divide(xp.asarray(1, dtype=x.dtype), xp.sqrt(x))

    return rsqrt


def rsqrt(input: Any) -> Any:  # noqa: A002
    """``1 / sqrt(input)``."""
    return RSQRT.dispatch((float_operand(input),))


def _sigmoid_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (g * out * (1 - out),)


SIGMOID = defop("sigmoid", 1, vjp=_sigmoid_vjp, saves=((-1,),), samples=unary_samples(low=-3, high=3),
                reference=lambda np, x: 1 / (1 + np.exp(-x)))


@generic("sigmoid")
def _sigmoid_kernel(xp: Any) -> Any:
    def sigmoid(x: Any) -> Any:
        # Note: exp of a negative number only, so large |x| neither overflows nor loses precision.
        e = xp.exp(-xp.abs(x))
        one = xp.asarray(1, dtype=x.dtype)
        return xp.where(x >= 0, one / (one + e), e / (one + e))

    return sigmoid


def sigmoid(input: Any) -> Any:  # noqa: A002
    """``1 / (1 + exp(-input))``, computed without overflow."""
    return SIGMOID.dispatch((float_operand(input),))


__all__ = [
    "add", "sub", "rsub", "mul", "div", "true_divide", "divide", "floor_divide", "neg", "negative",
    "reciprocal", "pow", "float_power", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
    "tanh", "sigmoid",
]
_ = Sample, T
