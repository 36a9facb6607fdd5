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
  ``R`` reduced elements, ``Q`` trailing elements (``Q == 1``: each row's elements are adjacent); the column
  reduction (``Q > 1``) takes the 3-d view itself.
- Sums keep partial sums in the input's dtype over at most ``FLUSH`` elements, then add them into a float64
  total: as fast as NumPy's pairwise float32 sums per thread, and at least as accurate.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic, overload

compiled = njit(parallel=True, fastmath=False, cache=True, error_model="numpy", nogil=True)
inline = njit(fastmath=False, error_model="numpy")  # helpers: compiled into the loops that call them
hot = njit(inline="always", fastmath=False, error_model="numpy")  # helpers with loops: inlined before numba optimizes

BLOCK = 16384  # elements per task of a whole-array reduction
LANES = 16  # partial sums of a reduction
FLUSH = 4096  # elements after which partial sums go into the float64 total (a power of 2, >= LANES)
FLUSH_ROWS = 1024  # rows after which a column reduction's partial sums go into its float64 totals
TASK_ROWS = 64  # rows per task of the row loops that need a scratch row


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
    """PyTorch's maximum: NaN wins, and of two equal values (0.0 and -0.0) the first."""
    return a if (a >= b or a != a) else b


@inline
def minimum(a, b):
    """PyTorch's minimum: NaN wins, and of two equal values the first."""
    return a if (a <= b or a != a) else b


# --- exp, written so that it vectorizes ------------------------------------------------------------------
#
# LLVM vectorizes loops over +, *, min, max, floor and selects, but not over calls of the C library's exp:
# the loops below that exponentiate every element (softmax, cross entropy, sigmoid) use this one instead,
# which is accurate to about an ulp (float32) or a few (float64): Cody-Waite reduction by ln 2, a Taylor
# polynomial on |r| <= ln(2)/2, and the power of two built from its bits (in two halves, so that results
# down to the subnormals come out right).


@intrinsic
def _f32_from_bits(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float32))

    return types.float32(types.int32), codegen


@intrinsic
def _f64_from_bits(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


def fexp(x):  # an overload stub: numba compiles the implementation below
    """``exp(x)`` for a float32 or float64 scalar, in operations that vectorize."""


@overload(fexp)
def _fexp(x):
    if x == types.float32:
        f = np.float32
        hi32, lo32 = f(88.72283905206835), f(-103.97208)

        def exp32(x):
            xc = min(max(x, lo32), hi32)
            n = math.floor(xc * f(1.4426950408889634) + f(0.5))
            r = (xc - n * f(0.693359375)) - n * f(-2.12194440e-4)
            p = f(1 / 5040)
            p = p * r + f(1 / 720)
            p = p * r + f(1 / 120)
            p = p * r + f(1 / 24)
            p = p * r + f(1 / 6)
            p = p * r + f(0.5)
            p = p * r + f(1)
            p = p * r + f(1)
            k = np.int32(n)
            half = k >> 1
            y = p * _f32_from_bits(np.int32((half + 127) << 23)) * _f32_from_bits(np.int32((k - half + 127) << 23))
            y = f(np.inf) if x > hi32 else y
            y = f(0) if x < lo32 else y
            return x if x != x else y

        return exp32

    hi64, lo64 = 709.782712893384, -745.1332191019412

    def exp64(x):
        xc = min(max(x, lo64), hi64)
        n = math.floor(xc * 1.4426950408889634 + 0.5)
        r = (xc - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
        p = 1 / 479001600
        p = p * r + 1 / 39916800
        p = p * r + 1 / 3628800
        p = p * r + 1 / 362880
        p = p * r + 1 / 40320
        p = p * r + 1 / 5040
        p = p * r + 1 / 720
        p = p * r + 1 / 120
        p = p * r + 1 / 24
        p = p * r + 1 / 6
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        k = np.int64(n)
        half = k >> 1
        y = p * _f64_from_bits(np.int64((half + 1023) << 52)) * _f64_from_bits(np.int64((k - half + 1023) << 52))
        y = np.inf if x > hi64 else y
        y = 0.0 if x < lo64 else y
        return x if x != x else y

    return exp64


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
            e = fexp(-abs(v))
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


# --- reductions --------------------------------------------------------------------------------------------
#
# Note: the loops over a row index it from 0 (a view per row), never from an offset: numba then knows the
# index is not negative and skips the wrap-around check, which would stop LLVM from vectorizing the loop.


@hot
def row_sum(x):
    """``sum(x)`` of a 1-d view as a float64: sixteen partial sums in x's dtype (independent adds, which
    vectorize without reassociating anything), added into a float64 total every ``FLUSH`` elements."""
    lanes = np.zeros(LANES, x.dtype)
    total = 0.0
    n = x.shape[0]
    i = 0
    while i + LANES <= n:
        for k in range(LANES):
            lanes[k] += x[i + k]
        i += LANES
        if (i & (FLUSH - 1)) == 0:
            for k in range(LANES):
                total += lanes[k]
                lanes[k] = 0
    for k in range(LANES):
        total += lanes[k]
    while i < n:
        total += x[i]
        i += 1
    return total


@hot
def row_max(x):
    """The largest element of a non-empty 1-d view, NaN if there is one (sixteen partial maxima: exact)."""
    n = x.shape[0]
    if n < LANES:
        m = x[0]
        for i in range(n):
            m = maximum(m, x[i])
        return m
    lanes = np.empty(LANES, x.dtype)
    for k in range(LANES):
        lanes[k] = x[k]
    i = LANES
    while i + LANES <= n:
        for k in range(LANES):
            lanes[k] = maximum(lanes[k], x[i + k])
        i += LANES
    m = lanes[0]
    for k in range(LANES):
        m = maximum(m, lanes[k])
    while i < n:
        m = maximum(m, x[i])
        i += 1
    return m


@hot
def row_extremum(x, largest):
    """(value, index) of the largest (or smallest) element of a non-empty 1-d view: the first NaN if there
    is one, else the first of equal values, as NumPy's max and argmax."""
    best = x[0]
    where = 0
    for i in range(x.shape[0]):
        v = x[i]
        if best != best:
            break
        if v != v or (v > best if largest else v < best):
            best = v
            where = i
    return best, where


@compiled
def sum_all(x):
    """The float64 sum of a 1-d array, in blocks summed in parallel."""
    n = x.size
    nb = (n + BLOCK - 1) // BLOCK
    part = np.empty(nb, np.float64)
    for b in prange(nb):
        part[b] = row_sum(x[b * BLOCK:min(n, (b + 1) * BLOCK)])
    total = 0.0
    for b in range(nb):
        total += part[b]
    return total


@compiled
def sum_rows(x, count, out):
    """``out[p] = sum(x[p]) / count`` for a 2-d x (count 1 for a sum, the row length for a mean)."""
    for p in prange(x.shape[0]):
        out[p] = row_sum(x[p]) / count


@compiled
def sum_columns(x, groups, count, out):
    """``out[p, q] = sum over r of x[p, r, q] / count`` for x of shape (P, R, Q): ``groups`` bands of rows per
    p are summed in parallel, a row at a time (adds along q, in x's dtype, flushed into float64 every
    ``FLUSH_ROWS`` rows), then the bands' float64 sums are added up."""
    rows, length, cols = x.shape
    part = np.zeros((rows, groups, cols))
    for task in prange(rows * groups):
        p = task // groups
        band = task - p * groups
        acc = np.zeros(cols, x.dtype)
        total = part[p, band]
        first = band * length // groups
        for r in range(first, (band + 1) * length // groups):
            acc += x[p, r]  # Note: a whole-row array expression: it vectorizes where an index loop would not
            if (r - first + 1) % FLUSH_ROWS == 0:
                total += acc
                acc[:] = 0
        total += acc
    for k in prange(rows * cols):
        p = k // cols
        q = k - p * cols
        s = 0.0
        for band in range(groups):
            s += part[p, band, q]
        out[p, q] = s / count


@compiled
def extremum_all(x, largest):
    """The largest (or smallest) element of a non-empty 1-d array, NaN if there is one."""
    n = x.size
    nb = (n + BLOCK - 1) // BLOCK
    part = np.empty(nb, x.dtype)
    for b in prange(nb):
        part[b] = row_extremum(x[b * BLOCK:min(n, (b + 1) * BLOCK)], largest)[0]
    return row_extremum(part, largest)[0]


@compiled
def extremum_along(x, largest, values, indices):
    """For x of shape (P, R, Q): the largest (or smallest) over r of x[p, r, q], and its index r."""
    rows, length, cols = x.shape
    for task in prange(rows * cols):
        p = task // cols
        q = task - p * cols
        v, k = row_extremum(x[p, :, q], largest)
        values[task] = v
        indices[task] = k


@inline
def exp_into(row, m, buf):
    """``buf[:] = exp(row - m)``: its own loop, which vectorizes (inside a reduction it would not)."""
    for i in range(row.shape[0]):
        buf[i] = fexp(row[i] - m)


@compiled
def logsumexp_rows(x, out):
    """``log(sum(exp(row)))`` of each row of a 2-d x, shifted by the row's max (an infinite max shifts by 0)."""
    rows, length = x.shape
    for task in prange((rows + TASK_ROWS - 1) // TASK_ROWS):
        buf = np.empty(length, x.dtype)
        for p in range(task * TASK_ROWS, min(rows, (task + 1) * TASK_ROWS)):
            row = x[p]
            m = row_max(row)
            if math.isinf(m):
                m = like(row, 0)  # all -inf (or +inf) rows stay finite here, as in the generic kernel
            exp_into(row, m, buf)
            s = row_sum(buf)
            out[p] = like(row, math.log(s)) + m if s != 0 else -math.inf


# --- softmax, log_softmax and their backward ops over rows ---------------------------------------------


@compiled
def softmax_rows(x, log, out):
    """(log_)softmax of each row of a 2-d x: shifted by its max, as the generic kernel computes it."""
    for p in prange(x.shape[0]):
        row = x[p]
        res = out[p]
        n = row.shape[0]
        m = row_max(row)
        exp_into(row, m, res)
        if log:
            shift = like(row, math.log(row_sum(res)))
            for i in range(n):
                res[i] = (row[i] - m) - shift
        else:
            total = like(row, row_sum(res))
            for i in range(n):
                res[i] = res[i] / total


@compiled
def softmax_backward_rows(g, y, log, out):
    """softmax: ``y * (g - sum(g * y))``; log_softmax: ``g - exp(y) * sum(g)``, per row of 2-d g and y."""
    for p in prange(g.shape[0]):
        gr = g[p]
        yr = y[p]
        res = out[p]
        n = gr.shape[0]
        if log:
            t = like(gr, row_sum(gr))
            for i in range(n):
                res[i] = gr[i] - fexp(yr[i]) * t
        else:
            for i in range(n):
                res[i] = gr[i] * yr[i]
            t = like(gr, row_sum(res))
            for i in range(n):
                res[i] = yr[i] * (gr[i] - t)


# --- cross entropy: log_softmax + nll_loss, forward and backward one pass each ----------------------------


@compiled
def cross_entropy_rows(x, target, weight, has_weight, ignore_index, losses, weights):
    """Per row of a 2-d x: ``-(x[t] - logsumexp(row)) * w[t]`` and ``w[t]`` (both 0 for ignored rows)."""
    rows, length = x.shape
    for task in prange((rows + TASK_ROWS - 1) // TASK_ROWS):
        buf = np.empty(length, x.dtype)
        for p in range(task * TASK_ROWS, min(rows, (task + 1) * TASK_ROWS)):
            t = target[p]
            if t == ignore_index:
                losses[p] = 0
                weights[p] = 0
                continue
            row = x[p]
            m = row_max(row)
            exp_into(row, m, buf)
            w = weight[t] if has_weight else like(row, 1)
            logp = (row[t] - m) - like(row, math.log(row_sum(buf)))
            losses[p] = -logp * w
            weights[p] = w


@compiled
def cross_entropy_backward_rows(x, target, weight, has_weight, ignore_index, coef, out):
    """Per row of a 2-d x: ``coef[p] * w[t] * (softmax(row) - onehot(t))``, zero for ignored rows."""
    for p in prange(target.size):
        t = target[p]
        res = out[p]
        n = res.shape[0]
        if t == ignore_index:
            for i in range(n):
                res[i] = 0
            continue
        row = x[p]
        m = row_max(row)
        exp_into(row, m, res)
        c = coef[p] * (weight[t] if has_weight else 1)
        scale = like(row, c / row_sum(res))
        for i in range(n):
            res[i] = res[i] * scale
        res[t] = res[t] - like(row, c)


def threads() -> int:
    return numba.get_num_threads()
