"""``plugrad.linalg``: the user-facing functions, with PyTorch's names, arguments and errors.

Each checks its arguments as ``torch.linalg`` does, then dispatches one op of :mod:`plugrad_linalg.ops`.
"""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad import return_types

from .ops import CHOLESKY, DET, FROBENIUS_NORM, INV, SLOGDET, SOLVE, SVDVALS, broadcast_batch

linalg_slogdet = return_types.make("linalg_slogdet", ("sign", "logabsdet"))
"""What :func:`slogdet` returns: ``sign`` and ``logabsdet``, so that ``det = sign * exp(logabsdet)``."""


def _check_tensor(fn: str, arg: str, position: int, value: Any) -> None:
    if not isinstance(value, plugrad.Tensor):
        raise TypeError(f"linalg_{fn}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _check_float(fn: str, t: Any) -> None:
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        kind = t.dtype.legacy[:-len("Tensor")] if t.dtype.legacy.endswith("Tensor") else str(t.dtype)
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. Got {kind}")


def _check_square(fn: str, arg: str, t: Any) -> None:
    """What every function of square matrices checks first, with PyTorch's messages."""
    _check_tensor(fn, arg, 1, t)
    if t.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor {arg} must have at least 2 dimensions.")
    if t.shape[-1] != t.shape[-2]:
        raise RuntimeError(f"linalg.{fn}: A must be batches of square matrices, but they are "
                           f"{t.shape[-2]} by {t.shape[-1]} matrices")
    _check_float(fn, t)


def inv(A: Any) -> Any:  # noqa: N803 - PyTorch's argument name
    """The inverse of each square matrix in ``A`` (shape ``(*, n, n)``); a singular matrix raises."""
    _check_square("inv", "A", A)
    return INV.dispatch((A,))


def det(A: Any) -> Any:  # noqa: N803
    """The determinant of each square matrix in ``A``: shape ``(*)``."""
    _check_square("det", "A", A)
    return DET.dispatch((A,))


def slogdet(A: Any) -> Any:  # noqa: N803
    """``(sign, logabsdet)`` of each determinant: stable where ``det`` would under- or overflow."""
    _check_square("slogdet", "A", A)
    return linalg_slogdet(SLOGDET.dispatch((A,)))


def solve(A: Any, B: Any) -> Any:  # noqa: N803
    """``X`` with ``A @ X = B``. ``B`` is a (batch of) vector(s) when it is 1-d, or when its shape is
    ``A.shape[:-1]``; otherwise a (batch of) matrices. Batch dimensions broadcast."""
    _check_square("solve", "A", A)
    _check_tensor("solve", "B", 2, B)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy(A)} and B of type {_legacy(B)} instead")
    vector_case = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if B.ndim == 0:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    rows, rhs = (B.shape[-1], f"{B.shape[-1]}x1") if vector_case else (B.shape[-2], f"{B.shape[-2]}x{B.shape[-1]}")
    n = A.shape[-1]
    if rows != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rhs})")
    b_batch = tuple(B.shape[:-1] if vector_case else B.shape[:-2])
    if broadcast_batch(tuple(A.shape[:-2]), b_batch) is None:
        _raise_batch_mismatch(tuple(A.shape[:-2]), b_batch)
    return SOLVE.dispatch((A, B), (vector_case,))


def _raise_batch_mismatch(a_batch: tuple[int, ...], b_batch: tuple[int, ...]) -> None:
    ndim = max(len(a_batch), len(b_batch))
    padded_a = (1,) * (ndim - len(a_batch)) + a_batch
    padded_b = (1,) * (ndim - len(b_batch)) + b_batch
    for i, (x, y) in enumerate(zip(padded_b, padded_a)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")


def _legacy(t: Any) -> str:
    legacy = t.dtype.legacy
    return legacy[:-len("Tensor")] if legacy.endswith("Tensor") else str(t.dtype)


def cholesky(A: Any) -> Any:  # noqa: N803
    """The lower-triangular ``L`` with ``A = L @ L.mT``, for symmetric positive-definite ``A``."""
    _check_square("cholesky", "A", A)
    return CHOLESKY.dispatch((A,))


def svdvals(A: Any) -> Any:  # noqa: N803
    """The singular values of each matrix in ``A`` (shape ``(*, m, n)``), in descending order."""
    _check_tensor("svdvals", "A", 1, A)
    if A.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    _check_float("svdvals", A)
    return SVDVALS.dispatch((A,))


def matrix_norm(A: Any, ord: str = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False, *,  # noqa: N803,A002
                dtype: Any = None) -> Any:
    """The Frobenius (``ord='fro'``) or nuclear (``ord='nuc'``) norm of the matrices over the two ``dim``."""
    _check_tensor("matrix_norm", "input", 1, A)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_float("matrix_norm", A)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        got = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    dims = tuple(_wrap_dim(d, A.ndim) for d in dim)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return FROBENIUS_NORM.dispatch((A,), (dims, bool(keepdim)))
    if ord == "nuc":
        if dims != (A.ndim - 2, A.ndim - 1):
            rest = [d for d in range(A.ndim) if d not in dims]
            A = A.permute(*rest, *dims)
        result = SVDVALS.dispatch((A,)).sum(-1)
        if keepdim:
            for d in sorted(dims):
                result = result.unsqueeze(d)
        return result
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _wrap_dim(d: int, ndim: int) -> int:
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    return d % ndim


__all__ = ["cholesky", "cross", "det", "inv", "linalg_slogdet", "matrix_norm", "slogdet", "solve", "svdvals"]


def cross(input: Any, other: Any, *, dim: int = -1, out: Any = None) -> Any:  # noqa: A002 - PyTorch's name
    """The cross product of 3-vectors along ``dim`` (the last by default), broadcasting the others; the core's
    op (LinalgCrossBackward0), which ``plugrad.cross`` also uses."""
    from plugrad.ops.linalg import linalg_cross

    return linalg_cross(input, other, dim=dim, out=out)
