"""Linear algebra: matmul and its primitives (mm, bmm, mv, dot), outer, addmm, matrix_power, trace,
diagonals, triangles, tensordot and einsum.

``matmul`` follows PyTorch's decomposition, so graphs read the same: 1-D @ 1-D
is ``dot`` (DotBackward0), 2-D @ 1-D ``mv``, 2-D @ 2-D ``mm``, 1-D @ 2-D an
``mm`` under an in-place squeeze (SqueezeBackward4), and batched products fold
into ``mm``/``mv`` or broadcast into ``bmm`` under ``UnsafeViewBackward0``.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from . import registry as _reg
from ._promote import is_complex_data
from .elementwise import cj, holomorphic
from .registry import defop
from .shape import (
    PERMUTE,
    SQUEEZE_DIM,
    SQUEEZE_DIM_INPLACE,
    T_OP,
    TRANSPOSE,
    UNSQUEEZE,
    _ctype,
    _permute_fn,
    _prod,
    _scalar_name,
    _unsafe_view,
    expand,
    reshape,
    wrap_dim,
    write_out,
)

_FLOAT_NATIVE: set = set()  # native dtypes known to be floating point (they skip the bool check)


def _check_not_bool(a: Any, kernel: str) -> None:
    if a.dtype is _dt.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _mT(t: Any) -> Any:
    n = t._data.ndim
    return TRANSPOSE.dispatch((t,), (n - 2, n - 1))


# --- mm / bmm / mv / dot ------------------------------------------------------------------


def _is_transposed(t: Any) -> bool:
    """Whether ``t``'s array is laid out column-major (a transposed view, like ``weight.t()`` in nn.Linear)."""
    flags = getattr(t._data, "flags", None)
    return flags is not None and bool(flags.f_contiguous) and not bool(flags.c_contiguous)


def _mat2_grad(m1: Any, g: Any, m2: Any) -> Any:
    """The gradient of ``mm(m1, m2)`` for ``m2``, in ``m2``'s layout (as PyTorch's mm_mat2_backward).

    For a transposed weight the result is then a transposed view of a row-major array, so the leaf's
    ``.grad`` comes out row-major like the weight itself; mixing layouts makes every later elementwise op
    (optimizer updates) walk memory across strides.
    """
    if _is_transposed(m2):
        return T_OP.dispatch((MM.dispatch((T_OP.dispatch((g,)), m1)),))
    return MM.dispatch((T_OP.dispatch((m1,)), g))


def _mm_vjp(ctx: Any, g: Any) -> tuple:
    a, b = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        a, b = cj(a), cj(b)
    ga = MM.dispatch((g, T_OP.dispatch((b,)))) if need[0] else None
    gb = _mat2_grad(a, g, b) if need[1] else None
    return ga, gb


MM = defop("mm", 2, vjp=_mm_vjp, saves=((1,), (0, 1)),
           samples=lambda: [Sample((T((3, 4)), T((4, 2))), name="rect"), Sample((T((1, 3)), T((3, 1))), name="outer1"),
                            Sample((T((0, 3)), T((3, 2))), name="empty", gradgradcheck=False)],
           reference=lambda np, a, b: np.matmul(a, b))


@generic("mm")
@generic("bmm")
@generic("mv")
def _matmul_kernel(xp: Any) -> Any:
    return xp.matmul


def mm(input: Any, mat2: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The matrix product of two 2-d tensors (MmBackward0)."""
    if out is not None:
        return write_out("mm", out, (input, mat2), lambda: mm(input, mat2))
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, k), (k2, m) = input._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    native = input._data.dtype
    if native != mat2._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_ctype(input.dtype)} != "
                           f"{_ctype(mat2.dtype)}")
    if native not in _FLOAT_NATIVE:
        _check_not_bool(input, "addmm_impl_cpu_")
        if input.dtype.is_floating_point:
            _FLOAT_NATIVE.add(native)
    return MM.dispatch((input, mat2))


def _bmm_vjp(ctx: Any, g: Any) -> tuple:
    a, b = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        a, b = cj(a), cj(b)
    ga = BMM.dispatch((g, TRANSPOSE.dispatch((b,), (1, 2)))) if need[0] else None
    gb = BMM.dispatch((TRANSPOSE.dispatch((a,), (1, 2)), g)) if need[1] else None
    return ga, gb


BMM = defop("bmm", 2, vjp=_bmm_vjp, saves=((1,), (0,)),
            samples=lambda: [Sample((T((2, 3, 4)), T((2, 4, 5))), name="batch2"),
                             Sample((T((1, 2, 2)), T((1, 2, 3))), name="batch1")],
            reference=lambda np, a, b: np.matmul(a, b))


def bmm(input: Any, mat2: Any, *, out: Any = None) -> Any:  # noqa: A002
    """Batched matrix products of two 3-d tensors with the same batch size (BmmBackward0)."""
    if out is not None:
        return write_out("bmm", out, (input, mat2), lambda: bmm(input, mat2))
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (b, _, k), (b2, k2, _) = input._data.shape, mat2._data.shape
    if (b2, k2) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                           f"[{b2}, {k2}].")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found {_scalar_name(mat2.dtype)}")
    _check_not_bool(input, "bmm")
    return BMM.dispatch((input, mat2))


def _mv_vjp(ctx: Any, g: Any) -> tuple:
    m, v = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        m, v = cj(m), cj(v)
    gm = outer(g, v) if need[0] else None
    gv = MV.dispatch((T_OP.dispatch((m,)), g)) if need[1] else None
    return gm, gv


MV = defop("mv", 2, vjp=_mv_vjp, saves=((1,), (0,)),
           samples=lambda: [Sample((T((3, 4)), T((4,))), name="rect"), Sample((T((1, 1)), T((1,))), name="one")],
           reference=lambda np, m, v: np.matmul(m, v))


def mv(input: Any, vec: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The product of a matrix and a vector (MvBackward0)."""
    if out is not None:
        return write_out("mv", out, (input, vec), lambda: mv(input, vec))
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    (n, k), (k2,) = input._data.shape, vec._data.shape
    if k != k2:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({k2})")
    if input.dtype is not vec.dtype:
        a, b = _scalar_name(input.dtype), _scalar_name(vec.dtype)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {b}, {a}, and {b}")
    _check_not_bool(input, "addmv_impl_cpu")
    return MV.dispatch((input, vec))


def _dot_vjp(ctx: Any, g: Any) -> tuple:
    a, b = ctx.inputs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        a, b = cj(a), cj(b)
    return (g * b if need[0] else None), (g * a if need[1] else None)


DOT = defop("dot", 2, vjp=_dot_vjp, saves=((1,), (0,)),
            samples=lambda: [Sample((T((5,)), T((5,))), name="vec"), Sample((T((0,)), T((0,))), name="empty",
                                                                           gradgradcheck=False)],
            reference=lambda np, a, b: np.asarray(np.dot(a, b)))


@generic("dot")
def _dot_kernel(xp: Any) -> Any:
    def dot(a: Any, b: Any) -> Any:
        return xp.asarray(xp.matmul(a, b))

    return dot


def dot(input: Any, tensor: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The inner product of two vectors of equal length (DotBackward0)."""
    if out is not None:
        return write_out("dot", out, (input, tensor), lambda: dot(input, tensor))
    _check_vectors(input, tensor)
    return DOT.dispatch((input, tensor))


def _check_vectors(a: Any, b: Any) -> None:
    """dot's and vdot's checks of their operands, in PyTorch's order and words."""
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_scalar_name(a.dtype)} "
                           f"and {_scalar_name(b.dtype)}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    _check_not_bool(a, "dot")


def outer(input: Any, vec2: Any) -> Any:  # noqa: A002
    """The outer product of two vectors: ``input[:, None] * vec2`` (MulBackward0 over ViewBackward0)."""
    from .elementwise import mul

    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return mul(reshape(input, (input._data.shape[0], 1)), vec2)


ger = outer


def inner(input: Any, other: Any) -> Any:  # noqa: A002
    """Sum over the last dimensions of both (a dot product for vectors; a scalar times a tensor for 0-d)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        from .elementwise import mul

        return mul(input, other)
    return tensordot(input, other, ([input._data.ndim - 1], [other._data.ndim - 1]))


# --- addmm --------------------------------------------------------------------------------


def _addmm_vjp(ctx: Any, g: Any) -> tuple:
    _, m1, m2 = ctx.inputs
    beta, alpha = ctx.attrs
    need = ctx.needs_input_grad
    if is_complex_data(g):
        m1, m2, beta, alpha = cj(m1), cj(m2), cj(beta), cj(alpha)
    gi = (g if beta == 1 else g * beta) if need[0] else None
    g1 = g2 = None
    if need[1]:
        g1 = MM.dispatch((g, T_OP.dispatch((m2,))))
        g1 = g1 if alpha == 1 else g1 * alpha
    if need[2]:
        g2 = _mat2_grad(m1, g, m2)
        g2 = g2 if alpha == 1 else g2 * alpha
    return gi, g1, g2


ADDMM = defop("addmm", 3, vjp=_addmm_vjp, saves=((), (2,), (1, 2)),
              samples=lambda: [Sample((T((2,)), T((3, 4)), T((4, 2))), (1, 1), name="bias"),
                               Sample((T((3, 2)), T((3, 4)), T((4, 2))), (0.5, 2.0), name="scaled")],
              reference=lambda np, x, a, b, beta, alpha: beta * x + alpha * np.matmul(a, b))


@generic("addmm")
def _addmm_kernel(xp: Any) -> Any:
    def addmm(x: Any, a: Any, b: Any, beta: Any, alpha: Any) -> Any:
        prod = xp.matmul(a, b)
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod
        if beta == 1:
            prod += x  # a fresh array of the same dtype: add the bias in place (no second result array)
            return prod
        return prod + x * beta

    return addmm


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1, out: Any = None) -> Any:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` in one op (AddmmBackward0), as ``nn.Linear`` records it."""
    if out is not None:
        return write_out("addmm", out, (input, mat1, mat2), lambda: addmm(input, mat1, mat2, beta=beta, alpha=alpha))
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_ctype(mat1.dtype)} != "
                           f"{_ctype(mat2.dtype)}")
    if input.dtype is not mat1.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_scalar_name(input.dtype)} and "
                           f"{_scalar_name(mat2.dtype)}")
    ishape = tuple(input._data.shape)
    if len(ishape) > 2 or any(x not in (1, y) for x, y in zip(reversed(ishape), (m, n))):
        expand(input, (n, m))  # raises PyTorch's error for an input that does not broadcast to the product
    _check_not_bool(mat1, "addmm_impl_cpu_")
    return ADDMM.dispatch((input, mat1, mat2), (beta, alpha))


# --- matmul -------------------------------------------------------------------------------


def _broadcast_batch(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        x = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        y = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _should_fold(a: Any, b: Any) -> bool:
    """PyTorch's choice between folding the batch into one mm/mv and a broadcast bmm (every plugrad
    tensor counts as contiguous, so the stride test reduces to the shape of a transposed operand)."""
    a_larger = a._data.ndim >= b._data.ndim
    dim_t1, dim_t2 = (a._data.ndim, b._data.ndim) if a_larger else (b._data.ndim, a._data.ndim)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (b if a_larger else a)._requires_grad:
        return True
    if a._data.ndim == 2:
        return False
    if (a if a_larger else b).numel() == 0:
        return True
    # t1 is a itself (contiguous), or b.mT, contiguous in its batch dims only when b.shape[-2] == 1
    return a_larger or b._data.shape[-2] == 1


def matmul(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The matrix product with NumPy's rules: vectors, matrices, and broadcast batches of matrices."""
    if out is not None:
        return write_out("matmul", out, (input, other), lambda: matmul(input, other))
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        return SQUEEZE_DIM_INPLACE.dispatch((mm(UNSQUEEZE.dispatch((input,), (0,)), other),), ((0,),))
    if da == 2 and db == 2:
        return mm(input, other)
    if _should_fold(input, other):
        transpose = db > da
        t1 = _mT(other) if transpose else input
        t2 = (T_OP.dispatch((input,)) if da == 2 else input) if transpose else other
        sizes1 = tuple(t1._data.shape)
        out_shape = sizes1[:-1]
        t1_folded = reshape(t1, (_prod(out_shape), sizes1[-1]))
        if t2._data.ndim == 2:
            out_shape += (t2._data.shape[1],)
            res = _unsafe_view(mm(t1_folded, t2), out_shape)
            if transpose:
                res = _mT(res)
                if out_shape[-1] != 1 and out_shape[-2] != 1 and _prod(out_shape):
                    from .conversion import clone

                    res = clone(res)  # PyTorch's .contiguous() copies the transposed result
            return res
        return _unsafe_view(mv(t1_folded, t2), out_shape)
    sa, sb = tuple(input._data.shape), tuple(other._data.shape)
    n = sa[-2] if da > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if db > 1 else sb[0]
    p = sb[-1] if db > 1 else 1
    batch1, batch2 = sa[:max(da - 2, 0)], sb[:max(db - 2, 0)]
    if da == 3 and db == 3 and batch1[0] != batch2[0]:
        if batch1[0] == 1 and input._requires_grad:
            return matmul(SQUEEZE_DIM.dispatch((input,), ((0,),)), other)
        if batch2[0] == 1 and other._requires_grad:
            return matmul(input, SQUEEZE_DIM.dispatch((other,), ((0,),)))
    batch = _broadcast_batch(batch1, batch2)
    nb = _prod(batch)
    a3 = reshape(expand(input, batch + (n, m1)), (nb, n, m1))
    if db == 1:
        b3 = UNSQUEEZE.dispatch((reshape(expand(other, batch + (m2,)), (nb, m2)),), (2,))
    else:
        b3 = reshape(expand(other, batch + (m2, p)), (nb, m2, p))
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    if m1 != m2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {m1}] but got: "
                           f"[{nb}, {m2}].")
    res = bmm(a3, b3)
    if db == 1:
        res = SQUEEZE_DIM.dispatch((res,), ((2,),))
    return _unsafe_view(res, out_shape)


# --- matrix_power -------------------------------------------------------------------------


def matrix_power(input: Any, n: int) -> Any:  # noqa: A002
    """``input`` (a square matrix, or a batch of them) to the integer power ``n``, by repeated squaring
    recorded as matmuls, exactly as PyTorch records it (``A**3`` is MmBackward0 over MmBackward0)."""
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are {shape[-2]} by "
                           f"{shape[-1]} matrices")
    n = int(n)
    if n == 0:
        from ..tensor import _wrap
        from .conversion import _copy_from, clone

        xp = input._backend.namespace()
        eye = _wrap(xp.broadcast_to(xp.eye(shape[-1], dtype=input._data.dtype), shape), input._backend)
        return _copy_from(clone(input), eye)
    if n < 0:
        input = _inverse(input, n)
        if n == -1:
            return input
        n = -n
    if n == 1:
        from .conversion import clone

        return clone(input)
    if n == 2:
        return matmul(input, input)
    if n == 3:
        return matmul(matmul(input, input), input)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = input if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _inverse(a: Any, n: int) -> Any:
    """The inverse of ``a`` (``linalg.inv``, with its checks), for a negative power ``n``."""
    from .linalg_core import INVERSE, check_square

    check_square("linalg.inv", a)
    return INVERSE.dispatch((a,))


# --- trace / diagonals / triangles --------------------------------------------------------


def _trace_vjp(ctx: Any, g: Any) -> tuple:
    from ..tensor import _wrap

    n, m = ctx.input_shape(0)
    xp = g._backend.namespace()
    return (g * _wrap(xp.eye(n, m, dtype=g._data.dtype), g._backend),)


TRACE = defop("trace", 1, vjp=_trace_vjp, saves=((),),
              samples=lambda: [Sample((T((3, 3)),), name="square"), Sample((T((2, 4)),), name="wide"),
                               Sample((T((4, 2)),), name="tall")],
              reference=lambda np, x: np.asarray(np.trace(x)))


@generic("trace")
def _trace_kernel(xp: Any) -> Any:
    def trace(x: Any) -> Any:
        n, m = x.shape
        k = min(n, m)
        return xp.asarray(xp.sum(xp.reshape(x, (-1,))[:k * (m + 1):m + 1]))

    return trace


def trace(input: Any) -> Any:  # noqa: A002
    """The sum of the main diagonal of a matrix (TraceBackward0); integer matrices sum as int64."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input.dtype.category < 2 and input.dtype is not _dt.int64:
        from .conversion import _to_dtype

        input = _to_dtype(input, _dt.int64)
    return TRACE.dispatch((input,))


def _diag_len(n: int, m: int, offset: int) -> int:
    return max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))


def _diag_start(m: int, offset: int) -> int:
    return offset if offset >= 0 else -offset * m


def _move_last(ndim: int, d1: int, d2: int) -> tuple:
    return tuple(i for i in range(ndim) if i not in (d1, d2)) + (d1, d2)


def _diagonal_vjp(ctx: Any, g: Any) -> tuple:
    return (DIAGONAL_BACKWARD.dispatch((g,), (tuple(ctx.input_shape(0)), *ctx.attrs)),)


_DIAGONAL_SAMPLES = lambda: [Sample((T((3, 4)),), (0, 0, 1), name="main"),  # noqa: E731
                             Sample((T((3, 4)),), (1, 0, 1), name="upper"),
                             Sample((T((4, 3)),), (-2, 0, 1), name="lower"),
                             Sample((T((2, 3, 4)),), (0, 0, 2), name="batched_dims")]


def _np_diagonal(np: Any, x: Any, offset: int, d1: int, d2: int) -> Any:
    return np.diagonal(x, offset, d1, d2)


DIAGONAL = defop("diagonal", 1, vjp=_diagonal_vjp, saves=((),), samples=_DIAGONAL_SAMPLES, reference=_np_diagonal)
DIAG_COPY = defop("diag_copy", 1, vjp=_diagonal_vjp, node="DiagonalBackward0_copy", saves=((),),
                  samples=lambda: [Sample((T((3, 4)),), (1, 0, 1), name="upper")], reference=_np_diagonal)


@generic("diagonal")
def _diagonal_kernel(xp: Any) -> Any:
    permute_dims = _permute_fn(xp)
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)

    def diagonal(x: Any, offset: int, d1: int, d2: int) -> Any:
        x = permute_dims(x, _move_last(x.ndim, d1, d2))
        *batch, n, m = x.shape
        k = _diag_len(n, m, offset)
        strides = getattr(x, "strides", None)
        if k and strides is not None and tricks is not None:
            # A view of x's own memory in any layout: step one row and one column at a time from the first element.
            first = x[..., 0:, offset:] if offset >= 0 else x[..., -offset:, 0:]
            return tricks.as_strided(first, shape=(*batch, k), strides=(*strides[:-2], strides[-2] + strides[-1]))
        start = _diag_start(m, offset)
        flat = xp.reshape(x, tuple(batch) + (n * m,))  # a view only when x is row-major
        return flat[..., start:start + k * (m + 1):m + 1] if k else flat[..., :0]

    return diagonal


@generic("diag_copy")
def _diag_copy_kernel(xp: Any) -> Any:
    diagonal = _diagonal_kernel(xp)

    def diag_copy(x: Any, offset: int, d1: int, d2: int) -> Any:
        return xp.asarray(diagonal(x, offset, d1, d2), copy=True)

    return diag_copy


def _diagonal_backward_vjp(ctx: Any, g: Any) -> tuple:
    return (DIAGONAL.dispatch((g,), ctx.attrs[1:]),)


DIAGONAL_BACKWARD = defop("diagonal_backward", 1, vjp=_diagonal_backward_vjp, node="DiagonalBackwardBackward0",
                          saves=((),),
                          samples=lambda: [Sample((T((3,)),), ((3, 4), 1, 0, 1), name="upper"),
                                           Sample((T((3, 2)),), ((2, 3, 4), 0, 0, 2), name="batched_dims")],
                          reference=lambda np, g, shape, offset, d1, d2: _np_diagonal_backward(np, g, shape, offset,
                                                                                               d1, d2))


def _np_diagonal_backward(np: Any, g: Any, shape: tuple, offset: int, d1: int, d2: int) -> Any:
    out = np.zeros(shape, dtype=g.dtype)
    k = g.shape[-1]
    rows, cols = np.arange(k) + max(-offset, 0), np.arange(k) + max(offset, 0)
    np.moveaxis(out, (d1, d2), (-2, -1))[..., rows, cols] = g
    return out


def _embed_diagonal(xp: Any, g: Any, shape: tuple, offset: int, d1: int, d2: int) -> Any:
    """Zeros of ``shape`` with ``g`` on the diagonal (``offset``) of dims ``d1``, ``d2`` (the latter last in ``g``)."""
    permute_dims = _permute_fn(xp)
    perm = _move_last(len(shape), d1, d2)
    moved = tuple(shape[i] for i in perm)
    *batch, n, m = moved
    k = _diag_len(n, m, offset)
    out = xp.zeros(tuple(batch) + (n * m,), dtype=g.dtype)
    if k:
        start = _diag_start(m, offset)
        out[..., start:start + k * (m + 1):m + 1] = g
    inverse = [0] * len(perm)
    for i, d in enumerate(perm):
        inverse[d] = i
    return permute_dims(xp.reshape(out, moved), tuple(inverse))


@generic("diagonal_backward")
def _diagonal_backward_kernel(xp: Any) -> Any:
    def diagonal_backward(g: Any, shape: tuple, offset: int, d1: int, d2: int) -> Any:
        return _embed_diagonal(xp, g, shape, offset, d1, d2)

    return diagonal_backward


def _diagonal_args(input: Any, offset: int, dim1: int, dim2: int) -> tuple:  # noqa: A002
    n = input._data.ndim
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return int(offset), d1, d2


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:  # noqa: A002
    """The diagonal (``offset`` above the main one) of the matrices in dims ``dim1``, ``dim2``, as the last dim."""
    return DIAGONAL.dispatch((input,), _diagonal_args(input, offset, dim1, dim2))


def _diag_embed_vjp(ctx: Any, g: Any) -> tuple:
    offset, d1, d2 = ctx.attrs
    return (DIAGONAL.dispatch((g,), (offset, d1, d2)),)


DIAG_EMBED = defop("diag_embed", 1, vjp=_diag_embed_vjp, saves=((),),
                   samples=lambda: [Sample((T((3,)),), (0, 0, 1), name="vec"),
                                    Sample((T((2, 3)),), (1, 1, 2), name="batched_upper"),
                                    Sample((T((3,)),), (-1, 0, 1), name="lower")],
                   reference=lambda np, x, offset, d1, d2: _np_diag_embed(np, x, offset, d1, d2))


def _np_diag_embed(np: Any, x: Any, offset: int, d1: int, d2: int) -> Any:
    k = x.shape[-1] + abs(offset)
    batch = x.shape[:-1]
    shape = list(batch)
    lo, hi = sorted((d1, d2))
    shape.insert(lo, k)
    shape.insert(hi, k)
    return _np_diagonal_backward(np, x, tuple(shape), offset, d1, d2)


@generic("diag_embed")
def _diag_embed_kernel(xp: Any) -> Any:
    def diag_embed(x: Any, offset: int, d1: int, d2: int) -> Any:
        k = x.shape[-1] + abs(offset)
        shape = list(x.shape[:-1])
        lo, hi = sorted((d1, d2))
        shape.insert(lo, k)
        shape.insert(hi, k)
        return _embed_diagonal(xp, x, tuple(shape), offset, d1, d2)

    return diag_embed


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: A002
    """Matrices (in dims ``dim1``, ``dim2`` of the result) with the last dim of ``input`` on their diagonal."""
    n = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DIAG_EMBED.dispatch((input,), (int(offset), d1, d2))


def diag(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """A vector's diagonal matrix (DiagEmbedBackward0), or a matrix's diagonal (DiagonalBackward0_copy)."""
    n = input._data.ndim
    if n == 1:
        return DIAG_EMBED.dispatch((input,), (int(diagonal), 0, 1))
    if n == 2:
        return DIAG_COPY.dispatch((input,), (int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


def diagflat(input: Any, offset: int = 0) -> Any:  # noqa: A002
    """The square matrix with the flattened ``input`` on its ``offset``-th diagonal."""
    return DIAG_EMBED.dispatch((reshape(input, (-1,)),), (int(offset), 0, 1))


def _triangle(name: str, keep_lower: bool) -> tuple:
    def vjp(ctx: Any, g: Any) -> tuple:
        return (op.dispatch((g,), ctx.attrs),)

    op = defop(name, 1, vjp=vjp, saves=((),),
               samples=lambda: [Sample((T((4, 4)),), (0,), name="square"), Sample((T((3, 5)),), (1,), name="wide"),
                                Sample((T((2, 4, 3)),), (-1,), name="batched")],
               reference=lambda np, x, k: getattr(np, name)(x, k))

    @generic(name)
    def _kernel(xp: Any) -> Any:
        def triangle(x: Any, k: int) -> Any:
            n, m = x.shape[-2:]
            rows = xp.reshape(xp.arange(n), (n, 1))
            cols = xp.reshape(xp.arange(m), (1, m))
            keep = (cols - rows <= k) if keep_lower else (cols - rows >= k)
            return xp.where(keep, x, xp.zeros_like(x))

        return triangle

    def fn(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
        if input._data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return op.dispatch((input,), (int(diagonal),))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {'lower' if keep_lower else 'upper'} triangle of the last two dims of ``input`` (from the "
                  f"``diagonal``-th diagonal), zeros elsewhere ({op.node_cls.__name__}).")
    return op, fn


TRIL, tril = _triangle("tril", True)
TRIU, triu = _triangle("triu", False)


# --- tensordot / einsum -------------------------------------------------------------------


def tensordot(a: Any, b: Any, dims: Any = 2, out: Any = None) -> Any:
    """Contract ``dims`` (a count of trailing/leading dims, or two lists) of ``a`` and ``b``: permute, mm, view."""
    if out is not None:
        return write_out("tensordot", out, (a, b), lambda: tensordot(a, b, dims))
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int) or hasattr(dims, "__index__"):
        k = int(dims)
        if k < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={k}")
        if k > na or k > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={k}")
        da, db = list(range(na - k, na)), list(range(k))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [wrap_dim(d, na) for d in da]
    db = [wrap_dim(d, nb) for d in db]
    sa, sb = a._data.shape, b._data.shape
    for x, y in zip(da, db):
        if sa[x] != sb[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[x]} in dim {x} and "
                               f"second has size {sb[y]} in dim {y}")
    free_a = [i for i in range(na) if i not in da]
    free_b = [i for i in range(nb) if i not in db]
    csize = _prod(sa[d] for d in da)
    pa = PERMUTE.dispatch((a,), (tuple(free_a + da),))
    pb = PERMUTE.dispatch((b,), (tuple(db + free_b),))
    ma = reshape(pa, (_prod(sa[i] for i in free_a), csize))
    mb = reshape(pb, (csize, _prod(sb[i] for i in free_b)))
    return reshape(mm(ma, mb), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])``: the equation the sublists spell (0-25 are A-Z, 26-51 a-z)."""

    def term(sub: Any) -> str:
        out = []
        for v in sub:
            if v is Ellipsis:
                out.append("...")
                continue
            if not 0 <= v < 52:
                raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
            out.append(chr(ord("A") + v) if v < 26 else chr(ord("a") + v - 26))
        return "".join(out)

    operands = args[0::2]
    n = len(operands)
    terms = [term(args[2 * i + 1]) for i in range(n) if 2 * i + 1 < len(args)]
    if len(terms) < n:  # an odd count: the last item is the output sublist
        operands, output = operands[:-1], operands[-1]
        return ",".join(terms) + "->" + term(output), tuple(operands)
    return ",".join(terms), tuple(operands)


def einsum(equation: Any, *operands: Any) -> Any:
    """Einstein summation over ``operands``, built from permute, diagonal, sum, mul and bmm (so it differentiates
    to any order); ``...`` broadcasts, a repeated subscript takes a diagonal, omitted ones are summed.

    Also PyTorch's sublist form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``: each operand followed by its
    subscripts as integers (or ``...``), then optionally the output's."""
    if isinstance(equation, _reg.Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and not isinstance(operands[0], _reg.Tensor):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError("einsum(): more operands were provided than specified in the equation"
                         if len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    ell_dims = 0
    parsed = []
    for term, op in zip(terms, operands):
        labels = _einsum_labels(term, op._data.ndim)
        ell_dims = max(ell_dims, sum(1 for x in labels if x.startswith(".")))
        parsed.append(labels)
    ell = [f".{i}" for i in range(ell_dims)]
    # Ellipsis dims are aligned from the right, as in broadcasting.
    parsed = [[ell[ell_dims - sum(1 for x in labels if x.startswith(".")) + int(x[1:])] if x.startswith(".") else x
               for x in labels] for labels in parsed]
    if arrow:
        out_labels = _einsum_labels(rhs, None, ell)
        for x in out_labels:
            if not any(x in labels for labels in parsed):
                raise RuntimeError(f"einsum(): output subscript {x} does not appear in the equation for any input "
                                   "operand")
    else:
        counts: dict = {}
        for labels in parsed:
            for x in labels:
                counts[x] = counts.get(x, 0) + 1
        out_labels = ell + sorted(x for x, c in counts.items() if c == 1 and not x.startswith("."))
    sizes: dict = {}
    for labels, op in zip(parsed, operands):
        for x, s in zip(labels, op._data.shape):
            if x in sizes and sizes[x] != s and 1 not in (sizes[x], s):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                                   f"subscript {x!r} has sizes {sizes[x]} and {s}")
            sizes[x] = s if x not in sizes or sizes[x] == 1 else sizes[x]
    items = [_einsum_prepare(op, labels) for op, labels in zip(operands, parsed)]
    result, labels = items[0]
    for i, (t, tl) in enumerate(items[1:], 1):
        later = set(out_labels).union(*(set(lb) for _, lb in items[i + 1:]))
        result, labels = _einsum_pair(result, labels, t, tl, later, sizes)
    # Sum what is left over, then put the output in order.
    from .reduction import sum as _sum

    extra = [i for i, x in enumerate(labels) if x not in out_labels]
    if extra:
        result = _sum(result, tuple(extra))
        labels = [x for x in labels if x in out_labels]
    perm = tuple(labels.index(x) for x in out_labels)
    if perm != tuple(range(len(perm))):
        result = PERMUTE.dispatch((result,), (perm,))
    target = tuple(sizes[x] for x in out_labels)
    if tuple(result._data.shape) != target:
        result = expand(result, target)
    return result


def _einsum_labels(term: str, ndim: int | None, ell: list | None = None) -> list:
    """The subscripts of one term; ``...`` becomes ``.0``, ``.1``... (numbered from the left)."""
    if "..." in term:
        head, _, tail = term.partition("...")
        if ell is not None:
            return list(head) + ell + list(tail)
        k = ndim - len(head) - len(tail) if ndim is not None else 0
        if k < 0:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(head) + len(tail)}) is more "
                               f"than the number of dimensions ({ndim}) for operand")
        return list(head) + [f".{i}" for i in range(k)] + list(tail)
    if ell is not None:
        return list(term.replace(".", ""))
    for ch in term:
        if not ch.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {term.index(ch)} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    if ndim is not None and len(term) != ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the "
                           f"number of dimensions ({ndim}) for operand and no ellipsis was given")
    return list(term)


def _einsum_prepare(t: Any, labels: list) -> tuple:
    """Take diagonals for subscripts repeated within one operand."""
    labels = list(labels)
    while True:
        dup = next((x for x in labels if labels.count(x) > 1), None)
        if dup is None:
            return t, labels
        i = labels.index(dup)
        j = labels.index(dup, i + 1)
        t = DIAGONAL.dispatch((t,), (0, i, j))
        labels = [x for k, x in enumerate(labels) if k not in (i, j)] + [dup]


def _einsum_pair(a: Any, la: list, b: Any, lb: list, keep: set, sizes: dict) -> tuple:
    """Contract two operands with one bmm: batch (shared, kept), a-only, b-only and summed subscripts."""
    from .reduction import sum as _sum

    # Subscripts only one side has and nobody needs later are summed away first.
    for t_is_a in (True, False):
        t, lt, other = (a, la, lb) if t_is_a else (b, lb, la)
        drop = [i for i, x in enumerate(lt) if x not in keep and x not in other]
        if drop:
            t = _sum(t, tuple(drop))
            lt = [x for i, x in enumerate(lt) if i not in drop]
        if t_is_a:
            a, la = t, lt
        else:
            b, lb = t, lt
    batch = [x for x in la if x in lb and x in keep]
    summed = [x for x in la if x in lb and x not in keep]
    only_a = [x for x in la if x not in lb]
    only_b = [x for x in lb if x not in la]
    size = lambda x: sizes[x]  # noqa: E731

    def arrange(t: Any, lt: list, order: list) -> Any:
        perm = tuple(lt.index(x) for x in order)
        if perm != tuple(range(len(perm))):
            t = PERMUTE.dispatch((t,), (perm,))
        target = tuple(size(x) for x in order)
        return expand(t, target) if tuple(t._data.shape) != target else t

    if not summed:
        # Nothing to contract: a broadcast product (MulBackward0), as PyTorch's einsum records it.
        from .elementwise import mul

        a2 = arrange(a, la, batch + only_a)
        b2 = arrange(b, lb, batch + only_b)
        pad_a = tuple(map(size, batch + only_a)) + (1,) * len(only_b)
        pad_b = tuple(map(size, batch)) + (1,) * len(only_a) + tuple(map(size, only_b))
        a2 = reshape(a2, pad_a) if tuple(a2._data.shape) != pad_a else a2
        b2 = reshape(b2, pad_b) if tuple(b2._data.shape) != pad_b else b2
        return mul(a2, b2), batch + only_a + only_b
    a3 = reshape(arrange(a, la, batch + only_a + summed),
                 (_prod(map(size, batch)), _prod(map(size, only_a)), _prod(map(size, summed))))
    b3 = reshape(arrange(b, lb, batch + summed + only_b),
                 (_prod(map(size, batch)), _prod(map(size, summed)), _prod(map(size, only_b))))
    res = bmm(a3, b3)
    labels = batch + only_a + only_b
    return reshape(res, tuple(size(x) for x in labels)), labels


# --- vdot / kron / cross ------------------------------------------------------------------


def _vdot_vjp(ctx: Any, g: Any) -> tuple:
    a, b = ctx.inputs
    need = ctx.needs_input_grad
    # vdot(a, b) = sum(conj(a) * b) is antiholomorphic in a: its gradient is conj(g) * b
    return (cj(g) * b if need[0] else None), (g * a if need[1] else None)


VDOT = defop("vdot", 2, vjp=_vdot_vjp, saves=((1,), (0,)),
             samples=lambda: [Sample((T((5,)), T((5,))), name="vec"), Sample((T((0,)), T((0,))), name="empty",
                                                                            gradgradcheck=False)],
             reference=lambda np, a, b: np.asarray(np.vdot(a, b)))


@generic("vdot")
def _vdot_kernel(xp: Any) -> Any:
    def vdot(a: Any, b: Any) -> Any:
        if xp.isdtype(a.dtype, "complex floating") if hasattr(xp, "isdtype") else False:
            return xp.asarray(xp.sum(xp.conj(a) * b))
        return xp.asarray(xp.matmul(a, b))

    return vdot


def vdot(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The dot product of two vectors, the first conjugated (VdotBackward0); PyTorch's checks and messages."""
    if out is not None:
        return write_out("vdot", out, (input, other), lambda: vdot(input, other))
    _check_vectors(input, other)
    return VDOT.dispatch((input, other))


def kron(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other`` (a broadcast product, then
    UnsafeViewBackward0 as in PyTorch); the shorter shape is padded with leading 1s."""
    from .elementwise import mul

    if out is not None:
        return write_out("kron", out, (input, other), lambda: kron(input, other))
    sa, sb = tuple(input._data.shape), tuple(other._data.shape)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    a = reshape(input, tuple(v for s in sa for v in (s, 1)))
    b = reshape(other, tuple(v for s in sb for v in (1, s)))
    return _unsafe_view(mul(a, b), tuple(x * y for x, y in zip(sa, sb)))


def _linalg_cross_vjp(ctx: Any, g: Any) -> tuple:
    a, b = ctx.inputs
    (dim,) = ctx.attrs
    need = ctx.needs_input_grad
    # Note: d(a x b) . g = (b x g) . da + (g x a) . db; gradients arrive in the broadcast shape.
    ga = LINALG_CROSS.dispatch((b, g), (dim,)) if need[0] else None
    gb = LINALG_CROSS.dispatch((g, a), (dim,)) if need[1] else None
    return ga, gb


LINALG_CROSS = defop("linalg_cross", 2, vjp=holomorphic(_linalg_cross_vjp), saves=((1,), (0,)),
                     samples=lambda: [Sample((T((4, 3)), T((4, 3))), (1,), name="rows"),
                                      Sample((T((3, 2)), T((3, 1))), (0,), name="broadcast"),
                                      Sample((T((3,)), T((3,))), (0,), name="vectors")],
                     reference=lambda np, a, b, dim: np.cross(a, b, axis=dim))


@generic("linalg_cross")
def _linalg_cross_kernel(xp: Any) -> Any:
    def linalg_cross(a: Any, b: Any, dim: int) -> Any:
        def part(x: Any, i: int) -> Any:
            return x[(slice(None),) * dim + (i,)]

        a0, a1, a2 = part(a, 0), part(a, 1), part(a, 2)
        b0, b1, b2 = part(b, 0), part(b, 1), part(b, 2)
        return xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)

    return linalg_cross


def linalg_cross(input: Any, other: Any, *, dim: int = -1, out: Any = None) -> Any:  # noqa: A002
    """``torch.linalg.cross``: the cross product of 3-vectors along ``dim`` (default the last), broadcasting the
    other dims (LinalgCrossBackward0)."""
    if out is not None:
        return write_out("linalg_cross", out, (input, other), lambda: linalg_cross(input, other, dim=dim))
    sa, sb = tuple(input._data.shape), tuple(other._data.shape)
    if len(sa) != len(sb):
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, len(sa))
    if sa[d] != 3 or sb[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sa[d]} and {sb[d]}")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found {_scalar_name(other.dtype)}")
    _check_not_bool(input, "cross")
    for k, (x, y) in enumerate(zip(sa, sb)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {k}")
    return LINALG_CROSS.dispatch((input, other), (d,))


def cross(input: Any, other: Any, dim: int | None = None, *, out: Any = None) -> Any:  # noqa: A002
    """``torch.cross``: :func:`linalg_cross` along ``dim``; without ``dim`` (deprecated, with PyTorch's warning)
    along the first dimension of size 3."""
    if dim is None:
        import warnings

        from ..plugins import _outside_level

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=_outside_level())
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim, out=out)


__all__ = [
    "vdot", "kron", "cross",
    "mm", "bmm", "mv", "dot", "outer", "ger", "inner", "addmm", "matmul", "matrix_power", "trace", "diagonal",
    "diag_embed", "diag", "diagflat", "tril", "triu", "tensordot", "einsum",
]


def _rmatmul(self: Any, other: Any) -> Any:
    return matmul(other, self)


TENSOR_METHODS: dict = {"__matmul__": matmul, "__rmatmul__": _rmatmul}
