"""torch.special's incomplete gamma, erfcx, log_ndtr, ndtri, xlog1py, zeta, Bessel and Airy functions and the
orthogonal polynomials: known values and identities, and differential tests against PyTorch on grids that
include the edge cases (0, negative, inf, NaN, large arguments, domain boundaries)."""

from __future__ import annotations

import math

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

INF, NAN = math.inf, math.nan


def _t(values: object, dtype: object = None) -> plugrad.Tensor:
    return plugrad.tensor(values, dtype=dtype or plugrad.float64)


def _np(t: plugrad.Tensor) -> np.ndarray:
    return np.asarray(to_numpy(t))


# --- known values and identities (no PyTorch needed) --------------------------------------------------


def test_gammainc_is_one_minus_exp_for_a_one_and_complements_gammaincc() -> None:
    x = np.array([0.0, 0.1, 1.0, 2.5, 10.0, 40.0])
    a = np.ones_like(x)
    p = _np(plugrad.special.gammainc(_t(a), _t(x)))
    q = _np(plugrad.special.gammaincc(_t(a), _t(x)))
    np.testing.assert_allclose(p, -np.expm1(-x), rtol=1e-14)
    np.testing.assert_allclose(q, np.exp(-x), rtol=1e-14)
    big_a = np.array([0.3, 5.0, 50.0, 150.0, 1000.0, 1e5])
    near = big_a * 1.01
    total = _np(plugrad.special.gammainc(_t(big_a), _t(near))) + _np(plugrad.special.gammaincc(_t(big_a), _t(near)))
    np.testing.assert_allclose(total, 1.0, rtol=1e-14)


def test_gammainc_half_is_erf_of_the_square_root() -> None:
    x = np.array([1e-6, 0.3, 2.0, 9.0, 30.0])
    p = _np(plugrad.special.gammainc(_t(np.full_like(x, 0.5)), _t(x)))
    np.testing.assert_allclose(p, [math.erf(math.sqrt(v)) for v in x], rtol=1e-14)


def test_gammainc_boundaries_follow_scipy() -> None:
    a = _t([0.0, 0.0, 1.0, INF, INF, 1.0, NAN, -1.0, 2.0])
    x = _t([0.0, 1.0, 0.0, 1.0, INF, INF, 1.0, 1.0, -1.0])
    np.testing.assert_array_equal(_np(plugrad.special.gammainc(a, x)), [NAN, 1, 0, 0, NAN, 1, NAN, NAN, NAN])
    np.testing.assert_array_equal(_np(plugrad.special.gammaincc(a, x)), [NAN, 0, 1, 1, NAN, 0, NAN, NAN, NAN])


def test_gammainc_gradient_is_the_gamma_density_and_none_for_a() -> None:
    a, x = _t([0.5, 2.0, 30.0]), _t([0.7, 3.0, 28.0], None).requires_grad_(True)
    plugrad.special.gammainc(a, x).sum().backward()
    want = [math.exp((u - 1) * math.log(v) - v - math.lgamma(u)) for u, v in zip([0.5, 2.0, 30.0], [0.7, 3.0, 28.0])]
    np.testing.assert_allclose(_np(x.grad), want, rtol=1e-12)
    a.requires_grad_(True)
    with pytest.raises(NotImplementedError, match=r"the derivative for 'igamma: input' is not implemented\."):
        plugrad.special.gammainc(a, x.detach()).sum().backward()
    with pytest.raises(NotImplementedError, match=r"the derivative for 'igammac: input' is not implemented\."):
        plugrad.igammac(a, x.detach()).sum().backward()


def test_gammainc_refuses_numbers_and_integer_pairs_as_pytorch_does() -> None:
    x = _t([1.0, 2.0], plugrad.float32)
    with pytest.raises(TypeError, match=r"special_gammainc\(\): argument 'other' \(position 2\) must be Tensor"):
        plugrad.special.gammainc(x, 2)
    with pytest.raises(TypeError, match=r"igamma\(\): argument 'other' \(position 1\) must be Tensor, not int"):
        x.igamma(2)
    with pytest.raises(NotImplementedError, match="\"igamma_(cpu|cuda)\" not implemented for 'Long'"):
        plugrad.igamma(plugrad.tensor([1, 2]), plugrad.tensor([1, 2]))
    assert plugrad.special.gammainc(plugrad.tensor([1, 2]), x).dtype is plugrad.float32


def test_igamma_methods_and_in_place_forms() -> None:
    a, x = _t([1.0, 2.0]), _t([1.0, 1.0])
    np.testing.assert_allclose(_np(a.igamma(x)), _np(plugrad.special.gammainc(a, x)))
    b = a.clone()
    assert b.igammac_(x) is b
    np.testing.assert_allclose(_np(b), _np(plugrad.special.gammaincc(a, x)))


def test_erfcx_log_ndtr_and_ndtri_identities() -> None:
    x = np.array([-5.0, -1.0, 0.0, 0.5, 3.0, 20.0])
    np.testing.assert_allclose(_np(plugrad.special.erfcx(_t(x))) * np.exp(-x * x), [math.erfc(v) for v in x],
                               rtol=1e-13)
    big = _np(plugrad.special.erfcx(_t([1e3, 1e10, INF, -30.0, NAN])))
    np.testing.assert_allclose(big[:2], [1 / (1e3 * math.sqrt(math.pi)) * (1 - 0.5e-6), 1 / (1e10 * math.sqrt(math.pi))],
                               rtol=1e-12)
    assert big[2] == 0 and big[3] == INF and math.isnan(big[4])
    log_ndtr = [math.log(0.5 * math.erfc(-v / math.sqrt(2))) if v < 0 else math.log1p(-0.5 * math.erfc(v / math.sqrt(2)))
                for v in x]
    np.testing.assert_allclose(_np(plugrad.special.log_ndtr(_t(x))), log_ndtr, rtol=1e-13)
    # far in the lower tail log_ndtr(x) ~ -x**2 / 2 - log(-x sqrt(2 pi))
    np.testing.assert_allclose(_np(plugrad.special.log_ndtr(_t([-1e5]))), -5e9 - math.log(1e5 * math.sqrt(2 * math.pi)),
                               rtol=1e-12)
    p = np.array([1e-300, 1e-10, 0.025, 0.5, 0.975, 1 - 1e-10])
    np.testing.assert_allclose(_np(plugrad.special.ndtr(plugrad.special.ndtri(_t(p)))), p, rtol=1e-6)
    np.testing.assert_array_equal(_np(plugrad.special.ndtri(_t([0.0, 1.0, -0.1, 1.1]))), [-INF, INF, NAN, NAN])


def test_xlog1py_zero_times_anything_but_nan_is_zero() -> None:
    out = _np(plugrad.special.xlog1py(_t([0.0, 0.0, 0.0, 2.0]), _t([-1.0, INF, NAN, math.e - 1])))
    np.testing.assert_array_equal(out[:2], [0.0, 0.0])
    assert math.isnan(out[2]) and out[3] == pytest.approx(2.0, rel=1e-15)
    assert plugrad.special.xlog1py(2, plugrad.tensor([1, 2])).dtype is plugrad.get_default_dtype()


def test_zeta_matches_riemann_values_and_its_gradient_in_q() -> None:
    s = _t([2.0, 4.0, 3.0])
    np.testing.assert_allclose(_np(plugrad.special.zeta(s, 1.0)), [math.pi ** 2 / 6, math.pi ** 4 / 90, 1.2020569031595942],
                               rtol=1e-15)
    q = _t([0.5, 2.0, 7.5]).requires_grad_(True)
    plugrad.special.zeta(3.0, q).sum().backward()
    np.testing.assert_allclose(_np(q.grad), -3 * _np(plugrad.special.zeta(4.0, q.detach())), rtol=1e-15)
    with pytest.raises(NotImplementedError, match=r"the derivative for 'zeta' is not implemented\."):
        plugrad.special.zeta(_t([2.0]).requires_grad_(True), 1.0).backward()


# --- differential tests against PyTorch ---------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():  # noqa: ANN201 - the module, when installed
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _against_torch(torch: object, name: str, *grids: np.ndarray, rtol: float = 1e-12, atol: float = 0.0,
                   dtype: str = "float64") -> None:
    tfn = getattr(torch.special, name)  # type: ignore[attr-defined]
    pfn = getattr(plugrad.special, name)
    want = tfn(*[torch.tensor(g, dtype=getattr(torch, dtype)) for g in grids]).numpy()  # type: ignore[attr-defined]
    got = _np(pfn(*[plugrad.tensor(g, dtype=getattr(plugrad, dtype)) for g in grids]))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)


def _grid(*parts: object) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])


_RNG = np.random.default_rng(1234)
_A = _grid(_RNG.uniform(0, 3, 200), _RNG.uniform(0, 40, 200), _RNG.uniform(15, 300, 200), 10 ** _RNG.uniform(-8, 6, 200),
           [0, 0, 1, INF, INF, 1, NAN, -1, 1e-10, 1e-10, 2, 1e-300, 5e5, 5e5, 25, 250])
_X = _grid(_RNG.uniform(0, 3, 200), _RNG.uniform(0, 40, 200), _RNG.uniform(15, 300, 200), 10 ** _RNG.uniform(-8, 6, 200),
           [0, 1, 0, 1, INF, INF, 1, 1, 0.5, 2, NAN, 1, 5e5 + 100, 5e5 - 3000, 26, 251])


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_matches_torch(torch: object, name: str) -> None:
    _against_torch(torch, name, _A, _X, rtol=1e-12)
    # a ~ x, where the asymptotic expansion takes over
    _against_torch(torch, name, _A[:800], _A[:800] * (1 + _RNG.uniform(-0.3, 0.3, 800)), rtol=1e-12)
    _against_torch(torch, name, _A[:100], _X[:100], rtol=1e-5, atol=1e-6, dtype="float32")


_REAL = _grid(_RNG.uniform(-30, 30, 500), _RNG.uniform(-3, 3, 500), 10 ** _RNG.uniform(-10, 9, 200),
              -(10 ** _RNG.uniform(-10, 2, 200)),
              [0.0, -0.0, INF, -INF, NAN, 1.25, 28, 50, 5e7, 5.1e7, -26.7, -6.1, -26.69, 1 / 0.35, 0.84375, -1, 1])


@pytest.mark.parametrize("name", ["erfcx", "log_ndtr"])
def test_erfcx_and_log_ndtr_match_torch(torch: object, name: str) -> None:
    _against_torch(torch, name, _REAL, rtol=1e-13)


def test_ndtri_matches_torch(torch: object) -> None:
    p = _grid(_RNG.uniform(0, 1, 500), 10 ** _RNG.uniform(-300, 0, 300), 1 - 10 ** _RNG.uniform(-16, 0, 300),
              [0, 1, -0.1, 1.1, NAN, 0.5, math.exp(-2), 1 - math.exp(-2), -INF, INF])
    _against_torch(torch, "ndtri", p, rtol=1e-13)


def test_xlog1py_and_zeta_match_torch(torch: object) -> None:
    x = _grid(_RNG.uniform(-3, 3, 100), [0, 0, 0, 1, 2, INF])
    y = _grid(_RNG.uniform(-1.5, 3, 100), [-1, NAN, -2, -1, INF, 0])
    _against_torch(torch, "xlog1py", x, y, rtol=1e-14)
    s = _grid(_RNG.uniform(1, 10, 300), _RNG.integers(2, 8, 200), [1, 0.5, 2, 2, 2, INF, NAN, 2, 30, 100, 2, 3])
    q = _grid(_RNG.uniform(-5, 20, 300), _RNG.uniform(-20, 5, 200), [1, 1, 0, -3, INF, 1, 1, NAN, 1e-5, 0.5, -INF, -2.5])
    _against_torch(torch, "zeta", s, q, rtol=1e-13)
    _against_torch(torch, "zeta", s[::10, None], 10 ** _RNG.uniform(-5, 5, 30)[None, :], rtol=1e-13)


@pytest.mark.parametrize(("name", "values"), [
    ("erfcx", [-3.0, -0.5, 0.0, 0.5, 4.0, 60.0]),
    ("log_ndtr", [-30.0, -3.0, -1.0, 0.0, 0.5, 6.0]),
    ("ndtri", [1e-10, 0.01, 0.3, 0.5, 0.9, 0.999]),
])
def test_unary_gradients_match_torch(torch: object, name: str, values: list) -> None:
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)  # type: ignore[attr-defined]
    getattr(torch.special, name)(t).sum().backward()  # type: ignore[attr-defined]
    p = _t(values).requires_grad_(True)
    out = getattr(plugrad.special, name)(p)
    out.sum().backward()
    np.testing.assert_allclose(_np(p.grad), t.grad.numpy(), rtol=1e-12)
    assert type(out.grad_fn).__name__ == type(getattr(torch.special, name)(t).grad_fn).__name__  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["gammainc", "gammaincc", "xlog1py", "zeta"])
def test_binary_gradients_match_torch(torch: object, name: str) -> None:
    a, b = [1.5, 3.0, 30.0, 0.0 if name == "xlog1py" else 2.0], [0.7, 2.5, 28.0, 1.5]
    ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64, requires_grad=True)  # type: ignore[attr-defined]
    pa, pb = _t(a), _t(b).requires_grad_(True)
    if name == "xlog1py":
        ta.requires_grad_(True)
        pa.requires_grad_(True)
    getattr(torch.special, name)(ta, tb).sum().backward()  # type: ignore[attr-defined]
    getattr(plugrad.special, name)(pa, pb).sum().backward()
    np.testing.assert_allclose(_np(pb.grad), tb.grad.numpy(), rtol=1e-12)
    if name == "xlog1py":
        np.testing.assert_allclose(_np(pa.grad), ta.grad.numpy(), rtol=1e-14)


# --- Bessel and Airy functions -------------------------------------------------------------------------

_BESSEL = ["i0e", "i1e", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "spherical_bessel_j0", "airy_ai"]
_BESSEL_GRID = _grid(_RNG.uniform(-30, 30, 400), _RNG.uniform(-3, 3, 300), 10 ** _RNG.uniform(-10, 3, 200),
                     -(10 ** _RNG.uniform(-10, 3, 200)),
                     [0.0, -0.0, INF, -INF, NAN, 1e-5, 5, 5.0000001, 8, 2, 2.09, -2.09, 103.892, 103.9, 8.3203353, 700,
                      710, -700, 1e-300])


@pytest.mark.parametrize("name", _BESSEL)
def test_bessel_functions_match_torch(torch: object, name: str) -> None:
    _against_torch(torch, name, _BESSEL_GRID, rtol=1e-12, atol=1e-300)
    # float32 on [-3, 3], where PyTorch's float32 arithmetic (sin of a large phase, say) is itself accurate
    _against_torch(torch, name, _BESSEL_GRID[400:700], rtol=2e-5, atol=1e-6, dtype="float32")


def test_bessel_known_values_and_identities() -> None:
    x = _t([0.5, 1.0, 2.5, 10.0])
    np.testing.assert_allclose(_np(plugrad.special.bessel_j0(x)), [0.938469807240813, 0.7651976865579666,
                                                                  -0.048383776468197996, -0.2459357644513483], rtol=1e-9)
    np.testing.assert_allclose(_np(plugrad.special.modified_bessel_i0(x)) * np.exp(-_np(x)), _np(plugrad.special.i0e(x)),
                               rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.scaled_modified_bessel_k1(x)),
                               _np(plugrad.special.modified_bessel_k1(x)) * np.exp(_np(x)), rtol=1e-14)
    # the Wronskian I0 K1 + I1 K0 = 1 / x
    i0, i1 = _np(plugrad.special.modified_bessel_i0(x)), _np(plugrad.special.modified_bessel_i1(x))
    k0, k1 = _np(plugrad.special.modified_bessel_k0(x)), _np(plugrad.special.modified_bessel_k1(x))
    np.testing.assert_allclose(i0 * k1 + i1 * k0, 1 / _np(x), rtol=1e-13)
    np.testing.assert_allclose(_np(plugrad.special.airy_ai(_t([0.0]))), [0.355028053887817239260], rtol=1e-15)
    np.testing.assert_array_equal(_np(plugrad.special.spherical_bessel_j0(_t([0.0, INF, -INF]))), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(_np(plugrad.special.bessel_y0(_t([0.0, -1.0]))), [-INF, NAN])


def test_bessel_functions_other_than_i0e_i1e_have_no_gradient() -> None:
    x = _t([0.5, 2.0]).requires_grad_(True)
    for name in _BESSEL[2:]:
        out = getattr(plugrad.special, name)(x)
        assert not out.requires_grad and out.grad_fn is None, name
    with pytest.raises(TypeError, match=r"special_airy_ai\(\): argument 'x' \(position 1\) must be Tensor, not float"):
        plugrad.special.airy_ai(2.0)
    assert plugrad.special.bessel_j0(plugrad.tensor([1, 2])).dtype is plugrad.get_default_dtype()


@pytest.mark.parametrize("name", ["i0e", "i1e"])
def test_scaled_bessel_gradients_match_torch(torch: object, name: str) -> None:
    values = [-40.0, -3.0, 0.0, 1e-20, 0.5, 8.0, 9.0]
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)  # type: ignore[attr-defined]
    getattr(torch.special, name)(t).sum().backward()  # type: ignore[attr-defined]
    p = _t(values).requires_grad_(True)
    getattr(plugrad.special, name)(p).sum().backward()
    np.testing.assert_allclose(_np(p.grad), t.grad.numpy(), rtol=1e-13, atol=1e-300)


# --- orthogonal polynomials ----------------------------------------------------------------------------

_POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
                "laguerre_polynomial_l", "legendre_polynomial_p"]
_PX = _grid(_RNG.uniform(-1, 1, 150), _RNG.uniform(-3, 3, 150), _RNG.uniform(0, 1, 150),
            [1, -1, 0, 0.5, INF, -INF, 1, -1, 0, 0.5, INF, -INF, 1.5, -2.0, 0.25])
_PN = _grid(_RNG.integers(0, 15, 150), _RNG.integers(-2, 40, 150), _RNG.integers(0, 60, 150),
            [0, 1, 2, 3, 7, 9, 12, 5, 4, 13, -1, 2.5, NAN, INF, 600])


@pytest.mark.parametrize("name", _POLYNOMIALS)
def test_orthogonal_polynomials_match_torch(torch: object, name: str) -> None:
    # Note: atol for values that vanish analytically (a zero of the polynomial), where both give rounding noise.
    _against_torch(torch, name, _PX, _PN, rtol=1e-11, atol=1e-13)
    _against_torch(torch, name, _PX[:150], _PN[:150], rtol=1e-4, atol=1e-5, dtype="float32")
    n = torch.tensor([3.0, 5.0])  # type: ignore[attr-defined]
    want = getattr(torch.special, name)(0.25, n).numpy()  # type: ignore[attr-defined]
    np.testing.assert_allclose(_np(getattr(plugrad.special, name)(0.25, plugrad.tensor([3.0, 5.0]))), want, rtol=1e-6)
    want = getattr(torch.special, name)(torch.tensor([0.25, 0.75]), 4).numpy()  # type: ignore[attr-defined]
    np.testing.assert_allclose(_np(getattr(plugrad.special, name)(plugrad.tensor([0.25, 0.75]), 4)), want, rtol=1e-6)


def test_orthogonal_polynomials_known_forms_and_conventions() -> None:
    x = np.array([-0.9, -0.3, 0.2, 0.7])
    n3 = _t([3.0])
    np.testing.assert_allclose(_np(plugrad.special.chebyshev_polynomial_t(_t(x), n3)), 4 * x ** 3 - 3 * x, rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.chebyshev_polynomial_t(_t(x), 40.0)), np.cos(40 * np.arccos(x)),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(plugrad.special.chebyshev_polynomial_u(_t(x), n3)), 8 * x ** 3 - 4 * x, rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.hermite_polynomial_h(_t(x), n3)), 8 * x ** 3 - 12 * x, rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.hermite_polynomial_he(_t(x), n3)), x ** 3 - 3 * x, rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.laguerre_polynomial_l(_t(x), 2)), (x * x - 4 * x + 2) / 2,
                               rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.legendre_polynomial_p(_t(x), 2)), (3 * x * x - 1) / 2, rtol=1e-14)
    np.testing.assert_allclose(_np(plugrad.special.shifted_chebyshev_polynomial_t(_t(x), n3)),
                               _np(plugrad.special.chebyshev_polynomial_t(_t(2 * x - 1), n3)), rtol=1e-13)
    # negative and non-finite degrees give 0; Hermite beyond degree 512 (float64) / 128 (float32) is NaN
    np.testing.assert_array_equal(_np(plugrad.special.legendre_polynomial_p(_t([0.3] * 3), _t([-1.0, NAN, INF]))), 0.0)
    assert math.isnan(_np(plugrad.special.hermite_polynomial_h(_t([0.1]), 513.0))[0])
    assert math.isnan(_np(plugrad.special.hermite_polynomial_h(_t([0.1], plugrad.float32), 129.0))[0])
    assert math.isnan(_np(plugrad.special.chebyshev_polynomial_t(_t([NAN]), 3.0))[0])
    out = plugrad.special.chebyshev_polynomial_t(plugrad.tensor([1, 2]), plugrad.tensor([2, 3]))
    assert out.dtype is plugrad.get_default_dtype()
    assert not plugrad.special.legendre_polynomial_p(_t([0.5]).requires_grad_(True), 3).requires_grad
