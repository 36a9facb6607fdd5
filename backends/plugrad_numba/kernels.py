"""The Numba backend's kernels: when a compiled loop runs, and how its operands are laid out.

Each kernel here has the signature of its op's generic kernel (``fn(*arrays_or_scalars, *attrs)``) and
returns what the NumPy backend returns: the same dtype (float32 stays float32), the same shape, values equal
within float rounding. It runs a loop of :mod:`plugrad_numba.jit` when that is exact and pays: float32 or
float64 operands of one dtype, at least :func:`min_size` elements, a layout the loop takes. Otherwise it
calls the op's kernel on the NumPy backend (its *fallback*), which also raises NumPy's errors for bad input
before any loop runs: small tensors, other dtypes (float16, complex, integers), shapes that do not broadcast,
layouts the loops do not take.

Nothing here imports numba: :func:`loops` imports :mod:`plugrad_numba.jit` the first time a compiled loop is
needed, and each loop compiles on its first call (then loads from numba's on-disk cache in later sessions).
Large outputs come from :mod:`plugrad_numba.memory`, which reuses freed blocks instead of faulting in fresh pages.

:data:`CALLS` counts, per op, the calls that ran a compiled loop (tests use it to show a fused kernel ran).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .memory import empty

# Below these sizes (elements of the result, or of the input of a reduction) the fallback runs: there,
# calling a compiled parallel loop costs more than it saves. Measured with benchmarks/bench_numba.py (see
# benchmarks/README.md). MIN_SIZE is for streaming arithmetic and plain reductions, where NumPy is one
# vectorized, memory-bound pass already: the loops win by threads and by reusing large buffers. MIN_SIZE_FUSED
# is for kernels that do less work than their fallback: fused passes (the backward ops, softmax, cross
# entropy, sigmoid) and branch-free selects (relu, clamp, where, masks), where NumPy branches per element.
MIN_SIZE = 1 << 20
MIN_SIZE_FUSED = 1 << 15
_min = [MIN_SIZE, MIN_SIZE_FUSED]

CALLS: Counter[str] = Counter()

COLUMN_BANDS = 16  # row bands summed in parallel by a column reduction

_nd = np.ndarray
_as_strided = np.lib.stride_tricks.as_strided


def _from_environment() -> None:
    value = os.environ.get("PLUGRAD_NUMBA_MIN_SIZE", "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(
                f"PLUGRAD_NUMBA_MIN_SIZE={value!r} is not an integer; set it to the number of elements from which "
                "the Numba backend runs its compiled kernels (0: always)"
            ) from None
        set_min_size(n, n)


def set_min_size(single: int | None = None, fused: int | None = None) -> tuple[int, int]:
    """Set the thresholds (elements) from which compiled loops run; return the previous ``(single, fused)``.

    ``single`` applies to kernels whose NumPy fallback is one call, ``fused`` to those whose fallback makes
    several passes. 0 runs the compiled loops on every tensor with at least one element (the test suite does
    this to compare every loop with its fallback). ``PLUGRAD_NUMBA_MIN_SIZE=n`` sets both at import.
    """
    previous = (_min[0], _min[1])
    if single is not None:
        _min[0] = max(int(single), 1)
    if fused is not None:
        _min[1] = max(int(fused), 1)
    return previous


def min_size() -> tuple[int, int]:
    """The current thresholds ``(single, fused)``."""
    return _min[0], _min[1]


# --- the compiled loops, loaded on first use; threads ---------------------------------------------------

_jit: Any = None
_threads: list[Any] = [None, 0]  # the count asked for with set_num_threads, and how often it was set
_applied = threading.local()


def loops() -> Any:
    """The module of compiled loops (imports numba the first time), with the thread count applied."""
    j = _jit if _jit is not None else _load()
    if _threads[0] is not None and getattr(_applied, "generation", -1) != _threads[1]:
        # Note: numba's thread count belongs to the calling thread; apply it in each thread that runs loops.
        j.numba.set_num_threads(_threads[0])
        _applied.generation = _threads[1]
    return j


def threading_layer() -> str:
    """The threading layer numba's parallel loops run on: ``tbb``, ``omp`` or ``workqueue``.

    numba picks it once, when its thread pool starts (the first parallel loop; if none has run yet, this
    starts the pool): the first that loads in ``numba.config.THREADING_LAYER_PRIORITY``, by default tbb, omp,
    workqueue, unless NUMBA_THREADING_LAYER names one. The backend keeps numba's order, tbb first: on a
    shared machine, omp stalled a loop by about 8 ms at the 99th percentile where tbb took 15 µs. tbb comes
    with the ``numba`` extra.
    """
    import numba

    numba.get_num_threads()  # starts numba's thread pool, choosing the layer, if it has not started
    return str(numba.threading_layer())


def _load() -> Any:
    global _jit
    import numba

    try:
        from . import jit
    except RuntimeError as exc:
        if "cannot cache" not in str(exc):
            raise
        # Neither this package's directory nor numba's user-wide cache is writable and NUMBA_CACHE_DIR is
        # not set: cache in a per-user temporary directory instead.
        numba.config.CACHE_DIR = os.path.join(tempfile.gettempdir(), f"plugrad-numba-cache-{_user()}")
        sys.modules.pop(f"{__package__}.jit", None)
        from . import jit
    _jit = jit
    return jit


def _user() -> str:
    try:
        return str(os.getuid())
    except AttributeError:  # pragma: no cover - Windows
        return os.environ.get("USERNAME", "user")


def numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def max_threads() -> int:
    """The size of numba's thread pool: ``NUMBA_NUM_THREADS``, else the CPUs this process may run on."""
    numba = sys.modules.get("numba")
    if numba is not None:
        return int(numba.config.NUMBA_NUM_THREADS)
    value = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def set_num_threads(n: int) -> None:
    """Run compiled loops on ``n`` threads (at most numba's pool size, :func:`max_threads`)."""
    limit = max_threads()
    if n > limit:
        raise RuntimeError(
            f"set_num_threads({n}): the numba backend's thread pool has {limit} threads (NUMBA_NUM_THREADS, "
            f"else the CPUs available); set NUMBA_NUM_THREADS={n} in the environment before plugrad runs its "
            f"first numba kernel to use more"
        )
    _threads[0] = n
    _threads[1] += 1
    if _jit is not None:
        loops()


def get_num_threads() -> int:
    """The threads compiled loops run on in this thread."""
    if _jit is not None:
        return int(loops().threads())
    return _threads[0] if _threads[0] is not None else max_threads()


def cache_dir() -> str:
    """Where numba caches the compiled loops: once they are loaded, the directory numba chose; before, the
    first choice (NUMBA_CACHE_DIR, else ``__pycache__`` beside the loops' source, if writable)."""
    if _jit is not None:
        return str(_jit.add._cache._cache_path)
    configured = os.environ.get("NUMBA_CACHE_DIR", "")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    if configured:
        return configured
    if os.access(os.path.dirname(here), os.W_OK):
        return here
    return "numba's user-wide cache directory (this package's directory is read-only)"


# --- fallbacks: the NumPy backend's kernel of each op ----------------------------------------------------

_FALLBACK: dict[str, Callable[..., Any]] = {}


def fallback(op: str) -> Callable[..., Any]:
    """The kernel the NumPy backend runs for ``op`` (its own, else the generic one over numpy), cached."""
    fn = _FALLBACK.get(op)
    if fn is None:
        fn = _FALLBACK[op] = _resolve_fallback(op)
    return fn


def _resolve_fallback(op: str) -> Callable[..., Any]:
    from plugrad.backend import known_backends
    from plugrad.ops.registry import kernel_for

    backends = known_backends()
    numpy_backend = backends.get("numpy")
    if numpy_backend is not None:
        return kernel_for(op, numpy_backend)
    return kernel_for(op, backends["numba"], generic=True)


# --- operands ----------------------------------------------------------------------------------------


def _operand(v: Any, dtype: np.dtype) -> Any:
    """``v`` as an operand of a loop in ``dtype``: an array of that dtype, a NumPy scalar of it, or a Python
    number converted to it (Python numbers are weak, as in NumPy: float32 * 2.5 stays float32). None if
    ``v`` would change the result's dtype."""
    t = type(v)
    if t is _nd:
        return v if v.dtype == dtype else None
    if t is float or t is int or t is bool:
        try:
            return dtype.type(v)
        except OverflowError:
            return None
    if t is dtype.type:
        return v
    return None


def _float_array(v: Any, limit: int) -> bool:
    return type(v) is _nd and v.size >= limit and v.dtype.char in "fd"


def _elementwise(loop: Callable[..., Any], operands: tuple, dtype: np.dtype) -> Any:
    """Run ``loop(*operands, out)`` and return ``out``, or None when the operands' layout is not one the loops
    take (the caller falls back). Operands are arrays (``dtype``, or bool masks) and NumPy scalars."""
    arrays = [a for a in operands if type(a) is _nd]
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            try:
                shape = np.broadcast_shapes(*(b.shape for b in arrays))
            except ValueError:
                return None  # the fallback raises NumPy's error
            break
    ops = list(operands)
    for k, a in enumerate(ops):
        if type(a) is _nd and (a.ndim == 0 or (a.size and not any(a.strides))):
            ops[k] = a[(0,) * a.ndim]  # one value, broadcast: pass it as a scalar
    full = [a for a in ops if type(a) is _nd]
    if all(a.shape == shape and a.flags.c_contiguous for a in full):
        dense = "C"
    elif len(shape) > 1 and all(a.shape == shape and a.flags.f_contiguous for a in full):
        dense = "F"
    else:
        dense = ""
    if dense == "C":
        out = empty(shape, dtype)
        loop(*[a.reshape(-1) if type(a) is _nd else a for a in ops], out.reshape(-1))
        return out
    if dense == "F":
        # Every array operand is Fortran-ordered: run on the transposes, which are C-ordered, as NumPy keeps
        # the input's order.
        out_t = empty(shape[::-1], dtype)
        loop(*[a.T.reshape(-1) if type(a) is _nd else a for a in ops], out_t.reshape(-1))
        return out_t.T
    views = [np.broadcast_to(a, shape) if type(a) is _nd else a for a in ops]
    dims, strides = _coalesce(shape, [v.strides for v in views if type(v) is _nd] + [_c_strides(shape, dtype)])
    if len(dims) > 2:
        return None
    out = empty(shape, dtype)
    it = iter(strides)
    args = []
    for v in views:
        if type(v) is _nd:
            st = next(it)
            # Note: a row broadcast over the rows goes in as a contiguous 1-d row, read at the column index.
            v = _as_strided(v, dims[1:], st[1:]) if len(dims) == 2 and st[0] == 0 and st[1] == v.itemsize else \
                _as_strided(v, dims, st)
        args.append(v)
    loop(*args, _as_strided(out, dims, next(it)))
    return out


def _c_strides(shape: tuple, dtype: np.dtype) -> tuple:
    strides = []
    step = dtype.itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def _coalesce(shape: tuple, strides: list) -> tuple[list, list]:
    """Merge adjacent dimensions that every operand steps through as one (and drop those of size 1), as
    NumPy's iterator does: a broadcast over rows becomes two dimensions whatever the rank."""
    dims: list[int] = []
    merged: list[list[int]] = [[] for _ in strides]
    for axis, n in enumerate(shape):
        if n == 1:
            continue
        if dims and all(m[-1] == s[axis] * n for m, s in zip(merged, strides)):
            dims[-1] *= n
            for m, s in zip(merged, strides):
                m[-1] = s[axis]
        else:
            dims.append(n)
            for m, s in zip(merged, strides):
                m.append(s[axis])
    if not dims:
        return [1], [[0] for _ in strides]
    return dims, merged


def _run(op: str, loop_name: str, operands: tuple, dtype: np.dtype, args: tuple) -> Any:
    out = _elementwise(getattr(loops(), loop_name), operands, dtype)
    if out is None:
        return fallback(op)(*args)
    CALLS[op] += 1
    return out


# --- elementwise kernels ------------------------------------------------------------------------------------


def _unary(op: str, loop_name: str) -> Callable[[Any], Any]:
    def kernel(x: Any) -> Any:
        if type(x) is not _nd or x.size < _min[0] or x.dtype.char not in "fd":
            return (_FALLBACK.get(op) or fallback(op))(x)
        return _run(op, loop_name, (x,), x.dtype, (x,))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def _with_constant(op: str, loop_name: str, constant: float, first: bool = False,
                   fused: bool = False) -> Callable[[Any], Any]:
    """A unary kernel whose loop takes a constant in the input's dtype (before the input when ``first``)."""
    size = 1 if fused else 0

    def kernel(x: Any) -> Any:
        if type(x) is not _nd or x.size < _min[size] or x.dtype.char not in "fd":
            return (_FALLBACK.get(op) or fallback(op))(x)
        c = x.dtype.type(constant)
        return _run(op, loop_name, (c, x) if first else (x, c), x.dtype, (x,))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def _binary(op: str, loop_name: str, fused: bool = False) -> Callable[[Any, Any], Any]:
    size = 1 if fused else 0

    def kernel(x: Any, y: Any) -> Any:
        a = x if type(x) is _nd and (type(y) is not _nd or x.size >= y.size) else y
        # Note: the small-tensor path first and inline: it is most calls, and each costs on top of NumPy's.
        if type(a) is not _nd or a.size < _min[size] or a.dtype.char not in "fd":
            return (_FALLBACK.get(op) or fallback(op))(x, y)
        dtype = a.dtype
        xo, yo = _operand(x, dtype), _operand(y, dtype)
        if xo is None or yo is None:
            return fallback(op)(x, y)
        return _run(op, loop_name, (xo, yo), dtype, (x, y))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def rsub(x: Any, scalar: Any) -> Any:
    if not _float_array(x, _min[0]):
        return fallback("rsub")(x, scalar)
    s = _operand(scalar, x.dtype)
    if s is None or type(s) is _nd:
        return fallback("rsub")(x, scalar)
    return _run("rsub", "sub", (s, x), x.dtype, (x, scalar))


def power(x: Any, e: Any) -> Any:
    if not _float_array(x, _min[0]) or type(e) not in (int, float):
        return fallback("pow")(x, e)
    if e == 2:
        return _run("pow", "square", (x,), x.dtype, (x, e))
    return _run("pow", "power", (x, x.dtype.type(e)), x.dtype, (x, e))


def _bound(v: Any, dtype: np.dtype) -> tuple[Any, bool] | None:
    """(bound in dtype, whether there is one); None for a bound the loops do not take (an array)."""
    if v is None:
        return dtype.type(0), False
    if type(v) in (int, float):
        return dtype.type(v), True
    return None


def _clamp(op: str) -> Callable[..., Any]:
    def kernel(x: Any, lo: Any, hi: Any) -> Any:
        if type(x) is not _nd or x.size < _min[1] or x.dtype.char not in "fd":
            return (_FALLBACK.get(op) or fallback(op))(x, lo, hi)
        low, high = _bound(lo, x.dtype), _bound(hi, x.dtype)
        if low is None or high is None:
            return fallback(op)(x, lo, hi)
        return _run(op, "clamp", (x, low[0], high[0], low[1], high[1]), x.dtype, (x, lo, hi))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def threshold(x: Any, th: Any, value: Any) -> Any:
    if not _float_array(x, _min[1]) or type(th) not in (int, float) or type(value) not in (int, float):
        return fallback("threshold")(x, th, value)
    t = x.dtype.type
    return _run("threshold", "threshold", (x, t(th), t(value)), x.dtype, (x, th, value))


def where(x: Any, y: Any, cond: Any) -> Any:
    if (type(x) is not _nd or type(y) is not _nd or type(cond) is not _nd or x.dtype != y.dtype
            or x.dtype.char not in "fd" or cond.dtype != np.bool_ or max(x.size, y.size, cond.size) < _min[1]):
        return fallback("where")(x, y, cond)
    return _run("where", "where", (cond, x, y), x.dtype, (x, y, cond))


def sigmoid(x: Any) -> Any:
    if not _float_array(x, _min[1]):
        return fallback("sigmoid")(x)
    return _run("sigmoid", "sigmoid", (x,), x.dtype, (x,))


# --- fused backward kernels --------------------------------------------------------------------------------


def _pair(g: Any, x: Any, limit: int) -> np.dtype | None:
    """The dtype of a (gradient, saved array) pair the loops take, else None."""
    if not _float_array(x, limit):
        return None
    if type(g) is _nd:
        return x.dtype if g.dtype == x.dtype else None
    return x.dtype if type(g) is x.dtype.type else None


def pow_backward(g: Any, x: Any, e: Any) -> Any:
    dtype = _pair(g, x, _min[1])
    if dtype is None or type(e) not in (int, float):
        return fallback("pow_backward")(g, x, e)
    t = dtype.type
    if e == 2:
        return _run("pow_backward", "pow_backward_square", (g, x, t(e)), dtype, (g, x, e))
    if e == 3:
        return _run("pow_backward", "pow_backward_cube", (g, x, t(e)), dtype, (g, x, e))
    return _run("pow_backward", "pow_backward", (g, x, t(e), t(e - 1)), dtype, (g, x, e))


def _output_backward(op: str) -> Callable[[Any, Any], Any]:
    def kernel(g: Any, y: Any) -> Any:
        dtype = _pair(g, y, _min[1])
        if dtype is None:
            return fallback(op)(g, y)
        return _run(op, op, (g, y, dtype.type(1)), dtype, (g, y))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def threshold_backward(g: Any, x: Any, th: Any) -> Any:
    dtype = _pair(g, x, _min[1])
    if dtype is None or type(th) not in (int, float):
        return fallback("threshold_backward")(g, x, th)
    return _run("threshold_backward", "threshold_backward", (g, x, dtype.type(th), dtype.type(0)), dtype,
                (g, x, th))


def clamp_backward(g: Any, x: Any, lo: Any, hi: Any) -> Any:
    dtype = _pair(g, x, _min[1])
    if dtype is None:
        return fallback("clamp_backward")(g, x, lo, hi)
    low, high = _bound(lo, dtype), _bound(hi, dtype)
    if low is None or high is None:
        return fallback("clamp_backward")(g, x, lo, hi)
    return _run("clamp_backward", "clamp_backward", (g, x, low[0], high[0], low[1], high[1], dtype.type(0)),
                dtype, (g, x, lo, hi))


# --- reductions --------------------------------------------------------------------------------------------


def _plan(shape: tuple, dims: Any) -> tuple[int, int, int] | None:
    """``(P, R, Q)`` when the reduced axes (ignoring those of size 1) are adjacent: the array is P blocks of
    R reduced by Q kept elements. None when they are not, or when nothing is reduced."""
    nd = len(shape)
    reduced = set(range(nd)) if dims is None else set(dims)
    sized = [i for i in range(nd) if shape[i] != 1]
    inside = [i for i in sized if i in reduced]
    if not inside:
        return None
    lo, hi = inside[0], inside[-1]
    if any(lo < i < hi and i not in reduced for i in sized):
        return None
    return _prod(shape[:lo]), _prod(shape[lo:hi + 1]), _prod(shape[hi + 1:])


def _prod(dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def _reduced_shape(shape: tuple, dims: Any, keepdim: bool) -> tuple:
    axes = range(len(shape)) if dims is None else dims
    if keepdim:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _reducible(x: Any, limit: int) -> bool:
    return _float_array(x, limit) and x.ndim > 0 and x.flags.c_contiguous


def _sum_into(x: Any, plan: tuple[int, int, int], count: float) -> Any:
    """Sums over R of x viewed as (P, R, Q), divided by ``count``: a flat array of P * Q, or a float."""
    p, r, q = plan
    j = loops()
    if p == 1 and q == 1:
        return j.sum_all(x.reshape(-1)) / count
    out = np.empty(p * q, x.dtype)
    if q == 1:
        j.sum_rows(x.reshape(p, r), count, out)
    else:
        # Note: row bands in parallel; fewer (down to 1) when the float64 partial sums would grow large.
        groups = max(1, min(COLUMN_BANDS, r, (1 << 20) // (p * q)))
        j.sum_columns(x.reshape(p, r, q), groups, count, out.reshape(p, q))
    return out


def _shaped(result: Any, dtype: np.dtype, shape: tuple) -> Any:
    if type(result) is _nd:
        return result.reshape(shape)
    if shape == ():
        return dtype.type(result)  # NumPy's full reductions give a NumPy scalar
    return np.full(shape, result, dtype)


def _sum(op: str, mean: bool) -> Callable[..., Any]:
    def kernel(x: Any, dims: Any, keepdim: bool) -> Any:
        plan = _plan(x.shape, dims) if _reducible(x, _min[0]) else None
        if plan is None:
            return fallback(op)(x, dims, keepdim)
        result = _sum_into(x, plan, float(plan[1]) if mean else 1.0)
        CALLS[op] += 1
        return _shaped(result, x.dtype, _reduced_shape(x.shape, dims, keepdim))

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def sum_to_size(x: Any, shape: tuple) -> Any:
    if not _float_array(x, _min[0]) or not x.ndim:
        return fallback("sum_to_size")(x, shape)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    if not axes:
        return fallback("sum_to_size")(x, shape)
    if not any(x.strides):
        # One value broadcast (the gradient of a sum, expanded): each output element adds `count` copies of it.
        count = x.size // max(_prod(shape), 1)
        CALLS["sum_to_size"] += 1
        return np.full(shape, float(x[(0,) * x.ndim]) * count, x.dtype)
    plan = _plan(x.shape, axes) if x.flags.c_contiguous else None
    if plan is None:
        return fallback("sum_to_size")(x, shape)
    result = _sum_into(x, plan, 1.0)
    CALLS["sum_to_size"] += 1
    return _shaped(result, x.dtype, shape)


def _extremum_values(x: Any, plan: tuple[int, int, int], largest: bool) -> tuple[Any, Any]:
    p, r, q = plan
    values = np.empty(p * q, x.dtype)
    indices = np.empty(p * q, np.int64)
    loops().extremum_along(x.reshape(p, r, q), largest, values, indices)
    return values, indices


def _amax(op: str, largest: bool) -> Callable[..., Any]:
    def kernel(x: Any, dims: Any, keepdim: bool) -> Any:
        plan = _plan(x.shape, dims) if _reducible(x, _min[0]) else None
        if plan is None:
            return fallback(op)(x, dims, keepdim)
        shape = _reduced_shape(x.shape, dims, keepdim)
        CALLS[op] += 1
        if plan[0] == 1 and plan[2] == 1:
            return _shaped(loops().extremum_all(x.reshape(-1), largest), x.dtype, shape)
        return _extremum_values(x, plan, largest)[0].reshape(shape)

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def _select(op: str, largest: bool) -> Callable[..., Any]:
    def kernel(x: Any, dim: int, keepdim: bool) -> Any:
        plan = _plan(x.shape, (dim,)) if _reducible(x, _min[0]) else None
        if plan is None:
            return fallback(op)(x, dim, keepdim)
        shape = _reduced_shape(x.shape, (dim,), keepdim)
        values, indices = _extremum_values(x, plan, largest)
        CALLS[op] += 1
        return values.reshape(shape), indices.reshape(shape)

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def logsumexp(x: Any, dims: Any, keepdim: bool) -> Any:
    plan = _plan(x.shape, dims) if _reducible(x, _min[1]) and dims else None
    if plan is None or plan[2] != 1:
        return fallback("logsumexp")(x, dims, keepdim)
    out = np.empty(plan[0], x.dtype)
    loops().logsumexp_rows(x.reshape(plan[0], plan[1]), out)
    CALLS["logsumexp"] += 1
    return out.reshape(_reduced_shape(x.shape, dims, keepdim))


# --- softmax, log_softmax and their backward ops ----------------------------------------------------------


def _rows(x: Any, dim: int, limit: int) -> tuple[int, int] | None:
    """(rows, length) when softmax over ``dim`` of x runs over contiguous rows, else None."""
    if not _reducible(x, limit):
        return None
    plan = _plan(x.shape, (dim,))
    if plan is None or plan[2] != 1:
        return None
    return plan[0], plan[1]


def _softmax(op: str, log: bool) -> Callable[..., Any]:
    def kernel(x: Any, dim: int) -> Any:
        rows = _rows(x, dim, _min[1])
        if rows is None:
            return fallback(op)(x, dim)
        out = empty(x.shape, x.dtype)
        loops().softmax_rows(x.reshape(rows), log, out.reshape(rows))
        CALLS[op] += 1
        return out

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


def _softmax_backward(op: str, log: bool) -> Callable[..., Any]:
    def kernel(g: Any, y: Any, dim: int) -> Any:
        rows = _rows(y, dim, _min[1])
        if (rows is None or type(g) is not _nd or g.shape != y.shape or g.dtype != y.dtype
                or not g.flags.c_contiguous):
            return fallback(op)(g, y, dim)
        out = empty(y.shape, y.dtype)
        loops().softmax_backward_rows(g.reshape(rows), y.reshape(rows), log, out.reshape(rows))
        CALLS[op] += 1
        return out

    kernel.__name__ = kernel.__qualname__ = op
    return kernel


# --- cross entropy ----------------------------------------------------------------------------------------


def _ce_operands(x: Any, target: Any, weight: Any, ignore_index: int) -> tuple | None:
    """(target, weight array, has weight) when the fused loops take these inputs, else None (also for a
    target out of range: the fallback raises NumPy's error)."""
    if (not _float_array(x, _min[1]) or x.ndim != 2 or not x.flags.c_contiguous or type(target) is not _nd
            or target.ndim != 1 or target.dtype.kind not in "iu" or target.shape[0] != x.shape[0]):
        return None
    if weight is not None and (type(weight) is not _nd or weight.dtype != x.dtype or weight.shape != x.shape[1:]):
        return None
    bad = (target < 0) | (target >= x.shape[1])
    if bad.any() and (bad & (target != ignore_index)).any():
        return None
    t = np.ascontiguousarray(target)
    if weight is None:
        return t, np.ones(1, x.dtype), False
    return t, np.ascontiguousarray(weight), True


def cross_entropy_fused(x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
    operands = _ce_operands(x, target, weight, ignore_index)
    if operands is None:
        return fallback("cross_entropy_fused")(x, target, weight, reduction, ignore_index)
    t, w, has_weight = operands
    losses = np.empty(t.shape[0], x.dtype)
    weights = np.empty(t.shape[0], x.dtype)
    loops().cross_entropy_rows(x, t, w, has_weight, ignore_index, losses, weights)
    CALLS["cross_entropy_fused"] += 1
    if reduction == "none":
        return losses
    total = np.sum(losses)
    return total if reduction == "sum" else total / np.sum(weights)


def cross_entropy_fused_backward(g: Any, x: Any, target: Any, weight: Any, reduction: str,
                                 ignore_index: int) -> Any:
    operands = _ce_operands(x, target, weight, ignore_index)
    if operands is None or getattr(g, "dtype", None) != x.dtype:
        return fallback("cross_entropy_fused_backward")(g, x, target, weight, reduction, ignore_index)
    t, w, has_weight = operands
    n = t.shape[0]
    if reduction == "none":
        coef = np.ascontiguousarray(np.broadcast_to(g, (n,)))
    elif reduction == "sum":
        coef = np.full(n, g, x.dtype)
    else:
        valid = t != ignore_index
        total = np.sum(np.where(valid, w[np.where(valid, t, 0)], 0), dtype=x.dtype) if has_weight else \
            np.sum(valid, dtype=x.dtype)
        coef = np.full(n, g / total, x.dtype)
    out = empty(x.shape, x.dtype)
    loops().cross_entropy_backward_rows(x, t, w, has_weight, ignore_index, coef, out)
    CALLS["cross_entropy_fused_backward"] += 1
    return out


# --- the table the backend registers ------------------------------------------------------------------------

KERNELS: dict[str, Callable[..., Any]] = {
    # elementwise, with broadcasting (contiguous runs, or strided and coalesced to two dimensions)
    "add": _binary("add", "add"),
    "sub": _binary("sub", "sub"),
    "mul": _binary("mul", "mul"),
    "div": _binary("div", "div"),
    "maximum": _binary("maximum", "maximum_", fused=True),
    "minimum": _binary("minimum", "minimum_", fused=True),
    "where": where,
    "rsub": rsub,
    "neg": _unary("neg", "neg"),
    "abs": _unary("abs", "abs_"),
    "sqrt": _unary("sqrt", "sqrt"),
    "rsqrt": _with_constant("rsqrt", "rsqrt", 1.0),
    "reciprocal": _with_constant("reciprocal", "div", 1.0, first=True),
    "relu": _with_constant("relu", "relu", 0.0, fused=True),
    "sigmoid": sigmoid,
    "pow": power,
    "clamp": _clamp("clamp"),
    "clamp_min": _clamp("clamp_min"),
    "clamp_max": _clamp("clamp_max"),
    "threshold": threshold,
    # fused backward kernels
    "pow_backward": pow_backward,
    "sigmoid_backward": _output_backward("sigmoid_backward"),
    "tanh_backward": _output_backward("tanh_backward"),
    "threshold_backward": threshold_backward,
    "clamp_backward": clamp_backward,
    "softmax_backward_data": _softmax_backward("softmax_backward_data", False),
    "log_softmax_backward_data": _softmax_backward("log_softmax_backward_data", True),
    # reductions
    "sum": _sum("sum", False),
    "sum_dim": _sum("sum_dim", False),
    "mean": _sum("mean", True),
    "mean_dim": _sum("mean_dim", True),
    "sum_to_size": sum_to_size,
    "amax": _amax("amax", True),
    "amin": _amax("amin", False),
    "max_dim": _select("max_dim", True),
    "min_dim": _select("min_dim", False),
    "logsumexp": logsumexp,
    "softmax": _softmax("softmax", False),
    "log_softmax": _softmax("log_softmax", True),
    # cross entropy: log_softmax + nll_loss in one pass each way
    "cross_entropy_fused": cross_entropy_fused,
    "cross_entropy_fused_backward": cross_entropy_fused_backward,
}

_from_environment()
