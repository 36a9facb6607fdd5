"""The compiled loops of the Numba backend.

Importing this module imports numba; nothing is compiled until a loop is first called with a given
combination of argument types (dtype, number of dimensions, layout, array or scalar), and each compiled
version is cached on disk (``cache=True``: next to this file, or in numba's user-wide cache directory when
this directory is read-only, or in ``NUMBA_CACHE_DIR``). :mod:`plugrad_numba.kernels` decides when a loop
runs and prepares its operands; the loops themselves only compute.

Conventions:

- Every loop runs with ``parallel=True`` (``prange`` over the outer index), ``fastmath=False`` (IEEE results,
  no reassociation: reductions keep sixteen partial sums to be fast without it) and ``error_model="numpy"``
  (division by zero gives inf or NaN, as in NumPy, instead of raising).
- Elementwise loops write into ``out``, which is 1-d (a contiguous run of elements) or 2-d (broadcast or
  strided operands, coalesced to two dimensions). Each operand is an array of ``out``'s dimensions, a 1-d row
  broadcast over the rows of a 2-d ``out``, or a scalar; :func:`at` reads each, so one loop serves every mix.
- Reductions take a C-contiguous array flattened to 1-d and its shape as ``(P, R, Q)``: ``P`` outer rows,
  ``R`` reduced elements, ``Q`` trailing elements (``Q == 1``: each row's elements are adjacent).
- Sums keep partial sums in the input's dtype over at most ``FLUSH`` elements, then add them into a float64
  total: as fast as NumPy's pairwise float32 sums per thread, and at least as accurate.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

compiled = njit(parallel=True, fastmath=False, cache=True, error_model="numpy", nogil=True)
inline = njit(fastmath=False, error_model="numpy")  # helpers: compiled into the loops that call them
hot = njit(inline="always", fastmath=False, error_model="numpy")  # helpers with loops: inlined before numba optimizes

BLOCK = 16384  # elements per task of a whole-array reduction
LANES = 16  # partial sums of a reduction
FLUSH = 4096  # elements after which partial sums go into the float64 total (a power of 2, >= LANES)


# --- operand access: one loop for contiguous, strided and scalar operands ------------------------------


def at(a, out, i, j):  # an overload stub: numba compiles the implementation below
    """Element (i, j) of operand ``a`` of a loop writing ``out``: ``a[i]`` (1-d), ``a[i, j]`` (2-d), ``a[j]`` for
    a 1-d operand of a 2-d loop (a row broadcast over every row), or ``a`` itself for a scalar."""


@overload(at)
def _at(a, out, i, j):
    if isinstance(a, types.Array):
        if a.ndim == 2:
            return lambda a, out, i, j: a[i, j]
        if out.ndim == 2:
            return lambda a, out, i, j: a[j]
        return lambda a, out, i, j: a[i]
    return lambda a, out, i, j: a


def put(a, i, j, v):
    """``a[i] = v`` (1-d) or ``a[i, j] = v`` (2-d)."""


@overload(put)
def _put(a, i, j, v):
    if a.ndim == 1:
        def put1(a, i, j, v):
            a[i] = v

        return put1

    def put2(a, i, j, v):
        a[i, j] = v

    return put2


def inner(a):
    """The length of the inner loop over ``a``: 1 for a 1-d array, ``a.shape[1]`` for a 2-d one."""


@overload(inner)
def _inner(a):
    if a.ndim == 1:
        return lambda a: 1
    return lambda a: a.shape[1]


def like(a, v):
    """``v`` converted to the dtype of array (or scalar) ``a``: float32 arithmetic stays float32."""


@overload(like)
def _like(a, v):
    dtype = a.dtype if isinstance(a, types.Array) else a
    if dtype == types.float32:
        return lambda a, v: np.float32(v)
    return lambda a, v: np.float64(v)


@inline
def maximum(a, b):
    """NumPy's maximum: NaN wins, and of two equal values the second."""
    return a if (a > b or a != a) else b


@inline
def minimum(a, b):
    """NumPy's minimum: NaN wins, and of two equal values the second."""
    return a if (a < b or a != a) else b


# --- elementwise arithmetic ------------------------------------------------------------------------------


@compiled
def add(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(x, out, i, j) + at(y, out, i, j))


@compiled
def sub(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(x, out, i, j) - at(y, out, i, j))


@compiled
def mul(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(x, out, i, j) * at(y, out, i, j))


@compiled
def div(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(x, out, i, j) / at(y, out, i, j))


@compiled
def maximum_(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, maximum(at(x, out, i, j), at(y, out, i, j)))


@compiled
def minimum_(x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, minimum(at(x, out, i, j), at(y, out, i, j)))


@compiled
def where(cond, x, y, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(x, out, i, j) if at(cond, out, i, j) else at(y, out, i, j))


@compiled
def neg(x, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, -at(x, out, i, j))


@compiled
def abs_(x, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, abs(at(x, out, i, j)))


@compiled
def sqrt(x, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, math.sqrt(at(x, out, i, j)))


@compiled
def rsqrt(x, one, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, one / math.sqrt(at(x, out, i, j)))


@compiled
def square(x, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            put(out, i, j, v * v)


@compiled
def power(x, e, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, math.pow(at(x, out, i, j), e))


@compiled
def relu(x, zero, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, maximum(at(x, out, i, j), zero))


@compiled
def clamp(x, lo, hi, has_lo, has_hi, out):
    # Note: max first, then min, as the generic kernel does (with lo > hi every element is hi).
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            if has_lo:
                v = maximum(v, lo)
            if has_hi:
                v = minimum(v, hi)
            put(out, i, j, v)


@compiled
def threshold(x, th, value, out):
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            put(out, i, j, v if v > th else value)


@compiled
def sigmoid(x, out):
    # The generic kernel's formula: exp of a non-positive number only, so nothing overflows.
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            e = math.exp(-abs(v))
            one = like(v, 1)
            put(out, i, j, one / (one + e) if v >= 0 else e / (one + e))


# --- fused backward kernels: one pass where the VJP rules would make several ---------------------------


@compiled
def pow_backward(g, x, e, f, out):
    """``g * e * x ** f`` (``f = e - 1``) for a general exponent."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(g, out, i, j) * e * math.pow(at(x, out, i, j), f))


@compiled
def pow_backward_square(g, x, e, out):
    """``g * e * x`` (the exponent is 2)."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, at(g, out, i, j) * e * at(x, out, i, j))


@compiled
def pow_backward_cube(g, x, e, out):
    """``g * e * (x * x)`` (the exponent is 3)."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            put(out, i, j, at(g, out, i, j) * e * (v * v))


@compiled
def sigmoid_backward(g, y, one, out):
    """``g * y * (1 - y)``."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(y, out, i, j)
            put(out, i, j, at(g, out, i, j) * v * (one - v))


@compiled
def tanh_backward(g, y, one, out):
    """``g * (1 - y * y)``."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(y, out, i, j)
            put(out, i, j, at(g, out, i, j) * (one - v * v))


@compiled
def threshold_backward(g, x, th, zero, out):
    """``g`` where ``x > th``, else 0."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            put(out, i, j, zero if at(x, out, i, j) <= th else at(g, out, i, j))


@compiled
def clamp_backward(g, x, lo, hi, has_lo, has_hi, zero, out):
    """``g`` where ``lo <= x <= hi`` (each bound optional), else 0."""
    n = inner(out)
    for i in prange(out.shape[0]):
        for j in range(n):
            v = at(x, out, i, j)
            keep = (not has_lo or v >= lo) and (not has_hi or v <= hi)
            put(out, i, j, at(g, out, i, j) if keep else zero)


# --- reductions over (P, R, Q) --------------------------------------------------------------------------


@hot
def sum_span(x, start, stop):
    """``sum(x[start:stop])`` as a float64: sixteen partial sums in x's dtype (independent adds, which
    vectorize without reassociating anything), added into a float64 total every ``FLUSH`` elements."""
    lanes = np.zeros(LANES, x.dtype)
    total = 0.0
    i = start
    while i + LANES <= stop:
        for k in range(LANES):
            lanes[k] += x[i + k]
        i += LANES
        if ((i - start) & (FLUSH - 1)) == 0:
            for k in range(LANES):
                total += lanes[k]
                lanes[k] = 0
    for k in range(LANES):
        total += lanes[k]
    while i < stop:
        total += x[i]
        i += 1
    return total


@compiled
def sum_all(x):
    """The float64 sum of a 1-d array, in blocks summed in parallel."""
    n = x.size
    nb = (n + BLOCK - 1) // BLOCK
    part = np.empty(nb, np.float64)
    for b in prange(nb):
        part[b] = sum_span(x, b * BLOCK, min(n, (b + 1) * BLOCK))
    total = 0.0
    for b in range(nb):
        total += part[b]
    return total


@compiled
def sum_rows(x, rows, length, count, out):
    """``out[p] = sum(x[p * length:(p + 1) * length]) / count`` (count 1 for a sum, the size for a mean)."""
    for p in prange(rows):
        out[p] = sum_span(x, p * length, (p + 1) * length) / count


@compiled
def sum_columns(x, rows, length, cols, groups, count, out):
    """``out[p, q] = sum over r of x[p, r, q] / count``, x of shape (rows, length, cols): each of ``groups``
    tasks per p adds a band of rows into float64 partial sums (row by row, so the adds run along q),
    then the partial sums are added up."""
    part = np.zeros((rows, groups, cols))
    for task in prange(rows * groups):
        p = task // groups
        band = task - p * groups
        acc = part[p, band]
        base = p * length * cols
        for r in range(band * length // groups, (band + 1) * length // groups):
            row = base + r * cols
            for q in range(cols):
                acc[q] += x[row + q]
    for k in prange(rows * cols):
        p = k // cols
        q = k - p * cols
        total = 0.0
        for band in range(groups):
            total += part[p, band, q]
        out[k] = total / count


@hot
def extremum_span(x, start, stop, step, largest):
    """(value, index) of the largest (or smallest) of ``x[start:stop:step]``: NaN wins (its first one), else
    the first of equal values, as NumPy's max and argmax."""
    best = x[start]
    where = 0
    k = 0
    for i in range(start, stop, step):
        v = x[i]
        if best != best:
            break
        if v != v or (v > best if largest else v < best):
            best = v
            where = k
        k += 1
    return best, where


@compiled
def extremum_all(x, largest):
    """The largest (or smallest) element of a 1-d array, NaN if there is one."""
    n = x.size
    nb = (n + BLOCK - 1) // BLOCK
    part = np.empty(nb, x.dtype)
    for b in prange(nb):
        part[b] = extremum_span(x, b * BLOCK, min(n, (b + 1) * BLOCK), 1, largest)[0]
    return extremum_span(part, 0, nb, 1, largest)[0]


@compiled
def extremum_rows(x, rows, length, cols, largest, values, indices):
    """Largest (or smallest) over r of x[p, r, q], and its index, for x of shape (rows, length, cols)."""
    for task in prange(rows * cols):
        p = task // cols
        q = task - p * cols
        start = p * length * cols + q
        v, k = extremum_span(x, start, start + length * cols, cols, largest)
        values[task] = v
        indices[task] = k


@compiled
def logsumexp_rows(x, rows, length, out):
    """``log(sum(exp(row)))`` of each row, shifted by the row's max (an infinite max shifts by 0)."""
    for p in prange(rows):
        start = p * length
        m = extremum_span(x, start, start + length, 1, True)[0]
        if math.isinf(m):
            m = like(x, 0)  # all -inf (or +inf) rows stay finite here, as in the generic kernel
        s = 0.0
        for i in range(start, start + length):
            s += math.exp(x[i] - m)
        out[p] = like(x, math.log(s)) + m if s != 0 else -math.inf


# --- softmax, log_softmax and their backward ops over rows ---------------------------------------------


@compiled
def softmax_rows(x, rows, length, log, out):
    """(log_)softmax of each row: shifted by its max, as the generic kernel computes it."""
    for p in prange(rows):
        start = p * length
        stop = start + length
        m = extremum_span(x, start, stop, 1, True)[0]
        s = 0.0
        if log:
            for i in range(start, stop):
                s += math.exp(x[i] - m)
            shift = like(x, math.log(s))
            for i in range(start, stop):
                out[i] = (x[i] - m) - shift
        else:
            for i in range(start, stop):
                e = math.exp(x[i] - m)
                out[i] = e
                s += e
            total = like(x, s)
            for i in range(start, stop):
                out[i] = out[i] / total


@compiled
def softmax_backward_rows(g, y, rows, length, log, out):
    """softmax: ``y * (g - sum(g * y))``; log_softmax: ``g - exp(y) * sum(g)``, per row."""
    for p in prange(rows):
        start = p * length
        stop = start + length
        s = 0.0
        if log:
            for i in range(start, stop):
                s += g[i]
            t = like(g, s)
            for i in range(start, stop):
                out[i] = g[i] - math.exp(y[i]) * t
        else:
            for i in range(start, stop):
                s += g[i] * y[i]
            t = like(g, s)
            for i in range(start, stop):
                out[i] = y[i] * (g[i] - t)


# --- cross entropy: log_softmax + nll_loss, forward and backward one pass each ----------------------------


@compiled
def cross_entropy_rows(x, target, weight, has_weight, ignore_index, classes, losses, weights):
    """Per row: ``-(x[t] - logsumexp(row)) * w[t]`` and ``w[t]`` (0 for ignored rows)."""
    for p in prange(target.size):
        t = target[p]
        if t == ignore_index:
            losses[p] = 0
            weights[p] = 0
            continue
        start = p * classes
        m = extremum_span(x, start, start + classes, 1, True)[0]
        s = 0.0
        for i in range(start, start + classes):
            s += math.exp(x[i] - m)
        w = weight[t] if has_weight else like(x, 1)
        logp = (x[start + t] - m) - like(x, math.log(s))
        losses[p] = -logp * w
        weights[p] = w


@compiled
def cross_entropy_backward_rows(x, target, weight, has_weight, ignore_index, classes, coef, out):
    """Per row: ``coef[p] * w[t] * (softmax(row) - onehot(t))``, zero for ignored rows."""
    for p in prange(target.size):
        t = target[p]
        start = p * classes
        if t == ignore_index:
            for i in range(start, start + classes):
                out[i] = 0
            continue
        m = extremum_span(x, start, start + classes, 1, True)[0]
        s = 0.0
        for i in range(start, start + classes):
            s += math.exp(x[i] - m)
        c = coef[p] * (weight[t] if has_weight else like(x, 1))
        inv = 1.0 / s
        for i in range(start, start + classes):
            out[i] = c * (math.exp(x[i] - m) * inv)
        out[start + t] = c * (math.exp(x[start + t] - m) * inv - 1)


def threads() -> int:
    return numba.get_num_threads()
