"""Special functions and the rest of PyTorch's pointwise math: lgamma, digamma, polygamma, erfinv, i0, logit,
sinc, xlogy, hypot, logaddexp, copysign, fmax/fmin, gcd/lcm, nan_to_num ... and the scans, searches,
statistics and small linear-algebra helpers PyTorch keeps next to them (cummax, searchsorted, quantile, cov,
trapezoid, histc, block_diag, addmv ...).

Special functions are computed in float64 whatever the input's float dtype, and rounded once at the end, so
float32 results are as close as PyTorch's. Each kernel is written once over an array-API namespace ``xp``.
"""

from __future__ import annotations

import builtins as _builtins
import itertools
import math
import warnings
from typing import Any

from .. import dtypes as _dt
from .. import return_types
from ..kernels.array_api import generic
from ..testing.samples import Sample, T, binary_samples, unary_samples
from ._promote import _to, float_operand, promote
from .elementwise import _TENSOR_OR_NUMBER_OTHER, _require_input
from .registry import defop

_PI = math.pi
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2
_LN2 = math.log(2.0)


def _astype(xp: Any, x: Any, dtype: Any) -> Any:
    return xp.astype(x, dtype) if hasattr(xp, "astype") else x.astype(dtype)


def _in_float64(fn: Any) -> Any:
    """Wrap ``fn(xp, x, *attrs)`` into a kernel factory that computes in float64 and rounds to ``x``'s dtype."""

    def factory(xp: Any) -> Any:
        def kernel(x: Any, *attrs: Any) -> Any:
            wide = x if x.dtype == xp.float64 else _astype(xp, x, xp.float64)
            out = fn(xp, wide, *attrs)
            return out if x.dtype == xp.float64 else _astype(xp, out, x.dtype)

        return kernel

    return factory


def _sinpi(xp: Any, x: Any) -> Any:
    """``sin(pi * x)`` with the argument reduced exactly (mod 2) first: exact zeros at the integers."""
    r = x - 2 * xp.floor(x / 2)
    s = xp.sin(_PI * r)
    return xp.where(r == xp.floor(r), xp.zeros_like(x), s)


def _where(cond: Any, a: Any, b: Any) -> Any:
    from .comparison import where

    return where(cond, a, b)


def _short(d: Any) -> str:
    return d.legacy[:-6] if d.legacy.endswith("Tensor") else d.name


def _kernel_name(name: str, t: Any) -> str:
    return f"{name}_{'cuda' if t._backend.device_type == 'cuda' else 'cpu'}"


def _not_implemented(name: str, t: Any, fix: str) -> NotImplementedError:
    # Note: PyTorch raises NotImplementedError for a kernel missing for a dtype.
    return NotImplementedError(f"\"{_kernel_name(name, t)}\" not implemented for '{_short(t.dtype)}'; {fix}")


def _float_only(name: str, t: Any) -> None:
    if not t.dtype.is_floating_point:
        raise _not_implemented(name, t, "convert the tensor with .float() first")


def _integral_only(name: str, t: Any) -> None:
    if t.dtype.category != 1:
        raise _not_implemented(name, t, "this op needs integer tensors")


def _scalar_operand(xp: Any, v: Any, like: Any) -> Any:
    return v if hasattr(v, "shape") else xp.asarray(v, dtype=like.dtype)


# --- lgamma, digamma, polygamma --------------------------------------------------------------------

# Lanczos' approximation (g = 7, 9 terms): Gamma to about 1e-15 relative for x >= 0.5.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def _lgamma_array(xp: Any, x: Any) -> Any:
    # Note: reflection lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x) for x < 0.5; inf at 0, -1, -2, ...
    small = x < 0.5
    z = xp.where(small, 1 - x, x) - 1
    acc = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], 1):
        acc = acc + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    big = _LOG_SQRT_2PI + (z + 0.5) * xp.log(t) - t + xp.log(acc)
    s = xp.abs(_sinpi(xp, x))
    reflected = xp.where(s == 0, xp.full_like(x, math.inf), xp.log(_PI / xp.where(s == 0, xp.ones_like(s), s))) - big
    out = xp.where(small, reflected, big)
    out = xp.where((x == 1) | (x == 2), xp.zeros_like(x), out)
    return xp.where(xp.isinf(x), xp.full_like(x, math.inf), out)


_DIGAMMA_ASYMPTOTIC = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _digamma_array(xp: Any, x: Any) -> Any:
    # PyTorch's calc_digamma: -inf at +0 (+inf at -0), NaN at the negative integers, reflection below 0,
    # then the recurrence up to 10 and the asymptotic series.
    negative = x < 0
    z = xp.where(negative, 1 - x, x)
    acc = xp.zeros_like(x)
    while True:
        low = z < 10
        if not bool(xp.any(low)):
            break
        acc = acc - xp.where(low, 1 / xp.where(low & (z != 0), z, xp.ones_like(z)), xp.zeros_like(z))
        z = xp.where(low, z + 1, z)
    w = 1 / (z * z)
    series = xp.zeros_like(x)
    for c in reversed(_DIGAMMA_ASYMPTOTIC):
        series = (series + c) * w
    out = acc + xp.log(z) - 0.5 / z - series
    frac = x - xp.trunc(x)
    reflected = out - _PI / xp.tan(_PI * xp.where(frac == 0, xp.full_like(frac, 0.5), frac))
    out = xp.where(negative, xp.where(frac == 0, xp.full_like(x, math.nan), reflected), out)
    zero_value = xp.where(xp.signbit(x), xp.full_like(x, math.inf), xp.full_like(x, -math.inf))
    out = xp.where(x == 0, zero_value, out)
    return xp.where(x == math.inf, x, out)


# Cephes' zeta: the Euler-Maclaurin divisors (2j)! / B_2j.
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)


_ZETA_MAX_SHIFTS = 10_000


def _hurwitz_zeta_array(xp: Any, s: float, q: Any) -> Any:
    """``sum_k (q + k) ** -s`` for an integer ``s >= 2`` (inf at the non-positive integers, as Cephes has it)."""
    total = xp.zeros_like(q)
    a = q
    # Note: the shift loop stops for non-finite q (q + 1 is q) and after _ZETA_MAX_SHIFTS steps (q far below
    # zero); what is left there is NaN rather than a loop that never ends.
    for _ in range(_ZETA_MAX_SHIFTS):
        low = (a < 10) & xp.isfinite(a)
        if not bool(xp.any(low)):
            break
        safe = xp.where(low & (a != 0), a, xp.ones_like(a))
        term = xp.where(a == 0, xp.full_like(a, math.inf), safe ** -s)
        total = total + xp.where(low, term, xp.zeros_like(a))
        a = xp.where(low, a + 1, a)
    b = a ** -s
    total = total + a * b / (s - 1) + 0.5 * b
    fact = 1.0
    k = 0.0
    for divisor in _ZETA_A:
        fact *= s + k
        b = b / a
        total = total + fact * b / divisor
        k += 1.0
        fact *= s + k
        b = b / a
        k += 1.0
    unshifted = (a < 10) | ~xp.isfinite(a)
    total = xp.where(unshifted, xp.full_like(q, math.nan), total)
    total = xp.where(q == math.inf, xp.zeros_like(q), total)  # every term vanishes
    at_pole = (q <= 0) & (q == xp.floor(q))
    return xp.where(at_pole, xp.full_like(q, math.inf), total)


def _polygamma_array(xp: Any, x: Any, n: int) -> Any:
    if n == 0:
        return _digamma_array(xp, x)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.factorial(n) * _hurwitz_zeta_array(xp, float(n + 1), x)


def _np_special(fn: Any) -> Any:
    """A NumPy reference from a scalar ``math`` function (or one of the kernels' own formulas)."""
    return lambda np, x, *attrs: np.vectorize(lambda v: fn(float(v), *attrs), otypes=[x.dtype])(x)


def _ref_lgamma(v: float) -> float:
    if v <= 0 and v == math.floor(v):
        return math.inf
    return math.lgamma(v)


def _ref_digamma(v: float) -> float:
    # The derivative of lgamma by a tenth-order central difference would be noisy; sum the series instead.
    if v == 0:
        return -math.inf if math.copysign(1.0, v) > 0 else math.inf
    if v < 0:
        if v == math.floor(v):
            return math.nan
        return _ref_digamma(1 - v) - math.pi / math.tan(math.pi * (v - math.trunc(v)))
    acc = 0.0
    while v < 20:
        acc -= 1 / v
        v += 1
    w = 1 / (v * v)
    return acc + math.log(v) - 0.5 / v - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (1 / 240 - w / 132))))


def _ref_polygamma(v: float, n: int) -> float:
    if n == 0:
        return _ref_digamma(v)
    if v <= 0 and v == math.floor(v):
        return math.inf if n % 2 else -math.inf
    total = 0.0
    s = n + 1
    while v < 40:
        total += v ** -s
        v += 1
    # Euler-Maclaurin with three Bernoulli terms is plenty at q >= 40.
    total += v ** (1 - s) / (s - 1) + 0.5 * v ** -s + s * v ** (-s - 1) / 12 \
        - s * (s + 1) * (s + 2) * v ** (-s - 3) / 720 + s * (s + 1) * (s + 2) * (s + 3) * (s + 4) * v ** (-s - 5) / 30240
    return (1.0 if n % 2 else -1.0) * math.factorial(n) * total


def _special_samples(low: float, high: float, attrs: tuple = (), extra: tuple = ()) -> Any:
    def gen() -> list[Sample]:
        return [*unary_samples(attrs=attrs, low=low, high=high)(), *extra]

    return gen


LGAMMA = defop("lgamma", 1, vjp=lambda ctx, g: (g * digamma(ctx.inputs[0]),), saves=((0,),),
               samples=_special_samples(0.2, 6.0, extra=(
                   Sample((T((6,), values=[-2.5, -0.5, 0.5, 1.0, 2.0, 30.5]),), name="negative_and_exact"),
                   Sample((T((3,), values=[0.0, -1.0, -3.0], grad=False),), name="poles", gradcheck=False,
                          gradgradcheck=False))),
               reference=_np_special(_ref_lgamma))
DIGAMMA = defop("digamma", 1, vjp=lambda ctx, g: (g * polygamma(1, ctx.inputs[0]),), saves=((0,),),
                samples=_special_samples(0.2, 6.0, extra=(
                    Sample((T((5,), values=[-2.5, -0.3, 0.5, 15.0, 1e-3]),), name="negative_and_small"),
                    Sample((T((3,), values=[0.0, -1.0, -2.0], grad=False),), name="poles", gradcheck=False,
                           gradgradcheck=False))),
                reference=_np_special(_ref_digamma))
POLYGAMMA = defop("polygamma", 1, vjp=lambda ctx, g: (g * polygamma(ctx.attrs[0] + 1, ctx.inputs[0]),),
                  saves=((0,),),
                  samples=lambda: [*unary_samples(attrs=(1,), low=0.3, high=5.0)(),
                                   *unary_samples(attrs=(2,), low=0.3, high=5.0)(),
                                   Sample((T((4,), values=[-1.5, -0.25, 12.0, 0.01]),), (3,), name="n3_negative"),
                                   Sample((T((3,), values=[0.0, -1.0, -2.0], grad=False),), (2,), name="poles",
                                          gradcheck=False, gradgradcheck=False)],
                  reference=lambda np, x, n: np.vectorize(lambda v: _ref_polygamma(float(v), n),
                                                          otypes=[x.dtype])(x))
generic("lgamma")(_in_float64(_lgamma_array))
generic("digamma")(_in_float64(_digamma_array))
generic("polygamma")(_in_float64(_polygamma_array))


def lgamma(input: Any) -> Any:  # noqa: A002
    """``log(|Gamma(input)|)``; inf at the poles 0, -1, -2, ... (integer inputs give the default float dtype)."""
    return LGAMMA.dispatch((float_operand(input),))


def digamma(input: Any) -> Any:  # noqa: A002
    """The logarithmic derivative of Gamma; -inf at 0 and NaN at the negative integers, as in PyTorch."""
    return DIGAMMA.dispatch((float_operand(input),))


def polygamma(n: int, input: Any) -> Any:  # noqa: A002
    """The ``n``-th derivative of digamma (``n = 0`` is digamma itself)."""
    if not isinstance(n, int) or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = float_operand(input)
    if n == 0:
        return DIGAMMA.dispatch((x,))
    return POLYGAMMA.dispatch((x,), (int(n),))


def mvlgamma(input: Any, p: int) -> Any:  # noqa: A002
    """The multivariate log-gamma of dimension ``p``: ``sum_i lgamma(input - i / 2) + p (p - 1) / 4 log(pi)``."""
    from .reduction import sum as _sum
    from .shape import stack

    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = float_operand(input)
    terms = stack([lgamma(x - i / 2) for i in range(p)], -1)
    return _sum(terms, -1) + p * (p - 1) / 4 * math.log(math.pi)


multigammaln = mvlgamma


# --- erfinv --------------------------------------------------------------------------------------


def _erfinv_array(xp: Any, x: Any) -> Any:
    # Giles' single-precision approximation, then two Newton steps on erf (on erfc near +-1, where 1 - |x| is
    # exact and erf loses the digits that matter).
    from .elementwise import _erf_kernel, _erfc_kernel

    erf, erfc = _erf_kernel(xp), _erfc_kernel(xp)
    a = xp.abs(x)
    inside = a < 1
    safe = xp.where(inside, a, xp.zeros_like(a))
    w = -xp.log((1 - safe) * (1 + safe))
    wc = w - 2.5
    p_central = xp.full_like(w, 2.81022636e-08)
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p_central = c + p_central * wc
    wt = xp.sqrt(w) - 3
    p_tail = xp.full_like(w, -0.000200214257)
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        p_tail = c + p_tail * wt
    y = xp.where(w < 5, p_central, p_tail) * safe
    for _ in range(2):
        slope = (2 / math.sqrt(math.pi)) * xp.exp(-y * y)
        step = xp.where(safe > 0.5, (1 - safe) - erfc(y), erf(y) - safe)
        y = y - xp.where(slope > 0, step / xp.where(slope > 0, slope, xp.ones_like(slope)), xp.zeros_like(y))
    y = xp.where(x < 0, -y, y)
    edge = xp.where(x < 0, xp.full_like(x, -math.inf), xp.full_like(x, math.inf))
    y = xp.where(a == 1, edge, y)
    return xp.where(inside | (a == 1), y, xp.full_like(x, math.nan))


def _ref_erfinv(v: float) -> float:
    if abs(v) == 1:
        return math.copysign(math.inf, v)
    if abs(v) > 1 or v != v:
        return math.nan
    lo, hi = -7.0, 7.0
    for _ in range(200):  # bisection on math.erf: slow, but independent of the kernel
        mid = (lo + hi) / 2
        if math.erf(mid) < v:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


ERFINV = defop("erfinv", 1, vjp=lambda ctx, g: (g * _SQRT_PI_OVER_2 * (ctx.output * ctx.output).exp(),),
               saves=((-1,),),
               samples=_special_samples(-0.9, 0.9, extra=(
                   Sample((T((5,), values=[-0.999, 0.0, 0.3, 0.95, 0.9999]),), name="tails",
                          extra={"gradcheck_eps": 1e-8, "gradcheck_rtol": 1e-3}),
                   Sample((T((4,), values=[-1.0, 1.0, 1.5, -2.0], grad=False),), name="edges", gradcheck=False,
                          gradgradcheck=False))),
               reference=_np_special(_ref_erfinv))
generic("erfinv")(_in_float64(_erfinv_array))


def erfinv(input: Any) -> Any:  # noqa: A002
    """The inverse of erf on (-1, 1): +-inf at +-1, NaN outside."""
    return ERFINV.dispatch((float_operand(input),))


# --- logit, sinc, entr, i0 / i1 ------------------------------------------------------------------


def _logit_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    (eps,) = ctx.attrs
    grad = g / (x * (1 - x))
    if eps is None:
        return (grad,)
    return (_where((x < eps) | (x > 1 - eps), 0.0, grad),)


LOGIT = defop("logit", 1, vjp=_logit_vjp, saves=((0,),),
              samples=lambda: [*unary_samples(attrs=(None,), low=0.1, high=0.9)(),
                               Sample((T((3, 4), 0.1, 0.9),), (0.05,), name="eps")],
              reference=lambda np, x, eps: np.log((x if eps is None else np.clip(x, eps, 1 - eps))
                                                  / (1 - (x if eps is None else np.clip(x, eps, 1 - eps)))))


@generic("logit")
def _logit_kernel(xp: Any) -> Any:
    def logit(x: Any, eps: Any) -> Any:
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps) if hasattr(xp, "clip") else xp.minimum(xp.maximum(x, eps), 1 - eps)
        return xp.log(x / (1 - x))

    return logit


def logit(input: Any, eps: float | None = None) -> Any:  # noqa: A002
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    return LOGIT.dispatch((float_operand(input),), (None if eps is None else float(eps),))


def _sinc_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import cos, sin

    (x,) = ctx.inputs
    px = x * _PI
    safe = _where(x == 0, 1.0, px)
    grad = (cos(safe) * safe - sin(safe)) / (safe * safe) * _PI
    return (g * _where(x == 0, 0.0, grad),)


SINC = defop("sinc", 1, vjp=_sinc_vjp, saves=((0,),),
             samples=_special_samples(-2.0, 2.0),
             reference=lambda np, x: np.where(x == 0, np.ones_like(x), np.sin(np.pi * x) / (np.pi * x)))


@generic("sinc")
def _sinc_kernel(xp: Any) -> Any:
    def sinc(x: Any) -> Any:
        # Note: pi * x in x's own dtype, as PyTorch computes it (sinc(1.) is -2.78e-08 in float32, not 0).
        px = xp.asarray(_PI, dtype=x.dtype) * x
        safe = xp.where(x == 0, xp.ones_like(x), px)
        return xp.where(x == 0, xp.ones_like(x), xp.sin(safe) / safe)

    return sinc


def sinc(input: Any) -> Any:  # noqa: A002
    """The normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0)."""
    return SINC.dispatch((float_operand(input),))


SPECIAL_ENTR = defop("special_entr", 1, vjp=lambda ctx, g: (-g * (ctx.inputs[0].log() + 1),), saves=((0,),),
                     samples=_special_samples(0.1, 2.0, extra=(
                         Sample((T((4,), values=[0.0, -1.0, 2.0, 0.5], grad=False),), name="edges",
                                gradcheck=False, gradgradcheck=False),)),
                     reference=lambda np, x: np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)),
                                                      np.where(x == 0, 0, np.where(x < 0, -np.inf, x))).astype(x.dtype))


@generic("special_entr")
def _entr_kernel(xp: Any) -> Any:
    def entr(x: Any) -> Any:
        positive = x > 0
        value = -x * xp.log(xp.where(positive, x, xp.ones_like(x)))
        return xp.where(positive, value, xp.where(x == 0, xp.zeros_like(x),
                                                  xp.where(x < 0, xp.full_like(x, -math.inf), x)))

    return entr


def entr(input: Any) -> Any:  # noqa: A002
    """``-x log(x)``: 0 at 0 and -inf for negative ``x`` (``torch.special.entr``)."""
    return SPECIAL_ENTR.dispatch((float_operand(input),))


def _bessel_i_array(xp: Any, x: Any, order: int) -> Any:
    """The modified Bessel function I0 or I1: its power series (terms all of one sign) for ``|x| <= 30``,
    the asymptotic series beyond."""
    a = xp.abs(x)
    near = xp.where(a <= 30, a, xp.zeros_like(a))
    quarter = near * near / 4
    term = xp.ones_like(a) if order == 0 else near / 2
    total = term
    for k in range(1, 80):
        term = term * quarter / (k * (k + order))
        total = total + term
    far = xp.where(a > 30, a, xp.full_like(a, 31.0))
    mu = 4.0 * order * order
    coef = xp.ones_like(a)
    series = coef
    for k in range(1, 30):
        coef = coef * -(mu - (2 * k - 1) ** 2) / (k * 8 * far)
        series = series + coef
    half = xp.exp(far / 2)
    asymptotic = half * (half / xp.sqrt(2 * _PI * far)) * series
    out = xp.where(a <= 30, total, asymptotic)
    out = xp.where(xp.isnan(x), x, out)
    return xp.where(x < 0, -out, out) if order == 1 else out


def _ref_bessel_i(v: float, order: int) -> float:
    total, term, k = 0.0, (1.0 if order == 0 else v / 2), 0
    while True:  # the power series in Python floats, to convergence
        total += term
        k += 1
        term = term * v * v / 4 / (k * (k + order))
        if abs(term) < 1e-17 * abs(total) or k > 2000:
            return total + term


def _i1_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    safe = _where(x == 0, 1.0, x)
    return (g * _where(x == 0, 0.5, i0(x) - special_i1(x) / safe),)


I0 = defop("i0", 1, vjp=lambda ctx, g: (g * special_i1(ctx.inputs[0]),), saves=((0,),),
           samples=_special_samples(-3.0, 3.0, extra=(
               Sample((T((4,), values=[-40.0, 29.5, 31.0, 80.0]),), name="large"),)),
           reference=lambda np, x: np.vectorize(lambda v: _ref_bessel_i(float(v), 0), otypes=[x.dtype])(x))
SPECIAL_I1 = defop("special_i1", 1, vjp=_i1_vjp, saves=((0,),),
                   samples=_special_samples(-3.0, 3.0, extra=(
                       Sample((T((4,), values=[-40.0, 0.0, 31.0, 80.0]),), name="large_and_zero"),)),
                   reference=lambda np, x: np.vectorize(lambda v: _ref_bessel_i(float(v), 1), otypes=[x.dtype])(x))
generic("i0")(_in_float64(lambda xp, x: _bessel_i_array(xp, x, 0)))
generic("special_i1")(_in_float64(lambda xp, x: _bessel_i_array(xp, x, 1)))


def i0(input: Any) -> Any:  # noqa: A002
    """The modified Bessel function of the first kind of order 0."""
    return I0.dispatch((float_operand(input),))


def special_i1(input: Any) -> Any:  # noqa: A002
    """The modified Bessel function of the first kind of order 1 (``torch.special.i1``)."""
    return SPECIAL_I1.dispatch((float_operand(input),))


# --- deg2rad / rad2deg / sgn / positive / nan_to_num / signbit -------------------------------------------


def _scale_op(name: str, factor: float) -> Any:
    op = defop(name, 1, vjp=lambda ctx, g: (g * factor,), saves=((),), samples=unary_samples(low=-3.0, high=3.0),
               reference=lambda np, x: x * x.dtype.type(factor))
    generic(name)(lambda xp: lambda x: x * xp.asarray(factor, dtype=x.dtype))

    def fn(input: Any) -> Any:  # noqa: A002
        return op.dispatch((float_operand(input),))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input`` times {factor!r} (integer inputs give the default float dtype)."
    return op, fn


DEG2RAD, deg2rad = _scale_op("deg2rad", math.pi / 180)
RAD2DEG, rad2deg = _scale_op("rad2deg", 180 / math.pi)


def _sgn_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    (x,) = ctx.inputs
    if x is None or not x.dtype.is_complex:
        return (zeros_like(g),)
    # PyTorch's sgn_backward: sgn(z) = z / |z| moves only with the angle, (g - sgn(z)^2 conj(g)) / (2 |z|), 0 at 0.
    from .comparison import where
    from .elementwise import abs, conj_physical

    a = abs(x)
    s = ctx.output
    return (where(a == 0, zeros_like(g), (g - s * s * conj_physical(g)) / (2 * a)),)


SGN = defop("sgn", 1, vjp=_sgn_vjp, saves=((0, -1),), samples=unary_samples(), supports_gradgrad=False,
            reference=lambda np, x: np.sign(x))


@generic("sgn")
def _sgn_kernel(xp: Any) -> Any:
    from .elementwise import _sign_kernel

    sign = _sign_kernel(xp)

    def sgn(x: Any) -> Any:
        if hasattr(xp, "isdtype") and xp.isdtype(x.dtype, "complex floating"):
            a = xp.abs(x)
            return xp.where(a == 0, xp.zeros_like(x), x / xp.where(a == 0, xp.ones_like(a), a))
        return sign(x)

    return sgn


def sgn(input: Any) -> Any:  # noqa: A002
    """``input / |input|`` for complex tensors (0 at 0); the sign for real ones."""
    if input.dtype is _dt.bool_:  # PyTorch's sgn of bools is the bools themselves (a copy)
        from .conversion import clone

        return clone(input)
    return SGN.dispatch((input,))


def positive(input: Any) -> Any:  # noqa: A002
    """``input`` itself (``+input``); refused for bool tensors, as in PyTorch."""
    if input.dtype is _dt.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _nan_to_num_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (_where(x.isfinite(), g, 0.0),)


NAN_TO_NUM = defop("nan_to_num", 1, vjp=_nan_to_num_vjp, saves=((0,),),
                   samples=lambda: [*unary_samples(attrs=(0.0, 3.0, -3.0))(),
                                    Sample((T((2, 3), values=[[math.nan, math.inf, -math.inf], [1.0, -2.0, 0.5]]),),
                                           (1.5, 1e6, -1e6), name="special", gradcheck=False,
                                           gradgradcheck=False)],
                   reference=lambda np, x, nan, posinf, neginf: np.nan_to_num(x, nan=nan, posinf=posinf,
                                                                              neginf=neginf))


@generic("nan_to_num")
def _nan_to_num_kernel(xp: Any) -> Any:
    def nan_to_num(x: Any, nan: float, posinf: float, neginf: float) -> Any:
        out = xp.where(xp.isnan(x), xp.asarray(nan, dtype=x.dtype), x)
        out = xp.where(out == math.inf, xp.asarray(posinf, dtype=x.dtype), out)
        return xp.where(out == -math.inf, xp.asarray(neginf, dtype=x.dtype), out)

    return nan_to_num


def nan_to_num(input: Any, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Any:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the dtype's largest
    and lowest finite values); integer and bool tensors come back as a copy."""
    from ..typeinfo import finfo

    if not input.dtype.is_floating_point:
        return input.clone()
    info = finfo(input.dtype)
    hi = info.max if posinf is None else float(posinf)
    lo = info.min if neginf is None else float(neginf)
    return NAN_TO_NUM.dispatch((input,), (float(nan), hi, lo))


SIGNBIT = defop("signbit", 1, vjp=None,
                samples=lambda: [Sample((T((3, 4), grad=False),), name="float", gradcheck=False, gradgradcheck=False),
                                 Sample((T((4,), values=[-0.0, 0.0, -math.inf, 2.0], grad=False),), name="zeros",
                                        gradcheck=False, gradgradcheck=False)],
                reference=lambda np, x: np.signbit(x))


@generic("signbit")
def _signbit_kernel(xp: Any) -> Any:
    def signbit(x: Any) -> Any:
        if x.dtype == xp.bool:
            return xp.zeros(x.shape, dtype=xp.bool)
        if hasattr(xp, "isdtype") and xp.isdtype(x.dtype, "integral"):
            return x < 0
        return xp.signbit(x)

    return signbit


def signbit(input: Any) -> Any:  # noqa: A002
    """Whether each element's sign bit is set (True for -0.0), as a bool tensor."""
    return SIGNBIT.dispatch_nograd((input,))


# --- binary: xlogy, hypot, logaddexp(2), copysign, fmax / fmin, nextafter, heaviside, ldexp, gcd / lcm ---


def _float_pair(name: str, input: Any, other: Any) -> tuple:
    """``input`` and ``other`` promoted as PyTorch promotes a float op's operands: integers go to the default
    float dtype, and a Python number on either side becomes a tensor like the other operand."""
    from .creation import full_like

    x, y = promote(input, other, name)
    if not hasattr(x, "_data"):
        x = full_like(y, x, dtype=y.dtype)
    x = float_operand(x)
    if hasattr(y, "_data"):
        if y.dtype is not x.dtype:
            y = _to(y, x.dtype) if y.dtype.category <= x.dtype.category else y
            if y.dtype is not x.dtype:
                x = _to(x, y.dtype)
    return x, y


def _xlogy_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    gx = gy = None
    if need[0]:
        gx = _where((x == 0) & (y <= 0), 0.0, xlogy(g, y))
    if need[1]:
        gy = g * x / y
    return gx, gy


XLOGY = defop("xlogy", 2, vjp=_xlogy_vjp, saves=((0, 1), (0, 1)),
              samples=lambda: [*binary_samples(low=0.5, high=2.0)(),
                               Sample((T((4,), values=[0.0, 0.0, 1.0, 2.0], grad=False),
                                       T((4,), values=[0.0, math.nan, 3.0, 0.5], grad=False)),
                                      name="zeros_and_nan", gradcheck=False, gradgradcheck=False)],
              reference=lambda np, x, y: np.where((x == 0) & ~np.isnan(y), np.zeros_like(x * y),
                                                  x * np.log(np.where((x == 0) & ~np.isnan(y), 1, y))
                                                  ).astype(np.result_type(x, y)))


@generic("xlogy")
def _xlogy_kernel(xp: Any) -> Any:
    def xlogy(x: Any, y: Any) -> Any:
        y = _scalar_operand(xp, y, x)
        zero = (x == 0) & ~xp.isnan(y)
        return xp.where(zero, xp.zeros_like(x * y), x * xp.log(xp.where(zero, xp.ones_like(y), y)))

    return xlogy


def xlogy(input: Any, other: Any) -> Any:  # noqa: A002
    """``input * log(other)``, and 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    x, y = _float_pair("xlogy", input, other)
    return XLOGY.dispatch((x, y))


def _hypot_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    need = ctx.needs_input_grad
    out = ctx.output
    return (g * x / out if need[0] else None, g * y / out if need[1] else None)


HYPOT = defop("hypot", 2, vjp=_hypot_vjp, saves=((0, -1), (1, -1)),
              samples=lambda: [*binary_samples(low=0.5, high=2.0, scalars=False)(),
                               Sample((T((4,), values=[math.inf, math.nan, -math.inf, 3.0], grad=False),
                                       T((4,), values=[math.nan, math.inf, 1.0, 4.0], grad=False)),
                                      name="inf_beats_nan", gradcheck=False, gradgradcheck=False)],
              reference=lambda np, x, y: np.hypot(x, y))


@generic("hypot")
def _hypot_kernel(xp: Any) -> Any:
    native = getattr(xp, "hypot", None)

    def hypot(x: Any, y: Any) -> Any:
        if native is not None:
            return native(x, y)
        ax, ay = xp.abs(x), xp.abs(y)
        big, small = xp.maximum(ax, ay), xp.minimum(ax, ay)
        safe = xp.where(big == 0, xp.ones_like(big), big)
        r = small / safe
        out = big * xp.sqrt(1 + r * r)
        # Note: an infinite side wins over NaN (IEEE 754 hypot).
        return xp.where(xp.isinf(ax) | xp.isinf(ay), xp.full_like(out, math.inf), out)

    return hypot


def _float_tensor_pair(name: str, input: Any, other: Any) -> tuple:
    from .elementwise import _require_tensor

    _require_tensor(name, other)
    x, y = promote(input, other, name)
    _float_only(name, x)
    return x, y


def hypot(input: Any, other: Any) -> Any:  # noqa: A002
    """``sqrt(input**2 + other**2)`` without overflow; an infinite side gives inf even against NaN."""
    _require_input("hypot", input)
    x, y = _float_tensor_pair("hypot", input, other)
    return HYPOT.dispatch((x, y))


def _logaddexp_vjp(base2: bool) -> Any:
    def vjp(ctx: Any, g: Any) -> tuple:
        from .elementwise import sigmoid

        x, y = ctx.inputs
        need = ctx.needs_input_grad
        d = x - y
        if base2:
            d = d * _LN2
        return (g * sigmoid(d) if need[0] else None, g * sigmoid(-d) if need[1] else None)

    return vjp


LOGADDEXP = defop("logaddexp", 2, vjp=_logaddexp_vjp(False), saves=((0, 1), (0, 1)),
                  samples=lambda: [*binary_samples(low=-3.0, high=3.0, scalars=False)(),
                                   Sample((T((4,), values=[math.inf, -math.inf, 800.0, -800.0], grad=False),
                                           T((4,), values=[math.inf, -math.inf, 799.0, -801.0], grad=False)),
                                          name="extremes", gradcheck=False, gradgradcheck=False)],
                  reference=lambda np, x, y: np.logaddexp(x, y))
LOGADDEXP2 = defop("logaddexp2", 2, vjp=_logaddexp_vjp(True), saves=((0, 1), (0, 1)),
                   samples=lambda: [*binary_samples(low=-3.0, high=3.0, scalars=False)(),
                                    Sample((T((4,), values=[math.inf, -math.inf, 800.0, -800.0], grad=False),
                                            T((4,), values=[math.inf, -math.inf, 799.0, -801.0], grad=False)),
                                           name="extremes", gradcheck=False, gradgradcheck=False)],
                   reference=lambda np, x, y: np.logaddexp2(x, y))


def _logaddexp_kernel(base2: bool) -> Any:
    def factory(xp: Any) -> Any:
        def logaddexp(x: Any, y: Any) -> Any:
            big = xp.maximum(x, y)
            d = -xp.abs(xp.where(x == y, xp.zeros_like(big), x - y))
            if base2:
                rest = xp.log1p(xp.exp(d * _LN2)) / _LN2
            else:
                rest = xp.log1p(xp.exp(d))
            # Note: equal infinities give themselves (inf - inf would be NaN).
            return xp.where(x == y, x + (1.0 if base2 else math.log(2.0)), big + rest)

        return logaddexp

    return factory


generic("logaddexp")(_logaddexp_kernel(False))
generic("logaddexp2")(_logaddexp_kernel(True))


def logaddexp(input: Any, other: Any) -> Any:  # noqa: A002
    """``log(exp(input) + exp(other))`` without overflow."""
    _require_input("logaddexp", input)
    x, y = _float_tensor_pair("logaddexp", input, other)
    return LOGADDEXP.dispatch((x, y))


def logaddexp2(input: Any, other: Any) -> Any:  # noqa: A002
    """``log2(2**input + 2**other)`` without overflow."""
    _require_input("logaddexp2", input)
    x, y = _float_tensor_pair("logaddexp2", input, other)
    return LOGADDEXP2.dispatch((x, y))


def _copysign_vjp(ctx: Any, g: Any) -> tuple:
    from .creation import zeros_like

    x, _ = ctx.inputs
    need = ctx.needs_input_grad
    gx = None
    if need[0]:
        out = ctx.output
        gx = _where(x == 0, 0.0, g * out / _where(x == 0, 1.0, x))
    return gx, (zeros_like(g) if need[1] else None)


COPYSIGN = defop("copysign", 2, vjp=_copysign_vjp, saves=((0, -1), ()),
                 samples=lambda: [*binary_samples(low=-2.0, high=2.0)(),
                                  Sample((T((4,), values=[1.0, -2.0, 3.0, 0.0], grad=False),
                                          T((4,), values=[-0.0, 0.0, -math.inf, -1.0], grad=False)),
                                         name="signed_zeros", gradcheck=False, gradgradcheck=False)],
                 reference=lambda np, x, y: np.copysign(x, y))


@generic("copysign")
def _copysign_kernel(xp: Any) -> Any:
    def copysign(x: Any, y: Any) -> Any:
        return xp.copysign(x, _scalar_operand(xp, y, x))

    return copysign


def copysign(input: Any, other: Any) -> Any:  # noqa: A002
    """``|input|`` with the sign of ``other`` (-0.0 counts as negative); integer inputs give floats."""
    _require_input("copysign", input, _TENSOR_OR_NUMBER_OTHER)
    x, y = _float_pair("copysign", input, other)
    return COPYSIGN.dispatch((x, y))


def _fmax_vjp(kind: str) -> Any:
    def vjp(ctx: Any, g: Any) -> tuple:
        x, y = ctx.inputs
        need = ctx.needs_input_grad
        x_wins = ((x >= y) if kind == "max" else (x <= y)) | y.isnan()
        return (_where(x_wins, g, 0.0) if need[0] else None, _where(x_wins, 0.0, g) if need[1] else None)

    return vjp


FMAX = defop("fmax", 2, vjp=_fmax_vjp("max"), saves=((0, 1), (0, 1)),
             samples=lambda: [*binary_samples(scalars=False)(),
                              Sample((T((4,), values=[math.nan, 1.0, math.nan, 2.0], grad=False),
                                      T((4,), values=[1.0, math.nan, math.nan, 3.0], grad=False)),
                                     name="nan", gradcheck=False, gradgradcheck=False)],
             reference=lambda np, x, y: np.fmax(x, y))
FMIN = defop("fmin", 2, vjp=_fmax_vjp("min"), saves=((0, 1), (0, 1)),
             samples=lambda: [*binary_samples(scalars=False)(),
                              Sample((T((4,), values=[math.nan, 1.0, math.nan, 2.0], grad=False),
                                      T((4,), values=[1.0, math.nan, math.nan, 3.0], grad=False)),
                                     name="nan", gradcheck=False, gradgradcheck=False)],
             reference=lambda np, x, y: np.fmin(x, y))


def _fmax_kernel(kind: str) -> Any:
    def factory(xp: Any) -> Any:
        pick = xp.maximum if kind == "max" else xp.minimum

        def fmax(x: Any, y: Any) -> Any:
            if hasattr(xp, "isdtype") and not xp.isdtype(x.dtype, ("real floating", "complex floating")):
                return pick(x, y)
            return xp.where(xp.isnan(y), x, xp.where(xp.isnan(x), y, pick(y, x)))  # ties: x, as PyTorch

        return fmax

    return factory


generic("fmax")(_fmax_kernel("max"))
generic("fmin")(_fmax_kernel("min"))


def fmax(input: Any, other: Any) -> Any:  # noqa: A002
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    _require_input("fmax", input)
    from .elementwise import _require_tensor

    _require_tensor("fmax", other)
    return FMAX.dispatch(promote(input, other, "fmax"))


def fmin(input: Any, other: Any) -> Any:  # noqa: A002
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    _require_input("fmin", input)
    from .elementwise import _require_tensor

    _require_tensor("fmin", other)
    return FMIN.dispatch(promote(input, other, "fmin"))


NEXTAFTER = defop("nextafter", 2, vjp=None,
                  samples=lambda: [Sample((T((3, 4), grad=False), T((3, 4), grad=False)), name="same",
                                          gradcheck=False, gradgradcheck=False),
                                   Sample((T((4,), values=[0.0, 1.0, -1.0, 2.0], grad=False),
                                           T((1,), values=[1.0], grad=False)), name="broadcast",
                                          gradcheck=False, gradgradcheck=False)],
                  reference=lambda np, x, y: np.nextafter(x, y))


@generic("nextafter")
def _nextafter_kernel(xp: Any) -> Any:
    return xp.nextafter


def nextafter(input: Any, other: Any) -> Any:  # noqa: A002
    """The next float after ``input`` towards ``other``."""
    _require_input("nextafter", input)
    x, y = _float_tensor_pair("nextafter", input, other)
    return NEXTAFTER.dispatch_nograd((x, y))


HEAVISIDE = defop("heaviside", 2, vjp=None,
                  samples=lambda: [Sample((T((4,), values=[-1.0, 0.0, 2.0, 0.0], grad=False),
                                           T((1,), values=[0.5], grad=False)), name="broadcast",
                                          gradcheck=False, gradgradcheck=False),
                                   Sample((T((3, 4), grad=False), T((3, 4), grad=False)), name="same",
                                          gradcheck=False, gradgradcheck=False)],
                  reference=lambda np, x, v: np.heaviside(x, v))


@generic("heaviside")
def _heaviside_kernel(xp: Any) -> Any:
    def heaviside(x: Any, values: Any) -> Any:
        values = xp.broadcast_to(values, xp.broadcast_arrays(x, values)[0].shape)
        one = xp.ones_like(values)
        return xp.where(x == 0, values, xp.where(x > 0, one, xp.zeros_like(values)))

    return heaviside


def heaviside(input: Any, values: Any) -> Any:  # noqa: A002
    """The Heaviside step: 0 below zero, 1 above, ``values`` at zero (both tensors of one dtype)."""
    _require_input("heaviside", input)
    from .elementwise import _require_tensor

    _require_tensor("heaviside", values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return HEAVISIDE.dispatch_nograd(promote(input, values, "heaviside"))


def ldexp(input: Any, other: Any) -> Any:  # noqa: A002
    """``input * 2 ** other``, computed as PyTorch computes it (a product, so the gradient is mul's)."""
    _require_input("ldexp", input)
    if hasattr(other, "_data") and other.dtype is _dt.bool_:
        raise NotImplementedError('"ldexp_cpu_exp" not implemented for \'Bool\'')
    from .elementwise import mul, pow

    x = float_operand(input)
    return mul(x, pow(2.0, other))


def _euclid(xp: Any, a: Any, b: Any) -> Any:
    a, b = xp.abs(a), xp.abs(b)
    while bool(xp.any(b != 0)):
        nonzero = b != 0
        safe = xp.where(nonzero, b, xp.ones_like(b))
        a, b = xp.where(nonzero, b, a), xp.where(nonzero, a % safe, xp.zeros_like(b))
    return a


GCD = defop("gcd", 2, vjp=None,
            samples=lambda: [Sample((T((3, 4), -50, 50, dtype="int64", grad=False),
                                     T((3, 4), -50, 50, dtype="int64", grad=False)), name="int64", gradcheck=False,
                                    gradgradcheck=False),
                             Sample((T((3,), values=[0, 12, -18], dtype="int64", grad=False),
                                     T((3,), values=[0, -8, 0], dtype="int64", grad=False)), name="zeros",
                                    gradcheck=False, gradgradcheck=False)],
            reference=lambda np, x, y: np.gcd(x, y))
LCM = defop("lcm", 2, vjp=None,
            samples=lambda: [Sample((T((3, 4), -50, 50, dtype="int64", grad=False),
                                     T((3, 4), -50, 50, dtype="int64", grad=False)), name="int64", gradcheck=False,
                                    gradgradcheck=False),
                             Sample((T((3,), values=[0, 12, -18], dtype="int64", grad=False),
                                     T((3,), values=[0, -8, 4], dtype="int64", grad=False)), name="zeros",
                                    gradcheck=False, gradgradcheck=False)],
            reference=lambda np, x, y: np.lcm(x, y))


@generic("gcd")
def _gcd_kernel(xp: Any) -> Any:
    def gcd(x: Any, y: Any) -> Any:
        x, y = xp.broadcast_arrays(x, _scalar_operand(xp, y, x))
        return _euclid(xp, x, y)

    return gcd


@generic("lcm")
def _lcm_kernel(xp: Any) -> Any:
    def lcm(x: Any, y: Any) -> Any:
        x, y = xp.broadcast_arrays(x, _scalar_operand(xp, y, x))
        g = _euclid(xp, x, y)
        safe = xp.where(g == 0, xp.ones_like(g), g)
        return xp.where(g == 0, xp.zeros_like(g), xp.abs(x // safe * y))

    return lcm


def _int_pair(name: str, input: Any, other: Any) -> tuple:
    from .elementwise import _require_tensor

    _require_tensor(name, other)
    x, y = promote(input, other, name)
    _integral_only(name, x)
    return x, y


def gcd(input: Any, other: Any) -> Any:  # noqa: A002
    """The greatest common divisor, elementwise, of integer tensors (non-negative; gcd(0, 0) = 0)."""
    _require_input("gcd", input)
    return GCD.dispatch_nograd(_int_pair("gcd", input, other))


def lcm(input: Any, other: Any) -> Any:  # noqa: A002
    """The least common multiple, elementwise, of integer tensors (non-negative; 0 if either is 0)."""
    _require_input("lcm", input)
    return LCM.dispatch_nograd(_int_pair("lcm", input, other))


def _frexp_vjp(ctx: Any, grads: Any) -> tuple:
    from .conversion import _to_dtype
    from .elementwise import exp2

    exponent = ctx.outputs[1]
    return (grads[0] / exp2(_to_dtype(exponent, grads[0].dtype)),)


FREXP = defop("frexp", 1, vjp=_frexp_vjp, nout=2, differentiable_outputs=(True, False), saves=((-1,),),
              supports_gradgrad=False,
              samples=lambda: [*unary_samples(low=-8.0, high=8.0)(),
                               Sample((T((4,), values=[0.0, 8.0, -0.375, 1e-3]),), name="exact", gradcheck=False,
                                      gradgradcheck=False)],
              reference=lambda np, x: (lambda m, e: (m, e.astype(np.int32)))(*np.frexp(x)))


@generic("frexp")
def _frexp_kernel(xp: Any) -> Any:
    native = getattr(xp, "frexp", None)

    def frexp(x: Any) -> tuple:
        if native is not None:
            m, e = native(x)
            return m, _astype(xp, e, xp.int32)
        # |x| = m 2**e with 0.5 <= |m| < 1: the exponent from log2, corrected by one where it rounds wrong.
        a = xp.abs(x)
        finite = xp.isfinite(a) & (a != 0)
        safe = xp.where(finite, a, xp.ones_like(a))
        e = xp.floor(xp.log2(safe)) + 1
        m = safe / xp.pow(xp.asarray(2.0, dtype=x.dtype), e)
        e = xp.where(m >= 1, e + 1, xp.where(m < 0.5, e - 1, e))
        m = safe / xp.pow(xp.asarray(2.0, dtype=x.dtype), e)
        m = xp.where(finite, xp.where(x < 0, -m, m), x)
        return m, _astype(xp, xp.where(finite, e, xp.zeros_like(e)), xp.int32)

    return frexp


def frexp(input: Any) -> Any:  # noqa: A002
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent`` and ``0.5 <= |mantissa| < 1``."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return return_types.frexp(FREXP.dispatch((input,)))


# --- isin, isneginf / isposinf / isreal ---------------------------------------------------------------


ISIN = defop("isin", 2, vjp=None,
             samples=lambda: [Sample((T((3, 4), values=[[1, 2, 3, 4]] * 3, dtype="int64", grad=False),
                                      T((3,), values=[2, 4, 9], dtype="int64", grad=False)), (False,), name="int64",
                                     gradcheck=False, gradgradcheck=False),
                              Sample((T((2, 2), values=[[1.0, 2.0], [3.0, 4.0]], grad=False),
                                      T((2,), values=[2.0, 3.0], grad=False)), (True,), name="invert",
                                     gradcheck=False, gradgradcheck=False)],
             reference=lambda np, x, t, invert: np.isin(x, t, invert=invert))


@generic("isin")
def _isin_kernel(xp: Any) -> Any:
    def isin(x: Any, test: Any, invert: bool) -> Any:
        flat = xp.reshape(test, (-1,))
        hit = xp.any(xp.reshape(x, x.shape + (1,)) == flat, axis=-1) if flat.shape[0] else \
            xp.zeros(x.shape, dtype=xp.bool)
        return ~hit if invert else hit

    return isin


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Any:
    """Whether each of ``elements`` is among ``test_elements`` (either may be a Python number)."""
    from ..factories import tensor

    if not hasattr(elements, "_data") and not hasattr(test_elements, "_data"):
        raise TypeError("isin() received an invalid combination of arguments: at least one of 'elements' and "
                        "'test_elements' must be a Tensor")
    if not hasattr(elements, "_data"):
        elements = tensor(elements, device=test_elements.device)
    if not hasattr(test_elements, "_data"):
        test_elements = tensor(test_elements, device=elements.device)
    x, t = promote(elements, test_elements, "isin")
    return ISIN.dispatch_nograd((x, t), (bool(invert),))


def isneginf(input: Any) -> Any:  # noqa: A002
    """Whether each element is -inf."""
    return input.isinf() & (input < 0) if input.dtype.is_floating_point else input.isinf()


def isposinf(input: Any) -> Any:  # noqa: A002
    """Whether each element is +inf."""
    return input.isinf() & (input > 0) if input.dtype.is_floating_point else input.isinf()


def isreal(input: Any) -> Any:  # noqa: A002
    """Whether each element is real: True everywhere for real dtypes, ``imag == 0`` for complex ones."""
    from .creation import full_like

    if input.dtype.is_complex:
        return input.imag == 0
    return full_like(input, True, dtype=_dt.bool_)


# --- searchsorted / bucketize ----------------------------------------------------------------------


SEARCHSORTED = defop("searchsorted", 2, vjp=None,
                     samples=lambda: [Sample((T((5,), values=[1.0, 3.0, 5.0, 7.0, 9.0], grad=False),
                                              T((2, 3), values=[[3.0, 6.0, 9.0], [0.0, 10.0, 5.0]], grad=False)),
                                             ("left",), name="left", gradcheck=False, gradgradcheck=False),
                                      Sample((T((2, 3), values=[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]], grad=False),
                                              T((2, 2), values=[[3.0, 6.0], [4.0, 1.0]], grad=False)),
                                             ("right",), name="rows_right", gradcheck=False, gradgradcheck=False)],
                     reference=lambda np, s, v, side: (np.searchsorted(s, v, side=side) if s.ndim == 1 else
                                                       np.stack([np.searchsorted(a, b, side=side)
                                                                 for a, b in zip(s, v)])).astype(np.int64))


@generic("searchsorted")
def _searchsorted_kernel(xp: Any) -> Any:
    def searchsorted(boundaries: Any, values: Any, side: str) -> Any:
        if boundaries.ndim <= 1:
            flat = xp.reshape(values, (-1,))
            found = xp.searchsorted(xp.reshape(boundaries, (-1,)), flat, side=side)
            return _astype(xp, xp.reshape(found, values.shape), xp.int64)
        n = boundaries.shape[-1]
        rows = xp.reshape(boundaries, (-1, n))
        vals = xp.reshape(values, (rows.shape[0], -1))
        found = [xp.searchsorted(rows[i], vals[i], side=side) for i in range(rows.shape[0])]
        stacked = xp.stack(found) if found else xp.zeros(vals.shape, dtype=xp.int64)
        return _astype(xp, xp.reshape(stacked, values.shape), xp.int64)

    return searchsorted


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter: Any = None, out: Any = None) -> Any:
    """Where ``input``'s values would go in ``sorted_sequence`` (the innermost dimension, sorted ascending, or
    put in order by ``sorter``) to keep it sorted: the first such index, or the last with ``right=True``."""
    from ..factories import tensor
    from .conversion import _to_dtype

    if out is not None:
        from .shape import write_out

        return write_out("searchsorted", out, (), lambda: searchsorted(
            sorted_sequence, input, out_int32=out_int32, right=right, side=side, sorter=sorter))
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    scalar = not hasattr(input, "_data")
    values = tensor(input, device=sorted_sequence.device) if scalar else input
    s = sorted_sequence
    if sorter is not None:
        if tuple(sorter.shape) != tuple(s.shape):
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(s.shape)}and got sorter tensor {list(sorter.shape)}")
        s = s.gather(-1, sorter)
    if s.ndim > 1 and tuple(s.shape[:-1]) != tuple(values.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor {list(s.shape)} "
            f"and input value tensor {list(values.shape)}")
    if s.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    target = _dt.result_type([(s.dtype, s.ndim), (values.dtype, values.ndim)])
    s = s if s.dtype is target else _to(s, target)
    v = values if values.dtype is target else _to(values, target)
    found = SEARCHSORTED.dispatch_nograd((s, v), ("right" if right else "left",))
    return _to_dtype(found, _dt.int32) if out_int32 else found


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
              out: Any = None) -> Any:
    """The index of the bucket of each value of ``input``, for the 1-D sorted ``boundaries``:
    ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right=True``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:  # noqa: A002
    """The values of ``input`` at ``indices`` along ``dim`` (both broadcast elsewhere); with no ``dim``, over
    the flattened input."""
    from .comparison import _broadcast_shapes
    from .reduction import _one_dim
    from .shape import expand, reshape

    if indices.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_short(indices.dtype)}")
    if dim is None:
        return reshape(input, (-1,)).gather(0, reshape(indices, (-1,)))
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    d = _one_dim(dim, input.ndim)
    si, sx = list(input.shape), list(indices.shape)
    si[d] = sx[d] = 1
    batch = list(_broadcast_shapes(tuple(si), tuple(sx)))
    in_shape, idx_shape = list(batch), list(batch)
    in_shape[d], idx_shape[d] = input.shape[d], indices.shape[d]
    x = input if list(input.shape) == in_shape else expand(input, tuple(in_shape))
    idx = indices if list(indices.shape) == idx_shape else expand(indices, tuple(idx_shape))
    return x.gather(d, idx)


# --- cummax / cummin / logcumsumexp ---------------------------------------------------------------------


def _cumextremum_vjp(ctx: Any, grads: Any) -> tuple:
    from .creation import zeros_like
    from .indexing import scatter_add

    g = grads[0]
    (dim,) = ctx.attrs
    if not ctx.input_shape(0):
        return (g,)
    return (scatter_add(zeros_like(g), dim, ctx.outputs[1], g),)


def _np_cumextremum(np: Any, x: Any, dim: int, kind: str) -> tuple:
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    xm = np.moveaxis(x, dim, -1)
    values, indices = np.empty_like(xm), np.zeros(xm.shape, dtype=np.int64)
    for pos in np.ndindex(*xm.shape[:-1]):
        best, at = None, 0
        for i, v in enumerate(xm[pos]):
            if best is None or v != v or (best == best and (v >= best if kind == "max" else v <= best)):
                best, at = v, i
            values[pos + (i,)], indices[pos + (i,)] = best, at
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


def _cumextremum_samples() -> list[Sample]:
    return [Sample((T((3, 4)),), (1,), name="dim1"),
            Sample((T((3, 4)),), (0,), name="dim0"),
            Sample((T(()),), (0,), name="zero_dim"),
            Sample((T((2, 5), values=[[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, math.nan, 1.0, 5.0, 0.0]], grad=False),),
                   (1,), name="ties_and_nan", gradcheck=False, gradgradcheck=False),
            Sample((T((0, 3)),), (1,), name="empty", gradgradcheck=False)]


CUMMAX = defop("cummax", 1, vjp=_cumextremum_vjp, nout=2, differentiable_outputs=(True, False), saves=((-1,),),
               samples=_cumextremum_samples, reference=lambda np, x, dim: _np_cumextremum(np, x, dim, "max"))
CUMMIN = defop("cummin", 1, vjp=_cumextremum_vjp, nout=2, differentiable_outputs=(True, False), saves=((-1,),),
               samples=_cumextremum_samples, reference=lambda np, x, dim: _np_cumextremum(np, x, dim, "min"))


def _cumextremum_kernel(kind: str) -> Any:
    def factory(xp: Any) -> Any:
        def cumextremum(x: Any, dim: int) -> tuple:
            if x.ndim == 0:
                return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
            xm = xp.moveaxis(x, dim, -1)
            n = xm.shape[-1]
            if n == 0 or xm.size == 0:
                return xp.asarray(x, copy=True), xp.zeros(x.shape, dtype=xp.int64)
            floating = not (hasattr(xp, "isdtype") and xp.isdtype(x.dtype, ("integral", "bool")))
            best = xm[..., 0]
            at = xp.zeros(best.shape, dtype=xp.int64)
            values, indices = [best], [at]
            for i in range(1, n):
                v = xm[..., i]
                # Note: >= (<=): a tie moves the index to the later element; a NaN wins and then stays.
                take = (v >= best) if kind == "max" else (v <= best)
                if floating:
                    take = xp.isnan(v) | (take & ~xp.isnan(best))
                best = xp.where(take, v, best)
                at = xp.where(take, xp.asarray(i, dtype=xp.int64), at)
                values.append(best)
                indices.append(at)
            return xp.moveaxis(xp.stack(values, axis=-1), -1, dim), xp.moveaxis(xp.stack(indices, axis=-1), -1, dim)

        return cumextremum

    return factory


generic("cummax")(_cumextremum_kernel("max"))
generic("cummin")(_cumextremum_kernel("min"))


def cummax(input: Any, dim: int) -> Any:  # noqa: A002
    """``(values, indices)``: the running maximum along ``dim`` and where it was found (the later of ties)."""
    from .reduction import _one_dim

    return return_types.cummax(CUMMAX.dispatch((input,), (_one_dim(dim, input.ndim),)))


def cummin(input: Any, dim: int) -> Any:  # noqa: A002
    """``(values, indices)``: the running minimum along ``dim`` and where it was found (the later of ties)."""
    from .reduction import _one_dim

    return return_types.cummin(CUMMIN.dispatch((input,), (_one_dim(dim, input.ndim),)))


def _logcumsumexp_vjp(ctx: Any, g: Any) -> tuple:
    # d out_j / d x_k = exp(x_k - out_j) for k <= j: summed over j >= k with the pair mask (twice differentiable).
    from .elementwise import exp
    from .reduction import _pair_mask, _unsqueeze
    from .reduction import sum as _sum

    (x,) = ctx.inputs
    (dim,) = ctx.attrs
    if not ctx.input_shape(0) or 0 in ctx.input_shape(0):
        return (g,)
    out = ctx.output
    weights = exp(_unsqueeze(x, dim + 1) - _unsqueeze(out, dim))
    later = _pair_mask(x, dim, "ge")
    return (_sum(_where(later, weights * _unsqueeze(g, dim), 0.0), dim + 1),)


LOGCUMSUMEXP = defop("logcumsumexp", 1, vjp=_logcumsumexp_vjp, saves=((0, -1),),
                     samples=lambda: [Sample((T((3, 4)),), (1,), name="dim1"),
                                      Sample((T((3, 4)),), (0,), name="dim0"),
                                      Sample((T(()),), (0,), name="zero_dim"),
                                      Sample((T((4,), values=[-1000.0, 0.0, -math.inf, 1000.0]),), (0,),
                                             name="extremes", gradcheck=False, gradgradcheck=False),
                                      Sample((T((0, 3)),), (1,), name="empty", gradgradcheck=False)],
                     reference=lambda np, x, dim: np.logaddexp.accumulate(x, axis=dim) if x.ndim else x.copy())


@generic("logcumsumexp")
def _logcumsumexp_kernel(xp: Any) -> Any:
    logaddexp = _logaddexp_kernel(False)(xp)

    def logcumsumexp(x: Any, dim: int) -> Any:
        if x.ndim == 0 or x.size == 0:
            return xp.asarray(x, copy=True)
        xm = xp.moveaxis(x, dim, -1)
        acc = xm[..., 0]
        out = [acc]
        for i in range(1, xm.shape[-1]):
            acc = logaddexp(acc, xm[..., i])
            out.append(acc)
        return xp.moveaxis(xp.stack(out, axis=-1), -1, dim)

    return logcumsumexp


def logcumsumexp(input: Any, dim: int) -> Any:  # noqa: A002
    """``log(cumsum(exp(input), dim))``, computed without overflow or underflow."""
    from .reduction import _one_dim

    x = float_operand(input)
    return LOGCUMSUMEXP.dispatch((x,), (_one_dim(dim, x.ndim),))


# --- quantile, nanquantile, nanmedian, msort --------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name: str, input: Any, q: Any, dim: Any, keepdim: bool, interpolation: str,  # noqa: A002
              ignore_nan: bool) -> Any:
    from ..factories import tensor
    from .conversion import _to_dtype
    from .elementwise import ceil, floor, lerp
    from .elementwise import round as _round
    from .reduction import _one_dim, sort
    from .reduction import any as _any
    from .reduction import sum as _sum
    from .shape import expand, movedim, reshape, squeeze

    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    if hasattr(q, "_data"):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        q_values = [float(v) for v in q.detach().cpu().reshape(-1).tolist()]
        q_vector = q.ndim == 1
    else:
        q_values, q_vector = [float(q)], False
    if any(not 0 <= v <= 1 for v in q_values):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]" if hasattr(q, "_data")
                           else f"{name}() q must be in the range [0, 1] but got {q_values[0]}")
    x = reshape(input, (-1,)) if dim is None else movedim(input, _one_dim(dim, input.ndim), -1)
    if x.ndim == 0:
        x = reshape(x, (1,))
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    n = x.shape[-1]
    ordered = sort(x, -1).values  # NaN sorts last
    nan = x.isnan()
    if ignore_nan:
        count = _sum(~nan, -1, keepdim=True)
        last = _to_dtype(count - 1, input.dtype)
    else:
        last = tensor(float(n - 1), dtype=input.dtype, device=input.device)
    qs = tensor(q_values, dtype=input.dtype, device=input.device)
    qs = reshape(qs, (len(q_values),) + (1,) * x.ndim)
    rank = qs * last
    if ignore_nan:
        rank = _where(_to_dtype(count, input.dtype) == 0, float(n - 1), rank)
    else:
        rank = _where(_any(nan, -1, keepdim=True), float(n - 1), rank)
    shape = (len(q_values),) + tuple(x.shape[:-1]) + (1,)
    rank = expand(rank, shape)
    spread = expand(reshape(ordered, (1,) + tuple(ordered.shape)), (len(q_values),) + tuple(ordered.shape))
    if interpolation == "nearest":
        values = spread.gather(-1, _to_dtype(_round(rank), _dt.int64))
    else:
        below = floor(rank)
        lo = spread.gather(-1, _to_dtype(below, _dt.int64))
        hi = spread.gather(-1, _to_dtype(ceil(rank), _dt.int64))
        if interpolation == "lower":
            values = lo
        elif interpolation == "higher":
            values = hi
        else:
            weight = (rank - below) if interpolation == "linear" else rank * 0 + 0.5
            values = lerp(lo, hi, weight)
    values = squeeze(values, -1)
    if keepdim:
        if dim is None:
            values = reshape(values, (len(q_values),) + (1,) * input.ndim)
        else:
            values = values.unsqueeze(_one_dim(dim, input.ndim) + 1)
    return values if q_vector else squeeze(values, 0)


def quantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear") -> Any:
    """The ``q``-quantiles of ``input`` (over all elements, or along ``dim``); NaN where a slice holds NaN.

    ``q`` is a number or a 1-D tensor (its quantiles stack along a new first dimension)."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear") -> Any:
    """:func:`quantile` ignoring NaN values (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def nanmedian(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median of the non-NaN values; with ``dim``, ``(values, indices)`` along it."""
    from .conversion import _to_dtype
    from .reduction import _nonempty, _one_dim, median, sort
    from .reduction import sum as _sum
    from .shape import reshape, squeeze

    if not input.isnan().any():
        return median(input, dim, keepdim) if dim is not None else median(input)
    if dim is None:
        x = reshape(input, (-1,))
        count = int(_sum(~x.isnan()))
        ordered = sort(x).values
        return ordered[max(count - 1, 0) // 2] if count else ordered[0]
    d = _one_dim(dim, input.ndim)
    _nonempty("nanmedian", input, (d,))
    if input.ndim == 0:
        return return_types.nanmedian((input.clone(), _to_dtype(input * 0, _dt.int64)))
    ordered = sort(input, d, stable=True)
    count = _sum(~input.isnan(), d, keepdim=True)
    pick = (count - 1).clamp(min=0) // 2
    values = ordered.values.gather(d, pick)
    indices = ordered.indices.gather(d, pick)
    if not keepdim:
        values, indices = squeeze(values, d), squeeze(indices, d)
    return return_types.nanmedian((values, indices))


def msort(input: Any) -> Any:  # noqa: A002
    """``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    from .reduction import sort

    return sort(input, 0).values


# --- cov / corrcoef / trapezoid / histc ----------------------------------------------------------------


def cov(input: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Any:  # noqa: A002
    """The covariance matrix of the variables in the rows of ``input`` (observations in the columns), with
    optional integer frequency weights and float observation weights, as ``torch.cov`` computes it."""
    from .linalg import matmul
    from .reduction import sum as _sum
    from .shape import reshape

    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = reshape(input, (1, -1)) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fweights.ndim} dimensions")
        if fweights.dtype.category != 1:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_short(fweights.dtype)} dtype")
        if fweights.numel() != n:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fweights.numel()} != {n}")
        if bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aweights.ndim} dimensions")
        if not aweights.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_short(aweights.dtype)} dtype")
        if aweights.numel() != n:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aweights.numel()} != {n}")
        if bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    x = float_operand(x)
    norm: Any
    if w is None:
        total = float(n)
        avg = _sum(x, 1) / n
        norm = total - correction
    else:
        w = _to(w, x.dtype) if w.dtype is not x.dtype and w.dtype.category < 2 else w
        total = _sum(w)
        avg = _sum(x * w, 1) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * _sum(w * aweights) / total
    if not hasattr(norm, "_data") and norm <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = 0.0
    elif hasattr(norm, "_data"):
        norm = norm.clamp(min=0)
    centered = x - avg.unsqueeze(1)
    weighted = centered if w is None else centered * w
    out = matmul(weighted, centered.conj().t() if centered.dtype.is_complex else centered.t()) / norm
    return out.squeeze()


def corrcoef(input: Any) -> Any:  # noqa: A002
    """The Pearson correlation coefficients of the rows of ``input`` (clipped to [-1, 1])."""
    from .elementwise import sqrt
    from .linalg import diagonal

    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = diagonal(c)
    stddev = sqrt(d)
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


def _trapezoid_dim(y: Any, dim: int) -> int:
    from .reduction import _one_dim

    if y.ndim == 0:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
    return _one_dim(dim, y.ndim)


def _dx_of(x: Any, y: Any, d: int) -> Any:
    """The spacings of the sample points ``x`` along ``d`` (a 1-D ``x`` spans ``y``'s dimension ``d``)."""
    from .shape import narrow, reshape

    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point in `y`, got "
                               f"{x.shape[0]} values for {y.shape[d]} samples")
        dx = x[1:] - x[:-1]
        return reshape(dx, (-1,) + (1,) * (y.ndim - 1 - d))
    n = x.shape[d]
    return narrow(x, d, 1, n - 1) - narrow(x, d, 0, n - 1)


def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The trapezoidal rule along ``dim``: at points ``x`` (a tensor), or with spacing ``dx`` (default 1)."""
    from .reduction import sum as _sum
    from .shape import narrow

    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: give x or dx, not both")
    if x is not None and not hasattr(x, "_data"):
        dx, x = x, None
    d = _trapezoid_dim(y, dim)
    n = y.shape[d]
    if n == 0:
        return _sum(y, d) * 0
    pair = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is None:
        return _sum(pair, d) * ((1.0 if dx is None else dx) / 2.0)
    return _sum(_dx_of(x, y, d) * pair, d) / 2.0


def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The older name of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The running trapezoidal rule along ``dim`` (one element fewer than ``y`` along it)."""
    from .reduction import cumsum
    from .shape import narrow

    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: give x or dx, not "
                        "both")
    if x is not None and not hasattr(x, "_data"):
        dx, x = x, None
    d = _trapezoid_dim(y, dim)
    n = y.shape[d]
    if n == 0:
        return y.clone()
    pair = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is None:
        return cumsum(pair * ((1.0 if dx is None else dx) / 2.0), d)
    return cumsum(_dx_of(x, y, d) * pair / 2.0, d)


HISTC = defop("histc", 1, vjp=None,
              samples=lambda: [Sample((T((4,), values=[1.0, 2.0, 1.0, 3.0], grad=False),), (4, 0.0, 3.0),
                                      name="edges", gradcheck=False, gradgradcheck=False),
                               Sample((T((3, 4), grad=False),), (5, -0.5, 0.5), name="outside", gradcheck=False,
                                      gradgradcheck=False)],
              reference=lambda np, x, bins, lo, hi: np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype))


@generic("histc")
def _histc_kernel(xp: Any) -> Any:
    def histc(x: Any, bins: int, lo: float, hi: float) -> Any:
        flat = xp.reshape(x, (-1,))
        keep = (flat >= lo) & (flat <= hi)
        flat = flat[keep]
        # Note: PyTorch's bin position: (x - min) * bins / (max - min), truncated; the maximum joins the last bin.
        pos = _astype(xp, xp.floor((flat - lo) * bins / (hi - lo)), xp.int64)
        pos = xp.where(pos >= bins, xp.asarray(bins - 1, dtype=xp.int64), pos)
        counts = xp.sum(xp.reshape(pos, (-1, 1)) == xp.reshape(xp.arange(bins), (1, -1)), axis=0) if \
            pos.shape[0] else xp.zeros((bins,), dtype=xp.int64)
        return _astype(xp, counts, x.dtype)

    return histc


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Any:  # noqa: A001,A002
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both are 0); values outside
    are ignored. The counts have ``input``'s dtype."""
    if not input.dtype.is_floating_point:
        raise _not_implemented("histogram", input, "histc needs a floating point tensor")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0, but got " + str(bins) + " for dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"torch.histc: min ({lo}) must be less than or equal to max ({hi})")
    if lo == hi and input.numel():
        lo, hi = float(input.min()), float(input.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    return HISTC.dispatch_nograd((input,), (int(bins), lo, hi))


def _histogram_edges(fname: str, sample: Any, bins: Any, range: Any) -> list:  # noqa: A002
    """One 1-D tensor of bin edges per column of ``sample`` (n, d): given, or ``bins[i] + 1`` equal steps over
    ``range`` (the column's min and max when None, widened by 0.5 each side when they are equal)."""
    from ..factories import linspace

    d = sample.shape[1]
    if hasattr(bins, "_data") or (isinstance(bins, (list, tuple)) and bins and hasattr(bins[0], "_data")):
        edges = [bins] if hasattr(bins, "_data") else list(bins)
        if len(edges) != d:
            raise RuntimeError(f"{fname}: expected {d} sequences of bin edges for each dimension, but got "
                               f"{len(edges)}")
        for i, e in enumerate(edges):
            if e.ndim != 1 or e.shape[0] < 1:
                raise RuntimeError(f"{fname}: bins tensor should have one dimension and at least 1 element, but "
                                   f"got {e.ndim} dimensions and {e.numel()} elements for dimension {i}")
        return [e.to(sample.dtype) for e in edges]
    counts = [int(bins)] * d if isinstance(bins, int) else [int(b) for b in bins]
    if len(counts) != d:
        raise RuntimeError(f"{fname}: expected {d} bins, but got {len(counts)}")
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(f"{fname}: for a {d}-dimensional histogram range should have {2 * d} elements, but "
                           f"got {len(range)}")
    out = []
    for i, n in enumerate(counts):
        if n <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for dimension {i}")
        if range is not None:
            lo, hi = float(range[2 * i]), float(range[2 * i + 1])
        elif sample.shape[0]:
            lo, hi = float(sample[:, i].min()), float(sample[:, i].max())
        else:
            lo, hi = 0.0, 0.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"{fname}: range of [{lo}, {hi}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                               f"dimension {i}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        out.append(linspace(lo, hi, n + 1, dtype=sample.dtype, device=sample.device))
    return out


def _histogram_counts(fname: str, sample: Any, bins: Any, range: Any, weight: Any, density: bool) -> tuple:  # noqa: A002
    """The counts (weighted) of the rows of ``sample`` (n, d) in the bins of each column, and the edges."""
    from ..autograd.grad_mode import no_grad
    from ..factories import zeros
    from .comparison import where
    if not sample.dtype.is_floating_point:
        raise NotImplementedError(f'"histogramdd" not implemented for \'{sample.dtype.legacy[:-6]}\'')
    with no_grad():
        edges = _histogram_edges(fname, sample, bins, range)
        n = sample.shape[0]
        flat = zeros(n, dtype=_dt.int64, device=sample.device)
        keep = zeros(n, dtype=_dt.bool_, device=sample.device) == 0
        sizes = [e.shape[0] - 1 for e in edges]
        for i, e in enumerate(edges):
            col = sample[:, i].contiguous()
            nb = sizes[i]
            # A value in [edges[k], edges[k+1]) goes to bin k; the last edge belongs to the last bin.
            pos = searchsorted(e, col, right=True) - 1
            pos = where(col == e[-1], nb - 1, pos)
            keep = keep & (col >= e[0]) & (col <= e[-1]) & (pos >= 0) & (pos < max(nb, 1))
            flat = flat * max(nb, 1) + pos.clamp(0, max(nb - 1, 0))
        w = weight.reshape(-1).to(sample.dtype) if weight is not None else \
            zeros(n, dtype=sample.dtype, device=sample.device) + 1
        total = 1
        for nb in sizes:
            total *= nb
        hist = zeros(total, dtype=sample.dtype, device=sample.device)
        if total:
            hist = hist.index_add(0, flat[keep], w[keep])
        hist = hist.reshape(tuple(sizes))
        if density:
            volume = None
            for i, e in enumerate(edges):
                width = (e[1:] - e[:-1]).reshape(tuple(-1 if j == i else 1 for j in _builtins.range(len(edges))))
                volume = width if volume is None else volume * width
            hist = hist / (hist.sum() * (volume if volume is not None else 1))
    return hist, edges


def histogram(input: Any, bins: Any = 100, *, range: Any = None, weight: Any = None,  # noqa: A002
              density: bool = False, out: Any = None) -> Any:
    """``(hist, bin_edges)``: the counts (or ``weight`` sums) of ``input``'s elements in ``bins`` equal bins over
    ``range`` (the data's min and max when None), or between the edges of a 1-D tensor ``bins``; ``density``
    divides by the total and the bin widths. The last bin includes its right edge."""
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError("torch.histogram: if weight tensor is provided, it should have the same shape as the "
                           "input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    hist, edges = _histogram_counts("torch.histogram", input.reshape(-1, 1), bins, range, weight, density)
    return return_types.histogram((hist, edges[0]))


def histogramdd(input: Any, bins: Any = 10, *, range: Any = None, weight: Any = None,  # noqa: A002
                density: bool = False) -> Any:
    """``(hist, bin_edges)`` of the points in the rows of ``input`` (..., d): a d-dimensional histogram whose
    bins per dimension are a count (int or list) or a list of d edge tensors."""
    d = input.shape[-1]
    sample = input.reshape(-1, d)
    if weight is not None:
        weight = weight.reshape(-1)
    hist, edges = _histogram_counts("torch.histogramdd", sample, bins, range, weight, density)
    return return_types.histogramdd((hist, tuple(edges)))


def nonzero_static(input: Any, *, size: int, fill_value: int = -1) -> Any:  # noqa: A002
    """:func:`nonzero` with exactly ``size`` rows: the first ``size`` indices, padded with ``fill_value``."""
    from .indexing import nonzero
    from .shape import cat

    if not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)
    n = found.shape[0]
    if n >= size:
        return found[:size]
    pad = found.new_full((size - n, found.shape[1]), int(fill_value))
    return cat([found, pad], 0)


# --- index and structure builders --------------------------------------------------------------------


def _gradient_spacing(input: Any, spacing: Any, dims: list[int], dim_given: bool) -> list:  # noqa: A002
    """One spacing per dimension in ``dims``: a number (uniform steps) or a 1-D tensor of coordinates."""
    if not isinstance(spacing, (list, tuple)):
        return [spacing] * len(dims)
    if len(spacing) != len(dims):
        if dim_given:
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal "
                           f"to 'self.dim() = {input.ndim}', since dim argument was not given, but got a list of "
                           f"length {len(spacing)}")
    out = []
    for s, d in zip(spacing, dims):
        if hasattr(s, "_data") and s.ndim == 0:
            s = s.item()
        if hasattr(s, "_data") and (s.ndim != 1 or s.shape[0] != input.shape[d]):
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and have the same size "
                               f"as dimension {d} of the input ({input.shape[d]}), but got {list(s.shape)}")
        out.append(s)
    return out


def _gradient_along(f: Any, d: int, h: Any, edge_order: int) -> Any:
    """Second-order central differences inside, first- or second-order one-sided ones at the ends (NumPy's)."""
    from .shape import cat, narrow, reshape

    n = f.shape[d]

    def part(start: int, length: int) -> Any:
        return narrow(f, d, start, length)

    def along(v: Any) -> Any:  # a 1-D tensor of coefficients, broadcast along dimension d
        return reshape(v, [-1 if i == d else 1 for i in range(f.ndim)])

    if hasattr(h, "_data"):
        x = h.to(f.dtype)
        dx = x[1:] - x[:-1]
        dx1, dx2 = dx[:-1], dx[1:]
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        inner = along(a) * part(0, n - 2) + along(b) * part(1, n - 2) + along(c) * part(2, n - 2)
        if edge_order == 1:
            first = (part(1, 1) - part(0, 1)) / dx[0]
            last = (part(n - 1, 1) - part(n - 2, 1)) / dx[-1]
        else:
            e1, e2 = dx[0], dx[1]
            first = (-(2 * e1 + e2) / (e1 * (e1 + e2)) * part(0, 1) + (e1 + e2) / (e1 * e2) * part(1, 1)
                     - e1 / (e2 * (e1 + e2)) * part(2, 1))
            e1, e2 = dx[-2], dx[-1]
            last = (e2 / (e1 * (e1 + e2)) * part(n - 3, 1) - (e2 + e1) / (e1 * e2) * part(n - 2, 1)
                    + (2 * e2 + e1) / (e2 * (e1 + e2)) * part(n - 1, 1))
    else:
        inner = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (part(1, 1) - part(0, 1)) / h
            last = (part(n - 1, 1) - part(n - 2, 1)) / h
        else:
            first = (-1.5 * part(0, 1) + 2 * part(1, 1) - 0.5 * part(2, 1)) / h
            last = (0.5 * part(n - 3, 1) - 2 * part(n - 2, 1) + 1.5 * part(n - 1, 1)) / h
    return cat([first, inner, last], d)


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple:  # noqa: A002
    """Estimates of the derivative of ``input`` along each of ``dim`` (all dimensions by default), one tensor per
    dimension: central differences inside, one-sided ones of order ``edge_order`` (1 or 2) at the ends.
    ``spacing`` is a number, one number per dimension, or one tensor of coordinates per dimension."""
    from .shape import wrap_dim

    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dim_given = dim is not None
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, int):
        dims = [wrap_dim(dim, input.ndim)]
    else:
        dims = [wrap_dim(d, input.ndim) for d in dim]
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if input.dtype.is_floating_point or input.dtype.is_complex else input.to(_dt.get_default_dtype())
    steps = _gradient_spacing(input, spacing, dims, dim_given)
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dims, steps))


def _tri_indices(row: int, col: int, offset: int, dtype: Any, device: Any, upper: bool) -> Any:
    from ..factories import arange
    from .indexing import nonzero

    d = _dt.int64 if dtype is None else _dt.as_dtype(dtype)
    r = arange(row, device=device).unsqueeze(1)
    c = arange(col, device=device).unsqueeze(0)
    keep = (c - r >= offset) if upper else (c - r <= offset)
    return nonzero(keep).t().to(d)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Any:
    """The (2, N) coordinates of the lower triangle of a ``row`` x ``col`` matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, device, False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Any:
    """The (2, N) coordinates of the upper triangle of a ``row`` x ``col`` matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, device, True)


def block_diag(*tensors: Any) -> Any:
    """The block-diagonal matrix of ``tensors`` (0-d and 1-d tensors count as 1 x n blocks)."""
    from .creation import zeros_like
    from .shape import cat, reshape

    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        blocks.append(reshape(t, (1, -1)) if t.ndim < 2 else t)
    if not blocks:
        from ..factories import zeros

        return zeros((1, 0))
    target = _dt.result_type([(b.dtype, 2) for b in blocks])
    blocks = [b if b.dtype is target else _to(b, target) for b in blocks]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        pad_left = zeros_like(b, dtype=target).new_zeros((r, left)) if left else None
        pad_right = b.new_zeros((r, width - left - c)) if width - left - c else None
        rows.append(cat([p for p in (pad_left, b, pad_right) if p is not None], 1) if (pad_left is not None or
                                                                                     pad_right is not None) else b)
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Any:
    """The Cartesian product of 1-D tensors, one combination per row (one tensor comes back as it is)."""
    from .shape import meshgrid, reshape, stack

    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Any:  # noqa: A002
    """The length-``r`` combinations of the elements of the 1-D ``input``, one per row (itertools' order)."""
    from ..factories import tensor
    from .indexing import index_select
    from .shape import reshape, stack

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    make = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    picks = list(make(range(input.shape[0]), r))
    if not picks:
        return input.new_empty((0, r)) if r > 1 else input.new_empty((0,))
    columns = [tensor([p[j] for p in picks], dtype=_dt.int64, device=input.device) for j in range(r)]
    if r == 1:
        return reshape(index_select(input, 0, columns[0]), (-1, 1))
    return stack([index_select(input, 0, c) for c in columns], 1)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803 - PyTorch's name
    """The Vandermonde matrix of the 1-D ``x``: columns ``x ** (N - 1), ..., x, 1`` (reversed with
    ``increasing``); integer inputs give int64, as in PyTorch."""
    from .creation import ones_like
    from .reduction import cumprod
    from .shape import cat, flip

    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    base = _to(x, _dt.int64) if x.dtype.category < 2 else x
    if n == 0:
        return base.new_empty((x.shape[0], 0))
    first = ones_like(base).unsqueeze(1)
    result = first if n == 1 else cumprod(cat([first, base.unsqueeze(1).repeat(1, n - 1)], 1), 1)
    return result if increasing else flip(result, 1)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with size-1 dimensions added until it has three: (1, 1, 1), (1, n, 1) or (m, n, 1)."""
    from .shape import reshape

    def one(t: Any) -> Any:
        n = t.ndim
        if n == 0:
            return reshape(t, (1, 1, 1))
        if n == 1:
            return reshape(t, (1, t.shape[0], 1))
        return t.unsqueeze(-1) if n == 2 else t

    if len(tensors) == 1 and not hasattr(tensors[0], "_data"):
        return tuple(one(t) for t in tensors[0])
    return one(tensors[0]) if len(tensors) == 1 else tuple(one(t) for t in tensors)


# --- addmv / addr / baddbmm / addbmm / chain_matmul ----------------------------------------------------


def _scaled_sum(input: Any, product: Any, beta: Any, alpha: Any) -> Any:
    """``beta * input + alpha * product``; with ``beta == 0`` the input is ignored (NaN in it does not show)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product.expand(tuple(_broadcast(input, product)))
    return (input if beta == 1 else input * beta) + product


def _broadcast(a: Any, b: Any) -> tuple:
    from .comparison import _broadcast_shapes

    return _broadcast_shapes(tuple(a.shape), tuple(b.shape))


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``."""
    from .linalg import mv

    if out is not None:
        from .shape import write_out

        return write_out("addmv", out, (input, mat, vec), lambda: addmv(input, mat, vec, beta=beta, alpha=alpha))
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``."""
    from .linalg import outer

    if out is not None:
        from .shape import write_out

        return write_out("addr", out, (input, vec1, vec2), lambda: addr(input, vec1, vec2, beta=beta, alpha=alpha))
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D" if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1,  # noqa: A002
            out: Any = None) -> Any:
    """``beta * input + alpha * (batch1 @ batch2)``, batch by batch."""
    from .linalg import bmm

    if out is not None:
        from .shape import write_out

        return write_out("baddbmm", out, (input, batch1, batch2),
                         lambda: baddbmm(input, batch1, batch2, beta=beta, alpha=alpha))
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1,  # noqa: A002
           out: Any = None) -> Any:
    """``beta * input + alpha * sum_i (batch1[i] @ batch2[i])``."""
    from .linalg import bmm
    from .reduction import sum as _sum

    if out is not None:
        from .shape import write_out

        return write_out("addbmm", out, (input, batch1, batch2),
                         lambda: addbmm(input, batch1, batch2, beta=beta, alpha=alpha))
    return _scaled_sum(input, _sum(bmm(batch1, batch2), 0), beta, alpha)


def chain_matmul(*matrices: Any, out: Any = None) -> Any:
    """The product of the 2-D ``matrices``, left to right (deprecated in PyTorch for ``linalg.multi_dot``)."""
    from .linalg import matmul

    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    result = matrices[0]
    for m in matrices[1:]:
        result = matmul(result, m)
    return result


# --- predicates and small factories -------------------------------------------------------------------


def is_same_size(input: Any, other: Any) -> bool:  # noqa: A002
    """Whether the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input: Any) -> bool:  # noqa: A002
    """Whether ``input``'s dtype is a signed type (every float and complex dtype is)."""
    return bool(input.dtype.is_signed)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Any:
    """A 0-d tensor holding the number ``s``, of the default float dtype unless ``dtype`` says otherwise."""
    from ..factories import tensor

    d = _dt.get_default_dtype() if dtype is None else dtype
    return tensor(s if not hasattr(s, "_data") else s.item(), dtype=d, device=device, requires_grad=requires_grad)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Any:
    """``obj`` as a tensor: a tensor or NumPy array is shared (not copied) when its dtype and device already
    fit and ``copy`` is not True; ``copy=False`` refuses to copy."""
    from ..factories import as_tensor, tensor

    def no_copy() -> None:
        if copy is False:
            raise ValueError("can't alias: a copy is needed to make the tensor you asked for (copy=False)")

    if hasattr(obj, "_data"):
        want = obj.dtype if dtype is None else _dt.as_dtype(dtype)
        same_device = device is None or str(obj.device) == str(device) or obj.device.type == str(device)
        if want is obj.dtype and same_device and not copy:
            result = obj
        else:
            if not (want is obj.dtype and same_device):
                no_copy()
            result = obj.to(device=device if device is not None else obj.device, dtype=want, copy=bool(copy))
            if result is obj:
                result = obj.clone()
    elif hasattr(obj, "__array_interface__") and not copy:
        result = as_tensor(obj, dtype=dtype, device=device)
        if result.data_ptr() != obj.__array_interface__["data"][0] and obj.size:
            no_copy()
    else:
        no_copy()
        result = tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        result.requires_grad_(True)
    return result


# --- in-place forms ------------------------------------------------------------------------------------


def _inplace_method(fn: Any, name: str | None = None) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = (name or fn.__name__) + "_"
    method.__doc__ = f"In-place :func:`{name or fn.__name__}`."
    return method


def _comparison_inplace() -> dict:
    from . import comparison

    names = ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal")
    return {n + "_": _inplace_method(getattr(comparison, n), n) for n in names}


def _missing_elementwise_inplace() -> dict:
    """In-place methods of elementwise ops that only had an out-of-place form (acosh_, arcsin_, fix_, ...)."""
    from . import elementwise

    names = ("acosh", "asinh", "atanh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "fix",
             "negative")
    return {n + "_": _inplace_method(getattr(elementwise, n), n) for n in names}


def _polygamma_method(self: Any, n: int) -> Any:
    return polygamma(n, self)


def _polygamma_inplace(self: Any, n: int) -> Any:
    return self._inplace(lambda t: polygamma(n, t))


def _in_place_on_self(name: str, fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = name
    return method


TENSOR_METHODS: dict = {
    **{f.__name__ + "_": _inplace_method(f) for f in (
        lgamma, digamma, erfinv, logit, sinc, i0, xlogy, hypot, copysign, fmax, fmin, nextafter, heaviside,
        ldexp, sgn, deg2rad, rad2deg, gcd, lcm, nan_to_num, logaddexp, logaddexp2)},
    **_missing_elementwise_inplace(),
    "mvlgamma_": lambda self, p: self._inplace(mvlgamma, p),
    "polygamma": _polygamma_method,
    "polygamma_": _polygamma_inplace,
    "addmv_": _in_place_on_self("addmv_", addmv),
    "addr_": _in_place_on_self("addr_", addr),
    "baddbmm_": _in_place_on_self("baddbmm_", baddbmm),
    "addbmm_": _in_place_on_self("addbmm_", addbmm),
    "is_nonzero": lambda self: _is_nonzero(self),
    **_comparison_inplace(),
}


def _is_nonzero(t: Any) -> bool:
    from ..typeinfo import is_nonzero

    return is_nonzero(t)


# torch.abs_(x) and its kin: PyTorch's function forms of in-place Tensor methods (each is the method itself).
_INPLACE_FUNCTION_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
    "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_",
    "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_",
    "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_",
    "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _function_form(name: str) -> Any:
    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{name}(...)``: the function form of the in-place Tensor method."
    return fn


INPLACE_FUNCTIONS = {name: _function_form(name) for name in _INPLACE_FUNCTION_NAMES}


__all__ = [
    "lgamma", "digamma", "polygamma", "mvlgamma", "erfinv", "logit", "sinc", "i0", "deg2rad", "rad2deg", "sgn",
    "positive", "nan_to_num", "signbit", "xlogy", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin",
    "nextafter", "heaviside", "ldexp", "gcd", "lcm", "frexp", "isin", "isneginf", "isposinf", "isreal",
    "searchsorted", "bucketize", "take_along_dim", "cummax", "cummin", "logcumsumexp", "quantile", "nanquantile",
    "nanmedian", "msort", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "gradient", "histc",
    "histogram", "histogramdd", "nonzero_static",
    "tril_indices", "triu_indices", "block_diag", "cartesian_prod", "combinations", "vander", "atleast_3d",
    "addmv", "addr", "baddbmm", "addbmm", "chain_matmul", "is_same_size", "is_signed", "scalar_tensor", "asarray",
]
