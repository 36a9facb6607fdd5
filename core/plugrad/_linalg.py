"""``plugrad.linalg`` when no plugin provides one: ``torch.linalg``'s functions, names, results and errors.

Each checks its arguments as ``torch.linalg`` does, then runs the core's ops (:mod:`plugrad.ops.linalg_core`)
or other plugrad functions, so every result is differentiable where PyTorch's is. A plugin that adds its own
``linalg`` namespace (plugrad-linalg) takes precedence over this module.
"""

from __future__ import annotations

import math
from typing import Any

from . import ops as _ops
from .ops.linalg import linalg_cross, matmul
from .ops.linalg import matrix_power as _matrix_power
from .ops.linalg_core import (
    CHOLESKY,
    DET,
    EIG,
    EIGH,
    HOUSEHOLDER_PRODUCT,
    INVERSE,
    LU,
    QR,
    SOLVE,
    SVD,
    LinAlgError,
    _return_type,
    broadcast_batch,
    check_float,
    check_matrix,
    check_square,
    check_tensor,
    legacy_name,
    lu_unpack,
)
from .ops.reduction import vector_norm as _vector_norm

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
    "householder_product", "inv",
    "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm",
    "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
    "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
]


def _pg() -> Any:
    import plugrad

    return plugrad


def _lower_as_symmetric(A: Any, upper: bool) -> Any:  # noqa: N803
    """``A`` read from one triangle, as LAPACK reads it: for a symmetric ``A`` that is ``A`` itself (and the
    gradient PyTorch's symmetric one); otherwise the value of the triangle mirrored, with ``A``'s gradient."""
    pg = _pg()
    with pg.no_grad():
        symmetric = bool((A == A.mH).all())
    if symmetric:
        return A
    with pg.no_grad():
        tri = A.triu() if upper else A.tril()
        mirrored = tri + (tri.triu(1) if upper else tri.tril(-1)).mH
    return A + (mirrored - A).detach()


# --- inverses, determinants, solvers ----------------------------------------------------------------


def inv(A: Any, *, out: Any = None) -> Any:  # noqa: N803 - PyTorch's argument name
    """The inverse of each square matrix in ``A``; a singular one raises :class:`LinAlgError`."""
    check_square("linalg.inv", A)
    return _ops.linalg_core._copy_out(out, INVERSE.dispatch((A,)))


def _info(A: Any) -> Any:  # noqa: N803
    """1 for each singular matrix of ``A``, 0 for the others (int32, as LAPACK's info)."""
    pg = _pg()
    with pg.no_grad():
        return (matrix_rank(A) < A.shape[-1]).to(pg.int32)


def inv_ex(A: Any, *, check_errors: bool = False) -> Any:  # noqa: N803
    """``(inverse, info)``: ``info`` is nonzero for a singular matrix, whose inverse is then NaN, instead of
    raising (unless ``check_errors``)."""
    check_square("linalg.inv_ex", A)
    result_type = _return_type("linalg_inv_ex", ("inverse", "info"))
    pg = _pg()
    try:
        inverse = INVERSE.dispatch((A,))
    except LinAlgError:
        if check_errors:
            raise
        info = _info(A)
        mask = _per_matrix(info.to(pg.bool))
        eye = pg.eye(A.shape[-1], dtype=A.dtype, device=A.device)
        inverse = pg.where(mask, math.nan, INVERSE.dispatch((pg.where(mask, eye, A),)))
        return result_type((inverse, info))
    return result_type((inverse, pg.zeros(A.shape[:-2], dtype=pg.int32, device=A.device)))


def _per_matrix(t: Any) -> Any:
    return t.reshape(*t.shape, 1, 1)


def det(A: Any, *, out: Any = None) -> Any:  # noqa: N803
    """The determinant of each square matrix in ``A``: shape ``(*)`` (LinalgDetBackward0)."""
    check_square("linalg.det", A)
    return _ops.linalg_core._copy_out(out, DET.dispatch((A,)))


def slogdet(A: Any) -> Any:  # noqa: N803
    """``(sign, logabsdet)`` of each determinant, so that ``det = sign * exp(logabsdet)``."""
    check_square("linalg.slogdet", A)
    return _return_type("linalg_slogdet", ("sign", "logabsdet"))(_ops.linalg_core.slogdet_op(A))


def _raise_batch_mismatch(a_batch: tuple[int, ...], b_batch: tuple[int, ...]) -> None:
    n = max(len(a_batch), len(b_batch))
    pa, pb = (1,) * (n - len(a_batch)) + a_batch, (1,) * (n - len(b_batch)) + b_batch
    for i, (x, y) in enumerate(zip(pb, pa)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")


def _check_rhs(fn: str, A: Any, B: Any, *, left: bool = True) -> bool:  # noqa: N803
    """PyTorch's checks of ``B`` against ``A`` for ``A X = B``; returns whether ``B`` is a (batch of) vector(s)."""
    check_tensor(f"linalg_{fn}", "B", 2, B)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{legacy_name(A)} and B of type {legacy_name(B)} instead")
    if B.ndim == 0:
        raise RuntimeError(f"linalg.{fn}: The input tensor B must have at least 2 dimensions.")
    vector_case = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows, rhs = (B.shape[-1], f"{B.shape[-1]}x1") if vector_case else (B.shape[-2], f"{B.shape[-2]}x{B.shape[-1]}")
    n = A.shape[-1]
    if rows != n:
        raise RuntimeError(f"linalg.{fn}: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rhs})")
    b_batch = tuple(B.shape[:-1] if vector_case else B.shape[:-2])
    if broadcast_batch(tuple(A.shape[:-2]), b_batch) is None:
        _raise_batch_mismatch(tuple(A.shape[:-2]), b_batch)
    return vector_case


def solve(A: Any, B: Any, *, left: bool = True, out: Any = None) -> Any:  # noqa: N803
    """``X`` with ``A @ X = B`` (``left=False``: ``X @ A = B``). ``B`` is a (batch of) vector(s) when it is 1-d
    or its shape is ``A.shape[:-1]``; batch dimensions broadcast (LinalgSolveExBackward0)."""
    check_square("linalg.solve", A)
    if not left:
        check_tensor("linalg_solve", "B", 2, B)
        return _ops.linalg_core._copy_out(out, solve(A.mT, B.mT).mT)
    vector_case = _check_rhs("solve", A, B)
    return _ops.linalg_core._copy_out(out, SOLVE.dispatch((A, B), (vector_case,)))


def solve_ex(A: Any, B: Any, *, left: bool = True, check_errors: bool = False) -> Any:  # noqa: N803
    """``(result, info)`` of :func:`solve`; ``info`` is nonzero for a singular ``A`` (whose result is NaN)."""
    check_square("linalg.solve_ex", A)
    result_type = _return_type("linalg_solve_ex", ("result", "info"))
    pg = _pg()
    try:
        x = solve(A, B, left=left)
    except LinAlgError:
        if check_errors:
            raise
        info = _info(A)
        with pg.no_grad():
            x = pg.full(solve(pg.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape), B,
                              left=left).shape, math.nan, dtype=A.dtype, device=A.device)
        return result_type((x, info))
    return result_type((x, pg.zeros(A.shape[:-2], dtype=pg.int32, device=A.device)))


def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False, out: Any = None) -> Any:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``) for triangular ``A``, whose other triangle (and, with
    ``unitriangular``, diagonal) is not read."""
    check_tensor("linalg_solve_triangular", "A", 1, A)
    check_tensor("linalg_solve_triangular", "B", 2, B)
    check_matrix("linalg.solve_triangular", A)
    check_matrix("linalg.solve_triangular", B, "B")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    check_float("linalg.solve_triangular", A)
    pg = _pg()
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        eye = pg.eye(A.shape[-1], dtype=A.dtype, device=A.device)
        tri = tri * (1 - eye) + eye
    if not left:
        tri, B = tri.mT, B.mT
    n = tri.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{legacy_name(A)} and B of type {legacy_name(B)} instead")
    x = SOLVE.dispatch((tri, B), (False,))
    return _ops.linalg_core._copy_out(out, x if left else x.mT)


# --- factorizations -----------------------------------------------------------------------------------


def cholesky(A: Any, *, upper: bool = False, out: Any = None) -> Any:  # noqa: N803
    """The lower-triangular ``L`` with ``A = L @ L.mT`` (``upper``: ``L.mT``), for symmetric positive-definite
    ``A``; only the lower triangle is read."""
    check_square("linalg.cholesky", A)
    low = CHOLESKY.dispatch((_lower_as_symmetric(A, False),))
    return _ops.linalg_core._copy_out(out, low.mH if upper else low)


def cholesky_ex(A: Any, *, upper: bool = False, check_errors: bool = False) -> Any:  # noqa: N803
    """``(L, info)`` of :func:`cholesky`; ``info`` is nonzero where a matrix is not positive-definite (its ``L``
    is then NaN) instead of raising (unless ``check_errors``)."""
    check_square("linalg.cholesky_ex", A)
    result_type = _return_type("linalg_cholesky_ex", ("L", "info"))
    pg = _pg()
    try:
        low = cholesky(A, upper=upper)
    except LinAlgError:
        if check_errors:
            raise
        with pg.no_grad():
            lam = EIGH.dispatch((A,))[0]
            info = (lam.amin(-1) <= 0).to(pg.int32)
            low = pg.full(A.shape, math.nan, dtype=A.dtype, device=A.device)
        return result_type((low, info))
    return result_type((low, pg.zeros(A.shape[:-2], dtype=pg.int32, device=A.device)))


def qr(A: Any, mode: str = "reduced", *, out: Any = None) -> Any:  # noqa: N803
    """``(Q, R)`` with ``A = Q R``: ``mode`` ``'reduced'`` (k = min(m, n) columns), ``'complete'`` (square Q) or
    ``'r'`` (R only; Q empty)."""
    check_tensor("linalg_qr", "A", 1, A)
    check_matrix("linalg.qr", A)
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    check_float("linalg.qr", A)
    return _return_type("linalg_qr", ("Q", "R"))(QR.dispatch((A,), (mode,)))


def householder_product(A: Any, tau: Any, *, out: Any = None) -> Any:  # noqa: N803
    """The first ``n`` columns of ``H_1 ... H_k`` for ``A`` of shape ``(*, m, n)``, ``m >= n >= k``: reflector
    ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` 1 at ``i`` and ``A[i+1:, i]`` below (LinalgHouseholderProductBackward0)."""
    check_tensor("linalg_householder_product", "input", 1, A)
    check_tensor("linalg_householder_product", "tau", 2, tau)
    fn = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.ndim and A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    if A.ndim > 2 and tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tau.dtype is not A.dtype:
        raise RuntimeError(f"{fn}: tau dtype {legacy_name(tau)} does not match input dtype {legacy_name(A)}")
    check_float(fn, A)
    return _ops.linalg_core._copy_out(out, HOUSEHOLDER_PRODUCT.dispatch((A, tau)))


def svd(A: Any, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> Any:  # noqa: N803
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values in descending order; ``full_matrices=False``
    keeps the first ``min(m, n)`` columns of U and rows of Vh."""
    check_tensor("linalg_svd", "A", 1, A)
    check_matrix("linalg.svd", A)
    check_float("linalg.svd", A)
    return _return_type("linalg_svd", ("U", "S", "Vh"))(SVD.dispatch((A,), (bool(full_matrices),)))


def svdvals(A: Any, *, driver: Any = None, out: Any = None) -> Any:  # noqa: N803
    """The singular values of each matrix in ``A``, in descending order (LinalgSvdBackward0)."""
    check_tensor("linalg_svdvals", "A", 1, A)
    check_matrix("linalg.svdvals", A)
    check_float("linalg.svdvals", A)
    return _ops.linalg_core._copy_out(out, SVD.dispatch((A,), (False,))[1])


def _check_uplo(UPLO: str) -> None:  # noqa: N803
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A: Any, UPLO: str = "L", *, out: Any = None) -> Any:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix, eigenvalues ascending; only the ``UPLO``
    triangle is read."""
    check_square("linalg.eigh", A)
    _check_uplo(UPLO)
    return _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(
        EIGH.dispatch((_lower_as_symmetric(A, UPLO == "U"),)))


def _check_eig(fn: str, A: Any) -> None:  # noqa: N803
    check_square(fn, A, float_only=False)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {legacy_name(A)}")


def eig(A: Any, *, out: Any = None) -> Any:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of each square matrix, complex whatever ``A``'s dtype; eigenvectors have
    norm 1 and are fixed only up to a phase each, which a differentiated loss must not depend on."""
    _check_eig("linalg.eig", A)
    return _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))(EIG.dispatch((A,)))


def eigvals(A: Any, *, out: Any = None) -> Any:  # noqa: N803
    """The eigenvalues of each square matrix, complex (LinalgEigBackward0)."""
    _check_eig("linalg.eigvals", A)
    return _ops.linalg_core._copy_out(out, EIG.dispatch((A,))[0])


def eigvalsh(A: Any, UPLO: str = "L", *, out: Any = None) -> Any:  # noqa: N803
    """The eigenvalues of each symmetric matrix, ascending (LinalgEighBackward0)."""
    check_square("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    return _ops.linalg_core._copy_out(out, EIGH.dispatch((_lower_as_symmetric(A, UPLO == "U"),))[0])


def _check_lu(fn: str, A: Any, pivot: bool) -> None:  # noqa: N803
    check_tensor(f"linalg_{fn.split('.')[-1]}", "A", 1, A)
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{legacy_name(A)}\'')
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def lu(A: Any, *, pivot: bool = True, out: Any = None) -> Any:  # noqa: N803
    """``(P, L, U)`` with ``A = P L U``: partial pivoting, unit lower-triangular ``L`` (``m x k``) and upper
    ``U`` (``k x n``), ``k = min(m, n)`` (LinalgLuBackward0)."""
    _check_lu("linalg.lu", A, pivot)
    p, low, up, _pivots = LU.dispatch((A,))
    return _return_type("linalg_lu", ("P", "L", "U"))((p, low, up))


def _packed(low: Any, up: Any) -> Any:
    """L's strict lower part and U in one ``m x n`` matrix, as getrf stores them."""
    pg = _pg()
    m, k = low.shape[-2:]
    n = up.shape[-1]
    if n > k:
        low = pg.cat([low, pg.zeros((*low.shape[:-1], n - k), dtype=low.dtype, device=low.device)], -1)
    if m > k:
        up = pg.cat([up, pg.zeros((*up.shape[:-2], m - k, n), dtype=up.dtype, device=up.device)], -2)
    return low.tril(-1) + up


def _lu_info(up: Any) -> Any:
    """getrf's info: the 1-based index of U's first zero diagonal entry, 0 if none (int32)."""
    pg = _pg()
    with pg.no_grad():
        diag = up.diagonal(0, -2, -1)
        k = diag.shape[-1]
        zero = diag == 0
        index = pg.where(zero, pg.arange(1, k + 1, device=up.device), k + 1).amin(-1) if k else None
        if index is None:
            return pg.zeros(up.shape[:-2], dtype=pg.int32, device=up.device)
        return pg.where(index > k, 0, index).to(pg.int32)


def lu_factor_ex(A: Any, *, pivot: bool = True, check_errors: bool = False, out: Any = None) -> Any:  # noqa: N803
    """``(LU, pivots, info)``: the packed factorization, getrf's 1-based int32 row swaps and, per matrix, the
    1-based index of a zero pivot (0 when ``U`` is invertible)."""
    _check_lu("torch.lu_factor", A, pivot)
    _p, low, up, pivots = LU.dispatch((A,))
    info = _lu_info(up)
    if check_errors and bool((info > 0).any()):
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{int(info.max().item())},{int(info.max().item())}] is "
                          "zero and using it on lu_solve would result in a division by zero.")
    return _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))((_packed(low, up), pivots, info))


def lu_factor(A: Any, *, pivot: bool = True, out: Any = None) -> Any:  # noqa: N803
    """``(LU, pivots)`` of :func:`lu_factor_ex`; a zero pivot raises, as ``lu_solve`` would divide by it."""
    packed, pivots, info = lu_factor_ex(A, pivot=pivot)
    if bool((info > 0).any()):
        i = int(info.reshape(-1)[(info.reshape(-1) > 0).nonzero()[0, 0]].item())
        raise LinAlgError(f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve would result in a "
                          "division by zero. If you still want to perform the factorization, consider calling "
                          "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return _return_type("linalg_lu_factor", ("LU", "pivots"))((packed, pivots))


def lu_solve(LU: Any, pivots: Any, B: Any, *, left: bool = True, adjoint: bool = False,  # noqa: N803
             out: Any = None) -> Any:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``; ``adjoint``: ``A^H`` for ``A``) from
    :func:`lu_factor`'s ``(LU, pivots)`` of ``A``."""
    check_tensor("linalg_lu_solve", "LU", 1, LU)
    n = LU.shape[-1]
    rows = B.shape[-2] if left else B.shape[-1]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    p, low, up = lu_unpack(LU, pivots)
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return _ops.linalg_core._copy_out(out, lu_solve(LU, pivots, B.mH, adjoint=not adjoint).mH)
    if adjoint:  # A^H X = B: U^H L^H P^T X = B
        y = solve_triangular(up.mH, B, upper=False)
        y = solve_triangular(low.mH, y, upper=True, unitriangular=True)
        return _ops.linalg_core._copy_out(out, p @ y)
    y = solve_triangular(low, p.mT @ B, upper=False, unitriangular=True)
    return _ops.linalg_core._copy_out(out, solve_triangular(up, y, upper=True))


# --- pseudo-inverse, rank, least squares ------------------------------------------------------------


def _tolerance(A: Any, s: Any, atol: Any, rtol: Any) -> Any:  # noqa: N803
    """PyTorch's ``max(atol, rtol * largest singular value)`` per matrix, shaped to compare with ``s``."""
    pg = _pg()
    if rtol is None:
        positive_atol = atol is not None and (not isinstance(atol, pg.Tensor) or bool((atol > 0).all()))
        rtol = 0.0 if positive_atol else _pg().finfo(A.dtype).eps * max(A.shape[-2], A.shape[-1])
    smax = s.abs().amax(-1, keepdim=True) if s.shape[-1] else pg.zeros((*s.shape[:-1], 1), dtype=s.dtype,
                                                                      device=s.device)
    rt = rtol.unsqueeze(-1) if isinstance(rtol, pg.Tensor) else rtol
    tol = smax * rt
    if atol is not None:
        at = atol.unsqueeze(-1) if isinstance(atol, pg.Tensor) else atol
        tol = pg.maximum(tol, pg.zeros_like(tol) + at)
    return tol


def pinv(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False, out: Any = None) -> Any:  # noqa: N803
    """The Moore-Penrose pseudo-inverse, dropping singular values (eigenvalues, with ``hermitian``) at or below
    ``max(atol, rtol * largest)``; ``rtol`` defaults to ``eps * max(m, n)``."""
    check_tensor("linalg_pinv", "input", 1, A)
    if A.ndim < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.pinv({legacy_name(A)}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    pg = _pg()
    if hermitian:
        # Note: PyTorch's pinv gradient is the general one whatever ``hermitian`` says, and for a symmetric
        # matrix the singular values are the eigenvalues' magnitudes, so the SVD serves both (on the triangle read)
        A = _lower_as_symmetric(A, False)  # noqa: N806
    u, s, vh = SVD.dispatch((A,), (False,))
    keep = s > _tolerance(A, s, atol, rtol)
    inv_s = pg.where(keep, 1 / pg.where(keep, s, pg.ones_like(s)), 0.0)
    result = (vh.mH * inv_s.unsqueeze(-2)) @ u.mH
    return _ops.linalg_core._copy_out(out, result)


def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,  # noqa: N803
                out: Any = None) -> Any:
    """The number of singular values above ``max(atol, rtol * largest)`` of each matrix (int64)."""
    check_tensor("linalg_matrix_rank", "input", 1, A)
    check_matrix("torch.linalg.matrix_rank", A, "input")
    check_float("torch.linalg.matrix_rank", A)
    pg = _pg()
    with pg.no_grad():
        s = EIGH.dispatch((A,))[0].abs() if hermitian else SVD.dispatch((A,), (False,))[1]
        rank = (s > _tolerance(A, s, atol, rtol)).sum(-1)
    return _ops.linalg_core._copy_out(out, rank)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Any, B: Any, rcond: float | None = None, *, driver: str | None = None) -> Any:  # noqa: N803
    """``(solution, residuals, rank, singular_values)`` of the least-squares problem ``min ||A X - B||``, as
    PyTorch's drivers give them: ``rank`` except for ``'gels'``, ``singular_values`` for ``'gelsd'`` and
    ``'gelss'``, ``residuals`` (squared, per column) for those and ``'gels'`` when ``m > n`` and ``A`` has full
    rank; the others empty."""
    check_tensor("linalg_lstsq", "self", 1, A)
    check_tensor("linalg_lstsq", "b", 2, B)
    check_matrix("torch.linalg.lstsq", A, "A")
    if driver is None:
        driver = "gelsy" if A.device.type == "cpu" else "gels"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    check_float("torch.linalg.lstsq", A)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {legacy_name(A)} and other's dtype {legacy_name(B)}")
    vector_case = B.ndim == A.ndim - 1
    if not (0 <= A.ndim - B.ndim <= 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    rhs = B.unsqueeze(-1) if vector_case else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-{1 if vector_case else 2})")
    pg = _pg()
    m, n = A.shape[-2:]
    rtol = rcond if rcond is not None and rcond >= 0 else _pg().finfo(A.dtype).eps * max(m, n)
    solution = pinv(A, rtol=rtol) @ rhs
    with pg.no_grad():
        s = SVD.dispatch((A,), (False,))[1]
        ranks = (s > _tolerance(A, s, None, rtol)).sum(-1)
    empty = pg.zeros(0, dtype=A.dtype, device=A.device)
    residuals = empty
    if driver != "gelsy" and m > n and bool((ranks == n).all()):
        residuals = ((A @ solution - rhs) ** 2).sum(-2)
        if vector_case:
            residuals = residuals.squeeze(-1)
    rank = pg.zeros(0, dtype=pg.int64, device=A.device) if driver == "gels" else ranks
    singular_values = s if driver in ("gelsd", "gelss") else empty
    if vector_case:
        solution = solution.squeeze(-1)
    return _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(
        (solution, residuals, rank, singular_values))


# --- norms and condition numbers --------------------------------------------------------------------


def _wrap_dim(d: int, ndim: int) -> int:
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    return d % ndim


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, out: Any = None) -> Any:
    """The vector ``ord``-norm over ``dim`` (all elements by default; LinalgVectorNormBackward0)."""
    return _ops.linalg_core._copy_out(out, _vector_norm(x, ord, dim, keepdim, dtype=dtype))


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: N803,A002
                dtype: Any = None, out: Any = None) -> Any:
    """The matrix norm over the two ``dim``: ``'fro'``, ``'nuc'``, ``inf``/``-inf`` (max/min row sum),
    ``1``/``-1`` (max/min column sum), ``2``/``-2`` (largest/smallest singular value)."""
    check_tensor("linalg_matrix_norm", "input", 1, A)
    check_matrix("linalg.matrix_norm", A)
    check_float("linalg.matrix_norm", A)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        got = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = (_wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _ops.linalg_core._copy_out(out, _vector_norm(A, 2, (d0, d1), keepdim))
    if ord not in ("nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(A.ndim) if d not in (d0, d1)]
        s = SVD.dispatch((A.permute(*rest, d0, d1),), (False,))[1]
        result = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                result = result.unsqueeze(d)
    else:
        summed, reduced = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        result = sums.amax(reduced, keepdim=True) if ord > 0 else sums.amin(reduced, keepdim=True)
        if not keepdim:
            result = result.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    return _ops.linalg_core._copy_out(out, result)


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: N803,A002
         dtype: Any = None, out: Any = None) -> Any:
    """A vector norm (``dim`` an int, or ``A`` 1-d) or a matrix norm (``dim`` a 2-tuple, or ``A`` 2-d); without
    ``ord`` and ``dim``, the 2-norm of all the elements."""
    check_tensor("linalg_norm", "input", 1, A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)


def cond(A: Any, p: Any = None, *, out: Any = None) -> Any:  # noqa: N803
    """The condition number of each matrix in the ``p`` norm: the ratio of extreme singular values for ``p`` in
    ``(None, 2, -2)`` (any shape), else ``norm(A, p) * norm(inv(A), p)`` (square, invertible)."""
    check_tensor("linalg_cond", "input", 1, A)
    check_matrix("linalg.cond", A)
    check_float("linalg.cond", A)
    if p in (None, 2, -2):
        s = SVD.dispatch((A,), (False,))[1]
        result = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return _ops.linalg_core._copy_out(out, result)
    if p not in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    return _ops.linalg_core._copy_out(out, matrix_norm(A, p) * matrix_norm(inv(A), p))


# --- products and shapes ------------------------------------------------------------------------------


def matrix_power(A: Any, n: int, *, out: Any = None) -> Any:  # noqa: N803
    """``A`` (square matrices) to the integer power ``n``; negative powers invert first."""
    if n < 0:
        check_square("linalg.inv", A)
    return _ops.linalg_core._copy_out(out, _matrix_power(A, n))


def matrix_exp(A: Any) -> Any:  # noqa: N803
    """The matrix exponential of each square matrix: a degree-18 Taylor polynomial of ``A / 2**s`` (1-norm at
    most 1/2), squared ``s`` times; differentiable through those products."""
    check_square("linalg.matrix_exp", A)
    pg = _pg()
    n = A.shape[-1]
    eye = pg.eye(n, dtype=A.dtype, device=A.device)
    if A.numel() == 0:
        return A.clone()
    with pg.no_grad():
        norm1 = float(A.abs().sum(-2).amax().item())
    squarings = max(0, math.ceil(math.log2(norm1)) + 1) if norm1 > 0 else 0
    x = A / (2.0 ** squarings)
    result, term = eye + x, x
    for k in range(2, 19):
        term = matmul(term, x) / k
        result = result + term
    for _ in range(squarings):
        result = matmul(result, result)
    return result


def multi_dot(tensors: Any, *, out: Any = None) -> Any:
    """The product of a chain of matrices; the first may be a row vector and the last a column vector (1-d),
    which are dropped from the result's shape."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    mats = [first.unsqueeze(0) if first.ndim == 1 else first, *tensors[1:-1],
            last.unsqueeze(-1) if last.ndim == 1 else last]
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    result = mats[0]
    for m in mats[1:]:
        result = matmul(result, m)
    if last.ndim == 1:
        result = result.squeeze(-1)
    if first.ndim == 1:
        result = result.squeeze(0)
    return _ops.linalg_core._copy_out(out, result)


def cross(input: Any, other: Any, *, dim: int = -1, out: Any = None) -> Any:  # noqa: A002 - PyTorch's name
    """The cross product of 3-vectors along ``dim`` (LinalgCrossBackward0), as ``plugrad.cross``."""
    return linalg_cross(input, other, dim=dim, out=out)


def vecdot(x: Any, y: Any, *, dim: int = -1, out: Any = None) -> Any:
    """The dot product of vectors along ``dim``, broadcasting the other dimensions (conjugating ``x``)."""
    check_tensor("linalg_vecdot", "x", 1, x)
    check_tensor("linalg_vecdot", "y", 2, y)
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{legacy_name(x)} and y of type {legacy_name(y)} instead")
    xc = x.conj() if x.dtype.is_complex else x
    return _ops.linalg_core._copy_out(out, (xc * y).sum(dim))


def vander(x: Any, *, N: int | None = None) -> Any:  # noqa: N803
    """The Vandermonde matrix of the last dimension of ``x``: columns ``x**0 ... x**(N-1)`` (``N`` defaults to
    ``x.shape[-1]``), built by a cumulative product so that its gradient is finite at zero."""
    check_tensor("linalg_vander", "x", 1, x)
    n = (x.shape[-1] if x.ndim else 0) if N is None else N
    if x.ndim == 0 or n <= 1:
        raise RuntimeError("N must be greater than 1.")
    pg = _pg()
    col = x.unsqueeze(-1)
    ones = pg.ones_like(col)
    return pg.cat([ones, col.expand(*x.shape, n - 1)], -1).cumprod(-1)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: N803
    """The ``offset`` diagonal of the matrices over ``dim1``, ``dim2`` (a view), as ``A.diagonal``."""
    return _ops.diagonal(A, offset, dim1, dim2)


def tensorinv(A: Any, ind: int = 2, *, out: Any = None) -> Any:  # noqa: N803
    """The inverse of ``A`` read as a matrix of its first ``ind`` dimensions by the others: shape
    ``A.shape[ind:] + A.shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return _ops.linalg_core._copy_out(out, inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind]))


def tensorsolve(A: Any, B: Any, dims: Any = None, *, out: Any = None) -> Any:  # noqa: N803
    """``X`` with ``tensordot(A, X, X.ndim) = B``: shape ``A.shape[B.ndim:]``; ``dims`` of ``A`` move last first."""
    if dims is not None:
        moved = [_wrap_dim(d, A.ndim) for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in moved], *moved)
    rest = tuple(A.shape[B.ndim:])
    rows, cols = math.prod(B.shape), math.prod(rest)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(result_shape) == prod(other.shape), "
                           f"but got {cols} != {rows}")
    x = solve(A.reshape(rows, cols), B.reshape(rows))
    return _ops.linalg_core._copy_out(out, x.reshape(*rest))
