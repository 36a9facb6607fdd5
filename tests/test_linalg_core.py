"""The core's linear algebra: ``plugrad.linalg`` without a plugin, and the ``torch.*`` functions and Tensor
methods on the linalg_core ops. Hard values first, then each function against PyTorch (values, gradients,
errors) on the same float64 inputs; decompositions are compared through sign-invariant functions of their
factors, as singular and eigen vectors are fixed only up to sign."""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import pytest
from plugrad.autograd import gradcheck, gradgradcheck


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _np(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


def _f64(values, requires_grad=False):
    return plugrad.tensor(values, dtype=plugrad.float64, requires_grad=requires_grad)


A2 = [[4.0, 1.0], [1.0, 3.0]]


# --- hard values ----------------------------------------------------------------------------------


def test_plain_install_has_core_linalg():
    from plugrad import _linalg

    assert plugrad.linalg is _linalg
    assert issubclass(plugrad.linalg.LinAlgError, RuntimeError)


def test_det_inverse_slogdet_values_and_det_gradient():
    a = _f64(A2, requires_grad=True)
    d = plugrad.linalg.det(a)
    assert d.item() == pytest.approx(11.0) and d.grad_fn.name() == "LinalgDetBackward0"
    d.backward()
    np.testing.assert_allclose(_np(a.grad), [[3.0, -1.0], [-1.0, 4.0]], rtol=1e-12)  # det * inv^T
    np.testing.assert_allclose(_np(plugrad.inverse(a)), np.array([[3.0, -1.0], [-1.0, 4.0]]) / 11, rtol=1e-12)
    assert plugrad.inverse(a).grad_fn.name() == "LinalgInvExBackward0"
    sign, logabsdet = plugrad.linalg.slogdet(_f64([[0.0, 2.0], [3.0, 0.0]]))
    assert sign.item() == -1.0 and logabsdet.item() == pytest.approx(math.log(6.0))
    assert math.isnan(plugrad.logdet(_f64([[0.0, 2.0], [3.0, 0.0]])).item())
    assert a.det().item() == pytest.approx(11.0) and a.logdet().item() == pytest.approx(math.log(11.0))


def test_solve_cholesky_norm_values():
    a = _f64(A2)
    np.testing.assert_allclose(_np(plugrad.linalg.solve(a, _f64([1.0, 2.0]))), [1 / 11, 7 / 11], rtol=1e-12)
    low = plugrad.linalg.cholesky(a)
    np.testing.assert_allclose(_np(low), [[2.0, 0.0], [0.5, math.sqrt(2.75)]], rtol=1e-12)
    m = _f64([[1.0, -2.0], [3.0, 4.0]])
    L = plugrad.linalg  # noqa: N806
    assert L.matrix_norm(m).item() == pytest.approx(math.sqrt(30))
    assert L.matrix_norm(m, 1).item() == pytest.approx(6.0)
    assert L.matrix_norm(m, -1).item() == pytest.approx(4.0)
    assert L.matrix_norm(m, math.inf).item() == pytest.approx(7.0)
    assert L.matrix_norm(m, -math.inf).item() == pytest.approx(3.0)
    assert L.norm(_f64([3.0, 4.0])).item() == pytest.approx(5.0)
    assert L.matrix_rank(_f64([[1.0, 2.0], [2.0, 4.0]])).item() == 1


def test_singular_matrix_raises_linalg_error_and_ex_reports_info():
    with pytest.raises(plugrad.linalg.LinAlgError, match="singular"):
        plugrad.linalg.inv(_f64([[1.0, 2.0], [2.0, 4.0]]))
    inverse, info = plugrad.linalg.inv_ex(_f64([[[1.0, 2.0], [2.0, 4.0]], A2]))
    assert info.tolist() == [1, 0] and info.dtype is plugrad.int32
    np.testing.assert_allclose(_np(inverse[1]), np.linalg.inv(A2), rtol=1e-12)


def test_gradgradcheck_of_inverse_det_solve_cholesky():
    a = _f64([[2.0, 0.3, 0.1], [0.2, 1.5, -0.4], [0.0, 0.5, 1.8]], requires_grad=True)
    spd = _f64([[2.0, 0.3, 0.1], [0.3, 1.5, -0.4], [0.1, -0.4, 1.8]], requires_grad=True)
    b = _f64([[1.0], [2.0], [-1.0]], requires_grad=True)
    for fn, args in ((plugrad.linalg.inv, (a,)), (plugrad.linalg.det, (a,)), (plugrad.linalg.solve, (a, b)),
                     (lambda x: plugrad.linalg.cholesky(x + x.mT), (spd,)), (lambda x: plugrad.linalg.slogdet(x)[1], (a,))):
        assert gradcheck(fn, args)
        assert gradgradcheck(fn, args)


# --- against PyTorch ------------------------------------------------------------------------------


def _inputs(torch, shapes, seed, kinds):
    rng = np.random.default_rng(seed)
    out_p, out_t = [], []
    for shape, kind in zip(shapes, kinds):
        x = rng.standard_normal(shape)
        if kind == "spd":
            x = x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
        elif kind == "square":
            x = x + 2 * shape[-1] * np.eye(shape[-1]) * 0.5
        out_p.append(plugrad.tensor(x.tolist(), dtype=plugrad.float64, requires_grad=True))
        out_t.append(torch.tensor(x, dtype=torch.float64, requires_grad=True))
    return out_p, out_t


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [r for item in result for r in _flat(item)]
    return [result]


def _compare(torch, fn, shapes, kinds=None, *, post=None, seed=0, tol=1e-9):
    """``fn(module, *inputs)`` in both libraries: same values (of ``post(outputs)`` when given) and the same
    input gradients for random weights on them."""
    kinds = kinds or ["plain"] * len(shapes)
    xp_, xt_ = _inputs(torch, shapes, seed, kinds)
    outs_p = _flat((post or (lambda m, r: r))(plugrad, fn(plugrad, *xp_)))
    outs_t = _flat((post or (lambda m, r: r))(torch, fn(torch, *xt_)))
    assert len(outs_p) == len(outs_t)
    rng = np.random.default_rng(seed + 1)
    loss_p = loss_t = 0
    for p, t in zip(outs_p, outs_t):
        assert tuple(p.shape) == tuple(t.shape)
        assert str(p.dtype) == str(t.dtype)
        np.testing.assert_allclose(_np(p), t.detach().numpy(), rtol=tol, atol=tol)
        if t.requires_grad and t.dtype.is_floating_point:
            w = rng.standard_normal(tuple(t.shape))
            loss_p = loss_p + (p * plugrad.tensor(w.tolist(), dtype=plugrad.float64)).sum()
            loss_t = loss_t + (t * torch.tensor(w)).sum()
    if isinstance(loss_t, int):
        return
    loss_p.backward()
    loss_t.backward()
    for p, t in zip(xp_, xt_):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(_np(p.grad), t.grad.numpy(), rtol=1e-7, atol=1e-8)


def _abs_factors(m, r):
    return [x.abs() for x in r]


CASES = {
    "inv": (lambda m, a: m.linalg.inv(a), [(3, 3)], ["square"], None),
    "inv_batch": (lambda m, a: m.linalg.inv(a), [(2, 3, 3)], ["square"], None),
    "inverse": (lambda m, a: m.inverse(a), [(4, 4)], ["square"], None),
    "det": (lambda m, a: m.linalg.det(a), [(2, 3, 3)], ["square"], None),
    "torch.det": (lambda m, a: m.det(a), [(4, 4)], ["square"], None),
    "logdet": (lambda m, a: m.logdet(a), [(3, 3)], ["spd"], None),
    "slogdet": (lambda m, a: m.linalg.slogdet(a), [(3, 3)], ["square"], None),
    "solve": (lambda m, a, b: m.linalg.solve(a, b), [(3, 3), (3, 2)], ["square", "plain"], None),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b), [(2, 3, 3), (2, 3)], ["square", "plain"], None),
    "solve_left_false": (lambda m, a, b: m.linalg.solve(a, b, left=False), [(3, 3), (2, 3)],
                         ["square", "plain"], None),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), [(3, 3)], ["spd"], None),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(a, upper=True), [(2, 3, 3)], ["spd"], None),
    "svd_tall": (lambda m, a: m.linalg.svd(a, full_matrices=False), [(4, 3)], None, _abs_factors),
    "svd_wide": (lambda m, a: m.linalg.svd(a, full_matrices=False), [(3, 5)], None, _abs_factors),
    "svd_full": (lambda m, a: m.linalg.svd(a), [(4, 3)], None,
                 lambda m, r: [r.U[..., :3].abs(), r.S, r.Vh.abs()]),
    "torch.svd": (lambda m, a: m.svd(a), [(4, 3)], None, _abs_factors),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), [(2, 3, 4)], None, None),
    "qr": (lambda m, a: m.linalg.qr(a), [(4, 3)], None, _abs_factors),
    "qr_wide": (lambda m, a: m.linalg.qr(a), [(3, 5)], None, _abs_factors),
    "qr_complete_square": (lambda m, a: m.linalg.qr(a, mode="complete"), [(3, 3)], None, _abs_factors),
    "eigh": (lambda m, a: m.linalg.eigh(a), [(3, 3)], ["spd"], _abs_factors),
    "eigh_upper": (lambda m, a: m.linalg.eigh(a, UPLO="U"), [(2, 3, 3)], ["spd"], _abs_factors),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a), [(4, 4)], ["spd"], None),
    "pinv": (lambda m, a: m.linalg.pinv(a), [(4, 3)], None, None),
    "pinv_hermitian": (lambda m, a: m.linalg.pinv(a, hermitian=True), [(3, 3)], ["spd"], None),
    "pinverse": (lambda m, a: m.pinverse(a), [(3, 4)], None, None),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)], None, None),
    "lstsq_gelsd": (lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), [(5, 3), (5, 2)], None, None),
    "matrix_norm_fro": (lambda m, a: m.linalg.matrix_norm(a), [(2, 3, 4)], None, None),
    "matrix_norm_nuc": (lambda m, a: m.linalg.matrix_norm(a, "nuc"), [(3, 4)], None, None),
    "matrix_norm_2": (lambda m, a: m.linalg.matrix_norm(a, 2), [(3, 4)], None, None),
    "matrix_norm_-2": (lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True), [(2, 3, 4)], None, None),
    "matrix_norm_1": (lambda m, a: m.linalg.matrix_norm(a, 1, dim=(0, 2)), [(3, 2, 4)], None, None),
    "matrix_norm_inf": (lambda m, a: m.linalg.matrix_norm(a, math.inf, keepdim=True), [(3, 4)], None, None),
    "norm": (lambda m, a: m.linalg.norm(a), [(2, 3, 4)], None, None),
    "norm_ord_matrix": (lambda m, a: m.linalg.norm(a, -math.inf), [(3, 4)], None, None),
    "norm_dim": (lambda m, a: m.linalg.norm(a, 3, dim=1), [(3, 4)], None, None),
    "vector_norm": (lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1)), [(3, 4, 2)], None, None),
    "cond": (lambda m, a: m.linalg.cond(a), [(4, 3)], None, None),
    "cond_fro": (lambda m, a: m.linalg.cond(a.detach(), "fro"), [(3, 3)], ["square"], None),
    "matrix_power_neg": (lambda m, a: m.linalg.matrix_power(a, -2), [(3, 3)], ["square"], None),
    "matrix_exp": (lambda m, a: m.linalg.matrix_exp(a), [(2, 3, 3)], None, None),
    "matrix_exp_large": (lambda m, a: m.linalg.matrix_exp(3 * a), [(4, 4)], None, None),
    "svd_no_uv": (lambda m, a: m.svd(a, compute_uv=False), [(4, 3)], None, None),
    "lu": (lambda m, a: m.linalg.lu(a), [(2, 3, 3)], None, None),
    "lu_tall": (lambda m, a: m.linalg.lu(a), [(5, 3)], None, None),
    "lu_wide": (lambda m, a: m.linalg.lu(a), [(3, 5)], None, None),
    "lu_factor": (lambda m, a: m.linalg.lu_factor(a), [(4, 4)], None, None),
    "lu_factor_ex_tall": (lambda m, a: m.linalg.lu_factor_ex(a), [(4, 2)], None, None),
    "lu_unpack": (lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [(2, 4, 3)], None, None),
    "lu_solve": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), [(3, 3), (3, 2)], None, None),
    "lu_solve_left_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False,
                                                                adjoint=True), [(3, 3), (2, 3)], None, None),
    "lu_solve_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
                         [(3, 3), (3, 2)], None, None),
    "torch.lu": (lambda m, a: [m.lu(a), m.lu_solve(m.ones(3, 1, dtype=m.float64), *m.lu(a))], [(3, 3)], None,
                 None),
    "torch.matrix_exp": (lambda m, a: m.matrix_exp(a) + a.matrix_exp(), [(3, 3)], None, None),
    "vander": (lambda m, a: m.linalg.vander(a, N=4), [(2, 3)], None, None),
    "vander_at_zero": (lambda m, a: m.linalg.vander(a * 0), [(3,)], None, None),
    "multi_dot": (lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4, 2)], None, None),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [(3, 2), (3, 1)], None, None),
    "cross": (lambda m, a, b: m.linalg.cross(a, b), [(2, 3), (2, 3)], None, None),
    "diagonal": (lambda m, a: m.linalg.diagonal(a, offset=1), [(2, 3, 4)], None, None),
    "solve_triangular": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), [(3, 3), (3, 2)],
                         ["square", "plain"], None),
    "solve_triangular_right_unit": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False,
                                                                              unitriangular=True),
                                    [(3, 3), (2, 3)], ["square", "plain"], None),
    "cholesky_solve": (lambda m, b, low: m.cholesky_solve(b, m.linalg.cholesky(low)), [(3, 2), (3, 3)],
                       ["plain", "spd"], None),
    "cholesky_inverse": (lambda m, a: m.cholesky_inverse(m.linalg.cholesky(a)), [(3, 3)], ["spd"], None),
    "tensorinv": (lambda m, a: m.linalg.tensorinv(a.reshape(4, 2, 2), ind=1), [(4, 4)], ["square"], None),
    "tensorsolve": (lambda m, a, b: m.linalg.tensorsolve(a.reshape(2, 3, 6), b), [(6, 6), (2, 3)],
                    ["square", "plain"], None),
    "method_det": (lambda m, a: a.det() + a.slogdet()[1] + a.logdet(), [(3, 3)], ["spd"], None),
    "method_inverse_pinverse": (lambda m, a: a.inverse() + a.pinverse(), [(3, 3)], ["square"], None),
    "method_svd_qr": (lambda m, a: [a.svd().S, a.qr().R.abs()], [(4, 3)], None, None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(torch, name):
    fn, shapes, kinds, post = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _compare(torch, fn, shapes, kinds, post=post)


def test_vander_of_integers_and_no_lu_unpack_method(torch):
    assert plugrad.linalg.vander(plugrad.tensor([1, 2, 3])).tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    assert plugrad.linalg.vander(plugrad.tensor([1, 2, 3])).dtype is plugrad.int64
    assert hasattr(torch.Tensor, "lu_unpack") is hasattr(plugrad.Tensor, "lu_unpack")


def test_lstsq_fields_like_torch(torch):
    xp_, xt_ = _inputs(torch, [(5, 3), (5, 2)], 3, ["plain", "plain"])
    for driver in (None, "gelsy", "gelsd", "gelss", "gels"):
        # Note: PyTorch's default driver is 'gelsy' on the CPU and 'gels' on CUDA; the reference runs on the CPU
        on_cuda = xp_[0].device.type == "cuda"
        rp = plugrad.linalg.lstsq(*xp_, driver=driver)
        rt = torch.linalg.lstsq(*xt_, driver="gels" if driver is None and on_cuda else driver)
        assert type(rp).__name__ == type(rt).__name__ == "linalg_lstsq"
        for field in ("solution", "residuals", "rank", "singular_values"):
            p, t = getattr(rp, field), getattr(rt, field)
            assert tuple(p.shape) == tuple(t.shape), (driver, field)
            assert str(p.dtype) == str(t.dtype), (driver, field)
            np.testing.assert_allclose(_np(p), t.detach().numpy().astype(float), rtol=1e-9, atol=1e-9)


def _cpu_repr(x):
    """The repr as on the CPU: under ``--backend fakecuda`` tensors add ``device='cuda:0'``."""
    return repr(x).replace(", device='cuda:0'", "")


def test_return_types_and_reprs_like_torch(torch):
    for make in (lambda m: m.linalg.slogdet(m.eye(2)), lambda m: m.svd(m.eye(2)), lambda m: m.linalg.svd(m.eye(2)),
                 lambda m: m.linalg.eigh(m.eye(2)), lambda m: m.linalg.qr(m.eye(2), mode="r"),
                 lambda m: m.linalg.inv_ex(m.eye(2)),
                 lambda m: m.linalg.lu_factor_ex(m.tensor([[1.0, 2.0], [2.0, 4.0]])), lambda m: m.linalg.cholesky_ex(m.eye(2))):
        assert _cpu_repr(make(plugrad)) == repr(make(torch))


def test_deprecated_forms_warn_once_like_torch(torch):
    from plugrad.ops import linalg_core

    linalg_core._WARNED.clear()
    for key, make in (("cholesky", lambda m: m.cholesky(m.eye(2), upper=True)),
                      ("triangular_solve", lambda m: m.triangular_solve(m.ones(2, 1),
                                                                         m.tensor([[2.0, 1.0], [0.0, 1.0]]))),
                      ("qr", lambda m: m.qr(m.eye(2))),
                      ("lu", lambda m: m.lu(m.eye(2)))):
        with warnings.catch_warnings(record=True) as wp:
            warnings.simplefilter("always")
            rp = make(plugrad)
            make(plugrad)  # PyTorch warns once per process
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            rt = make(torch)
        assert len(wp) == 1 and str(wp[0].message).startswith(f"torch.{key} is deprecated in favor of torch.linalg.")
        assert wp[0].filename == __file__
        if wt:  # only the first use in the process warns in PyTorch too
            assert str(wp[0].message) == str(wt[0].message).split(" (Triggered")[0]
        assert _cpu_repr(rp) == repr(rt)


ERRORS = [
    lambda m: m.det(m.ones(3)),
    lambda m: m.linalg.det(m.ones(2, 3)),
    lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.inv(m.zeros(2, 2)),
    lambda m: m.inverse(m.zeros(2, 2)),
    lambda m: m.linalg.inv(3),
    lambda m: m.linalg.cholesky(-m.eye(2)),
    lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2)),
    lambda m: m.linalg.solve(m.eye(3), m.ones(2)),
    lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
    lambda m: m.linalg.svd(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(3)),
    lambda m: m.linalg.qr(m.ones(3, 3), mode="x"),
    lambda m: m.linalg.eigh(m.ones(3, 2)),
    lambda m: m.linalg.eigh(m.ones(3, 3), UPLO="X"),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord=3),
    lambda m: m.linalg.matrix_norm(m.ones(3)),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3), dim=(0, 0)),
    lambda m: m.linalg.norm(m.ones(3, 3, 3), ord=2),
    lambda m: m.linalg.multi_dot([m.ones(2, 2)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 2, 2), m.ones(2, 2)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2), m.ones(2)]),
    lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(2, 2)]),
    lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(4, 2)),
    lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(3, 2), driver="foo"),
    lambda m: m.linalg.pinv(m.ones(3)),
    lambda m: m.linalg.matrix_rank(m.ones(3)),
    lambda m: m.linalg.tensorinv(m.ones(4, 3), ind=1),
    lambda m: m.linalg.tensorinv(m.ones(4, 4), ind=0),
    lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2), upper=True),
    lambda m: m.linalg.solve_triangular(m.ones(3, 3), m.ones(2, 2), upper=False),
    lambda m: m.linalg.solve_triangular(m.ones(3, 2), m.ones(2, 2), upper=False),
    lambda m: m.linalg.cond(m.ones(3, 2), p="fro"),
    lambda m: m.linalg.matrix_power(m.ones(2, 2, dtype=m.int64), -1),
    lambda m: m.linalg.lu(m.ones(3)),
    lambda m: m.linalg.vander(m.tensor(2.0)),
    lambda m: m.linalg.vander(m.tensor([1, 2, 3]), N=1),
    lambda m: m.linalg.lu_factor(m.ones(3)),
    lambda m: m.linalg.lu_factor(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.lu_factor(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda m: m.linalg.lu(m.eye(3), pivot=False),
    lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(3)), m.ones(2, 1)),
    lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(3)), m.ones(3, 1), left=False),
    lambda m: m.linalg.qr(m.ones(3, 2, requires_grad=True), mode="r").R.sum().backward(),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_like_torch(torch, index):
    make = ERRORS[index]
    with pytest.raises(Exception) as et:
        make(torch)
    with pytest.raises(Exception) as ep:
        make(plugrad)
    assert str(ep.value) == str(et.value)
    base = next(c for c in type(et.value).__mro__ if c.__module__ == "builtins")
    assert isinstance(ep.value, base)
    if "LinAlgError" in type(et.value).__name__:
        assert isinstance(ep.value, plugrad.linalg.LinAlgError)


# --- the plugin keeps working ---------------------------------------------------------------------


def test_plugin_namespace_takes_precedence_and_its_ops_pass_the_database(monkeypatch: pytest.MonkeyPatch):
    from pathlib import Path

    # Note: the path (and the plugin's metadata next to it) goes away again after the test, so that later
    # plugin discovery in this process does not find the example plugin as if it were installed.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "plugins" / "plugrad-linalg"))
    plugin = pytest.importorskip("plugrad_linalg", reason="the plugrad-linalg example plugin is not on the path")
    from plugrad import _linalg
    from plugrad.testing.opdb import cases

    if plugrad.linalg is not _linalg:
        pytest.skip("a linalg plugin is already installed")
    plugrad.register_plugin(plugin, "linalg")
    try:
        assert plugrad.linalg is plugin.functions
        a = _f64(A2, requires_grad=True)
        assert plugrad.linalg.det(a).grad_fn.name() == "LinalgDetBackward0"
        assert plugrad.det(a).item() == pytest.approx(11.0)  # the core's op, beside the plugin's
        backend = plugrad.tensor([0.0]).device.type
        for case in cases("numpy" if backend == "cpu" else plugrad.tensor([0.0])._backend.name, plugin="linalg"):
            try:
                case.run()
            except pytest.skip.Exception:
                pass
    finally:
        plugrad.unregister_plugin("linalg")
    assert plugrad.linalg is _linalg
