"""The orthogonal polynomials of ``torch.special``: Chebyshev T, U, V, W and their shifted forms, Hermite H and
He, Laguerre L and Legendre P, each ``f(input, n)`` with ``input`` and ``n`` tensors or numbers.

As in PyTorch, ``n`` is truncated to an integer (a non-finite ``n`` counts as negative), a negative ``n``
gives 0, the Chebyshev polynomials take their trigonometric closed forms inside (-1, 1) for large ``n`` and
the three-term recurrence elsewhere (stopping once it overflows to NaN), and the Hermite polynomials are NaN
beyond degree 128 (float32) or 512 (float64). The recurrence runs over whole arrays: each element stops at its
own degree. PyTorch defines no derivatives for these functions: their results do not require grad.
"""

from __future__ import annotations

import math
from typing import Any

from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from .registry import defop
from .special import _astype, _float_pair
from .special_functions import _f64


def _degree(xp: Any, n: Any) -> Any:
    """``n`` as PyTorch's cast to int64 leaves it, kept as whole floats: truncated, and -1 where not finite."""
    valid = xp.isfinite(n) & (xp.abs(n) < 2.0 ** 62)
    return xp.where(valid, xp.trunc(xp.where(valid, n, xp.zeros_like(n))), xp.full_like(n, -1.0))


def _is_even(xp: Any, n: Any) -> Any:
    return n - 2 * xp.floor(n / 2) == 0


def _recurrence(xp: Any, run: Any, last: Any, p: Any, q: Any, update: Any, k0: float, step: float = 1.0,
                stop_on_nan: bool = True) -> Any:
    """Iterate ``r = update(k, p, q); p, q = q, r`` for ``k = k0, k0 + step, ...`` while ``k <= last`` (and,
    with ``stop_on_nan``, while ``q`` is not NaN), per element where ``run``; the last ``r`` (NaN where the
    loop never ran)."""
    r = xp.full_like(q, math.nan)
    k = k0
    go = run & (k <= last)
    if stop_on_nan:
        go = go & ~xp.isnan(q)
    while bool(xp.any(go)):
        r_new = update(k, p, q)
        r = xp.where(go, r_new, r)
        p = xp.where(go, q, p)
        q = xp.where(go, r_new, q)
        k += step
        go = go & (k <= last)
        if stop_on_nan:
            go = go & ~xp.isnan(q)
    return r


def _chebyshev(xp: Any, x: Any, n: Any, kind: str, shifted: bool) -> Any:
    """Chebyshev T, U, V or W (``kind``) at ``x``, or at ``2x - 1`` for the shifted ones."""
    n = _degree(xp, n)
    y = x + x - 1.0 if shifted else x
    even = _is_even(xp, n)
    one = xp.ones_like(y)
    two_n1 = n + n + 1
    if kind == "t":
        first = y
    elif kind == "u":
        first = y + y
    elif kind == "v":
        first = y + y - 1.0
    else:
        first = y + y + 1.0
    # The values at the ends: x = +-1 (at 1 and 0 for the shifted forms).
    top = (x == 1) if shifted else (xp.abs(x) == 1) & (x > 0)
    bottom = (x == 0) if shifted else (xp.abs(x) == 1) & ~(x > 0)
    sign_n = xp.where(even, one, -one)
    top_value = {"t": one, "u": n + 1, "v": one, "w": two_n1}[kind]
    bottom_value = {"t": sign_n, "u": sign_n * (n + 1), "v": sign_n * two_n1, "w": sign_n}[kind]
    # The closed forms inside (-1, 1), for large degrees.
    threshold = ({"t": 6, "u": 6, "v": 6, "w": 4} if shifted else {"t": 6, "u": 8, "v": 8, "w": 8})[kind]
    inside = (n > threshold) & (xp.abs(y) < 1)
    theta = xp.acos(xp.where(inside, y, xp.zeros_like(y)))
    if kind == "t":
        closed = xp.cos(n * theta)
    elif kind == "u":
        s = xp.sin(theta)
        ys = xp.where(inside & (s == 0), y, one)
        closed = xp.where(s != 0, xp.sin((n + 1) * theta) / xp.where(s != 0, s, one),
                          (n + 1) * xp.cos((n + 1) * theta) / ys)
    elif kind == "v":
        half = xp.sin(theta / 2)
        closed = xp.where(half != 1, xp.cos((n + 0.5) * theta) / xp.cos(theta / 2), sign_n * two_n1)
    else:
        half = xp.cos(theta / 2)
        limit = sign_n if shifted else xp.where(y > 0, two_n1, sign_n)
        closed = xp.where(half != 1, xp.sin((n + 0.5) * theta) / xp.sin(theta / 2), limit)
    edge = top | bottom
    run = (n >= 2) & ~edge & ~inside
    rec = _recurrence(xp, run, n, one, first, lambda k, p, q: (y + y) * q - p, 2.0)
    out = xp.where(n == 1, first, rec)
    out = xp.where(n == 0, one, out)
    out = xp.where(inside, closed, out)
    out = xp.where(top, top_value, xp.where(bottom, bottom_value, out))
    return xp.where(n < 0, xp.zeros_like(out), out)


def _hermite(xp: Any, x: Any, n: Any, physicists: bool, limit: int) -> Any:
    n = _degree(xp, n)
    one = xp.ones_like(x)
    if physicists:
        first = x + x
        rec = _recurrence(xp, n >= 2, n + n - 1, one, first, lambda k, p, q: (x + x) * q - k * p, 2.0, 2.0,
                          stop_on_nan=False)
    else:
        first = x
        rec = _recurrence(xp, n >= 2, n - 1, one, first, lambda k, p, q: x * q - k * p, 1.0, stop_on_nan=False)
    out = xp.where(n > limit, xp.full_like(x, math.nan), rec)
    out = xp.where(n == 1, first, out)
    out = xp.where(n == 0, one, out)
    return xp.where(n < 0, xp.zeros_like(out), out)


def _laguerre(xp: Any, x: Any, n: Any) -> Any:
    n = _degree(xp, n)
    one = xp.ones_like(x)
    first = 1.0 - x
    rec = _recurrence(xp, (n >= 2) & (x != 0), n - 1, one, first,
                      lambda k, p, q: (((k + k) + (1.0 - x)) * q - k * p) / (k + 1), 1.0)
    out = xp.where(n == 1, first, rec)
    out = xp.where((n == 0) | (xp.abs(x) == 0), one, out)
    return xp.where(n < 0, xp.zeros_like(out), out)


def _legendre(xp: Any, x: Any, n: Any) -> Any:
    n = _degree(xp, n)
    one = xp.ones_like(x)
    edge = xp.abs(x) == 1
    rec = _recurrence(xp, (n >= 2) & ~edge, n - 1, one, x,
                      lambda k, p, q: ((k + k + 1) * x * q - k * p) / (k + 1), 1.0)
    out = xp.where(n == 1, x, rec)
    out = xp.where(n == 0, one, out)
    out = xp.where(edge, xp.where((x > 0) | _is_even(xp, n), one, -one), out)
    return xp.where(n < 0, xp.zeros_like(out), out)


def _polynomial_kernel(fn: Any) -> Any:
    """A kernel factory for ``fn(xp, x, n, limit)``: float64 evaluation, rounded to ``x``'s dtype; ``limit`` is
    the Hermite degree limit of that dtype."""

    def factory(xp: Any) -> Any:
        def kernel(x: Any, n: Any) -> Any:
            wx, wn = xp.broadcast_arrays(_f64(xp, x), _f64(xp, n))
            out = fn(xp, wx, wn, 512 if x.dtype == xp.float64 else 128)
            return out if x.dtype == xp.float64 else _astype(xp, out, x.dtype)

        return kernel

    return factory


# --- references: NumPy's polynomial series (and the plain recurrences for U, V, W) -------------------------


def _ref_scalar(kind: str, x: float, n: float) -> float:
    import numpy.polynomial as P

    if not math.isfinite(n) or n < 0:
        return 0.0
    deg = int(n)
    if math.isnan(x):
        return math.nan
    if kind in ("h", "he") and deg > 512:
        return math.nan
    coef = [0.0] * deg + [1.0]
    if kind.startswith("s"):
        kind, x = kind[1:], 2 * x - 1
    if kind == "t":
        return float(P.chebyshev.chebval(x, coef))
    if kind == "h":
        return float(P.hermite.hermval(x, coef))
    if kind == "he":
        return float(P.hermite_e.hermeval(x, coef))
    if kind == "l":
        return float(P.laguerre.lagval(x, coef))
    if kind == "p":
        return float(P.legendre.legval(x, coef))
    first = {"u": 2 * x, "v": 2 * x - 1, "w": 2 * x + 1}[kind]
    p, q = 1.0, first
    if deg == 0:
        return p
    for _ in range(deg - 1):
        p, q = q, 2 * x * q - p
    return q


def _reference(kind: str) -> Any:
    def ref(np: Any, x: Any, n: Any) -> Any:
        return np.vectorize(lambda u, v: _ref_scalar(kind, float(u), float(v)), otypes=[np.result_type(x, n)])(x, n)

    return ref


def _samples(low: float, high: float, edges: tuple) -> Any:
    def gen() -> list[Sample]:
        degrees = [0.0, 1.0, 2.0, 3.0, 7.0, 12.0]
        out = [
            Sample((T((3, 6), low, high, grad=False), T((6,), values=degrees, grad=False)), name="degrees",
                   gradcheck=False, gradgradcheck=False),
            Sample((T((4, 1), low, high, grad=False), T((1, 6), values=[degrees], grad=False)), name="broadcast",
                   gradcheck=False, gradgradcheck=False),
            Sample((T((5,), low, high, grad=False), 4), name="python_scalar_n", gradcheck=False, gradgradcheck=False),
            Sample((T((0, 3), low, high, grad=False), T((3,), values=[1.0, 2.0, 3.0], grad=False)), name="empty",
                   gradcheck=False, gradgradcheck=False),
            Sample((T((len(edges),), values=[e[0] for e in edges], grad=False),
                    T((len(edges),), values=[e[1] for e in edges], grad=False)), name="edges", gradcheck=False,
                   gradgradcheck=False),
        ]
        return out

    return gen


_CHEB_EDGES = ((1.0, 5.0), (-1.0, 5.0), (-1.0, 4.0), (1.0, 10.0), (-1.0, 11.0), (0.5, -2.0), (0.3, 2.5),
               (0.3, math.nan), (0.3, math.inf), (math.nan, 3.0), (1.5, 9.0), (-2.0, 20.0), (0.0, 9.0))
_SHIFTED_EDGES = ((1.0, 5.0), (0.0, 5.0), (0.0, 4.0), (1.0, 10.0), (0.0, 11.0), (0.7, -2.0), (0.65, 2.5),
                  (0.6, math.nan), (1.5, 9.0), (-1.0, 20.0), (0.5, 9.0))


def _define(name: str, kind: str, array_fn: Any, low: float, high: float, edges: tuple, doc: str) -> tuple:
    op = defop(name, 2, vjp=None, samples=_samples(low, high, edges), reference=_reference(kind))
    generic(name)(_polynomial_kernel(array_fn))
    public = name.removeprefix("special_")

    def fn(input: Any, n: Any) -> Any:  # noqa: A002
        x, deg = _float_pair(name, input, n)
        return op.dispatch_nograd((x, deg))

    fn.__name__ = fn.__qualname__ = public
    fn.__doc__ = doc
    return op, fn


def _cheb(kind: str, shifted: bool) -> Any:
    return lambda xp, x, n, _limit: _chebyshev(xp, x, n, kind, shifted)


SPECIAL_CHEBYSHEV_POLYNOMIAL_T, chebyshev_polynomial_t = _define(
    "special_chebyshev_polynomial_t", "t", _cheb("t", False), -1.0, 1.0, _CHEB_EDGES,
    "The Chebyshev polynomial of the first kind, T_n(input).")
SPECIAL_CHEBYSHEV_POLYNOMIAL_U, chebyshev_polynomial_u = _define(
    "special_chebyshev_polynomial_u", "u", _cheb("u", False), -1.0, 1.0, _CHEB_EDGES,
    "The Chebyshev polynomial of the second kind, U_n(input).")
SPECIAL_CHEBYSHEV_POLYNOMIAL_V, chebyshev_polynomial_v = _define(
    "special_chebyshev_polynomial_v", "v", _cheb("v", False), -1.0, 1.0, _CHEB_EDGES,
    "The Chebyshev polynomial of the third kind, V_n(input).")
SPECIAL_CHEBYSHEV_POLYNOMIAL_W, chebyshev_polynomial_w = _define(
    "special_chebyshev_polynomial_w", "w", _cheb("w", False), -1.0, 1.0, _CHEB_EDGES,
    "The Chebyshev polynomial of the fourth kind, W_n(input).")
SPECIAL_SHIFTED_CHEBYSHEV_POLYNOMIAL_T, shifted_chebyshev_polynomial_t = _define(
    "special_shifted_chebyshev_polynomial_t", "st", _cheb("t", True), 0.0, 1.0, _SHIFTED_EDGES,
    "The shifted Chebyshev polynomial of the first kind, T_n(2 input - 1).")
SPECIAL_SHIFTED_CHEBYSHEV_POLYNOMIAL_U, shifted_chebyshev_polynomial_u = _define(
    "special_shifted_chebyshev_polynomial_u", "su", _cheb("u", True), 0.0, 1.0, _SHIFTED_EDGES,
    "The shifted Chebyshev polynomial of the second kind, U_n(2 input - 1).")
SPECIAL_SHIFTED_CHEBYSHEV_POLYNOMIAL_V, shifted_chebyshev_polynomial_v = _define(
    "special_shifted_chebyshev_polynomial_v", "sv", _cheb("v", True), 0.0, 1.0, _SHIFTED_EDGES,
    "The shifted Chebyshev polynomial of the third kind, V_n(2 input - 1).")
SPECIAL_SHIFTED_CHEBYSHEV_POLYNOMIAL_W, shifted_chebyshev_polynomial_w = _define(
    "special_shifted_chebyshev_polynomial_w", "sw", _cheb("w", True), 0.0, 1.0, _SHIFTED_EDGES,
    "The shifted Chebyshev polynomial of the fourth kind, W_n(2 input - 1).")
_OTHER_EDGES = ((0.0, 5.0), (1.0, 4.0), (-1.0, 3.0), (0.5, -1.0), (0.3, math.nan), (math.nan, 2.0), (2.0, 30.0),
                (-3.0, 10.5))
SPECIAL_HERMITE_POLYNOMIAL_H, hermite_polynomial_h = _define(
    "special_hermite_polynomial_h", "h", lambda xp, x, n, limit: _hermite(xp, x, n, True, limit), -2.0, 2.0,
    _OTHER_EDGES, "The physicists' Hermite polynomial H_n(input); NaN beyond degree 128 (float32) or 512.")
SPECIAL_HERMITE_POLYNOMIAL_HE, hermite_polynomial_he = _define(
    "special_hermite_polynomial_he", "he", lambda xp, x, n, limit: _hermite(xp, x, n, False, limit), -2.0, 2.0,
    _OTHER_EDGES, "The probabilists' Hermite polynomial He_n(input); NaN beyond degree 128 (float32) or 512.")
SPECIAL_LAGUERRE_POLYNOMIAL_L, laguerre_polynomial_l = _define(
    "special_laguerre_polynomial_l", "l", lambda xp, x, n, _limit: _laguerre(xp, x, n), -2.0, 4.0, _OTHER_EDGES,
    "The Laguerre polynomial L_n(input).")
SPECIAL_LEGENDRE_POLYNOMIAL_P, legendre_polynomial_p = _define(
    "special_legendre_polynomial_p", "p", lambda xp, x, n, _limit: _legendre(xp, x, n), -1.0, 1.0, _OTHER_EDGES,
    "The Legendre polynomial P_n(input).")


__all__: list[str] = []
"""Nothing here joins ``plugrad`` itself: these names live in ``plugrad.special``."""
