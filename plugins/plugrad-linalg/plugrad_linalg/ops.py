"""The ops of plugrad-linalg, one block each: declaration, VJP rule, generic kernel, samples, NumPy reference.

The VJP rules are written with plugrad ops (``@``, ``.mT``, ``where``) and with these ops themselves, so
they run on every backend and, except where noted, can be differentiated again. The kernels are written
once against the array API's linear-algebra extension (``xp.linalg``), so every backend whose namespace
has it (NumPy, CuPy) runs them with no code of its own. Node names are PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import plugrad
from plugrad.ops.registry import Op
from plugrad.testing.samples import Sample, T

# --- helpers ---------------------------------------------------------------------------------------


def _per_matrix(t: Any) -> Any:
    """A tensor of one value per matrix, shaped ``(*batch, 1, 1)`` to broadcast over the matrices."""
    return t.reshape(*t.shape, 1, 1)


def _matrix_transpose(xp: Any) -> Callable[[Any], Any]:
    if hasattr(xp, "matrix_transpose"):
        return xp.matrix_transpose
    return lambda a: xp.swapaxes(a, -1, -2)


def _singular_to_runtime_error(fn: Callable[..., Any], message: str) -> Callable[..., Any]:
    """Report a library's ``LinAlgError`` with PyTorch's wording."""

    def kernel(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            if type(exc).__name__ == "LinAlgError":
                raise RuntimeError(f"{message} ({exc})") from exc
            raise

    return kernel


def _matrices(batch: tuple[int, ...], n: int, *, seed: int = 1, spd: bool = False,
              negative_det: bool = False) -> list:
    """Nested lists of well-conditioned ``n x n`` matrices: off-diagonal entries of at most 0.4 around a
    diagonal of at least 1.1 (for the small ``n`` of the samples). With ``spd``, ``M M^T`` plus that diagonal,
    so symmetric positive definite; with ``negative_det``, the first diagonal entry negated.
    """

    def one(k: int) -> list[list[float]]:
        m = [[0.4 * math.sin(1.7 * (i * n + j) + 0.9 * k + seed) for j in range(n)] for i in range(n)]
        if spd:
            m = [[sum(m[i][r] * m[j][r] for r in range(n)) for j in range(n)] for i in range(n)]
        for i in range(n):
            m[i][i] += 1.5 + 0.25 * i
        if negative_det:
            m[0][0] = -m[0][0]
        return m

    def build(shape: tuple[int, ...], offset: int) -> list:
        if not shape:
            return one(offset)
        size = math.prod(shape[1:])
        return [build(shape[1:], offset + i * size) for i in range(shape[0])]

    return build(batch, 0)


def _square(batch: tuple[int, ...], n: int, **kw: Any) -> T:
    return T((*batch, n, n), values=_matrices(batch, n, **kw))


# --- inv ------------------------------------------------------------------------------------------


def _inv_vjp(ctx: Any, g: Any) -> tuple:
    inv_t = ctx.output.mT
    return (-(inv_t @ g @ inv_t),)


def _inv_samples() -> Iterable[Sample]:
    yield Sample((_square((), 3),), name="3x3")
    yield Sample((_square((2,), 3, seed=2),), name="batch")
    yield Sample((_square((), 1, negative_det=True),), name="1x1")
    yield Sample((_square((), 4, negative_det=True),), name="negative_det")
    yield Sample((T((0, 0)),), name="empty", gradgradcheck=False)


INV = Op("linalg_inv", 1, _inv_vjp, node="LinalgInvExBackward0", saves=((-1,),), samples=_inv_samples,
         reference=lambda np, a: np.linalg.inv(a))


def _inv_kernel(xp: Any) -> Callable[..., Any]:
    return _singular_to_runtime_error(
        xp.linalg.inv, "linalg.inv: The inversion could not be completed because the input matrix is singular."
    )


# --- det ------------------------------------------------------------------------------------------


def _det_vjp(ctx: Any, g: Any) -> tuple:
    (a,) = ctx.inputs
    # Note: d det(A) = det(A) tr(A^-1 dA); valid where A is invertible (the samples are).
    return (_per_matrix(g * ctx.output) * INV.dispatch((a,)).mT,)


def _det_samples() -> Iterable[Sample]:
    yield Sample((_square((), 3),), name="3x3")
    yield Sample((_square((3,), 2, seed=3),), name="batch")
    yield Sample((_square((), 4, negative_det=True),), name="negative_det")
    yield Sample((_square((), 1),), name="1x1")


DET = Op("linalg_det", 1, _det_vjp, node="LinalgDetBackward0", saves=((0, -1),), samples=_det_samples,
         reference=lambda np, a: np.linalg.det(a))


def _det_kernel(xp: Any) -> Callable[..., Any]:
    return xp.linalg.det


# --- slogdet --------------------------------------------------------------------------------------


def _slogdet_vjp(ctx: Any, grads: tuple) -> tuple:
    _g_sign, g_logabsdet = grads
    if g_logabsdet is None:  # Note: the sign is piecewise constant; PyTorch gives no gradient through it
        return (None,)
    (a,) = ctx.inputs
    return (_per_matrix(g_logabsdet) * INV.dispatch((a,)).mT,)


def _slogdet_samples() -> Iterable[Sample]:
    yield Sample((_square((), 3),), name="3x3")
    yield Sample((_square((2,), 3, seed=4),), name="batch")
    yield Sample((_square((), 3, negative_det=True),), name="negative_det")


SLOGDET = Op("linalg_slogdet", 1, _slogdet_vjp, node="LinalgSlogdetBackward0", nout=2, saves=((0,),),
             samples=_slogdet_samples, reference=lambda np, a: tuple(np.linalg.slogdet(a)))


def _slogdet_kernel(xp: Any) -> Callable[..., Any]:
    def slogdet(a: Any) -> tuple:
        sign, logabsdet = xp.linalg.slogdet(a)
        return sign, logabsdet

    return slogdet


# --- solve ----------------------------------------------------------------------------------------


def _solve_vjp(ctx: Any, g: Any) -> tuple:
    a, _b = ctx.inputs
    (vector_case,) = ctx.attrs
    gb = SOLVE.dispatch((a.mT, g), (vector_case,))
    ga = None
    if ctx.needs_input_grad[0]:
        x = ctx.output
        ga = -(gb.unsqueeze(-1) @ x.unsqueeze(-2)) if vector_case else -(gb @ x.mT)
    return ga, gb


def _solve_samples() -> Iterable[Sample]:
    yield Sample((_square((), 3), T((3, 2))), (False,), name="matrix_rhs")
    yield Sample((_square((), 3), T((3,))), (True,), name="vector_rhs")
    yield Sample((_square((2,), 3, seed=5), T((2, 3))), (True,), name="batch_of_vectors")
    yield Sample((_square((), 3, negative_det=True), T((2, 3, 4))), (False,), name="broadcast_batch")
    yield Sample((_square((2, 1), 2, seed=6), T((3, 2, 1))), (False,), name="broadcast_both")


def _solve_reference(np: Any, a: Any, b: Any, vector_case: bool) -> Any:
    if vector_case:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


SOLVE = Op("linalg_solve", 2, _solve_vjp, node="LinalgSolveExBackward0", saves=((0, -1), (0,)),
           samples=_solve_samples, reference=_solve_reference)


def broadcast_batch(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The broadcast of two batch shapes, or None when they do not broadcast."""
    ndim = max(len(shape_a), len(shape_b))
    padded_a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    padded_b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    out = []
    for x, y in zip(padded_a, padded_b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def _solve_kernel(xp: Any) -> Callable[..., Any]:
    def solve(a: Any, b: Any, vector_case: bool) -> Any:
        if vector_case:
            b = b[..., None]
        # Note: batches are broadcast here, so that B is unambiguous (NumPy < 2 and CuPy read a B with one
        # dimension fewer than A as a stack of vectors) and libraries that do not broadcast (CuPy) agree.
        batch = broadcast_batch(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        if tuple(a.shape[:-2]) != batch:
            a = xp.broadcast_to(a, (*batch, *a.shape[-2:]))
        if tuple(b.shape[:-2]) != batch:
            b = xp.broadcast_to(b, (*batch, *b.shape[-2:]))
        x = xp.linalg.solve(a, b)
        return x[..., 0] if vector_case else x

    return _singular_to_runtime_error(
        solve, "linalg.solve: The solver failed because the input matrix is singular."
    )


# --- cholesky -------------------------------------------------------------------------------------


def _cholesky_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's rule: with A = L L^T, gA = L^-T Phi(L^T gL) L^-1, symmetrised, Phi = tril with half diagonal.
    low = ctx.output
    phi = (low.mT @ g).tril()
    phi = (phi + phi.tril(-1).mT) * 0.5
    ga = SOLVE.dispatch((low.mT, phi), (False,))  # L^-T phi
    ga = SOLVE.dispatch((low.mT, ga.mT), (False,)).mT  # (L^-T phi) L^-1 = (L^-T (L^-T phi)^T)^T
    return (ga,)


def _cholesky_samples() -> Iterable[Sample]:
    yield Sample((_square((), 3, spd=True),), name="3x3")
    yield Sample((_square((2,), 3, spd=True, seed=7),), name="batch")
    yield Sample((_square((), 1, spd=True),), name="1x1")


CHOLESKY = Op("linalg_cholesky", 1, _cholesky_vjp, node="LinalgCholeskyExBackward0", saves=((-1,),),
              samples=_cholesky_samples, reference=lambda np, a: np.linalg.cholesky(a))


def _cholesky_kernel(xp: Any) -> Callable[..., Any]:
    transpose = _matrix_transpose(xp)

    def cholesky(a: Any) -> Any:
        # Note: the input is symmetrised, so that the gradient is the symmetric one PyTorch gives and a
        # perturbation of one entry (gradcheck) sees it; for the symmetric inputs cholesky is defined on,
        # the result is unchanged.
        return xp.linalg.cholesky((a + transpose(a)) * 0.5)

    return _singular_to_runtime_error(
        cholesky,
        "linalg.cholesky: The factorization could not be completed because the input is not positive-definite.",
    )


# --- matrix_norm ----------------------------------------------------------------------------------


def _frobenius_vjp(ctx: Any, g: Any) -> tuple:
    (a,) = ctx.inputs
    norm = ctx.output
    dim, keepdim = ctx.attrs
    if not keepdim:
        for d in sorted(dim):
            g = g.unsqueeze(d)
            norm = norm.unsqueeze(d)
    # Note: at a zero norm PyTorch takes the subgradient 0
    return (a * plugrad.where(norm == 0, 0.0, g / norm),)


def _frobenius_samples() -> Iterable[Sample]:
    yield Sample((T((3, 4)),), ((0, 1), False), name="matrix")
    yield Sample((T((2, 3, 4)),), ((1, 2), False), name="batch")
    yield Sample((T((2, 3, 4)),), ((1, 2), True), name="keepdim")
    yield Sample((T((3, 2, 4)),), ((0, 2), False), name="dims_0_2")


FROBENIUS_NORM = Op("linalg_frobenius_norm", 1, _frobenius_vjp, node="LinalgVectorNormBackward0",
                    saves=((0, -1),), samples=_frobenius_samples,
                    reference=lambda np, a, dim, keepdim: np.sqrt(np.sum(a * a, axis=dim, keepdims=keepdim)))


def _frobenius_kernel(xp: Any) -> Callable[..., Any]:
    if hasattr(xp.linalg, "vector_norm"):
        def frobenius_norm(a: Any, dim: tuple[int, int], keepdim: bool) -> Any:
            return xp.linalg.vector_norm(a, axis=dim, keepdims=keepdim)
    else:  # namespaces without the array API's vector_norm (NumPy < 2)
        def frobenius_norm(a: Any, dim: tuple[int, int], keepdim: bool) -> Any:
            return xp.sqrt(xp.sum(a * a, axis=dim, keepdims=keepdim))

    return frobenius_norm


def _svdvals_vjp(ctx: Any, g: Any) -> tuple:
    (a,) = ctx.inputs
    return (SVDVALS_BACKWARD.dispatch((a, g)),)


def _svdvals_samples() -> Iterable[Sample]:
    yield Sample((T((3, 4)),), name="wide")
    yield Sample((T((4, 3)),), name="tall")
    yield Sample((T((2, 3, 3)),), name="batch")


SVDVALS = Op("linalg_svdvals", 1, _svdvals_vjp, node="LinalgSvdBackward0", saves=((0,),),
             samples=_svdvals_samples, supports_gradgrad=False,
             reference=lambda np, a: np.linalg.svd(a, compute_uv=False))


def _svdvals_kernel(xp: Any) -> Callable[..., Any]:
    if hasattr(xp.linalg, "svdvals"):
        return xp.linalg.svdvals
    return lambda a: xp.linalg.svd(a, compute_uv=False)  # namespaces without the array API's svdvals


def _svdvals_backward_vjp(ctx: Any, g: Any) -> tuple:
    raise RuntimeError(
        "linalg.matrix_norm(ord='nuc') and linalg.svdvals support first derivatives only: the gradient "
        "U diag(g) V^H does not record how U and V change"
    )


def _svdvals_backward_reference(np: Any, a: Any, g: Any) -> Any:
    u, _s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * g[..., None, :]) @ vh


def _svdvals_backward_samples() -> Iterable[Sample]:
    yield Sample((T((3, 4)), T((3,))), name="wide", gradcheck=False)
    yield Sample((T((2, 4, 3)), T((2, 3))), name="batch", gradcheck=False)


SVDVALS_BACKWARD = Op("linalg_svdvals_backward", 2, _svdvals_backward_vjp, node="LinalgSvdBackwardBackward0",
                      saves=((), ()), samples=_svdvals_backward_samples, supports_gradgrad=False,
                      reference=_svdvals_backward_reference)


def _svdvals_backward_kernel(xp: Any) -> Callable[..., Any]:
    def svdvals_backward(a: Any, g: Any) -> Any:
        u, _s, vh = xp.linalg.svd(a, full_matrices=False)
        return xp.matmul(u * g[..., None, :], vh)

    return svdvals_backward


# --- the tables the hooks register ----------------------------------------------------------------

OPS = (INV, DET, SLOGDET, SOLVE, CHOLESKY, FROBENIUS_NORM, SVDVALS, SVDVALS_BACKWARD)
GENERIC_KERNELS = {
    "linalg_inv": _inv_kernel,
    "linalg_det": _det_kernel,
    "linalg_slogdet": _slogdet_kernel,
    "linalg_solve": _solve_kernel,
    "linalg_cholesky": _cholesky_kernel,
    "linalg_frobenius_norm": _frobenius_kernel,
    "linalg_svdvals": _svdvals_kernel,
    "linalg_svdvals_backward": _svdvals_backward_kernel,
}
