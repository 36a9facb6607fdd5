"""The core's linear algebra: inverse, det, slogdet, solve, cholesky, svd, qr and eigh as ops, and the
``torch.*`` functions built on them (det, logdet, slogdet, inverse, cholesky, svd, qr, pinverse,
cholesky_solve, cholesky_inverse, triangular_solve). ``plugrad.linalg`` (:mod:`plugrad._linalg`) wraps them
with ``torch.linalg``'s names and errors.

Op names carry no ``linalg_`` prefix, so the plugrad-linalg plugin's ops live beside them. Kernels are
written once against the array API's ``xp.linalg``; VJP rules are PyTorch's (derivatives.yaml), written in
plugrad ops so that inverse, det, slogdet, solve and cholesky can be differentiated twice. Node names are
PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..kernels.array_api import generic, is_complex_array
from ..testing.samples import Sample, T
from ._promote import is_complex_data
from .elementwise import holomorphic
from .registry import defop


def _plugrad() -> Any:
    import plugrad

    return plugrad


def _per_matrix(t: Any) -> Any:
    return t.reshape(*t.shape, 1, 1)


def _swap(xp: Any, a: Any) -> Any:
    return xp.swapaxes(a, -1, -2)


def _adjoint(xp: Any, a: Any) -> Any:
    """The conjugate transpose of each matrix (the transpose of a real one)."""
    return xp.conj(_swap(xp, a)) if is_complex_array(xp, a) else _swap(xp, a)


class LinAlgError(RuntimeError):
    """A matrix the factorization cannot handle (singular, not positive-definite): ``torch.linalg.LinAlgError``,
    a RuntimeError."""


def _raising(fn: Callable[..., Any], message: str) -> Callable[..., Any]:
    """Report a library's ``LinAlgError`` as PyTorch does."""

    def kernel(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            if type(exc).__name__ == "LinAlgError":
                raise LinAlgError(message) from exc
            raise

    return kernel


def _matrices(batch: tuple[int, ...], n: int, *, seed: int = 1, spd: bool = False, negative_det: bool = False,
              m: int | None = None) -> list:
    """Well-conditioned ``n x m`` test matrices: small sines off a dominant diagonal (``spd``: ``M M^T`` plus it)."""
    cols = n if m is None else m

    def one(k: int) -> list[list[float]]:
        a = [[0.4 * math.sin(1.7 * (i * cols + j) + 0.9 * k + seed) for j in range(cols)] for i in range(n)]
        if spd:
            a = [[sum(a[i][r] * a[j][r] for r in range(cols)) for j in range(n)] for i in range(n)]
        for i in range(min(n, len(a[0]))):
            a[i][i] += 1.5 + 0.25 * i + (0.7 * i if m is not None else 0.0)
        if negative_det:
            a[0][0] = -a[0][0]
        return a

    def build(shape: tuple[int, ...], offset: int) -> list:
        if not shape:
            return one(offset)
        size = math.prod(shape[1:])
        return [build(shape[1:], offset + i * size) for i in range(shape[0])]

    return build(batch, 0)


def _square(batch: tuple[int, ...], n: int, **kw: Any) -> T:
    return T((*batch, n, n), values=_matrices(batch, n, **kw))


def _rect(batch: tuple[int, ...], n: int, m: int, seed: int = 1) -> T:
    return T((*batch, n, m), values=_matrices(batch, n, m=m, seed=seed))


# --- inverse --------------------------------------------------------------------------------------


def _inverse_vjp(ctx: Any, g: Any) -> tuple:
    inv_t = ctx.output.mT
    return (-(inv_t @ g @ inv_t),)


INVERSE = defop("inverse", 1, vjp=holomorphic(_inverse_vjp), node="LinalgInvExBackward0", saves=((-1,),),
                samples=lambda: [Sample((_square((), 3),), name="3x3"),
                                 Sample((_square((2,), 3, seed=2),), name="batch"),
                                 Sample((_square((), 4, negative_det=True),), name="negative_det")],
                reference=lambda np, a: np.linalg.inv(a))


@generic("inverse")
def _inverse_kernel(xp: Any) -> Any:
    return _raising(xp.linalg.inv, "linalg.inv: The diagonal element 1 is zero, the inversion could not be "
                    "completed because the input matrix is singular.")


# --- det / slogdet --------------------------------------------------------------------------------


def _det_vjp(ctx: Any, g: Any) -> tuple:
    (a,) = ctx.inputs
    # Note: d det(A) = det(A) tr(A^-1 dA), as derivatives.yaml; valid where A is invertible.
    return (_per_matrix(g * ctx.output) * INVERSE.dispatch((a,)).mT,)


DET = defop("det", 1, vjp=holomorphic(_det_vjp), node="LinalgDetBackward0", saves=((0, -1),),
            samples=lambda: [Sample((_square((), 3),), name="3x3"),
                             Sample((_square((3,), 2, seed=3),), name="batch"),
                             Sample((_square((), 4, negative_det=True),), name="negative_det")],
            reference=lambda np, a: np.linalg.det(a))


@generic("det")
def _det_kernel(xp: Any) -> Any:
    return xp.linalg.det


def _slogdet_vjp(ctx: Any, grads: tuple) -> tuple:
    g_sign, g_logabsdet = grads
    (a,) = ctx.inputs
    if not is_complex_data(a):
        if g_logabsdet is None:  # Note: a real sign is piecewise constant; PyTorch gives it no gradient
            return (None,)
        return (_per_matrix(g_logabsdet) * INVERSE.dispatch((a,)).mT,)
    # PyTorch's slogdet_backward: log det A = logabsdet + i angle(sign) moves by tr(A^-1 dA); the sign's
    # gradient enters through its angle, g = g_logabsdet - i imag(g_sign conj(sign)), and gA = conj(g) A^-H.
    g = None if g_logabsdet is None else g_logabsdet + 0j
    if g_sign is not None:
        from .complex_numbers import imag

        turn = imag(g_sign * ctx.outputs[0].conj()) * -1j
        g = turn if g is None else g + turn
    if g is None:
        return (None,)
    return (_per_matrix(g.conj()) * INVERSE.dispatch((a,)).mH,)


SLOGDET = defop("slogdet", 1, vjp=_slogdet_vjp, node="LinalgSlogdetBackward0", nout=2, saves=((0,),),
                differentiable_outputs=(False, True),
                samples=lambda: [Sample((_square((), 3),), name="3x3"),
                                 Sample((_square((2,), 3, seed=4),), name="batch"),
                                 Sample((_square((), 3, negative_det=True),), name="negative_det")],
                reference=lambda np, a: tuple(np.linalg.slogdet(a)))


# Note: a complex determinant's sign e^{i angle} moves with A, so the complex op's sign is differentiable too.
SLOGDET_COMPLEX = defop("slogdet_complex", 1, vjp=_slogdet_vjp, node="LinalgSlogdetBackward0", nout=2,
                        saves=((0, -1),),
                        samples=lambda: [Sample((T((3, 3), dtype="complex128",
                                                   values=[[2 + 1j, 0.5, -1j], [0.3j, 1.5 - 1j, 0.2],
                                                           [1, 0.5 + 0.5j, 3]]),), name="3x3")],
                        reference=lambda np, a: tuple(np.linalg.slogdet(a)))


def _slogdet_kernel(xp: Any) -> Any:
    def slogdet(a: Any) -> tuple:
        sign, logabsdet = xp.linalg.slogdet(a)
        return sign, logabsdet

    return slogdet


generic("slogdet")(_slogdet_kernel)
generic("slogdet_complex")(_slogdet_kernel)


def slogdet_op(a: Any) -> Any:
    """The slogdet op for ``a``'s dtype (both outputs differentiable for a complex one)."""
    return (SLOGDET_COMPLEX if is_complex_data(a) else SLOGDET).dispatch((a,))


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


def _solve_reference(np: Any, a: Any, b: Any, vector_case: bool) -> Any:
    if vector_case:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


SOLVE = defop("solve", 2, vjp=holomorphic(_solve_vjp), node="LinalgSolveExBackward0", saves=((0, -1), (0,)),
              samples=lambda: [Sample((_square((), 3), T((3, 2))), (False,), name="matrix_rhs"),
                               Sample((_square((), 3), T((3,))), (True,), name="vector_rhs"),
                               Sample((_square((2,), 3, seed=5), T((2, 3))), (True,), name="batch_of_vectors"),
                               Sample((_square((), 3, negative_det=True), T((2, 3, 4))), (False,),
                                      name="broadcast_batch")],
              reference=_solve_reference)


def broadcast_batch(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The broadcast of two batch shapes, or None when they do not broadcast."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(pa, pb):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


@generic("solve")
def _solve_kernel(xp: Any) -> Any:
    def solve(a: Any, b: Any, vector_case: bool) -> Any:
        if vector_case:
            b = b[..., None]
        # Note: batches broadcast here, so B is never read as a stack of vectors and CuPy (no broadcasting) agrees
        batch = broadcast_batch(tuple(a.shape[:-2]), tuple(b.shape[:-2])) or ()
        if tuple(a.shape[:-2]) != batch:
            a = xp.broadcast_to(a, (*batch, *a.shape[-2:]))
        if tuple(b.shape[:-2]) != batch:
            b = xp.broadcast_to(b, (*batch, *b.shape[-2:]))
        x = xp.linalg.solve(a, b)
        return x[..., 0] if vector_case else x

    return _raising(solve, "torch.linalg.solve: The solver failed because the input matrix is singular.")


# --- cholesky -------------------------------------------------------------------------------------


def _cholesky_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's rule: A = L L^H, gA = L^-H Phi(L^H gL) L^-1 made Hermitian, Phi = tril with half the diagonal
    low = ctx.output
    phi = (low.mH @ g).tril()
    phi = phi.tril(-1) + phi.diagonal(0, -2, -1).diag_embed() * 0.5
    phi = (phi + phi.mH) * 0.5
    ga = SOLVE.dispatch((low.mH, phi), (False,))
    ga = SOLVE.dispatch((low.mH, ga.mH), (False,)).mH
    return (ga,)


CHOLESKY = defop("cholesky", 1, vjp=_cholesky_vjp, node="LinalgCholeskyExBackward0", saves=((-1,),),
                 samples=lambda: [Sample((_square((), 3, spd=True),), name="3x3"),
                                  Sample((_square((2,), 3, spd=True, seed=7),), name="batch"),
                                  Sample((_square((), 1, spd=True),), name="1x1")],
                 reference=lambda np, a: np.linalg.cholesky(a))


@generic("cholesky")
def _cholesky_kernel(xp: Any) -> Any:
    def cholesky(a: Any) -> Any:
        # Note: symmetrised, so that the gradient is PyTorch's symmetric one and gradcheck's one-entry
        # perturbation sees it; for the symmetric inputs cholesky is defined on, the result is unchanged.
        return xp.linalg.cholesky((a + _adjoint(xp, a)) * 0.5)

    return _raising(cholesky, "linalg.cholesky: The factorization could not be completed because the input is "
                    "not positive-definite (the leading minor of order 1 is not positive-definite).")


# --- svd ------------------------------------------------------------------------------------------


def _zeros_or(g: Any, like: Any) -> Any:
    return _plugrad().zeros_like(like) if g is None else g


def _svd_vjp(ctx: Any, grads: tuple) -> tuple:
    """PyTorch's svd_backward; with full_matrices only the first k columns of U and rows of Vh. Complex singular
    vectors are fixed only up to a phase each, so a loss that sees the phases raises, as in PyTorch."""
    (full,) = ctx.attrs
    gu, gs, gvh = grads
    u, s, vh = ctx.outputs
    m, n = ctx.input_shape(0)[-2:]
    k = min(m, n)
    if full:
        u, vh = u[..., :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :k]
        gvh = None if gvh is None else gvh[..., :k, :]
    if gu is None and gvh is None:
        return ((u * gs.unsqueeze(-2).to(u.dtype)) @ vh,)
    gu, gvh = _zeros_or(gu, u), _zeros_or(gvh, vh)
    v, gv = vh.mH, gvh.mH
    uhgu = u.mH @ gu
    vhgv = vh @ gv
    complex_case = is_complex_data(u)
    if complex_case:
        _check_phase_invariant(uhgu.diagonal(0, -2, -1).imag, -vhgv.diagonal(0, -2, -1).imag,
                               "svd_backward: The singular vectors in the complex case are specified up to "
                               "multiplication by e^{i phi}. The specified loss function depends on this phase "
                               "term, making it ill-defined.")
    uhgu = uhgu - uhgu.mH
    vhgv = vhgv - vhgv.mH
    s2 = s * s
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    eye = _plugrad().eye(k, dtype=s.dtype, device=s.device)
    e = e + eye
    ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e
    if gs is not None:
        ga = ga + gs.diag_embed()
    if complex_case:
        # Note: the phase of each pair (u_k, v_k) moves with imag(u_k^H dA v_k) / s_k
        ga = ga + (uhgu.diagonal(0, -2, -1) / (2 * s)).diag_embed()
    if m > n:
        ga = u @ ga
        gusinv = gu / s.unsqueeze(-2)
        ga = (ga + gusinv - u @ (u.mH @ gusinv)) @ vh
    elif m < n:
        ga = ga @ vh
        sinvgvh = gvh / s.unsqueeze(-1)
        ga = u @ (ga + sinvgvh - (sinvgvh @ v) @ vh)
    else:
        ga = u @ ga @ vh
    return (ga,)


def _check_phase_invariant(a: Any, b: Any, message: str) -> None:
    """PyTorch's gauge check: a loss of complex singular vectors or eigenvectors must not see their phases."""
    pg = _plugrad()
    with pg.no_grad():
        if not pg.allclose(a, b, rtol=1e-2, atol=1e-2):
            raise RuntimeError(message)


def _svd_samples() -> Iterable[Sample]:
    yield Sample((_rect((), 4, 3),), (False,), name="tall")
    yield Sample((_rect((), 3, 4, seed=2),), (False,), name="wide")
    yield Sample((_rect((2,), 3, 3, seed=3),), (False,), name="batch")
    yield Sample((_rect((), 4, 3, seed=4),), (True,), name="full_matrices", gradcheck=False)


def _svd_reference(np: Any, a: Any, full: bool) -> tuple:
    # Note: singular vectors are fixed up to sign only; the op database compares values through the kernel
    # NumPy itself runs, so the reference is the same LAPACK call.
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    return u, s, vh


SVD = defop("svd", 1, vjp=_svd_vjp, node="LinalgSvdBackward0", nout=3, saves=((-1,),), samples=_svd_samples,
            supports_gradgrad=False, reference=_svd_reference)


@generic("svd")
def _svd_kernel(xp: Any) -> Any:
    def svd(a: Any, full: bool) -> tuple:
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
        return u, s, vh

    return _raising(svd, "linalg.svd: The algorithm failed to converge because the input matrix is "
                    "ill-conditioned or has too many repeated singular values.")


# --- qr -------------------------------------------------------------------------------------------


def _copyltu(mat: Any) -> Any:
    low = mat.tril(-1)
    diag = mat.diagonal(0, -2, -1)
    return low + low.mH + (diag.real if is_complex_data(diag) else diag).diag_embed()


def _qr_tall(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """gA = (gQ + Q copyltu(M)) R^-H with M = R gR^H - gQ^H Q, for m >= n (square R)."""
    mat = r @ gr.mH - gq.mH @ q
    b = gq + q @ _copyltu(mat)
    return SOLVE.dispatch((r, b.mH), (False,)).mH


def _qr_vjp(ctx: Any, grads: tuple) -> tuple:
    (mode,) = ctx.attrs
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                           "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                           "linalg.qr.")
    m, n = ctx.input_shape(0)[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    q, r = ctx.outputs
    gq, gr = _zeros_or(grads[0], q), _zeros_or(grads[1], r)
    if m >= n:
        return (_qr_tall(q, r, gq, gr),)
    (a,) = ctx.inputs
    y = a[..., m:]
    gx = _qr_tall(q, r[..., :m], gq + y @ gr[..., m:].mH, gr[..., :m])
    return (_plugrad().cat([gx, q @ gr[..., m:]], -1),)


QR = defop("qr", 1, vjp=_qr_vjp, node="LinalgQrBackward0", nout=2, saves=((0, -1),), supports_gradgrad=False,
           samples=lambda: [Sample((_rect((), 4, 3),), ("reduced",), name="tall"),
                            Sample((_rect((), 3, 4, seed=2),), ("reduced",), name="wide"),
                            Sample((_rect((2,), 3, 3, seed=3),), ("reduced",), name="batch"),
                            Sample((_rect((), 4, 3),), ("complete",), name="complete", gradcheck=False)],
           reference=lambda np, a, mode: tuple(np.linalg.qr(a, mode=mode)))


@generic("qr")
def _qr_kernel(xp: Any) -> Any:
    def qr(a: Any, mode: str) -> tuple:
        q, r = xp.linalg.qr(a, mode="reduced" if mode == "r" else mode)
        if mode == "r":
            q = xp.zeros((0,), dtype=a.dtype)
        return q, r

    return qr


# --- geqrf / householder_product ------------------------------------------------------------------


def _geqrf_vjp(ctx: Any, grads: tuple) -> tuple:
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


GEQRF = defop("geqrf", 1, vjp=_geqrf_vjp, node="GeqrfBackward0", nout=2, saves=((0,),), supports_gradgrad=False,
              samples=lambda: [Sample((_rect((), 4, 3),), name="tall", gradcheck=False),
                               Sample((_rect((), 3, 4, seed=2),), name="wide", gradcheck=False),
                               Sample((_rect((2,), 3, 3, seed=3),), name="batch", gradcheck=False)],
              reference=lambda np, a: _geqrf_kernel(np)(a))


@generic("geqrf")
def _geqrf_kernel(xp: Any) -> Any:
    def geqrf(a: Any) -> tuple:
        """LAPACK's geqr2, every matrix of the batch at once: column j's reflector ``I - tau v v^T`` (``v[j] = 1``)
        is chosen as dlarfg chooses it, its ``v[j+1:]`` stored below the diagonal and R on and above it."""
        *batch, m, n = a.shape
        k = min(m, n)
        r = xp.zeros((math.prod(batch), m, n), dtype=a.dtype)  # Note: row-major, whatever a's layout
        r[...] = xp.reshape(a, (-1, m, n))
        taus = xp.zeros((r.shape[0], k), dtype=a.dtype)
        for j in range(k):
            alpha = r[:, j, j]
            below = r[:, j + 1:, j]
            xnorm = xp.sqrt(xp.sum(below * below, axis=1))
            reflect = xnorm != 0
            norm = xp.sqrt(alpha * alpha + xnorm * xnorm)
            beta = xp.where(alpha >= 0, -norm, norm)
            safe_beta = xp.where(reflect, beta, xp.ones_like(beta))
            tau = xp.where(reflect, (beta - alpha) / safe_beta, xp.zeros_like(beta))
            scale = xp.where(reflect, 1 / xp.where(reflect, alpha - beta, xp.ones_like(beta)), xp.ones_like(beta))
            v = below * scale[:, None]
            taus[:, j] = tau
            r[:, j, j] = xp.where(reflect, beta, alpha)
            r[:, j + 1:, j] = v
            if j + 1 < n:
                rest = r[:, j:, j + 1:]
                w = rest[:, 0, :] + xp.sum(v[:, :, None] * rest[:, 1:, :], axis=1)
                r[:, j, j + 1:] = rest[:, 0, :] - tau[:, None] * w
                r[:, j + 1:, j + 1:] = rest[:, 1:, :] - tau[:, None, None] * v[:, :, None] * w[:, None, :]
        shape = tuple(batch)
        return xp.reshape(r, (*shape, m, n)), xp.reshape(taus, (*shape, k))

    return geqrf


def _reflectors(a: Any, k: int) -> Any:
    """The Householder vectors stored in ``a``'s first ``k`` columns: 1 on the diagonal, ``a`` below it."""
    m = a.shape[-2]
    return a[..., :k].tril(-1) + _plugrad().eye(m, k, dtype=a.dtype, device=a.device)


def _householder_product_vjp(ctx: Any, g: Any) -> tuple:
    """Q = H_1 ... H_k E with H_i = I - tau_i v_i v_i^T and E the first n columns of I: walk the products
    X_k = E, X_{i-1} = H_i X_i forward, then back from Q, one reflector at a time."""
    a, tau = ctx.inputs
    m, n = a.shape[-2:]
    k = tau.shape[-1]
    if k == 0:  # Note: Q is the identity's columns whatever A holds; PyTorch gives neither input a gradient
        return None, None
    pg = _plugrad()
    v_all = _reflectors(a, k)
    states = [pg.eye(m, n, dtype=a.dtype, device=a.device)]
    for i in range(k - 1, -1, -1):
        v, t = v_all[..., i:i + 1], tau[..., i, None, None]
        states.append(states[-1] - t * (v @ (v.mT @ states[-1])))
    states.reverse()  # states[i] = H_{i+1} ... H_k E (0-based reflector i+1 onwards)
    grad = g
    g_v, g_tau = [], []
    for i in range(k):
        v, t, x = v_all[..., i:i + 1], tau[..., i, None, None], states[i + 1]
        w, vg = v.mT @ x, v.mT @ grad
        g_tau.append(-(vg * w).sum((-2, -1)))
        g_v.append(-t * (grad @ w.mT + x @ vg.mT))
        grad = grad - t * (v @ vg)
    ga = pg.cat(g_v, -1).tril(-1)
    if k < n:
        ga = pg.cat([ga, pg.zeros((*ga.shape[:-1], n - k), dtype=a.dtype, device=a.device)], -1)
    gtau = pg.stack(g_tau, -1)
    return ga, gtau


HOUSEHOLDER_PRODUCT = defop(
    "householder_product", 2, vjp=_householder_product_vjp, node="LinalgHouseholderProductBackward0",
    saves=((0, 1), (0, 1)),
    samples=lambda: [Sample((_rect((), 4, 3), T((3,))), name="tall"),
                     Sample((_rect((), 3, 3, seed=2), T((2,))), name="fewer_reflectors"),
                     Sample((_rect((2,), 4, 2, seed=3), T((2, 2))), name="batch")],
    reference=lambda np, a, tau: _householder_product_kernel(np)(a, tau))


@generic("householder_product")
def _householder_product_kernel(xp: Any) -> Any:
    def householder_product(a: Any, tau: Any) -> Any:
        """LAPACK's org2r: the identity's first n columns, reflected by H_k first and H_1 last."""
        *batch, m, n = a.shape
        k = tau.shape[-1]
        mats = xp.reshape(a, (-1, m, n))
        count = mats.shape[0]
        taus = xp.reshape(tau, (count, k))
        concat = getattr(xp, "concat", None) or xp.concatenate
        q = xp.zeros((count, m, n), dtype=a.dtype)
        q[...] = xp.eye(m, n, dtype=a.dtype)
        for i in range(k - 1, -1, -1):
            v = concat([xp.zeros((count, i), dtype=a.dtype), xp.ones((count, 1), dtype=a.dtype), mats[:, i + 1:, i]],
                       axis=1)
            w = xp.sum(v[:, :, None] * q, axis=1)
            q = q - taus[:, i, None, None] * v[:, :, None] * w[:, None, :]
        return xp.reshape(q, (*tuple(batch), m, n))

    return householder_product


# --- eigh -----------------------------------------------------------------------------------------


def _eigh_vjp(ctx: Any, grads: tuple) -> tuple:
    """PyTorch's linalg_eig_backward for Hermitian input: gA = V (skew(V^H gV) / E + diag(gL)) V^H."""
    gl, gv = grads
    lam, v = ctx.outputs
    if gv is None:
        return ((v * gl.unsqueeze(-2).to(v.dtype)) @ v.mH,)
    vhgv = v.mH @ gv
    eye = _plugrad().eye(lam.shape[-1], dtype=lam.dtype, device=lam.device)
    if is_complex_data(v):
        imdiag = vhgv.diagonal(0, -2, -1).imag
        _check_phase_invariant(imdiag, _plugrad().zeros_like(imdiag),
                               "linalg_eigh_backward: The eigenvectors in the complex case are specified up to "
                               "multiplication by e^{i phi}. The specified loss function depends on this "
                               "quantity, so it is ill-defined.")
    vhgv = (vhgv - vhgv.mH) * 0.5
    e = lam.unsqueeze(-2) - lam.unsqueeze(-1) + eye
    ret = (vhgv / e) * (1 - eye)  # Note: the diagonal is gL's alone (a phase has no gradient)
    if gl is not None:
        ret = ret + gl.diag_embed()
    return (v @ ret @ v.mH,)


EIGH = defop("eigh", 1, vjp=_eigh_vjp, node="LinalgEighBackward0", nout=2, saves=((-1,),),
             supports_gradgrad=False,
             samples=lambda: [Sample((_square((), 3, spd=True),), name="3x3"),
                              Sample((_square((2,), 3, spd=True, seed=8),), name="batch")],
             reference=lambda np, a: tuple(np.linalg.eigh((a + np.swapaxes(a, -1, -2)) / 2)))


@generic("eigh")
def _eigh_kernel(xp: Any) -> Any:
    def eigh(a: Any) -> tuple:
        # Note: symmetrised like cholesky's input (the same for the symmetric matrices eigh is defined on)
        lam, v = xp.linalg.eigh((a + _adjoint(xp, a)) * 0.5)
        return lam, v

    return _raising(eigh, "linalg.eigh: The algorithm failed to converge because the input matrix is "
                    "ill-conditioned or has too many repeated eigenvalues.")


# --- eig ------------------------------------------------------------------------------------------


def _eig_vjp(ctx: Any, grads: tuple) -> tuple:
    """PyTorch's linalg_eig_backward: gA = V^-H (P(V^H gV) / conj(E) + diag(gL)) V^H, P projecting out what
    rescales the unit-norm eigenvectors; a loss that sees their phases raises. A real A keeps the real part."""
    gl, gv = grads
    lam, v = ctx.outputs
    vh = v.mH
    if gv is None:
        return (SOLVE.dispatch((vh, gl.diag_embed() @ vh), (False,)),)
    vhgv = vh @ gv
    diag = vhgv.diagonal(0, -2, -1)
    _check_phase_invariant(diag.imag, _plugrad().zeros_like(diag.imag),
                           "linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                           "multiplication by e^{i phi}. The specified loss function depends on this quantity, so "
                           "it is ill-defined.")
    vhgv = vhgv - vh @ (v * diag.real.unsqueeze(-2))
    eye = _plugrad().eye(lam.shape[-1], dtype=lam.dtype, device=lam.device)
    econj = (lam.unsqueeze(-2) - lam.unsqueeze(-1)).conj() + eye
    ret = (vhgv / econj) * (1 - eye)
    if gl is not None:
        ret = ret + gl.diag_embed()
    return (SOLVE.dispatch((vh, ret @ vh), (False,)),)


EIG = defop("eig", 1, vjp=_eig_vjp, node="LinalgEigBackward0", nout=2, saves=((-1,),), supports_gradgrad=False,
            samples=lambda: [Sample((_square((), 3),), name="3x3", gradcheck=False),
                             Sample((_square((2,), 3, seed=12),), name="batch", gradcheck=False)],
            reference=lambda np, a: _eig_kernel(np)(a))


@generic("eig")
def _eig_kernel(xp: Any) -> Any:
    def eig(a: Any) -> tuple:
        # Note: complex results whatever the input, as PyTorch's (NumPy's are real when every eigenvalue is)
        target = a.dtype if is_complex_array(xp, a) else (xp.complex64 if a.dtype == xp.float32 else xp.complex128)
        lam, v = xp.linalg.eig(a)
        return xp.astype(lam, target), xp.astype(v, target)

    return _raising(eig, "linalg.eig: The algorithm failed to converge because the input matrix is "
                    "ill-conditioned or has too many repeated eigenvalues.")


# --- lu -------------------------------------------------------------------------------------------


def _lu_square(low: Any, up: Any, g_low: Any, g_up: Any) -> Any:
    """gB = L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, for B = L U with square L and U (PyTorch's rule)."""
    inner = (low.mT @ g_low).tril(-1) + (g_up @ up.mT).triu()
    x = SOLVE.dispatch((low.mT, inner), (False,))
    return SOLVE.dispatch((up, x.mT), (False,)).mT


def _lu_vjp(ctx: Any, grads: tuple) -> tuple:
    """A = P L U: the square rule, on the leading square block, with the rest of L (tall A) or of U (wide A)
    folded in."""
    _gp, g_low, g_up, _gpiv = grads
    p, low, up, _piv = ctx.outputs
    g_low, g_up = _zeros_or(g_low, low), _zeros_or(g_up, up)
    m, n = ctx.input_shape(0)[-2:]
    if m == n:
        gb = _lu_square(low, up, g_low, g_up)
    elif m > n:
        l2, gl2 = low[..., n:, :], g_low[..., n:, :]
        gb2 = SOLVE.dispatch((up, gl2.mT), (False,)).mT
        gb1 = _lu_square(low[..., :n, :], up, g_low[..., :n, :], g_up - l2.mT @ gb2)
        gb = _plugrad().cat([gb1, gb2], -2)
    else:
        u2, gu2 = up[..., m:], g_up[..., m:]
        gb2 = SOLVE.dispatch((low.mT, gu2), (False,))
        gb1 = _lu_square(low, up[..., :m], g_low - gb2 @ u2.mT, g_up[..., :m])
        gb = _plugrad().cat([gb1, gb2], -1)
    return (p @ gb,)


def _lu_reference(np: Any, a: Any) -> tuple:
    return _lu_kernel(np)(a)


def _lu_complex_vjp(ctx: Any, grads: tuple) -> tuple:
    """LU is holomorphic in A: complex gradients take the real rule's conjugate, conj(rule(conj(g)))."""
    if not is_complex_data(ctx.outputs[1]):
        return _lu_vjp(ctx, grads)
    (ga,) = _lu_vjp(ctx, tuple(None if g is None else g.conj() for g in grads))
    return (ga.conj(),)


LU = defop("lu", 1, vjp=_lu_complex_vjp, node="LinalgLuBackward0", nout=4, saves=((-1,),),
           differentiable_outputs=(False, True, True, False),
           samples=lambda: [Sample((_square((), 3),), name="3x3"),
                            Sample((_square((2,), 3, seed=9, negative_det=True),), name="batch"),
                            Sample((_rect((), 4, 3, seed=10),), name="tall"),
                            Sample((_rect((), 3, 5, seed=11),), name="wide")],
           reference=_lu_reference)


@generic("lu")
def _lu_kernel(xp: Any) -> Any:
    def lu(a: Any) -> tuple:
        """Gaussian elimination with partial pivoting (the first largest magnitude, as LAPACK's getrf picks),
        every matrix of the batch at once. Returns P, L, U and getrf's 1-based int32 pivots."""
        *batch, m, n = a.shape
        k = min(m, n)
        u = xp.asarray(xp.reshape(a, (-1, m, n)), copy=True)
        count = u.shape[0]
        rows = xp.arange(count)
        low = xp.zeros((count, m, k), dtype=a.dtype)
        perm = xp.asarray(xp.broadcast_to(xp.arange(m), (count, m)), copy=True)
        pivots = xp.zeros((count, k), dtype=xp.int32)
        for j in range(k):
            piv = xp.argmax(xp.abs(u[:, j:, j]), axis=1) + j
            pivots[:, j] = piv + 1
            for arr in (u, low, perm):
                row_j = xp.asarray(arr[rows, j], copy=True)
                arr[rows, j] = arr[rows, piv]
                arr[rows, piv] = row_j
            pivot = u[:, j, j]
            safe = xp.where(pivot == 0, xp.ones_like(pivot), pivot)
            factors = xp.where((pivot == 0)[:, None], xp.zeros_like(u[:, j + 1:, j]), u[:, j + 1:, j] / safe[:, None])
            low[:, j + 1:, j] = factors
            u[:, j + 1:, :] = u[:, j + 1:, :] - factors[:, :, None] * u[:, j:j + 1, :]
        diag = xp.arange(k)
        low[:, diag, diag] = 1
        up = xp.triu(u[:, :k, :]) if hasattr(xp, "triu") else u[:, :k, :]
        p = xp.zeros((count, m, m), dtype=a.dtype)
        p[rows[:, None], perm, xp.broadcast_to(xp.arange(m), (count, m))] = 1
        shape = tuple(batch)
        return (xp.reshape(p, (*shape, m, m)), xp.reshape(low, (*shape, m, k)), xp.reshape(up, (*shape, k, n)),
                xp.reshape(pivots, (*shape, k)))

    return lu


# --- argument checks shared with plugrad.linalg ---------------------------------------------------


def check_tensor(fn: str, arg: str, position: int, value: Any) -> None:
    from ..tensor import Tensor

    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}")


def legacy_name(t: Any) -> str:
    legacy = t.dtype.legacy
    return legacy[:-len("Tensor")] if legacy.endswith("Tensor") else str(t.dtype)


def check_float(fn: str, t: Any) -> None:
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {legacy_name(t)}")


def check_matrix(fn: str, t: Any, arg: str = "A") -> None:
    if t.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {arg} must have at least 2 dimensions.")


def check_square(fn: str, t: Any, *, torch_name: str | None = None, float_only: bool = True) -> None:
    """What every function of square matrices checks first, with PyTorch's messages."""
    check_tensor(torch_name or "linalg_" + fn.split(".")[-1], "A", 1, t)
    check_matrix(fn, t)
    if t.shape[-1] != t.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {t.shape[-2]} by "
                           f"{t.shape[-1]} matrices")
    if float_only:
        check_float(fn, t)


_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """A deprecation warning given once per process, as PyTorch's TORCH_WARN_ONCE gives it."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    import warnings

    from ..plugins import _outside_level

    warnings.warn(message, UserWarning, stacklevel=_outside_level())


def _return_type(name: str, fields: tuple[str, ...]) -> Any:
    from .. import return_types

    existing = getattr(return_types, name, None)
    if existing is not None and getattr(existing, "_fields", None) == fields:
        return existing
    cls = return_types.make(name, fields)
    setattr(return_types, name, cls)
    return cls


# --- torch.* functions -----------------------------------------------------------------------------


def det(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """The determinant of each square matrix of ``input`` (``(*, n, n)`` to ``(*)``; LinalgDetBackward0)."""
    check_square("linalg.det", input, torch_name="det")
    return DET.dispatch((input,))


def slogdet(input: Any) -> Any:  # noqa: A002
    """``(sign, logabsdet)`` of each determinant, stable where ``det`` under- or overflows."""
    check_square("linalg.slogdet", input, torch_name="slogdet")
    return _return_type("slogdet", ("sign", "logabsdet"))(slogdet_op(input))


def logdet(input: Any) -> Any:  # noqa: A002
    """``log(det(input))``: NaN for a negative determinant, ``-inf`` for a zero one (WhereBackward0)."""
    check_square("linalg.slogdet", input, torch_name="logdet")
    if is_complex_data(input):
        sign, logabsdet = SLOGDET_COMPLEX.dispatch((input,))
        return sign.log() + logabsdet  # Note: PyTorch's complex logdet, log(sign) + logabsdet (AddBackward0)
    sign, logabsdet = SLOGDET.dispatch((input,))
    return _plugrad().where(sign < 0, math.nan, logabsdet)


def inverse(input: Any, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of each square matrix (LinalgInvExBackward0); a singular one raises ``LinAlgError``."""
    check_square("linalg.inv", input, torch_name="inverse")
    result = INVERSE.dispatch((input,))
    return _copy_out(out, result)


def _copy_out(out: Any, result: Any) -> Any:
    if out is None:
        return result
    with _plugrad().no_grad():
        out.resize_(result.shape) if tuple(out.shape) != tuple(result.shape) else None
        out.copy_(result)
    return out


def cholesky(input: Any, upper: bool = False, *, out: Any = None) -> Any:  # noqa: A002
    """Deprecated ``torch.cholesky``: ``L`` with ``A = L L^T``, or with ``upper`` ``U = L^T``."""
    _warn_once("cholesky", "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\n"
                  "and\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
                  "This transform will produce equivalent results for all valid (symmetric positive definite) "
                  "inputs.")
    check_square("linalg.cholesky", input, torch_name="cholesky")
    low = CHOLESKY.dispatch((input,))
    return _copy_out(out, low.mH if upper else low)


def svd(input: Any, some: bool = True, compute_uv: bool = True) -> Any:  # noqa: A002
    """``torch.svd``: ``(U, S, V)`` with ``A = U diag(S) V^T`` (V, not Vh); ``some=False`` gives square U and V;
    without ``compute_uv`` U and V are zero matrices."""
    check_tensor("svd", "input", 1, input)
    check_matrix("linalg.svd", input)
    check_float("linalg.svd", input)
    u, s, vh = SVD.dispatch((input,), (not some or not compute_uv,))
    if not compute_uv:  # Note: then U and V are zero and square, whatever ``some`` says, as in PyTorch
        with _plugrad().no_grad():
            u, vh = _plugrad().zeros_like(u), _plugrad().zeros_like(vh)
    return _return_type("svd", ("U", "S", "V"))((u, s, vh.mT))


def qr(input: Any, some: bool = True) -> Any:  # noqa: A002
    """Deprecated ``torch.qr``: ``(Q, R)``, reduced unless ``some=False``."""
    _warn_once("qr", "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
                  "Q, R = torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some "
                  "else 'complete')")
    check_tensor("qr", "input", 1, input)
    check_matrix("linalg.qr", input)
    check_float("linalg.qr", input)
    return _return_type("qr", ("Q", "R"))(QR.dispatch((input,), ("reduced" if some else "complete",)))


def geqrf(input: Any) -> Any:  # noqa: A002
    """``(a, tau)``: the QR decomposition as LAPACK's geqrf stores it, R on and above the diagonal of ``a`` and
    the Householder vectors below it (see :func:`plugrad.linalg.householder_product`); not differentiable."""
    check_tensor("geqrf", "input", 1, input)
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    check_float("torch.geqrf", input)
    return _return_type("geqrf", ("a", "tau"))(GEQRF.dispatch((input,)))


def orgqr(input: Any, tau: Any) -> Any:  # noqa: A002
    """``torch.orgqr``: :func:`plugrad.linalg.householder_product`."""
    from .. import _linalg

    return _linalg.householder_product(input, tau)


def pinverse(input: Any, rcond: float = 1e-15) -> Any:  # noqa: A002
    """The Moore-Penrose pseudo-inverse, dropping singular values below ``rcond`` times the largest."""
    from .. import _linalg

    return _linalg.pinv(input, rtol=rcond)


def cholesky_solve(input: Any, input2: Any, upper: bool = False) -> Any:  # noqa: A002
    """``X`` with ``A X = B`` for ``A = L L^T`` given its Cholesky factor ``input2`` (``upper``: ``U^T U``)."""
    check_tensor("cholesky_solve", "input", 1, input)
    check_tensor("cholesky_solve", "input2", 2, input2)
    if input.ndim < 2 or input2.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead"
                           if input.ndim < 2 else
                           f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead")
    low = input2.mH if upper else input2
    y = SOLVE.dispatch((low, input), (False,))
    return SOLVE.dispatch((low.mH, y), (False,))


def cholesky_inverse(input: Any, upper: bool = False, *, out: Any = None) -> Any:  # noqa: A002
    """The inverse of ``A = L L^T`` (``upper``: ``U^T U``) from its Cholesky factor ``input``."""
    check_tensor("cholesky_inverse", "input", 1, input)
    check_matrix("cholesky_inverse", input)
    low = input.mH if upper else input
    linv = INVERSE.dispatch((low,))
    return _copy_out(out, linv.mH @ linv)


def triangular_solve(b: Any, A: Any, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> Any:
    """Deprecated ``torch.triangular_solve``: ``(solution, cloned_coefficient)`` of ``A X = b``."""
    _warn_once("triangular_solve", "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
                  "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed "
                  "and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\n"
                  "should be replaced with\nX = torch.linalg.solve_triangular(A, B).")
    from .. import _linalg

    coeff = A.mT if transpose else A
    x = _linalg.solve_triangular(coeff, b, upper=upper != transpose, unitriangular=unitriangular)
    return _return_type("triangular_solve", ("solution", "cloned_coefficient"))((x, A.clone()))


def _permutation_from_pivots(pivots: Any, m: int, dtype: Any, device: Any) -> Any:
    """The ``m x m`` permutation ``P`` of getrf's 1-based row swaps, with ``A = P L U``."""
    batch = tuple(pivots.shape[:-1])
    flat = pivots.reshape(-1, pivots.shape[-1]).tolist() if pivots.numel() else [[]] * math.prod(batch)
    mats = []
    for swaps in flat:
        perm = list(range(m))
        for j, piv in enumerate(swaps):
            perm[j], perm[piv - 1] = perm[piv - 1], perm[j]
        mats.append([[1.0 if perm[c] == r else 0.0 for c in range(m)] for r in range(m)])
    return _plugrad().tensor(mats, dtype=dtype, device=device).reshape(*batch, m, m)


def lu_unpack(LU_data: Any, LU_pivots: Any, unpack_data: bool = True, unpack_pivots: bool = True) -> Any:  # noqa: N803
    """``(P, L, U)`` from :func:`plugrad.linalg.lu_factor`'s packed ``LU`` and pivots (``A = P L U``)."""
    pg = _plugrad()
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = pg.zeros(0, dtype=LU_data.dtype, device=LU_data.device)
    low = up = p = empty
    if unpack_data:
        low = LU_data[..., :, :k].tril(-1) + pg.eye(m, k, dtype=LU_data.dtype, device=LU_data.device)
        up = LU_data[..., :k, :].triu()
    if unpack_pivots:
        p = _permutation_from_pivots(LU_pivots, m, LU_data.dtype, LU_data.device)
    return _return_type("lu_unpack", ("P", "L", "U"))((p, low, up))


def lu(A: Any, pivot: bool = True, get_infos: bool = False) -> Any:  # noqa: N803
    """Deprecated ``torch.lu``: ``(A_LU, pivots)``, with ``get_infos`` also ``info``."""
    _warn_once("lu", "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
               "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be "
               "replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
               "torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
               "torch.linalg.lu_factor_ex(A, compute_pivots)")
    from .. import _linalg

    result = _linalg.lu_factor_ex(A, pivot=pivot)
    return tuple(result) if get_infos else (result[0], result[1])


def lu_solve(b: Any, LU_data: Any, LU_pivots: Any) -> Any:  # noqa: N803
    """Deprecated ``torch.lu_solve``: :func:`plugrad.linalg.lu_solve` with its arguments reversed."""
    _warn_once("lu_solve", "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
               "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = "
               "torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    from .. import _linalg

    return _linalg.lu_solve(LU_data, LU_pivots, b)


def matrix_exp(input: Any) -> Any:  # noqa: A002
    """The matrix exponential of each square matrix (:func:`plugrad.linalg.matrix_exp`)."""
    from .. import _linalg

    return _linalg.matrix_exp(input)


__all__ = [
    "matrix_exp", "lu", "lu_solve", "lu_unpack", "det", "slogdet", "logdet", "inverse", "cholesky", "svd", "qr",
    "geqrf", "orgqr", "pinverse", "cholesky_solve", "cholesky_inverse", "triangular_solve",
]
