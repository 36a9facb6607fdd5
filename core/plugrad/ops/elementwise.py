"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, comparisons.

Each op: its declaration (name, node name, what its rule saves), its VJP rule
written in plugrad ops, its generic kernel, its samples, and the user-facing
function that applies PyTorch's type promotion before dispatch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import direct, generic, is_complex_array
from ..testing.samples import Sample, T, binary_samples, unary_samples
from ._promote import _to, check_broadcast, float_operand, is_complex_data, promote
from .registry import Op, defop


def _write_out(fname: str, out: Any, inputs: tuple, compute: Callable[[], Any]) -> Any:
    """``out=`` support, shared with the other families (see ``shape.write_out``)."""
    from .shape import write_out

    return write_out(fname, out, inputs, compute)

# --- complex conjugation, and the convention of complex gradients ---------------------------
# Note: PyTorch's convention: the gradient of a real loss L with respect to z = x + iy is dL/dx + i dL/dy, so
# the rule of a holomorphic f gives grad * conj(f'(z)). The real path never pays for a conj: a rule conjugates
# only after one dtype lookup says the gradient is complex.


def _conj_physical_vjp(ctx: Any, g: Any) -> tuple:
    return (CONJ_PHYSICAL.dispatch((g,)),)


CONJ_PHYSICAL = defop("conj_physical", 1, vjp=_conj_physical_vjp, saves=((),), samples=unary_samples(),
                      reference=lambda np, x: np.conj(x))
direct("conj_physical", "conj")


def cj(t: Any) -> Any:
    """``conj(t)`` for a complex tensor or number, ``t`` itself for a real one (no op is run)."""
    if hasattr(t, "_data"):
        return CONJ_PHYSICAL.dispatch((t,)) if is_complex_data(t) else t
    return t.conjugate() if type(t) is complex else t


def holomorphic(rule: Any) -> Any:
    """The VJP rule of a holomorphic op from its real one, ``rule(ctx, g) = g * f'(x)``: for a complex gradient
    it gives ``g * conj(f'(x)) = conj(rule(ctx, conj(g)))``; a real gradient calls ``rule`` as it is."""

    def vjp(ctx: Any, g: Any) -> tuple:
        if is_complex_data(g):
            grads = rule(ctx, CONJ_PHYSICAL.dispatch((g,)))
            return tuple(None if r is None else CONJ_PHYSICAL.dispatch((r,)) for r in grads)
        return rule(ctx, g)

    vjp.__name__ = getattr(rule, "__name__", "vjp")
    return vjp


def conj_physical(input: Any) -> Any:  # noqa: A002
    """The complex conjugate of ``input``, computed now (ConjPhysicalBackward0); a real tensor is copied."""
    return CONJ_PHYSICAL.dispatch((input,))


# --- add / sub ----------------------------------------------------------------------------


def _add_vjp(ctx: Any, g: Any) -> tuple:
    return g, g


ADD = defop("add", 2, vjp=_add_vjp, saves=((), ()), samples=binary_samples(),
            reference=lambda np, x, y: np.add(x, y))
direct("add")


def _sub_vjp(ctx: Any, g: Any) -> tuple:
    return g, (-g if ctx.needs_input_grad[1] else None)


SUB = defop("sub", 2, vjp=_sub_vjp, saves=((), ()), samples=binary_samples(),
            reference=lambda np, x, y: np.subtract(x, y))
direct("sub", "subtract")


def add(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``input + alpha * other`` with broadcasting and type promotion."""
    if out is not None:
        return _write_out("add", out, (input, other), lambda: add(input, other, alpha=alpha))
    if alpha != 1:
        other = mul(other, alpha) if hasattr(other, "_data") else other * alpha
    x, y = promote(input, other, "add")
    if not hasattr(x, "_data"):
        x, y = y, x  # Note: keeps the tensor first so `2 + x` records AddBackward0 with edges (x, None)
    return ADD.dispatch((x, y))


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``input - alpha * other`` with broadcasting and type promotion."""
    if out is not None:
        return _write_out("sub", out, (input, other), lambda: sub(input, other, alpha=alpha))
    if alpha != 1:
        _check_bool_operands(input, other)
        other = mul(other, alpha) if hasattr(other, "_data") else other * alpha
    x, y = promote(input, other, "sub")
    if x is not input or y is not other or type(other) is bool:  # Note: a cast or a bool scalar: check for bools
        _check_bool_operands(input, other)
    if not hasattr(x, "_data"):
        return rsub(y, x)
    try:
        return SUB.dispatch((x, y))
    except TypeError:
        _check_bool_sub(x, y)
        raise


def _check_bool_operands(x: Any, y: Any) -> None:
    """PyTorch refuses subtraction when either operand (a tensor or a Python number) is a bool."""
    bx = x.dtype is _dt.bool_ if hasattr(x, "_data") else type(x) is bool
    by = y.dtype is _dt.bool_ if hasattr(y, "_data") else type(y) is bool
    if bx and by:
        _check_bool_sub(x, y)
    if bx or by:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )


def _check_bool_sub(x: Any, y: Any) -> None:
    """PyTorch refuses to subtract bools (array libraries word it their own way, or compute something)."""
    if (x.dtype is _dt.bool_ if hasattr(x, "_data") else type(x) is bool) and \
            (y.dtype is _dt.bool_ if hasattr(y, "_data") else type(y) is bool):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead."
        )


def _rsub_vjp(ctx: Any, g: Any) -> tuple:
    return (-g,)


RSUB = defop("rsub", 1, vjp=_rsub_vjp, node="RsubBackward1", saves=((),),
             samples=unary_samples(attrs=(2.5,)), reference=lambda np, x, s: s - x)


@generic("rsub")
def _rsub_kernel(xp: Any) -> Any:
    def rsub(x: Any, scalar: Any) -> Any:
        return xp.subtract(scalar, x)

    return rsub


subtract = sub


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """``other - alpha * input``."""
    if alpha != 1:
        input = mul(input, alpha)
    if hasattr(other, "_data"):
        return sub(other, input)
    _check_bool_operands(input, other)
    x, s = promote(input, other, "rsub")
    try:
        return RSUB.dispatch((x,), (s,))
    except TypeError:
        _check_bool_sub(x, s)
        raise


# --- mul / div ----------------------------------------------------------------------------


def _mul_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        x, y = cj(x), cj(y)
    return (g * y if need[0] else None, g * x if need[1] else None)


MUL = defop("mul", 2, vjp=_mul_vjp, saves=((1,), (0,)), samples=binary_samples(),
            reference=lambda np, x, y: np.multiply(x, y))
direct("mul", "multiply")


def mul(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``input * other`` with broadcasting and type promotion."""
    if out is not None:
        return _write_out("mul", out, (input, other), lambda: mul(input, other))
    x, y = promote(input, other, "mul")
    if not hasattr(x, "_data"):
        x, y = y, x
    return MUL.dispatch((x, y))


def _div_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        x, y = cj(x), cj(y)
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
                    supports_gradgrad=False,
                    samples=lambda: [Sample(s.args, (mode,), name=f"{s.name}_{mode}", gradcheck=s.gradcheck,
                                            gradgradcheck=False)
                                     for mode in ("floor", "trunc")
                                     for s in binary_samples(low=0.5, high=3.0, scalars=False)()],
                    reference=lambda np, x, y, mode: (np.floor if mode == "floor" else np.trunc)(x / y))


@generic("div_rounded")
def _div_rounded_kernel(xp: Any) -> Any:
    fmod = _fmod_array(xp)

    def floor_floating(x: Any, y: Any) -> Any:
        # PyTorch's div_floor_floating: (x - fmod(x, y)) / y, one less where the remainder's sign is not y's,
        # rounded to the nearest integer; a zero quotient carries the sign of x / y; division by zero is IEEE's.
        mod = fmod(x, y)
        q = (x - mod) / y
        q = xp.where((mod != 0) & ((y < 0) != (mod < 0)), q - 1, q)
        fl = xp.floor(q)
        fl = xp.where(q - fl > 0.5, fl + 1, fl)
        true = xp.divide(x, y)
        out = xp.where(q != 0, fl, xp.copysign(xp.zeros_like(true), true))
        return xp.where(y == 0, true, out)

    def div_rounded(x: Any, y: Any, mode: str) -> Any:
        if mode == "floor" and _is_floating_array(xp, x):
            return floor_floating(x, y)
        q = xp.divide(x, y)
        r = xp.floor(q) if mode == "floor" else xp.trunc(q)
        if xp.isdtype(x.dtype, "integral") if hasattr(xp, "isdtype") else False:
            return xp.astype(r, x.dtype) if hasattr(xp, "astype") else r.astype(x.dtype)
        return r

    return div_rounded


def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Any:  # noqa: A002
    """True division (integer inputs give the default float dtype), or floor/trunc with ``rounding_mode``."""
    if out is not None:
        return _write_out("div", out, (input, other), lambda: div(input, other, rounding_mode=rounding_mode))
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
            )
        x, y = promote(input, other, "div")
        if not hasattr(x, "_data"):
            from .creation import full_like

            x = full_like(y, x)
        _check_integer_divisor(x, y, f"div_{rounding_mode}_cpu")
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
multiply = mul


def _check_integer_divisor(x: Any, y: Any, kernel: str) -> None:
    """Integer division and remainder by zero raise as PyTorch's do; bool operands have no such kernel."""
    category = x.dtype.category
    if category == 0:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if category != 1:
        if category == 3:
            raise complex_refused(kernel, x)
        return
    if hasattr(y, "_data"):
        if y._data.size and bool(y._backend.namespace().any(y._data == 0)):
            raise RuntimeError("ZeroDivisionError")
    elif y == 0:
        raise RuntimeError("ZeroDivisionError")


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


RECIPROCAL = defop("reciprocal", 1, vjp=holomorphic(_reciprocal_vjp), saves=((-1,),),
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
    return (POW_BACKWARD.dispatch((g, x), (e,)),)


POW = defop("pow", 1, vjp=holomorphic(_pow_scalar_vjp), node="PowBackward0", saves=((0,),),
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


# pow_backward(g, x, e) = g * e * x ** (e - 1): pow's gradient as one op, so that a backend can run it in one
# pass. Recorded (with create_graph=True) as MulBackward0, the node PyTorch's composite pow_backward ends in.


def _pow_backward_vjp(ctx: Any, g: Any) -> tuple:
    grad, x = ctx.inputs
    (e,) = ctx.attrs
    need = ctx.needs_input_grad
    gg = POW_BACKWARD.dispatch((g, x), (e,)) if need[0] else None
    gx = None
    if need[1]:
        if e == 1:
            from .creation import zeros_like

            gx = zeros_like(g)
        else:
            gx = g * grad * (e * (e - 1)) * x ** (e - 2)
    return gg, gx


def _pow_backward_samples() -> list[Sample]:
    out = []
    for e, low in ((2, -1.0), (3, -1.0), (-1.5, 0.5), (0.5, 0.5), (1, -1.0)):
        for shape in ((), (5,), (3, 4)):
            out.append(Sample((T(shape), T(shape, low, 2.0)), (e,), name=f"e{e}_shape{list(shape)}"))
        out.append(Sample((T((0, 3)), T((0, 3), low, 2.0)), (e,), name=f"e{e}_empty", gradgradcheck=False))
    return out


POW_BACKWARD = defop("pow_backward", 2, vjp=holomorphic(_pow_backward_vjp), node="MulBackward0", saves=((1,), (0, 1)),
                     samples=_pow_backward_samples,
                     reference=lambda np, g, x, e: g * e * np.power(x, e - 1))


@generic("pow_backward")
def _pow_backward_kernel(xp: Any) -> Any:
    pow_scalar = _pow_kernel(xp)

    def pow_backward(g: Any, x: Any, e: Any) -> Any:
        return g * e * pow_scalar(x, e - 1)

    return pow_backward


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


POW_TENSOR = defop("pow_tensor", 2, vjp=holomorphic(_pow_tensor_vjp), node="PowBackward1", saves=((0, 1), (0, 1)),
                   samples=binary_samples(low=0.5, high=2.0), reference=lambda np, x, y: np.power(x, y))
direct("pow_tensor", "pow")


def _rpow_vjp(ctx: Any, g: Any) -> tuple:
    (base,) = ctx.attrs
    import math

    out = ctx.output
    return (g * out * math.log(base) if base > 0 else g * out * float("nan"),)


RPOW = defop("rpow", 1, vjp=holomorphic(_rpow_vjp), node="PowBackward2", saves=((-1,),),
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
            if x.dtype is _dt.bool_:
                raise NotImplementedError('"pow" not implemented for \'Bool\'')
            if x.dtype.category == 1:
                xp = x._backend.namespace()
                if bool(xp.any(y._data < 0)):
                    return _int_pow_negative(xp, x, y)
            return POW_TENSOR.dispatch((x, y))
        x, _ = promote(input, exponent, "pow")
        if type(exponent) is int and exponent < 0 and x.dtype.category == 1:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return POW.dispatch((x,), (exponent,))
    x, y = promote(input, exponent, "pow")
    y = float_operand(y) if isinstance(input, float) else y
    if type(input) is int and y.dtype.category == 1:
        xp = y._backend.namespace()
        if bool(xp.any(y._data < 0)):  # an integer base to negative integer powers: PyTorch's integer results
            from .creation import full_like

            return _int_pow_negative(xp, full_like(y, input), y)
    return RPOW.dispatch((y,), (input,))


def _int_pow_negative(xp: Any, x: Any, y: Any) -> Any:
    """Integer ``x ** y`` with some ``y < 0``, as PyTorch's integer kernel gives it (the array library refuses):
    1 for a base of 1, +-1 for -1, else 0."""
    from ..tensor import _wrap

    xd, yd = xp.broadcast_arrays(x._data, y._data)
    negative = yd < 0
    powered = xd ** xp.where(negative, 0, yd)
    minus_one = xp.where(yd % 2 == 0, 1, -1)
    small = xp.where(xd == 1, 1, xp.where(xd == -1, minus_one, 0))
    return _wrap(xp.where(negative, small, powered).astype(xd.dtype), x._backend)


def float_power(input: Any, exponent: Any) -> Any:  # noqa: A002
    """``input ** exponent`` computed in float64, as PyTorch's ``float_power`` does."""
    if hasattr(input, "_data"):
        input = _to(input, _dt.float64)
    if hasattr(exponent, "_data"):
        exponent = _to(exponent, _dt.float64)
    elif not hasattr(input, "_data"):
        raise TypeError("float_power(): expected at least one Tensor argument")
    return pow(input, exponent)


# --- unary math ---------------------------------------------------------------------------


def _unary(name: str, vjp: Any, saves: Any, node: str | None = None, low: float = -1.0, high: float = 1.0,
           xp_name: str | None = None, ref: Any = None, gradgrad: bool = True,
           factory: Any = None) -> tuple[Op, Callable[[Any], Any]]:
    op = defop(name, 1, vjp=holomorphic(vjp), saves=(saves,), node=node, samples=unary_samples(low=low, high=high),
               reference=ref or (lambda np, x, _n=xp_name or name: getattr(np, _n)(x)),
               supports_gradgrad=gradgrad)
    if factory is not None:
        generic(name)(factory)
    else:
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
def _sin_vjp(ctx: Any, g: Any) -> tuple:
    return (g * cos(ctx.inputs[0]),)


SIN, sin = _unary("sin", _sin_vjp, (0,))
COS, cos = _unary("cos", lambda ctx, g: (-g * sin(ctx.inputs[0]),), (0,))


# tanh_backward(g, out) = g * (1 - out * out) and sigmoid_backward(g, out) = g * out * (1 - out): the
# multiply-adds of their VJPs as single ops (PyTorch's tanh_backward / sigmoid_backward), one pass each.


def _tanh_backward_vjp(ctx: Any, g: Any) -> tuple:
    grad, out = ctx.inputs
    need = ctx.needs_input_grad
    return (TANH_BACKWARD.dispatch((g, out)) if need[0] else None,
            -2 * out * grad * g if need[1] else None)


def _sigmoid_backward_vjp(ctx: Any, g: Any) -> tuple:
    grad, out = ctx.inputs
    need = ctx.needs_input_grad
    return (SIGMOID_BACKWARD.dispatch((g, out)) if need[0] else None,
            g * grad * (1 - 2 * out) if need[1] else None)


def _output_grad_samples(low: float, high: float) -> Any:
    """(grad, output) pairs for the backward ops of tanh and sigmoid, outputs drawn from their range."""

    def gen() -> list[Sample]:
        out = [Sample((T(shape), T(shape, low, high)), name=f"shape{list(shape)}")
               for shape in ((), (5,), (3, 4), (2, 3, 2))]
        out.append(Sample((T((0, 3)), T((0, 3), low, high)), name="empty", gradgradcheck=False))
        return out

    return gen


TANH_BACKWARD = defop("tanh_backward", 2, vjp=holomorphic(_tanh_backward_vjp), saves=((1,), (0, 1)),
                      samples=_output_grad_samples(-0.9, 0.9), reference=lambda np, g, out: g * (1 - out * out))
SIGMOID_BACKWARD = defop("sigmoid_backward", 2, vjp=holomorphic(_sigmoid_backward_vjp), saves=((1,), (0, 1)),
                         samples=_output_grad_samples(0.1, 0.9), reference=lambda np, g, out: g * out * (1 - out))


@generic("tanh_backward")
def _tanh_backward_kernel(xp: Any) -> Any:
    def tanh_backward(g: Any, out: Any) -> Any:
        return g * (1 - out * out)

    return tanh_backward


@generic("sigmoid_backward")
def _sigmoid_backward_kernel(xp: Any) -> Any:
    def sigmoid_backward(g: Any, out: Any) -> Any:
        return g * out * (1 - out)

    return sigmoid_backward


TANH, tanh = _unary("tanh", lambda ctx, g: (TANH_BACKWARD.dispatch((g, ctx.output)),), (-1,))


def _tan_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (g * (1 + out * out),)


TAN, tan = _unary("tan", _tan_vjp, (-1,))


def _rsqrt_vjp(ctx: Any, g: Any) -> tuple:
    out = ctx.output
    return (-0.5 * g * out * out * out,)


RSQRT = defop("rsqrt", 1, vjp=holomorphic(_rsqrt_vjp), saves=((-1,),), samples=unary_samples(low=0.5, high=2.0),
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
    return (SIGMOID_BACKWARD.dispatch((g, ctx.output)),)


SIGMOID = defop("sigmoid", 1, vjp=holomorphic(_sigmoid_vjp), saves=((-1,),), samples=unary_samples(low=-3, high=3),
                reference=lambda np, x: 1 / (1 + np.exp(-x)))


@generic("sigmoid")
def _sigmoid_kernel(xp: Any) -> Any:
    def sigmoid(x: Any) -> Any:
        if is_complex_array(xp, x):
            one = xp.asarray(1, dtype=x.dtype)
            return one / (one + xp.exp(-x))
        # Note: exp of a negative number only, so large |x| neither overflows nor loses precision.
        e = xp.exp(-xp.abs(x))
        one = xp.asarray(1, dtype=x.dtype)
        return xp.where(x >= 0, one / (one + e), e / (one + e))

    return sigmoid


def sigmoid(input: Any) -> Any:  # noqa: A002
    """``1 / (1 + exp(-input))``, computed without overflow."""
    return SIGMOID.dispatch((float_operand(input),))


def _astype(xp: Any, x: Any, dtype: Any) -> Any:
    return xp.astype(x, dtype) if hasattr(xp, "astype") else x.astype(dtype)


def _short(d: Any) -> str:
    """PyTorch's short dtype name in kernel errors: 'Float', 'Long', 'Bool'."""
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _not_implemented(kernel: str, t: Any, fix: str) -> NotImplementedError:
    # Note: PyTorch raises NotImplementedError (a RuntimeError) for a kernel missing for a dtype.
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_short(t.dtype)}'; {fix}")


def complex_refused(kernel: str, t: Any) -> NotImplementedError:
    """PyTorch's error for a real-only kernel given a complex tensor (no hint: there is no conversion to suggest)."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_short(t.dtype)}'")


def _zero_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    return (zeros_like(g),)


def _where(cond: Any, a: Any, b: Any) -> Any:
    from .comparison import where

    return where(cond, a, b)


# --- more unary math ----------------------------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

LOG2, log2 = _unary("log2", lambda ctx, g: (g / (ctx.inputs[0] * _LN2),), (0,), low=0.5, high=2.0)
LOG10, log10 = _unary("log10", lambda ctx, g: (g / (ctx.inputs[0] * _LN10),), (0,), low=0.5, high=2.0)
def _sinh_vjp(ctx: Any, g: Any) -> tuple:
    return (g * cosh(ctx.inputs[0]),)


SINH, sinh = _unary("sinh", _sinh_vjp, (0,))
COSH, cosh = _unary("cosh", lambda ctx, g: (g * sinh(ctx.inputs[0]),), (0,))
ATAN, atan = _unary("atan", lambda ctx, g: (g / (ctx.inputs[0] * ctx.inputs[0] + 1),), (0,))
ASIN, asin = _unary("asin", lambda ctx, g: (g * rsqrt(1 - ctx.inputs[0] * ctx.inputs[0]),), (0,),
                    low=-0.9, high=0.9)
ACOS, acos = _unary("acos", lambda ctx, g: (-(g * rsqrt(1 - ctx.inputs[0] * ctx.inputs[0])),), (0,),
                    low=-0.9, high=0.9)
ASINH, asinh = _unary("asinh", lambda ctx, g: (g * rsqrt(ctx.inputs[0] * ctx.inputs[0] + 1),), (0,))
ACOSH, acosh = _unary("acosh", lambda ctx, g: (g * rsqrt(ctx.inputs[0] * ctx.inputs[0] - 1),), (0,),
                      low=1.2, high=3.0)
ATANH, atanh = _unary("atanh", lambda ctx, g: (g / (1 - ctx.inputs[0] * ctx.inputs[0]),), (0,),
                      low=-0.9, high=0.9)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def _exp2_kernel(xp: Any) -> Any:
    def exp2(x: Any) -> Any:
        return xp.pow(xp.asarray(2, dtype=x.dtype), x)

    return exp2


EXP2, exp2 = _unary("exp2", lambda ctx, g: (g * ctx.output * _LN2,), (-1,), factory=_exp2_kernel,
                    ref=lambda np, x: np.exp2(x))


# erf and erfc: the fdlibm (s_erf.c) rational approximations, accurate to about one ulp in float64.
# The array API has no erf; these are written once over `xp`.
_ERX = 8.45062911510467529297e-01
_EFX = 1.28379167095512586316e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)


def _poly(z: Any, coeffs: tuple) -> Any:
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * z + c
    return acc


def _erf_pieces(xp: Any, x: Any) -> tuple:
    """(ax, small, mid, tail): |x|, erf on |x| < 0.84375, erf(|x|) - erx on [0.84375, 1.25), and
    erfc(|x|) for |x| >= 1.25; each is computed everywhere on arguments kept in its range (no
    spurious overflow), and the caller selects."""
    ax = xp.abs(x)
    zero = xp.asarray(0, dtype=x.dtype)
    xs = xp.where(ax < 0.84375, x, zero)
    z = xs * xs
    small = xs + xs * (_poly(z, _PP) / _poly(z, _QQ))
    s = xp.where(ax < 1.25, ax, zero + 1) - 1
    mid = _poly(s, _PA) / _poly(s, _QA)
    big = xp.where(ax < 1.25, zero + 1.25, xp.where(ax >= 28, zero + 28, ax))  # NaN stays NaN
    s = 1 / (big * big)
    r = xp.where(big < 1 / 0.35, _poly(s, _RA) / _poly(s, _SA), _poly(s, _RB) / _poly(s, _SB))
    # Note: exp(-x*x) loses about x*x ulps; split x = hi + (x - hi) with hi*hi exact, as fdlibm does.
    step = 2.0 ** 20 if x.dtype == xp.float64 else 2.0 ** 8
    hi = xp.floor(big * step) / step
    tail = xp.exp(-hi * hi - 0.5625) * xp.exp((hi - big) * (hi + big) + r) / big
    return ax, small, mid, tail


@generic("erf")
def _erf_kernel(xp: Any) -> Any:
    def erf(x: Any) -> Any:
        ax, small, mid, tail = _erf_pieces(xp, x)
        one = xp.asarray(1, dtype=x.dtype)
        signed = xp.where(x < 0, -one, one)
        # Note: NaN fails every comparison, so it must land in a branch that propagates it.
        return xp.where(ax < 0.84375, small,
                        signed * xp.where(ax < 1.25, _ERX + mid, xp.where(ax >= 6, one, 1 - tail)))

    return erf


@generic("erfc")
def _erfc_kernel(xp: Any) -> Any:
    def erfc(x: Any) -> Any:
        ax, small, mid, tail = _erf_pieces(xp, x)
        neg = x < 0
        tail = xp.where(ax >= 28, xp.asarray(0, dtype=x.dtype), tail)
        return xp.where(ax < 0.84375, 1 - small,
                        xp.where(ax < 1.25, xp.where(neg, 1 + _ERX + mid, 1 - _ERX - mid),
                                 xp.where(neg, 2 - tail, tail)))

    return erfc


ERF = defop("erf", 1, vjp=lambda ctx, g: (g * _TWO_OVER_SQRT_PI * exp(-ctx.inputs[0] * ctx.inputs[0]),),
            saves=((0,),), samples=unary_samples(low=-3.0, high=3.0),
            reference=lambda np, x: np.vectorize(math.erf, otypes=[x.dtype])(x))
ERFC = defop("erfc", 1, vjp=lambda ctx, g: (-g * _TWO_OVER_SQRT_PI * exp(-ctx.inputs[0] * ctx.inputs[0]),),
             saves=((0,),), samples=unary_samples(low=-3.0, high=3.0),
             reference=lambda np, x: np.vectorize(math.erfc, otypes=[x.dtype])(x))


def erf(input: Any) -> Any:  # noqa: A002
    """The error function (integer inputs give the default float dtype)."""
    if is_complex_data(input):
        raise complex_refused("erf_vml_cpu", input)
    return ERF.dispatch((float_operand(input),))


def erfc(input: Any) -> Any:  # noqa: A002
    """``1 - erf(input)``, accurate also where erf is close to 1."""
    if is_complex_data(input):
        raise complex_refused("erfc_vml_cpu", input)
    return ERFC.dispatch((float_operand(input),))


# --- abs, sign and the rounding family ------------------------------------------------------


def _abs_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    if is_complex_data(x):
        from .special import sgn

        return (g * sgn(x),)  # Note: a real gradient times x / |x| (0 at 0), complex as the input
    return (g * sign(x),)


ABS = defop("abs", 1, vjp=_abs_vjp, saves=((0,),), samples=unary_samples(),
            reference=lambda np, x: np.abs(x))
direct("abs")


def abs(input: Any) -> Any:  # noqa: A001,A002 - PyTorch's names
    """``|input|``; integer tensors stay integer."""
    if input.dtype is _dt.bool_:
        raise _not_implemented("abs_cpu", input, "convert the bool tensor with .int() or .float() first")
    return ABS.dispatch((input,))


absolute = abs


SIGN = defop("sign", 1, vjp=_zero_vjp, saves=((),), samples=unary_samples(), supports_gradgrad=False,
             reference=lambda np, x: np.sign(x))


@generic("sign")
def _sign_kernel(xp: Any) -> Any:
    def sign(x: Any) -> Any:
        if x.dtype == xp.bool:
            return xp.asarray(x, copy=True)
        # Note: (x > 0) - (x < 0), as PyTorch computes it: sign(nan) is 0 and sign(-0.0) is 0.
        return _astype(xp, x > 0, x.dtype) - _astype(xp, x < 0, x.dtype)

    return sign


def sign(input: Any) -> Any:  # noqa: A002
    """-1, 0 or 1 by the sign of each element (0 for NaN), in ``input``'s dtype; zero gradient."""
    if is_complex_data(input):
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    return SIGN.dispatch((input,))


def _rounding(name: str, kernel: str, complex_error: str) -> Any:
    op = defop(name, 1, vjp=_zero_vjp, saves=((),), samples=unary_samples(low=-3.0, high=3.0),
               supports_gradgrad=False, reference=lambda np, x, _n=name: getattr(np, _n)(x))
    direct(name)

    def fn(input: Any) -> Any:  # noqa: A002
        category = input.dtype.category
        if category == 0:
            raise _not_implemented(kernel, input, "convert the bool tensor with .int() or .float() first")
        if category == 3:
            raise NotImplementedError(complex_error or f"\"{kernel}\" not implemented for '{_short(input.dtype)}'")
        return op.dispatch((input,))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integer tensors are returned as they are, and the gradient is zero."
    return op, fn


FLOOR, floor = _rounding("floor", "floor_vml_cpu", "floor is not supported for complex inputs")
CEIL, ceil = _rounding("ceil", "ceil_vml_cpu", "ceil is not supported for complex inputs")
TRUNC, trunc = _rounding("trunc", "trunc_vml_cpu", "trunc is not supported for complex inputs")
fix = trunc
ROUND, _round_half_even = _rounding("round", "round_vml_cpu", "")
ROUND_DECIMALS = defop("round_decimals", 1, vjp=_zero_vjp, node="RoundBackward1", saves=((),),
                       supports_gradgrad=False,
                       samples=lambda: [*unary_samples(attrs=(2,), low=-3.0, high=3.0)(),
                                        *unary_samples(attrs=(-1,), low=-300.0, high=300.0)()],
                       reference=lambda np, x, d: (np.round(x * x.dtype.type(10.0 ** d)) / x.dtype.type(10.0 ** d)
                                                   if d > 0 else np.round(x / x.dtype.type(10.0 ** -d))
                                                   * x.dtype.type(10.0 ** -d)))


@generic("round_decimals")
def _round_decimals_kernel(xp: Any) -> Any:
    def round_decimals(x: Any, decimals: int) -> Any:
        # PyTorch's formula: nearbyint(x * 10^d) / 10^d, or nearbyint(x / 10^-d) * 10^-d for d < 0.
        if decimals > 0:
            scale = xp.asarray(10.0 ** decimals, dtype=x.dtype)
            return xp.round(x * scale) / scale
        scale = xp.asarray(10.0 ** -decimals, dtype=x.dtype)
        return xp.round(x / scale) * scale

    return round_decimals


def round(input: Any, *, decimals: int = 0) -> Any:  # noqa: A001,A002 - PyTorch's names
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...); zero gradient."""
    if decimals == 0:
        return _round_half_even(input)
    if not input.dtype.is_floating_point:
        if input.dtype.is_complex:
            raise complex_refused("round_cpu", input)
        raise _not_implemented("round_cpu", input, "round(decimals=...) needs a floating point tensor")
    return ROUND_DECIMALS.dispatch((input,), (int(decimals),))


FRAC = defop("frac", 1, vjp=lambda ctx, g: (g,), saves=((),), samples=unary_samples(low=-3.0, high=3.0),
             reference=lambda np, x: x - np.trunc(x))


@generic("frac")
def _frac_kernel(xp: Any) -> Any:
    def frac(x: Any) -> Any:
        return x - xp.trunc(x)

    return frac


def frac(input: Any) -> Any:  # noqa: A002
    """``input - trunc(input)``: the fractional part, with the sign of ``input``."""
    if not input.dtype.is_floating_point:
        if input.dtype.is_complex:
            raise complex_refused("frac_cpu", input)
        raise _not_implemented("frac_cpu", input, "frac needs a floating point tensor; use .float() first")
    return FRAC.dispatch((input,))


def square(input: Any) -> Any:  # noqa: A002
    """``input * input``, recorded as PyTorch records it: ``pow(input, 2)`` (PowBackward0); bool gives int64."""
    if input.dtype is _dt.bool_:
        input = _to(input, _dt.int64)
    return pow(input, 2)


# --- remainder and fmod -------------------------------------------------------------------


def _modulo(name: str, rounding: str, node_tensor: str, node_scalar: str) -> Any:
    def vjp_tensor(ctx: Any, g: Any) -> tuple:
        need = ctx.needs_input_grad
        gy = None
        if need[1]:
            x, y = ctx.inputs
            gy = -g * div(x, y, rounding_mode=rounding)
        return (g if need[0] else None, gy)

    ref_fn = "remainder" if name == "remainder" else "fmod"
    op_t = defop(name, 2, vjp=vjp_tensor, node=node_tensor, saves=((), (0, 1)),
                 samples=binary_samples(low=0.5, high=3.0),
                 reference=lambda np, x, y, _n=ref_fn: getattr(np, _n)(x, y))
    op_s = defop(name + "_scalar", 1, vjp=lambda ctx, g: (g,), node=node_scalar, saves=((),),
                 samples=lambda: [*unary_samples(attrs=(0.75,), low=-3.0, high=3.0)(),
                                  *unary_samples(attrs=(-1.25,), low=-3.0, high=3.0)()],
                 reference=lambda np, x, s, _n=ref_fn: getattr(np, _n)(x, x.dtype.type(s)))
    return op_t, op_s


REMAINDER, REMAINDER_SCALAR = _modulo("remainder", "floor", "RemainderBackward1", "RemainderBackward0")
FMOD, FMOD_SCALAR = _modulo("fmod", "trunc", "FmodBackward1", "FmodBackward0")


def _is_floating_array(xp: Any, x: Any) -> bool:
    if hasattr(xp, "isdtype"):
        return bool(xp.isdtype(x.dtype, "real floating"))
    return getattr(x.dtype, "kind", "") == "f"


@generic("remainder")
def _remainder_kernel(xp: Any) -> Any:
    fmod = _fmod_array(xp)

    # PyTorch's floating remainder: C's fmod moved by y where its sign differs from y's, so a zero result keeps
    # the sign of x (NumPy's gives it y's sign). Integers: the floored remainder, which NumPy's is.
    def remainder(x: Any, y: Any) -> Any:
        if not _is_floating_array(xp, x):
            return xp.remainder(x, y)
        r = fmod(x, y)
        return xp.where((r != 0) & ((y < 0) != (r < 0)), r + y, r)

    return remainder


def _fmod_array(xp: Any) -> Any:
    native = getattr(xp, "fmod", None)
    if native is not None:
        return native

    def fmod(x: Any, y: Any) -> Any:
        # C's fmod from the floored remainder: move results whose sign differs from x's back by y.
        r = xp.remainder(x, y)
        return xp.where((r != 0) & ((r < 0) != (x < 0)), r - y, r)

    return fmod


generic("fmod")(_fmod_array)


@generic("remainder_scalar")
def _remainder_scalar_kernel(xp: Any) -> Any:
    remainder = _remainder_kernel(xp)

    def remainder_scalar(x: Any, s: Any) -> Any:
        return remainder(x, xp.asarray(s, dtype=x.dtype))

    return remainder_scalar


@generic("fmod_scalar")
def _fmod_scalar_kernel(xp: Any) -> Any:
    fmod = _fmod_array(xp)

    def fmod_scalar(x: Any, s: Any) -> Any:
        return fmod(x, xp.asarray(s, dtype=x.dtype))

    return fmod_scalar


def _modulo_dispatch(name: str, op_t: Any, op_s: Any, input: Any, other: Any) -> Any:  # noqa: A002
    x, y = promote(input, other, name)
    if not hasattr(x, "_data"):
        from .creation import full_like

        x = full_like(y, x)
    _check_integer_divisor(x, y, f"{name}_cpu")
    if hasattr(y, "_data"):
        return op_t.dispatch((x, y))
    return op_s.dispatch((x,), (y,))


def remainder(input: Any, other: Any) -> Any:  # noqa: A002
    """Python's ``%``: the remainder of floored division, with the sign of ``other``."""
    return _modulo_dispatch("remainder", REMAINDER, REMAINDER_SCALAR, input, other)


def fmod(input: Any, other: Any) -> Any:  # noqa: A002
    """C's ``fmod``: the remainder of truncated division, with the sign of ``input``."""
    _require_input("fmod", input, _TENSOR_OR_NUMBER_OTHER)
    return _modulo_dispatch("fmod", FMOD, FMOD_SCALAR, input, other)


# --- maximum / minimum / atan2 / lerp ---------------------------------------------------------


def _require_tensor(name: str, other: Any) -> None:
    if not hasattr(other, "_data"):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _require_input(name: str, input: Any, overloads: str = "") -> None:  # noqa: A002
    """PyTorch's TypeError for a first operand that is not a tensor (``overloads``: its signatures, where
    PyTorch lists them instead)."""
    if hasattr(input, "_data"):
        return
    if overloads:
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"Tensor), but expected one of:\n{overloads}")
    raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


_TENSOR_OR_NUMBER_OTHER = (" * (Tensor input, Tensor other, *, Tensor out = None)\n"
                           " * (Tensor input, Number other, *, Tensor out = None)")


def _extremum_vjp(loses_x: Any, loses_y: Any) -> Any:
    # Note: where the inputs tie each gets half the gradient, as in PyTorch.
    def vjp(ctx: Any, g: Any) -> tuple:
        from .comparison import eq

        x, y = ctx.inputs
        need = ctx.needs_input_grad
        shared = _where(eq(x, y), g / 2, g)
        return (_where(loses_x(x, y), 0.0, shared) if need[0] else None,
                _where(loses_y(x, y), 0.0, shared) if need[1] else None)

    return vjp


def _lt(a: Any, b: Any) -> Any:
    from .comparison import lt

    return lt(a, b)


def _gt(a: Any, b: Any) -> Any:
    from .comparison import gt

    return gt(a, b)


MAXIMUM = defop("maximum", 2, vjp=_extremum_vjp(_lt, _gt), saves=((0, 1), (0, 1)),
                samples=lambda: [*binary_samples(scalars=False)(),
                                 Sample((T((4,), values=[1.0, 2.0, 3.0, -1.0]), T((4,), values=[1.0, 0.5, 3.0, 2.0])),
                                        name="ties", gradcheck=False)],
                reference=lambda np, x, y: np.maximum(x, y))
MINIMUM = defop("minimum", 2, vjp=_extremum_vjp(_gt, _lt), saves=((0, 1), (0, 1)),
                samples=lambda: [*binary_samples(scalars=False)(),
                                 Sample((T((4,), values=[1.0, 2.0, 3.0, -1.0]), T((4,), values=[1.0, 0.5, 3.0, 2.0])),
                                        name="ties", gradcheck=False)],
                reference=lambda np, x, y: np.minimum(x, y))
# Of two equal values (0.0 and -0.0) PyTorch's maximum and minimum give the first, NumPy's the second.
generic("maximum")(lambda xp: lambda x, y: xp.maximum(y, x))
generic("minimum")(lambda xp: lambda x, y: xp.minimum(y, x))


def maximum(input: Any, other: Any) -> Any:  # noqa: A002
    """Elementwise larger of two tensors (NaN wins); ties split the gradient in halves."""
    _require_input("maximum", input)
    _require_tensor("maximum", other)
    x, y = promote(input, other, "maximum")
    if is_complex_data(x):
        raise RuntimeError("maximum not implemented for complex tensors.")
    return MAXIMUM.dispatch((x, y))


def minimum(input: Any, other: Any) -> Any:  # noqa: A002
    """Elementwise smaller of two tensors (NaN wins); ties split the gradient in halves."""
    _require_input("minimum", input)
    _require_tensor("minimum", other)
    x, y = promote(input, other, "minimum")
    if is_complex_data(x):
        raise RuntimeError("minimum not implemented for complex tensors.")
    return MINIMUM.dispatch((x, y))


def _atan2_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    scale = g / (x * x + y * y)
    return (scale * y if need[0] else None, scale * -x if need[1] else None)


ATAN2 = defop("atan2", 2, vjp=_atan2_vjp, saves=((0, 1), (0, 1)),
              samples=binary_samples(low=0.5, high=2.0, scalars=False), reference=lambda np, x, y: np.arctan2(x, y))
direct("atan2")


def atan2(input: Any, other: Any) -> Any:  # noqa: A002
    """The angle of the point ``(other, input)``, in ``(-pi, pi]``; integer inputs give the default float dtype."""
    _require_input("atan2", input)
    _require_tensor("atan2", other)
    x, y = promote(input, other, "atan2")
    if x.dtype.category == 3:
        raise complex_refused("atan2_cpu", x)
    x = float_operand(x)
    if y.dtype is not x.dtype:
        y = _to(y, x.dtype)
    return ATAN2.dispatch((x, y))


arctan2 = atan2


def _lerp_vjp(ctx: Any, g: Any) -> tuple:
    (w,) = ctx.attrs
    need = ctx.needs_input_grad
    return (g * (1 - w) if need[0] else None, g * w if need[1] else None)


def _lerp_tensor_vjp(ctx: Any, g: Any) -> tuple:
    x, end, w = ctx.inputs
    need = ctx.needs_input_grad
    return (g * (1 - w) if need[0] else None, g * w if need[1] else None, g * (end - x) if need[2] else None)


LERP = defop("lerp", 2, vjp=holomorphic(_lerp_vjp), node="LerpBackward0", saves=((), ()),
             samples=lambda: [Sample((T((3, 4)), T((3, 4))), (0.3,), name="low_weight"),
                              Sample((T((3, 4)), T((4,))), (0.8,), name="broadcast_high_weight")],
             reference=lambda np, x, end, w: x + w * (end - x))
LERP_TENSOR = defop("lerp_tensor", 3, vjp=holomorphic(_lerp_tensor_vjp), node="LerpBackward1", saves=((2,), (2,), (0, 1)),
                    samples=lambda: [Sample((T((3, 4)), T((3, 4)), T((3, 4), 0.0, 1.0)), name="same"),
                                     Sample((T((3, 4)), T((4,)), T((3, 1), 0.0, 1.0)), name="broadcast")],
                    reference=lambda np, x, end, w: x + w * (end - x))


@generic("lerp")
def _lerp_kernel(xp: Any) -> Any:
    def lerp(x: Any, end: Any, w: Any) -> Any:
        diff = end - x
        if (w.real * w.real + w.imag * w.imag if type(w) is complex else w * w) < 0.25:
            return x + w * diff
        return end - diff * (1 - w)

    return lerp


@generic("lerp_tensor")
def _lerp_tensor_kernel(xp: Any) -> Any:
    def lerp_tensor(x: Any, end: Any, w: Any) -> Any:
        # PyTorch's formula, exact at both ends: start from the nearer endpoint.
        diff = end - x
        return xp.where(xp.abs(w) < 0.5, x + w * diff, end - diff * (1 - w))

    return lerp_tensor


def lerp(input: Any, end: Any, weight: Any) -> Any:  # noqa: A002
    """``input + weight * (end - input)``; ``weight`` is a number or a tensor."""
    _require_tensor("lerp", end)
    if input.dtype is not end.dtype:
        raise RuntimeError(f"expected dtype {input.dtype.name} for `end` but got dtype {end.dtype.name}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise _not_implemented("lerp_kernel_scalar", input, "lerp needs floating point tensors")
    if hasattr(weight, "_data"):
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {input.dtype.name} for `weight` but got dtype {weight.dtype.name}")
        return LERP_TENSOR.dispatch((input, end, weight))
    return LERP.dispatch((input, end), (weight,))


# --- addcmul / addcdiv ----------------------------------------------------------------------
# input + value * tensor1 * tensor2 and input + value * tensor1 / tensor2 in one op (the optimizers' updates),
# computed in PyTorch's order: (value * tensor1) first, then * or / tensor2, then + input.


def _addcmul_vjp(ctx: Any, g: Any) -> tuple:
    _, t1, t2 = ctx.inputs
    (value,) = ctx.attrs
    need = ctx.needs_input_grad
    return (g if need[0] else None,
            g * (t2 if value == 1 else t2 * value) if need[1] else None,
            g * (t1 if value == 1 else t1 * value) if need[2] else None)


def _addcdiv_vjp(ctx: Any, g: Any) -> tuple:
    _, t1, t2 = ctx.inputs
    (value,) = ctx.attrs
    need = ctx.needs_input_grad
    return (g if need[0] else None,
            g * (value / t2) if need[1] else None,
            -g * (value * t1 / (t2 * t2)) if need[2] else None)


def _addc_samples(low: float, high: float) -> Any:
    """Three-tensor samples: equal shapes, each operand broadcasting, 0-d, empty; ``tensor2`` in [low, high)."""

    def gen() -> list[Sample]:
        cases = (((3, 4), (3, 4), (3, 4), 1, "same"),
                 ((3, 4), (4,), (3, 1), 0.5, "broadcast_operands"),
                 ((4,), (3, 1), (2, 1, 1), -2.0, "broadcast_input"),
                 ((), (), (), 0.75, "zero_dim"),
                 ((2, 3), (), (3,), 1.5, "zero_dim_tensor1"),
                 ((0, 3), (3,), (0, 1), 0.5, "empty"))
        return [Sample((T(s0), T(s1), T(s2, low, high)), (value,), name=name, gradgradcheck=name != "empty")
                for s0, s1, s2, value, name in cases]

    return gen


ADDCMUL = defop("addcmul", 3, vjp=holomorphic(_addcmul_vjp), saves=((), (2,), (1,)), samples=_addc_samples(-1.0, 1.0),
                reference=lambda np, x, t1, t2, value: x + value * t1 * t2)
ADDCDIV = defop("addcdiv", 3, vjp=holomorphic(_addcdiv_vjp), saves=((), (2,), (1, 2)), samples=_addc_samples(0.5, 2.0),
                reference=lambda np, x, t1, t2, value: x + value * t1 / t2)


@generic("addcmul")
def _addcmul_kernel(xp: Any) -> Any:
    def addcmul(x: Any, t1: Any, t2: Any, value: Any) -> Any:
        return x + t1 * value * t2

    return addcmul


@generic("addcdiv")
def _addcdiv_kernel(xp: Any) -> Any:
    def addcdiv(x: Any, t1: Any, t2: Any, value: Any) -> Any:
        return x + t1 * value / t2

    return addcdiv


_ADDC_ARGS = ("input", "tensor1", "tensor2")
# The C++ type PyTorch names when ``value`` does not fit the result's dtype (half precision computes in float).
_VALUE_CTYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
                 "float16": "float", "float32": "float", "float64": "double"}
_FLOAT32_MAX = 3.4028234663852886e38
_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes."
)


def _require_tensors(fname: str, args: tuple, first: int = 1) -> None:
    """PyTorch's argument error for an operand of addcmul / addcdiv that is not a tensor (the last ``len(args)``
    of input, tensor1, tensor2, numbered from ``first``)."""
    for i, a in enumerate(args):
        if not hasattr(a, "_data"):
            name = _ADDC_ARGS[i + 3 - len(args)]
            raise TypeError(f"{fname}(): argument '{name}' (position {i + first}) must be Tensor, "
                            f"not {type(a).__name__}")


def _addc_value(fname: str, value: Any, target: Any) -> Any:
    """``value`` as a number of the result's dtype: truncated for integer results, as PyTorch converts it."""
    if hasattr(value, "_data") and value._data.ndim == 0:
        value = value.item()  # a 0-d tensor counts as a number, as in PyTorch
    if hasattr(value, "_data") or not isinstance(value, numbers.Number):
        raise TypeError(f"{fname}(): argument 'value' must be Number, not {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        value = int(value)
        if not -(1 << 63) <= value < 1 << 63:
            raise OverflowError("int too big to convert")
    if target.category == 3:
        return complex(value)
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        if value.imag != 0:
            raise _value_overflow(fname, value, target)
        value = value.real
    if target.category == 2:
        v = float(value)
        if target is not _dt.float64 and math.isfinite(v) and not -_FLOAT32_MAX <= v <= _FLOAT32_MAX:
            raise _value_overflow(fname, value, target)
        return v
    if not isinstance(value, int):
        if not math.isfinite(value):
            raise _value_overflow(fname, value, target)
        value = int(value)
    bits = 8 * target.itemsize
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if target.is_signed else (0, (1 << bits) - 1)
    if not lo <= value <= hi:
        raise _value_overflow(fname, value, target)
    return value


def _value_overflow(fname: str, value: Any, target: Any) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {_VALUE_CTYPES.get(target.name, target.name)} without "
                        f"overflow ({fname}: value={value!r} for a {target.name} result; pass a value that dtype "
                        f"holds, or cast the tensors to a wider dtype first)")


def _addc(fname: str, op: Op, input: Any, tensor1: Any, tensor2: Any, value: Any) -> Any:  # noqa: A002
    _require_tensors(fname, (input, tensor1, tensor2))
    if op is ADDCDIV and tensor1.dtype.category <= 1 and tensor2.dtype.category <= 1:
        raise RuntimeError(_ADDCDIV_INTEGER)
    s0, s1, s2 = input._data.shape, tensor1._data.shape, tensor2._data.shape
    if not s0 == s1 == s2:
        check_broadcast(s0, s1)
        check_broadcast(_broadcast_shape(s0, s1), s2)
    d = input.dtype
    if tensor1.dtype is not d or tensor2.dtype is not d:
        d = _dt.result_type(((d, len(s0)), (tensor1.dtype, len(s1)), (tensor2.dtype, len(s2))))
        input, tensor1, tensor2 = (t if t.dtype is d else _to(t, d) for t in (input, tensor1, tensor2))
    if d is _dt.bool_:
        raise _not_implemented(f"{fname}_cpu_out", input, f"{fname} needs number tensors; convert the bool "
                                                          "tensors with .int() or .float() first")
    if type(value) is not int or value != 1:
        value = _addc_value(fname, value, d)
    return op.dispatch((input, tensor1, tensor2), (value,))


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape of ``a`` and ``b`` (checked to broadcast first)."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:  # noqa: A002
    """``input + value * tensor1 * tensor2`` with broadcasting and type promotion over the three tensors."""
    return _addc("addcmul", ADDCMUL, input, tensor1, tensor2, value)


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:  # noqa: A002
    """``input + value * tensor1 / tensor2`` with broadcasting and type promotion; ``tensor1`` and ``tensor2``
    may not both be integer tensors (write ``input + value * torch.trunc(tensor1 / tensor2)`` for that)."""
    return _addc("addcdiv", ADDCDIV, input, tensor1, tensor2, value)


# --- clamp ----------------------------------------------------------------------------------


def _clamp_keep(x: Any, lo: Any, hi: Any) -> Any:
    """Where the gradient passes: ``lo <= x <= hi`` (bounds given as numbers, tensors or None)."""
    from .comparison import ge, le

    if lo is None:
        return le(x, hi)
    if hi is None:
        return ge(x, lo)
    return logical_and(ge(x, lo), le(x, hi))


def _clamp_vjp(ctx: Any, g: Any) -> tuple:
    # Note: x goes in detached: the mask is piecewise constant in x, so, as in PyTorch, the gradient has
    # history only through g (create_graph=True records WhereBackward0 only where g requires grad).
    (x,) = ctx.inputs
    lo, hi = ctx.attrs
    return (CLAMP_BACKWARD.dispatch((g, x.detach()), (lo, hi)),)


def _clamp_backward_vjp(ctx: Any, g: Any) -> tuple:
    # The mask is piecewise constant in x: x gets no gradient.
    if not ctx.needs_input_grad[0]:
        return None, None
    return CLAMP_BACKWARD.dispatch((g, ctx.inputs[1]), ctx.attrs), None


def _clamp_backward_samples() -> list[Sample]:
    out = []
    for lo, hi in ((-0.5, 0.5), (0.0, None), (None, 0.25), (1.0, -1.0)):
        for shape in ((), (5,), (3, 4)):
            out.append(Sample((T(shape), T(shape, -2.0, 2.0, grad=False)), (lo, hi),
                              name=f"{lo}_{hi}_shape{list(shape)}"))
    out.append(Sample((T((0, 3)), T((0, 3), grad=False)), (-0.5, 0.5), name="empty", gradgradcheck=False))
    return out


def _np_clamp_backward(np: Any, g: Any, x: Any, lo: Any, hi: Any) -> Any:
    keep = np.ones(x.shape, dtype=bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    return np.where(keep, g, 0.0)


# clamp_backward(g, x, lo, hi): g where lo <= x <= hi (bounds numbers or None), else 0, in one pass.
CLAMP_BACKWARD = defop("clamp_backward", 2, vjp=_clamp_backward_vjp, node="WhereBackward0", saves=((1,), ()),
                       samples=_clamp_backward_samples, reference=_np_clamp_backward)


@generic("clamp_backward")
def _clamp_backward_kernel(xp: Any) -> Any:
    def clamp_backward(g: Any, x: Any, lo: Any, hi: Any) -> Any:
        if lo is None:
            keep = x <= hi
        elif hi is None:
            keep = x >= lo
        else:
            keep = xp.logical_and(x >= lo, x <= hi)
        return xp.where(keep, g, xp.zeros((), dtype=g.dtype))

    return clamp_backward


def _clamp_tensor_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's clamp_backward_min_max: with min > max, the output is max and min gets no gradient.
    from .comparison import gt, lt

    x, lo, hi = ctx.inputs
    need = ctx.needs_input_grad
    gx = _where(_clamp_keep(x, lo, hi), g, 0.0) if need[0] else None
    glo = ghi = None
    if need[1]:
        below = lt(x, lo)
        glo = _where(below if hi is None else logical_and(below, lt(lo, hi)), g, 0.0)
    if need[2]:
        above = gt(x, hi)
        ghi = _where(above if lo is None else logical_or(above, lt(hi, lo)), g, 0.0)
    return gx, glo, ghi


def _clamp_samples() -> list[Sample]:
    return [Sample((T((3, 4), -2.0, 2.0),), (-0.5, 0.5), name="both"),
            Sample((T((5,), -2.0, 2.0),), (0.0, None), name="min_only"),
            Sample((T((2, 3), -2.0, 2.0),), (None, 0.25), name="max_only"),
            Sample((T(()),), (-0.5, 0.5), name="zero_dim"),
            Sample((T((4,), -2.0, 2.0),), (1.0, -1.0), name="min_above_max"),
            Sample((T((0, 3)),), (-0.5, 0.5), name="empty", gradgradcheck=False)]


def _clamp_tensor_samples() -> list[Sample]:
    return [Sample((T((3, 4), -2.0, 2.0), T((3, 4), -1.0, -0.2), T((3, 4), 0.2, 1.0)), name="same"),
            Sample((T((3, 4), -2.0, 2.0), T((4,), -1.0, -0.2), T((3, 1), 0.2, 1.0)), name="broadcast"),
            Sample((T((4,), -2.0, 2.0), T((4,), 0.5, 1.0), T((4,), -1.0, -0.5)), name="min_above_max")]


def _np_clamp(np: Any, x: Any, lo: Any, hi: Any) -> Any:
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


CLAMP = defop("clamp", 1, vjp=_clamp_vjp, node="ClampBackward1", saves=((0,),), samples=_clamp_samples,
              reference=_np_clamp)
CLAMP_TENSOR = defop("clamp_tensor", 3, vjp=_clamp_tensor_vjp, node="ClampBackward0",
                     saves=((0, 1, 2), (0, 1, 2), (0, 1, 2)), samples=_clamp_tensor_samples, reference=_np_clamp)
CLAMP_MIN = defop("clamp_min", 1, vjp=_clamp_vjp,
                  saves=((0,),), samples=lambda: [s for s in _clamp_samples() if s.attrs[1] is None],
                  reference=lambda np, x, lo, hi: np.maximum(x, lo))
CLAMP_MAX = defop("clamp_max", 1, vjp=_clamp_vjp,
                  saves=((0,),), samples=lambda: [s for s in _clamp_samples() if s.attrs[0] is None],
                  reference=lambda np, x, lo, hi: np.minimum(x, hi))
CLAMP_MIN_TENSOR = defop("clamp_min_tensor", 3, vjp=_clamp_tensor_vjp, node="ClampMinBackward1",
                         saves=((0, 1), (0, 1), ()),
                         samples=lambda: [Sample((T((3, 4), -2.0, 2.0), T((4,), -1.0, 1.0), None), name="broadcast")],
                         reference=_np_clamp)
CLAMP_MAX_TENSOR = defop("clamp_max_tensor", 3, vjp=_clamp_tensor_vjp, node="ClampMaxBackward1",
                         saves=((0, 2), (), (0, 2)),
                         samples=lambda: [Sample((T((3, 4), -2.0, 2.0), None, T((3, 1), -1.0, 1.0)), name="broadcast")],
                         reference=_np_clamp)


def _clamp_kernel(xp: Any) -> Any:
    def clamp(x: Any, lo: Any, hi: Any) -> Any:
        # Note: max first, then min, so that with lo > hi every element is hi (PyTorch's order).
        # (x second: of two equal values, NumPy's maximum and minimum give the second, PyTorch's clamp keeps x)
        if lo is not None:
            x = xp.maximum(lo if hasattr(lo, "shape") else xp.asarray(lo, dtype=x.dtype), x)
        if hi is not None:
            x = xp.minimum(hi if hasattr(hi, "shape") else xp.asarray(hi, dtype=x.dtype), x)
        return x

    return clamp


for _name in ("clamp", "clamp_tensor", "clamp_min", "clamp_max", "clamp_min_tensor", "clamp_max_tensor"):
    generic(_name)(_clamp_kernel)


_PLAIN_BOUNDS = (float, int, type(None))
_CLAMP_COMPLEX = "clamp is not supported for complex types"


def _operand(v: Any) -> Any:
    return (v.dtype, v.ndim) if hasattr(v, "_data") else _dt.scalar_category(v)


_C_INT_NAMES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "uint8": "uint8_t"}


def _int_bound(b: Any, target: Any) -> Any:
    """A Python-int clamp bound as PyTorch converts it to an integer dtype: an error when it overflows the
    dtype, except that an unsigned dtype takes a negative number that fits its width by two's complement."""
    if type(b) is not int or target.category != 1:
        return b
    bits = target.itemsize * 8
    if target.is_signed:
        if -(2 ** (bits - 1)) <= b < 2 ** (bits - 1):
            return b
    elif -(2**bits) < b < 2**bits:
        return b % (2**bits)
    if target is _dt.int64:
        raise OverflowError("int too big to convert")
    raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[target.name]} without overflow")


def clamp(input: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A001,A002 - PyTorch's names
    """Limit ``input`` to ``[min, max]`` (numbers or tensors, either may be None); the gradient passes
    where ``min <= input <= max``."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if type(min) in _PLAIN_BOUNDS and type(max) in _PLAIN_BOUNDS and input.dtype.is_floating_point:
        return CLAMP.dispatch((input,), (min, max))  # fast path: float tensor, number bounds
    bounds = [b for b in (min, max) if b is not None]
    target = _dt.result_type([_operand(input), *(_operand(b) for b in bounds)])
    if target.is_complex:
        raise NotImplementedError(_CLAMP_COMPLEX)
    x = input if input.dtype is target else _to(input, target)
    if not any(hasattr(b, "_data") for b in bounds):
        return CLAMP.dispatch((x,), (_int_bound(min, target), _int_bound(max, target)))
    lo = _to(min, target) if hasattr(min, "_data") and min.dtype is not target else min
    hi = _to(max, target) if hasattr(max, "_data") and max.dtype is not target else max
    return CLAMP_TENSOR.dispatch((x, lo, hi))


clip = clamp


def clamp_min(input: Any, min: Any) -> Any:  # noqa: A001,A002
    """``clamp(input, min=min)``, recorded as PyTorch records it (ClampMinBackward0/1)."""
    target = _dt.result_type([_operand(input), _operand(min)])
    if target.is_complex:
        raise NotImplementedError(_CLAMP_COMPLEX)
    x = input if input.dtype is target else _to(input, target)
    if hasattr(min, "_data"):
        return CLAMP_MIN_TENSOR.dispatch((x, min if min.dtype is target else _to(min, target), None))
    return CLAMP_MIN.dispatch((x,), (_int_bound(min, target), None))


def clamp_max(input: Any, max: Any) -> Any:  # noqa: A001,A002
    """``clamp(input, max=max)``, recorded as PyTorch records it (ClampMaxBackward0/1)."""
    target = _dt.result_type([_operand(input), _operand(max)])
    if target.is_complex:
        raise NotImplementedError(_CLAMP_COMPLEX)
    x = input if input.dtype is target else _to(input, target)
    if hasattr(max, "_data"):
        return CLAMP_MAX_TENSOR.dispatch((x, None, max if max.dtype is target else _to(max, target)))
    return CLAMP_MAX.dispatch((x,), (None, _int_bound(max, target)))


# --- logical and bitwise ops, NaN / inf tests: no gradient ------------------------------------------


def _bool_samples(nin: int) -> Any:
    def gen() -> list[Sample]:
        shapes = ((3, 4), (4,)) if nin == 2 else ((3, 4),)
        return [Sample(tuple(T(s, dtype="bool", grad=False) for s in shapes), name="bool", gradcheck=False,
                       gradgradcheck=False),
                Sample(tuple(T(s, -2.0, 2.0, grad=False) for s in shapes), name="float", gradcheck=False,
                       gradgradcheck=False)]

    return gen


def _as_bool(xp: Any, x: Any) -> Any:
    return x if x.dtype == xp.bool else x != 0


def _logical(name: str, nin: int) -> Any:
    op = defop(name, nin, vjp=None, samples=_bool_samples(nin),
               reference=lambda np, *a, _n=name: getattr(np, _n)(*a))

    @generic(name)
    def factory(xp: Any) -> Any:
        f = getattr(xp, name)
        if nin == 1:
            return lambda x: f(_as_bool(xp, x))
        return lambda x, y: f(_as_bool(xp, x), _as_bool(xp, y))

    return op


LOGICAL_NOT = _logical("logical_not", 1)
LOGICAL_AND = _logical("logical_and", 2)
LOGICAL_OR = _logical("logical_or", 2)
LOGICAL_XOR = _logical("logical_xor", 2)


def logical_not(input: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``not input`` elementwise, as a bool tensor (nonzero counts as True)."""
    if out is not None:
        return _write_out("logical_not", out, (input,), lambda: logical_not(input))
    return LOGICAL_NOT.dispatch_nograd((input,))


def logical_and(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``input and other`` elementwise, as a bool tensor (nonzero counts as True)."""
    if out is not None:
        return _write_out("logical_and", out, (input, other), lambda: logical_and(input, other))
    _require_tensor("logical_and", other)
    return LOGICAL_AND.dispatch_nograd((input, other))


def logical_or(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``input or other`` elementwise, as a bool tensor (nonzero counts as True)."""
    if out is not None:
        return _write_out("logical_or", out, (input, other), lambda: logical_or(input, other))
    _require_tensor("logical_or", other)
    return LOGICAL_OR.dispatch_nograd((input, other))


def logical_xor(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """``bool(input) != bool(other)`` elementwise, as a bool tensor."""
    if out is not None:
        return _write_out("logical_xor", out, (input, other), lambda: logical_xor(input, other))
    _require_tensor("logical_xor", other)
    return LOGICAL_XOR.dispatch_nograd((input, other))


def _int_samples(nin: int) -> Any:
    def gen() -> list[Sample]:
        return [Sample(tuple(T((3, 4), dtype="bool", grad=False) for _ in range(nin)), name="bool",
                       gradcheck=False, gradgradcheck=False),
                Sample(tuple(T((3, 4), -50, 50, dtype="int64", grad=False) for _ in range(nin)), name="int64",
                       gradcheck=False, gradgradcheck=False)]

    return gen


BITWISE_NOT = defop("bitwise_not", 1, vjp=None, samples=_int_samples(1), reference=lambda np, x: np.invert(x))
BITWISE_AND = defop("bitwise_and", 2, vjp=None, samples=_int_samples(2),
                    reference=lambda np, x, y: np.bitwise_and(x, y))
BITWISE_OR = defop("bitwise_or", 2, vjp=None, samples=_int_samples(2),
                    reference=lambda np, x, y: np.bitwise_or(x, y))
BITWISE_XOR = defop("bitwise_xor", 2, vjp=None, samples=_int_samples(2),
                    reference=lambda np, x, y: np.bitwise_xor(x, y))
generic("bitwise_not")(lambda xp: getattr(xp, "bitwise_invert", None) or xp.bitwise_not)
direct("bitwise_and")
direct("bitwise_or")
direct("bitwise_xor")


def _check_integral(kernel: str, t: Any) -> None:
    if t.dtype.category > 1:
        raise _not_implemented(kernel, t, "bitwise ops need bool or integer tensors; for masks compare first "
                                          "(x > 0) or use logical_and / logical_or")


def bitwise_not(input: Any) -> Any:  # noqa: A002
    """``~input``: logical not for bool tensors, two's complement not for integers."""
    if input.dtype.category > 1:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return BITWISE_NOT.dispatch_nograd((input,))


def _bitwise(name: str, op: Any) -> Any:
    def fn(input: Any, other: Any) -> Any:  # noqa: A002
        x, y = promote(input, other, name)
        if not hasattr(x, "_data"):
            x, y = y, x  # these are symmetric
        _check_integral(f"{name}_cpu", x)
        return op.dispatch_nograd((x, y))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of bool or integer tensors (or Python ints and bools)."
    return fn


bitwise_and = _bitwise("bitwise_and", BITWISE_AND)
bitwise_or = _bitwise("bitwise_or", BITWISE_OR)
bitwise_xor = _bitwise("bitwise_xor", BITWISE_XOR)


def _shift_samples() -> list[Sample]:
    return [Sample((T((3, 4), -50, 50, dtype="int64", grad=False), T((3, 4), 0, 8, dtype="int64", grad=False)),
                   name="int64", gradcheck=False, gradgradcheck=False),
            Sample((T((3, 4), 0, 50, dtype="int64", grad=False), T((4,), 0, 5, dtype="int64", grad=False)),
                   name="broadcast", gradcheck=False, gradgradcheck=False)]


BITWISE_LEFT_SHIFT = defop("bitwise_left_shift", 2, vjp=None, samples=_shift_samples,
                           reference=lambda np, x, y: np.left_shift(x, y))
BITWISE_RIGHT_SHIFT = defop("bitwise_right_shift", 2, vjp=None, samples=_shift_samples,
                            reference=lambda np, x, y: np.right_shift(x, y))
generic("bitwise_left_shift")(lambda xp: getattr(xp, "bitwise_left_shift", None) or xp.left_shift)
generic("bitwise_right_shift")(lambda xp: getattr(xp, "bitwise_right_shift", None) or xp.right_shift)


def _shift(name: str, kernel: str, op: Any) -> Any:
    def fn(input: Any, other: Any) -> Any:  # noqa: A002
        x, y = promote(input, other, name)
        if not hasattr(x, "_data"):
            from .creation import full_like

            x = full_like(y, x, dtype=y.dtype)  # a Python int shifted by a tensor (1 << t)
        if x.dtype.category != 1:
            raise _not_implemented(kernel, x, "shifts need integer tensors")
        return op.dispatch_nograd((x, y))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Elementwise ``{name}`` of integer tensors (or Python ints); shifts past the width give 0 "
                  "(or -1 for negative numbers shifted right), as in PyTorch.")
    return fn


bitwise_left_shift = _shift("bitwise_left_shift", "lshift_cpu", BITWISE_LEFT_SHIFT)
bitwise_right_shift = _shift("bitwise_right_shift", "rshift_cpu", BITWISE_RIGHT_SHIFT)


def _isx(name: str) -> Any:
    op = defop(name, 1, vjp=None, reference=lambda np, x, _n=name: getattr(np, _n)(x),
               samples=lambda: [Sample((T((3, 4), grad=False),), name="float", gradcheck=False, gradgradcheck=False),
                                Sample((T((2, 3), values=[[0.0, float("nan"), float("inf")],
                                                          [-float("inf"), 1.0, -2.0]], grad=False),),
                                       name="special", gradcheck=False, gradgradcheck=False)])
    direct(name)

    def fn(input: Any) -> Any:  # noqa: A002
        return op.dispatch_nograd((input,))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` as a bool tensor (never requires grad)."
    return op, fn


ISNAN, isnan = _isx("isnan")
ISINF, isinf = _isx("isinf")
ISFINITE, isfinite = _isx("isfinite")


def _inplace_method(fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place :func:`{fn.__name__}`."
    return method


def _abs_inplace(self: Any) -> Any:
    """In-place :func:`abs`; a complex tensor cannot hold its real result, so PyTorch refuses it."""
    if is_complex_data(self):
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return self._inplace(abs)


def _swapped(fn: Any) -> Any:
    def method(self: Any, other: Any) -> Any:
        return fn(other, self)

    method.__name__ = "__r" + fn.__name__ + "__"
    return method


def _invert(self: Any) -> Any:
    return bitwise_not(self)


TENSOR_METHODS = {
    "__abs__": abs,
    "__invert__": _invert,
    "__and__": bitwise_and, "__rand__": bitwise_and, "__iand__": _inplace_method(bitwise_and),
    "__or__": bitwise_or, "__ror__": bitwise_or, "__ior__": _inplace_method(bitwise_or),
    "__xor__": bitwise_xor, "__rxor__": bitwise_xor, "__ixor__": _inplace_method(bitwise_xor),
    "__mod__": remainder, "__rmod__": _swapped(remainder), "__imod__": _inplace_method(remainder),
    "__lshift__": bitwise_left_shift, "__rlshift__": _swapped(bitwise_left_shift),
    "__ilshift__": _inplace_method(bitwise_left_shift),
    "__rshift__": bitwise_right_shift, "__rrshift__": _swapped(bitwise_right_shift),
    "__irshift__": _inplace_method(bitwise_right_shift),
    "__ifloordiv__": _inplace_method(floor_divide),
    # Note: sqrt_, lerp_, addcmul_ and addcdiv_ are Tensor's own (they write straight into the array when
    # nothing is recorded, for the optimizers).
    **{f.__name__ + "_": _inplace_method(f) for f in (
        abs, sign, floor, ceil, trunc, round, frac, square, exp, exp2, log, log2, log10, log1p, expm1,
        rsqrt, sin, cos, tan, tanh, sigmoid, asin, acos, atan, sinh, cosh, reciprocal, erf, erfc, remainder,
        fmod, clamp_min, clamp_max, logical_not, logical_and, logical_or, logical_xor, bitwise_not,
        bitwise_and, bitwise_or, bitwise_xor, bitwise_left_shift, bitwise_right_shift, atan2, maximum, minimum,
        floor_divide)},
    "abs_": _abs_inplace, "absolute_": _abs_inplace,
}


__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "true_divide", "divide", "floor_divide", "neg", "negative",
    "reciprocal", "pow", "float_power", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
    "tanh", "sigmoid", "conj_physical",
    "log2", "log10", "exp2", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "abs", "absolute", "sign", "floor", "ceil", "trunc",
    "fix", "round", "frac", "square", "remainder", "fmod", "maximum", "minimum", "atan2", "arctan2", "lerp",
    "addcmul", "addcdiv",
    "clamp", "clip", "clamp_min", "clamp_max", "logical_not", "logical_and", "logical_or", "logical_xor",
    "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "isnan", "isinf", "isfinite",
]
_ = Sample, T
