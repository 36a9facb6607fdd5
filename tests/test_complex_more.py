"""Complex tensors beyond the basics: real-only ops refuse them with PyTorch's errors, reductions and products
handle them (var/std are real), and the linear algebra follows PyTorch's gradient convention (conjugate
transposes, a differentiable complex sign of slogdet, the phase checks of svd/eigh/eig) with linalg.eig and
linalg.eigvals.

The plugrad-only tests check values against NumPy and gradients with gradcheck; the differential ones (the
``torch`` fixture) compare values and gradients with PyTorch and are skipped when it is not installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd import gradcheck


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _c(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# --- real-only ops refuse complex input --------------------------------------------------------------

_NI, _RE = NotImplementedError, RuntimeError
_REFUSALS = [
    ("m.sign(z)", _NI, "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
     "torch.sgn instead."),
    ("z.sign_()", _NI, "Unlike NumPy, torch.sign is not intended to support complex numbers."),
    ("m.clamp(z, -1, 1)", _NI, "clamp is not supported for complex types"),
    ("m.clip(z, min=0)", _NI, "clamp is not supported for complex types"),
    ("m.clamp_min(z, 0)", _NI, "clamp is not supported for complex types"),
    ("m.clamp_max(z, 0)", _NI, "clamp is not supported for complex types"),
    ("m.floor(z)", _NI, "floor is not supported for complex inputs"),
    ("m.ceil(z)", _NI, "ceil is not supported for complex inputs"),
    ("m.trunc(z)", _NI, "trunc is not supported for complex inputs"),
    ("m.fix(z)", _NI, "trunc is not supported for complex inputs"),
    ("m.round(z)", _NI, "\"round_vml_cpu\" not implemented for 'ComplexDouble'"),
    ("m.round(z, decimals=2)", _NI, "\"round_cpu\" not implemented for 'ComplexDouble'"),
    ("m.frac(z)", _NI, "\"frac_cpu\" not implemented for 'ComplexDouble'"),
    ("m.erf(z)", _NI, "\"erf_vml_cpu\" not implemented for 'ComplexDouble'"),
    ("z < z", _NI, "\"lt_cpu\" not implemented for 'ComplexDouble'"),
    ("z > 0", _NI, "\"gt_cpu\" not implemented for 'ComplexDouble'"),
    ("m.le(z, z)", _NI, "\"le_cpu\" not implemented for 'ComplexDouble'"),
    ("0 >= z", _NI, "\"le_cpu\" not implemented for 'ComplexDouble'"),
    ("r < 1j", _NI, "\"lt_cpu\" not implemented for 'ComplexFloat'"),
    ("m.max(z)", _NI, "\"max_all\" not implemented for 'ComplexDouble'"),
    ("m.min(z)", _NI, "\"min_all\" not implemented for 'ComplexDouble'"),
    ("m.max(z, 0)", _RE, "max(): does not support complex input"),
    ("z.min(dim=1)", _RE, "min(): does not support complex input"),
    ("m.amax(z)", _NI, "\"max_values_cpu\" not implemented for 'ComplexDouble'"),
    ("m.amin(z, 0)", _NI, "\"min_values_cpu\" not implemented for 'ComplexDouble'"),
    ("m.aminmax(z)", _NI, "\"aminmax_cpu\" not implemented for 'ComplexDouble'"),
    ("m.argmax(z)", _RE, "argmax(): does not support complex input"),
    ("m.argmin(z, 1)", _RE, "argmin(): does not support complex input"),
    ("m.sort(z)", _RE, " Sort does not support complex dtypes on CPU"),
    ("m.argsort(z)", _RE, " Sort does not support complex dtypes on CPU"),
    ("m.topk(z, 2)", _RE, " topk does not support complex dtypes on CPU"),
    ("m.kthvalue(z, 1)", _NI, "\"kthvalue_cpu\" not implemented for 'ComplexDouble'"),
    ("m.median(z)", _NI, "\"median_cpu\" not implemented for 'ComplexDouble'"),
    ("m.mode(z)", _NI, "\"mode_cpu\" not implemented for 'ComplexDouble'"),
    ("m.maximum(z, z)", _RE, "maximum not implemented for complex tensors."),
    ("m.minimum(r.double(), z)", _RE, "minimum not implemented for complex tensors."),
    ("m.max(z, z)", _RE, "maximum not implemented for complex tensors."),
    ("z.clone().abs_()", _RE, "In-place abs is not supported for complex tensors."),
    ("z.clone().absolute_()", _RE, "In-place abs is not supported for complex tensors."),
    ("m.abs_(z.clone())", _RE, "In-place abs is not supported for complex tensors."),
    ("m.relu(z)", _NI, "clamp is not supported for complex types"),
    ("m.nn.functional.relu(z.clone(), inplace=True)", _NI, "clamp is not supported for complex types"),
    ("m.nn.functional.hardtanh(z)", _NI, "clamp is not supported for complex types"),
    ("m.nn.functional.relu6(z)", _NI, "clamp is not supported for complex types"),
    ("m.nn.functional.threshold(z, 0.1, 0.0)", _NI, "\"threshold_cpu\" not implemented for 'ComplexDouble'"),
    ("m.nn.functional.glu(z)", _NI, "\"glu_cpu\" not implemented for 'ComplexDouble'"),
    ("m.nn.functional.elu(z)", _NI, "\"elu_cpu\" not implemented for 'ComplexDouble'"),
    ("m.nn.functional.prelu(z, m.tensor([0.25]))", _RE, "prelu: Type promoting not supported. Got ComplexDouble "
     "and Float"),
    ("m.nn.functional.mse_loss(z, z)", _NI, "\"mse_cpu\" not implemented for 'ComplexDouble'"),
    ("m.remainder(z, 2)", _NI, "\"remainder_cpu\" not implemented for 'ComplexDouble'"),
    ("z % 2", _NI, "\"remainder_cpu\" not implemented for 'ComplexDouble'"),
    ("m.remainder(2, z)", _NI, "\"remainder_cpu\" not implemented for 'ComplexDouble'"),
    ("m.fmod(z, z)", _NI, "\"fmod_cpu\" not implemented for 'ComplexDouble'"),
    ("m.floor_divide(z, 2)", _NI, "\"div_floor_cpu\" not implemented for 'ComplexDouble'"),
    ("z // z", _NI, "\"div_floor_cpu\" not implemented for 'ComplexDouble'"),
    ("m.div(z, 2, rounding_mode='trunc')", _NI, "\"div_trunc_cpu\" not implemented for 'ComplexDouble'"),
    ("m.atan2(r.double(), z)", _NI, "\"atan2_cpu\" not implemented for 'ComplexDouble'"),
    ("m.unique(z)", _NI, "\"unique\" not implemented for 'ComplexDouble'"),
    ("m.nansum(z)", _RE, "nansum on CPU does not support complex inputs"),
    ("m.linalg.eig(m.ones(2, 3))", _RE, "linalg.eig: A must be batches of square matrices, but they are 2 by 3 "
     "matrices"),
    ("m.linalg.eigvals(m.ones(3))", _RE, "linalg.eigvals: The input tensor A must have at least 2 dimensions."),
    ("m.linalg.eig(m.ones(2, 2, dtype=m.int64))", _RE, "Unknown Complex ScalarType for Long"),
]


def _refusal_operands(m: Any) -> dict:
    z = m.tensor(np.array([[1 + 2j, -0.5j], [3.0 + 0j, -1 + 1j]]))
    return {"m": m, "z": z, "r": m.tensor([[0.5, -1.0], [2.0, 0.25]])}


@pytest.mark.parametrize(("expr", "error", "message"), _REFUSALS, ids=[e for e, _, _ in _REFUSALS])
def test_real_only_ops_refuse_complex_input(expr: str, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        eval(expr, _refusal_operands(plugrad))
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(("expr", "error", "message"), _REFUSALS, ids=[e for e, _, _ in _REFUSALS])
def test_refusals_are_pytorchs(torch: Any, expr: str, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        eval(expr, _refusal_operands(torch))
    assert str(info.value).startswith(message)


def test_the_real_path_of_the_refusing_ops_is_unchanged() -> None:
    x = plugrad.tensor([[-1.5, 0.5], [2.0, 3.0]])
    np.testing.assert_array_equal(to_numpy(x.sign()), [[-1, 1], [1, 1]])
    np.testing.assert_array_equal(to_numpy(x < 1), [[True, True], [False, False]])
    assert float(x.max()) == 3.0 and int(x.argmin()) == 0
    np.testing.assert_array_equal(to_numpy(x.clone().abs_()), np.abs(to_numpy(x)))
    np.testing.assert_array_equal(to_numpy(plugrad.relu(x)), [[0.0, 0.5], [2.0, 3.0]])
    np.testing.assert_array_equal(to_numpy(plugrad.clamp_min(x, 1)), [[1.0, 1.0], [2.0, 3.0]])


# --- values against NumPy, gradients by gradcheck -------------------------------------------------------


def test_var_std_of_complex_are_real_mean_squared_distances() -> None:
    a = _c(np.random.default_rng(0), 3, 4)
    z = plugrad.tensor(a)
    for dim, correction in ((None, 1), (1, 0), (0, 2)):
        v = plugrad.var(z, dim, correction=correction)
        assert v.dtype is plugrad.float64
        np.testing.assert_allclose(to_numpy(v), np.var(a, axis=dim, ddof=correction), rtol=1e-12)
        np.testing.assert_allclose(to_numpy(z.std(dim, correction=correction)),
                                   np.std(a, axis=dim, ddof=correction), rtol=1e-12)
    var, mean = plugrad.var_mean(z.to(plugrad.complex64), 1)
    assert var.dtype is plugrad.float32 and mean.dtype is plugrad.complex64


def test_eig_and_eigvals_match_numpy_and_are_complex_for_real_input() -> None:
    a = np.random.default_rng(1).standard_normal((2, 4, 4))
    lam, vec = plugrad.linalg.eig(plugrad.tensor(a))
    assert lam.dtype is plugrad.complex128 and vec.dtype is plugrad.complex128
    want = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(to_numpy(lam).ravel()), np.sort_complex(want.ravel()), rtol=1e-10)
    v, lam_ = to_numpy(vec), to_numpy(lam)
    np.testing.assert_allclose(a @ v, v * lam_[..., None, :], atol=1e-10)
    assert plugrad.linalg.eigvals(plugrad.tensor(a, dtype=plugrad.float32)).dtype is plugrad.complex64
    sym = plugrad.tensor(np.eye(3) * [1.0, 2.0, 3.0])
    np.testing.assert_allclose(to_numpy(plugrad.linalg.eigvals(sym)), [1, 2, 3])


def _hermitian_pd(x: Any) -> Any:
    return x @ x.mH + plugrad.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def _gauge_free_svd(x: Any) -> Any:
    u, s, vh = plugrad.linalg.svd(x, full_matrices=False)
    return (u * s.to(u.dtype)) @ vh + u.abs().sum()


_GRADCHECKED = [
    ("var", lambda z: plugrad.var(z, 1), (3, 4)),
    ("std", lambda z: z.std(), (3, 4)),
    ("lerp", lambda z: plugrad.lerp(z, z * z, 0.3 + 0.2j), (4,)),
    ("lerp_tensor", lambda z: plugrad.lerp(z, z.exp(), z), (4,)),
    ("norm_p1", lambda z: plugrad.linalg.vector_norm(z, 1, dim=0), (3, 2)),
    ("norm_inf", lambda z: plugrad.norm(z, float("inf")), (5,)),
    ("norm_p3", lambda z: plugrad.norm(z, 3), (5,)),
    ("matrix_norm_nuc", lambda z: plugrad.linalg.matrix_norm(z, "nuc"), (3, 3)),
    ("dist", lambda z: plugrad.dist(z, z.flip(0), 1), (4,)),
    ("cross", lambda z: plugrad.linalg.cross(z, z.conj()), (2, 3)),
    ("logsumexp", lambda z: plugrad.logsumexp(z, 0), (3,)),
    ("slogdet", lambda z: plugrad.linalg.slogdet(z + 3 * plugrad.eye(3, dtype=z.dtype, device=z.device)), (3, 3)),
    ("logdet", lambda z: plugrad.logdet(_hermitian_pd(z)), (3, 3)),
    ("det_inv", lambda z: plugrad.linalg.det(z) * plugrad.linalg.inv(z), (3, 3)),
    ("cholesky", lambda z: plugrad.linalg.cholesky(_hermitian_pd(z), upper=True), (3, 3)),
    ("cholesky_solve", lambda z: plugrad.cholesky_solve(z, plugrad.linalg.cholesky(_hermitian_pd(z))), (3, 3)),
    ("qr", lambda z: plugrad.linalg.qr(z), (4, 3)),
    ("qr_wide", lambda z: plugrad.linalg.qr(z), (2, 3)),
    ("svd", _gauge_free_svd, (4, 3)),
    ("svd_wide", _gauge_free_svd, (2, 3)),
    ("eigvalsh", lambda z: plugrad.linalg.eigvalsh(_hermitian_pd(z)), (3, 3)),
    ("eigh_vectors", lambda z: plugrad.linalg.eigh(_hermitian_pd(z))[1].abs(), (3, 3)),
    ("pinv", lambda z: plugrad.linalg.pinv(z), (3, 2)),
    ("lu", lambda z: plugrad.linalg.lu(z)[1:], (3, 3)),
    ("lu_solve_adjoint", lambda z: plugrad.linalg.lu_solve(*plugrad.linalg.lu_factor(z), z, adjoint=True,
                                                            left=False), (3, 3)),
    ("eigvals", lambda z: plugrad.linalg.eigvals(z), (3, 3)),
    ("eig_vectors", lambda z: plugrad.linalg.eig(z)[1].abs(), (3, 3)),
]


@pytest.mark.parametrize(("name", "fn", "shape"), _GRADCHECKED, ids=[n for n, _, _ in _GRADCHECKED])
def test_gradcheck_complex(name: str, fn: Any, shape: tuple) -> None:
    rng = np.random.default_rng(sum(map(ord, name)))
    a = _c(rng, *shape)
    if len(shape) == 2 and shape[0] == shape[1]:
        a = a + 2 * np.eye(shape[0])
    z = plugrad.tensor(a, requires_grad=True)
    assert gradcheck(fn, (z,), fast_mode=True)


def test_gradcheck_eigvals_of_a_real_matrix() -> None:
    x = plugrad.tensor(np.random.default_rng(2).standard_normal((3, 3)), requires_grad=True)
    assert gradcheck(lambda a: plugrad.linalg.eigvals(a), (x,))


def test_phase_dependent_losses_raise_as_pytorch() -> None:
    z = plugrad.tensor(_c(np.random.default_rng(3), 3, 3), requires_grad=True)
    cases = [(lambda: plugrad.linalg.eig(z)[1].real.sum(), "linalg_eig_backward: The eigenvectors in the complex "
              "case are specified up to multiplication by e^{i phi}."),
             (lambda: plugrad.linalg.eigh(z @ z.mH)[1].real.sum(), "linalg_eigh_backward: The eigenvectors in the "
              "complex case are specified up to multiplication by e^{i phi}."),
             (lambda: plugrad.linalg.svd(z)[0].real.sum(), "svd_backward: The singular vectors in the complex case "
              "are specified up to multiplication by e^{i phi}.")]
    for loss, message in cases:
        with pytest.raises(RuntimeError, match=message.replace("^", r"\^").replace("{", r"\{").replace("}", r"\}")):
            loss().backward()


# --- values and gradients against PyTorch ----------------------------------------------------------------


def _hpd(m: Any, x: Any) -> Any:
    return x @ x.mH + m.eye(x.shape[-1], dtype=x.dtype)


def _svd_loss(m: Any, x: Any) -> Any:
    u, s, vh = m.linalg.svd(x, full_matrices=False)
    return (u * s.to(u.dtype)) @ vh, u.abs(), s


_AGAINST_TORCH = [
    ("var", lambda m, a, b: m.var(a, 1, keepdim=True), "mat"),
    ("var_correction0", lambda m, a, b: m.var(a, 0, correction=0), "mat"),
    ("std", lambda m, a, b: m.std(a), "mat"),
    ("var_mean", lambda m, a, b: m.var_mean(a, 1), "mat"),
    ("std_mean", lambda m, a, b: m.std_mean(a), "mat"),
    ("lerp", lambda m, a, b: (m.lerp(a, b, 0.3), m.lerp(a, b, 0.8)), "mat"),
    ("lerp_tensor", lambda m, a, b: m.lerp(a, b, a * b), "mat"),
    ("mean_sum_prod", lambda m, a, b: (m.mean(a, 1), m.sum(a, 0), m.prod(a, 1), a.prod()), "mat"),
    ("cumsum_cumprod", lambda m, a, b: (m.cumsum(a, 1), m.cumprod(a, 1)), "mat"),
    ("norms", lambda m, a, b: (m.norm(a), m.norm(a, 1, 1), m.norm(a, 3), m.norm(a, float("inf"), 0)), "mat"),
    ("vector_norms", lambda m, a, b: tuple(m.linalg.vector_norm(a, o) for o in (2, 1, 0, 3.5, float("inf"),
                                                                               -float("inf"))), "mat"),
    ("matrix_norms", lambda m, a, b: tuple(m.linalg.matrix_norm(a, o) for o in ("fro", "nuc", 1, float("inf"),
                                                                               2, -2)), "mat"),
    ("linalg_norm", lambda m, a, b: (m.linalg.norm(a), m.linalg.norm(a[0], 2)), "mat"),
    ("dist", lambda m, a, b: (m.dist(a, b), m.dist(a, b, 1)), "mat"),
    ("addcmul_addcdiv", lambda m, a, b: (m.addcmul(a, b, a, value=0.5 + 1j), m.addcdiv(a, b, a, value=2)), "mat"),
    ("where", lambda m, a, b: m.where(a.real > 0, a, b), "mat"),
    ("cat_stack", lambda m, a, b: (m.cat([a, b.real]), m.stack([b.imag, a])), "mat"),
    ("matmul", lambda m, a, b: (a @ b.mT, a @ b[0], m.mm(a, b.mH), m.addmm(a[:, :3], a, b.mT[:, :3], beta=0.5j,
                                                                         alpha=2 + 1j)), "mat"),
    ("products", lambda m, a, b: (m.outer(a[0], b[1]), m.inner(a, b), m.kron(a[:2, :2], b[:2, :2]),
                                  m.tensordot(a, b, dims=([1], [1])), m.linalg.vecdot(a, b),
                                  m.linalg.cross(a[:, :3], b[:, :3])), "mat"),
    ("einsum", lambda m, a, b: (m.einsum("ij,kj->ik", a, b), m.einsum("ij,ij,ij->j", a, b, a),
                                m.einsum("ii", a[:, :3])), "mat"),
    ("shapes", lambda m, a, b: (m.trace(a[:, :3]), m.diag(a), m.diag(b[0], 1), m.tril(a), m.triu(b, 1),
                                m.flip(a, [0, 1]), m.roll(a, 2, 1), m.roll(b, 3)), "mat"),
    ("logsumexp", lambda m, a, b: m.logsumexp(a, 1), "mat"),
    ("det_inv", lambda m, a, b: (m.linalg.det(a), m.det(b), m.linalg.inv(a), m.inverse(b)), "square"),
    ("slogdet", lambda m, a, b: (*m.linalg.slogdet(a), *m.slogdet(b)), "square"),
    ("logdet", lambda m, a, b: m.logdet(_hpd(m, a)), "square"),
    ("solve", lambda m, a, b: (m.linalg.solve(a, b), m.linalg.solve(a, b[:, 0]), m.linalg.solve(a, b.mT, left=False)),
     "square"),
    ("cholesky", lambda m, a, b: (m.linalg.cholesky(_hpd(m, a)), m.linalg.cholesky(_hpd(m, b), upper=True),
                                  m.cholesky_solve(b, m.linalg.cholesky(_hpd(m, a))),
                                  m.cholesky_inverse(m.linalg.cholesky(_hpd(m, a)))), "square"),
    ("qr", lambda m, a, b: (*m.linalg.qr(a), *m.linalg.qr(b[:2])), "square"),
    ("svd", lambda m, a, b: (*_svd_loss(m, a), *_svd_loss(m, b[:2]), m.linalg.svdvals(a)), "square"),
    ("eigh", lambda m, a, b: (m.linalg.eigh(_hpd(m, a))[0], m.linalg.eigh(_hpd(m, a))[1].abs(),
                              m.linalg.eigvalsh(a, UPLO="U")), "square"),
    ("pinv_lstsq", lambda m, a, b: (m.linalg.pinv(a[:, :3]), m.linalg.pinv(_hpd(m, b), hermitian=True),
                                    m.linalg.lstsq(a, b).solution), "square"),
    ("matrix_exp", lambda m, a, b: (m.linalg.matrix_exp(a * 0.3), m.linalg.matrix_power(b, -2)), "square"),
    ("lu", lambda m, a, b: (*m.linalg.lu(a)[1:], m.linalg.lu_factor(a)[0],
                            m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True)), "square"),
    ("eig", lambda m, a, b: (m.linalg.eigvals(a), m.linalg.eig(b)[1].abs(), m.linalg.eigvals(a.real)), "square"),
]


def _operands(kind: str) -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    if kind == "mat":
        return [_c(rng, 3, 4), _c(rng, 3, 4)]
    return [_c(rng, 4, 4) + 3 * np.eye(4), _c(rng, 4, 4) + 3 * np.eye(4)]


def _as_tuple(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize(("name", "fn", "kind"), _AGAINST_TORCH, ids=[n for n, _, _ in _AGAINST_TORCH])
def test_values_and_gradients_match_pytorch(torch: Any, name: str, fn: Any, kind: str) -> None:
    arrays = _operands(kind)
    ours = [plugrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, want = _as_tuple(fn(plugrad, *ours)), _as_tuple(fn(torch, *theirs))
    rng = np.random.default_rng(5)
    loss_ours: Any = 0
    loss_theirs: Any = 0
    for g, w in zip(got, want):
        assert str(g.dtype) == str(w.dtype), name
        np.testing.assert_allclose(to_numpy(g), w.detach().resolve_conj().numpy(), rtol=1e-9, atol=1e-10)
        if w.requires_grad:
            weight = _c(rng, *w.shape) if w.dtype.is_complex else rng.standard_normal(tuple(w.shape))
            loss_theirs = loss_theirs + (w * torch.tensor(weight).conj()).real.sum()
            loss_ours = loss_ours + (g * plugrad.tensor(weight).conj()).real.sum()
    grads_theirs = torch.autograd.grad(loss_theirs, theirs, allow_unused=True)
    grads_ours = plugrad.autograd.grad(loss_ours, ours, allow_unused=True)
    for g, w in zip(grads_ours, grads_theirs):
        assert (g is None) == (w is None), name
        if w is not None:
            np.testing.assert_allclose(to_numpy(g), w.resolve_conj().numpy(), rtol=1e-8, atol=1e-10)


def test_node_names_match_pytorch(torch: Any) -> None:
    a = _operands("square")[0]
    z, tz = plugrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for expr in ("m.linalg.slogdet(z)[0]", "m.linalg.slogdet(z)[1]", "m.logdet(z)", "m.linalg.eig(z)[0]",
                 "m.linalg.eigvals(z)", "m.var(z)", "m.lerp(z, z, 0.5)", "m.linalg.cholesky(z @ z.mH)"):
        got, want = eval(expr, {"m": plugrad, "z": z}), eval(expr, {"m": torch, "z": tz})
        assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__, expr
