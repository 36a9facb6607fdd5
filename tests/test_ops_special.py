"""Special functions, scans, searches, statistics and helpers of ops/special.py: PyTorch's values, dtypes,
errors and gradients (hard expected values, then comparisons against PyTorch when it is installed)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd import gradcheck, gradgradcheck

INF, NAN = math.inf, math.nan


def close(t: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(to_numpy(t), np.asarray(expected, dtype=to_numpy(t).dtype), rtol=rtol, atol=atol)


# --- hard expected values ------------------------------------------------------------------------


def test_lgamma_digamma_polygamma_values_at_poles_and_negatives() -> None:
    x = plugrad.tensor([0.0, -1.0, -2.5, 1.0, 2.0])
    assert plugrad.lgamma(x).tolist()[:2] == [INF, INF]
    close(plugrad.lgamma(x)[2:], [-0.0562437, 0.0, 0.0])
    assert plugrad.lgamma(plugrad.tensor([1.0, 2.0])).tolist() == [0.0, 0.0]  # exact, so it prints as 0.
    d = plugrad.digamma(plugrad.tensor([0.0, -1.0, -0.5, 1.0]))
    assert d[0].item() == -INF and math.isnan(d[1].item())
    close(d[2:], [0.03648998, -0.5772157])
    close(plugrad.polygamma(1, plugrad.tensor([-0.5, 1.0])), [8.934802, 1.644934])
    assert plugrad.polygamma(1, plugrad.tensor([0.0])).item() == INF
    assert plugrad.polygamma(2, plugrad.tensor([-1.0])).item() == -INF
    close(plugrad.polygamma(3, plugrad.tensor([-1.5])), [194.5943], rtol=1e-5)
    close(plugrad.tensor([1.5, 2.0]).polygamma(2), [-0.8287966, -0.4041138])
    assert plugrad.lgamma(plugrad.tensor([1, 2])).dtype is plugrad.float32


def test_mvlgamma_sums_shifted_lgammas() -> None:
    close(plugrad.mvlgamma(plugrad.tensor([2.0, 4.0]), 3), [
        math.lgamma(2) + math.lgamma(1.5) + math.lgamma(1) + 1.5 * math.log(math.pi),
        math.lgamma(4) + math.lgamma(3.5) + math.lgamma(3) + 1.5 * math.log(math.pi)])


def test_erfinv_edges_and_inverse_of_erf() -> None:
    out = plugrad.erfinv(plugrad.tensor([-1.0, 1.0, 1.5, 0.0], dtype=plugrad.float64))
    assert out[0].item() == -INF and out[1].item() == INF and math.isnan(out[2].item()) and out[3].item() == 0.0
    p = plugrad.tensor([-0.999, -0.3, 0.5, 0.9999], dtype=plugrad.float64)
    close(plugrad.erf(plugrad.erfinv(p)), to_numpy(p), rtol=1e-12)


def test_logit_eps_sinc_i0_values() -> None:
    close(plugrad.logit(plugrad.tensor([0.0, 0.05, 0.5, 1.0]), eps=0.1), [-2.1972246, -2.1972246, 0.0, 2.1972246])
    assert plugrad.logit(plugrad.tensor([1, 0])).tolist() == [INF, -INF]
    s = plugrad.sinc(plugrad.tensor([0.0, 0.5, 1.0]))
    assert s[0].item() == 1.0
    close(s[1:], [0.63661975, -2.7827534e-08])  # pi * x rounded in float32, as PyTorch computes it
    close(plugrad.i0(plugrad.tensor([0.0, 1.0, -3.0, 40.0])), [1.0, 1.2660659, 4.880793, 1.4894774e16])


def test_nan_to_num_defaults_are_the_dtype_limits() -> None:
    out = plugrad.nan_to_num(plugrad.tensor([NAN, INF, -INF, 1.0]))
    assert out.tolist() == [0.0, 3.4028234663852886e38, -3.4028234663852886e38, 1.0]
    assert plugrad.nan_to_num(plugrad.tensor([NAN, INF]), nan=2.0, posinf=1.0).tolist() == [2.0, 1.0]
    ints = plugrad.tensor([1, 0])
    assert plugrad.nan_to_num(ints).tolist() == [1, 0] and plugrad.nan_to_num(ints).dtype is plugrad.int64


def test_binary_special_cases() -> None:
    assert plugrad.hypot(plugrad.tensor([INF, NAN]), plugrad.tensor([NAN, -INF])).tolist() == [INF, INF]
    assert plugrad.logaddexp(plugrad.tensor([INF, -INF]), plugrad.tensor([INF, -INF])).tolist() == [INF, -INF]
    close(plugrad.logaddexp2(plugrad.tensor([800.0, 1.0]), plugrad.tensor([800.0, 1.0])), [801.0, 2.0])
    assert plugrad.xlogy(0, plugrad.tensor([0.0, NAN, 1.0])).tolist()[::2] == [0.0, 0.0]
    assert math.isnan(plugrad.xlogy(0, plugrad.tensor([NAN])).item())
    assert plugrad.copysign(plugrad.tensor([1, 2]), plugrad.tensor([-0.0, 0.0])).tolist() == [-1.0, 2.0]
    assert plugrad.fmax(plugrad.tensor([NAN, 1.0]), plugrad.tensor([2.0, NAN])).tolist() == [2.0, 1.0]
    assert plugrad.fmin(plugrad.tensor([3, 1]), plugrad.tensor([2, 4])).dtype is plugrad.int64
    assert plugrad.heaviside(plugrad.tensor([-1.0, 0.0, 2.0]), plugrad.tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    assert plugrad.ldexp(plugrad.tensor([1, 2]), plugrad.tensor([3, 4])).tolist() == [8.0, 32.0]
    assert plugrad.gcd(plugrad.tensor([4, -6, 0]), plugrad.tensor([6, 4, 0])).tolist() == [2, 2, 0]
    assert plugrad.lcm(plugrad.tensor([4, -6, 0]), plugrad.tensor([6, 4, 3])).tolist() == [12, 12, 0]
    up = plugrad.nextafter(plugrad.tensor([1.0], dtype=plugrad.float64), plugrad.tensor([2.0], dtype=plugrad.float64))
    assert up.item() == 1.0 + 2.0 ** -52
    assert plugrad.signbit(plugrad.tensor([-0.0, 0.0, -2.0])).tolist() == [True, False, True]


@pytest.mark.parametrize(("call", "kind", "message"), [
    (lambda: plugrad.hypot(plugrad.tensor([1]), plugrad.tensor([2])), NotImplementedError,
     "\"hypot_c.*\" not implemented for 'Long'"),
    (lambda: plugrad.logaddexp(plugrad.tensor([1]), plugrad.tensor([2])), NotImplementedError, "logaddexp_c"),
    (lambda: plugrad.gcd(plugrad.tensor([1.0]), plugrad.tensor([2.0])), NotImplementedError, "for 'Float'"),
    (lambda: plugrad.heaviside(plugrad.tensor([1.0]), plugrad.tensor([1])), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes"),
    (lambda: plugrad.frexp(plugrad.tensor([8])), RuntimeError, r"torch.frexp\(\) only supports floating-point"),
    (lambda: plugrad.positive(plugrad.tensor([True])), RuntimeError, "on a bool tensor is not supported"),
    (lambda: plugrad.quantile(plugrad.tensor([1.0, 2.0]), 1.5), RuntimeError, r"q must be in the range \[0, 1\]"),
    (lambda: plugrad.quantile(plugrad.tensor([1, 2]), 0.5), RuntimeError, "either float or double dtype"),
    (lambda: plugrad.quantile(plugrad.tensor([]), 0.5), RuntimeError, "must be non-empty"),
    (lambda: plugrad.searchsorted(plugrad.tensor([1, 2]), plugrad.tensor([1]), right=True, side="left"),
     RuntimeError, "side and right can't be set to opposites"),
])
def test_errors_name_what_pytorch_names(call: Any, kind: type, message: str) -> None:
    with pytest.raises(kind, match=message):
        call()


def test_frexp_returns_mantissa_and_int32_exponent() -> None:
    m, e = plugrad.frexp(plugrad.tensor([8.0, 0.5, 0.0, -3.0]))
    assert m.tolist() == [0.5, 0.5, 0.0, -0.75] and e.tolist() == [4, 0, 0, 2] and e.dtype is plugrad.int32
    assert "mantissa=" in repr(plugrad.frexp(plugrad.tensor([1.0])))


def test_searchsorted_and_bucketize() -> None:
    seq = plugrad.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    vals = plugrad.tensor([[3, 6, 9], [3, 6, 9]])
    assert plugrad.searchsorted(seq, vals).tolist() == [[1, 3, 4], [1, 2, 4]]
    assert plugrad.searchsorted(seq, vals, right=True).tolist() == [[2, 3, 5], [1, 3, 4]]
    assert plugrad.searchsorted(seq[0], 5).tolist() == 2
    assert plugrad.searchsorted(seq[0], vals, out_int32=True).dtype is plugrad.int32
    unsorted = plugrad.tensor([5, 1, 3])
    assert plugrad.searchsorted(unsorted, plugrad.tensor([2, 5]), sorter=plugrad.tensor([1, 2, 0])).tolist() == [1, 2]
    assert plugrad.bucketize(plugrad.tensor([3, 6, 9]), plugrad.tensor([1, 3, 5, 7, 9]), right=True).tolist() == [2, 3, 5]


def test_isin_and_infinity_predicates() -> None:
    x = plugrad.tensor([[1, 2], [3, 4]])
    assert plugrad.isin(x, plugrad.tensor([2, 3])).tolist() == [[False, True], [True, False]]
    assert plugrad.isin(x, 2, invert=True).tolist() == [[True, False], [True, True]]
    f = plugrad.tensor([-INF, INF, 1.0, NAN])
    assert plugrad.isneginf(f).tolist() == [True, False, False, False]
    assert plugrad.isposinf(f).tolist() == [False, True, False, False]
    assert plugrad.isreal(f).tolist() == [True] * 4


def test_cummax_cummin_values_indices_and_gradient() -> None:
    x = plugrad.tensor([1.0, 3.0, 3.0, 2.0, NAN, 0.0], requires_grad=True)
    values, indices = plugrad.cummax(x, 0)
    assert indices.tolist() == [0, 1, 2, 2, 4, 4]  # a tie moves to the later element; NaN stays
    assert values.tolist()[:4] == [1.0, 3.0, 3.0, 3.0] and math.isnan(values[5].item())
    assert type(values.grad_fn).__name__ == "CummaxBackward0"
    values[:4].sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 2.0, 0.0, 0.0, 0.0]
    assert plugrad.cummin(plugrad.tensor([3, 1, 2, 1]), 0).indices.tolist() == [0, 1, 1, 3]
    assert "torch.return_types.cummin(" in repr(plugrad.cummin(plugrad.tensor([1.0]), 0))


def test_logcumsumexp_keeps_extremes() -> None:
    out = plugrad.logcumsumexp(plugrad.tensor([-1000.0, 0.0, -INF, 1000.0]), 0)
    close(out, [-1000.0, 0.0, 0.0, 1000.0])


def test_quantile_interpolations_and_shapes() -> None:
    x = plugrad.tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 8.0, 6.0, 5.0]])
    expected = {"linear": [1.2, 5.2], "lower": [1.0, 5.0], "higher": [2.0, 6.0], "midpoint": [1.5, 5.5],
                "nearest": [1.0, 5.0]}
    for interpolation, want in expected.items():
        close(plugrad.quantile(x, 0.4, dim=1, interpolation=interpolation), want)
    q = plugrad.tensor([0.25, 0.5])
    assert plugrad.quantile(x, q, dim=0, keepdim=True).shape == (2, 1, 4)
    assert plugrad.quantile(x, q, keepdim=True).shape == (2, 1, 1)
    assert plugrad.quantile(x, 0.5).shape == ()
    y = plugrad.tensor([[1.0, NAN, 3.0], [1.0, 2.0, 3.0]])
    assert math.isnan(plugrad.quantile(y, 0.5, dim=1)[0].item())
    assert plugrad.nanquantile(y, 0.5, dim=1).tolist() == [2.0, 2.0]
    assert plugrad.nanmedian(plugrad.tensor([1.0, NAN, 3.0, 2.0])).item() == 2.0
    med = plugrad.nanmedian(plugrad.tensor([[2.0, NAN, 1.0]]), 1)
    assert med.values.tolist() == [1.0] and med.indices.tolist() == [2]


def test_cov_corrcoef_trapezoid_histc() -> None:
    x = plugrad.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    assert plugrad.cov(x).tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    close(plugrad.cov(x, correction=0), [[2 / 3, -2 / 3], [-2 / 3, 2 / 3]])
    close(plugrad.corrcoef(x), [[1.0, -1.0], [-1.0, 1.0]])
    y = plugrad.tensor([1.0, 2.0, 4.0])
    assert plugrad.trapezoid(y).item() == 4.5
    assert plugrad.trapezoid(y, dx=2.0).item() == 9.0
    assert plugrad.trapezoid(y, plugrad.tensor([0.0, 1.0, 3.0])).item() == 7.5
    assert plugrad.trapz(y, plugrad.tensor([0.0, 1.0, 3.0])).item() == 7.5
    assert plugrad.cumulative_trapezoid(y).tolist() == [1.5, 4.5]
    assert plugrad.histc(plugrad.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist() == [0.0, 2.0, 1.0, 0.0]
    assert plugrad.histc(plugrad.tensor([1.0, 1.0]), bins=3).tolist() == [0.0, 2.0, 0.0]


def test_structure_builders() -> None:
    assert plugrad.tril_indices(3, 3).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert plugrad.triu_indices(3, 4, 1).tolist() == [[0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]]
    bd = plugrad.block_diag(plugrad.tensor([[1, 2]]), plugrad.tensor(3), plugrad.tensor([4.0, 5.0]))
    assert bd.tolist() == [[1.0, 2.0, 0, 0, 0], [0, 0, 3.0, 0, 0], [0, 0, 0, 4.0, 5.0]] and bd.dtype is plugrad.float32
    assert plugrad.cartesian_prod(plugrad.tensor([1, 2]), plugrad.tensor([3, 4])).tolist() == [[1, 3], [1, 4], [2, 3],
                                                                                              [2, 4]]
    assert plugrad.combinations(plugrad.tensor([1, 2, 3])).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert plugrad.combinations(plugrad.tensor([1, 2]), r=3).shape == (0, 3)
    assert plugrad.combinations(plugrad.tensor([1, 2]), with_replacement=True).tolist() == [[1, 1], [1, 2], [2, 2]]
    assert plugrad.vander(plugrad.tensor([1, 2, 3])).tolist() == [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    assert plugrad.vander(plugrad.tensor([2.0]), N=3, increasing=True).tolist() == [[1.0, 2.0, 4.0]]
    assert plugrad.atleast_3d(plugrad.ones(3)).shape == (1, 3, 1)
    assert [t.shape for t in plugrad.atleast_3d(plugrad.tensor(1.0), plugrad.ones(2, 3))] == [(1, 1, 1), (2, 3, 1)]


def test_addmv_addr_baddbmm_addbmm_chain_matmul() -> None:
    m = plugrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = plugrad.tensor([1.0, -1.0])
    assert plugrad.addmv(plugrad.tensor([1.0, 1.0]), m, v, beta=2, alpha=3).tolist() == [-1.0, -1.0]
    assert plugrad.addmv(plugrad.tensor([NAN, NAN]), m, v, beta=0).tolist() == [-1.0, -1.0]
    assert plugrad.addr(plugrad.zeros(2, 2), v, v).tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    b = plugrad.stack([m, m])
    assert plugrad.baddbmm(plugrad.zeros(2, 2, 2), b, b).tolist()[1] == [[7.0, 10.0], [15.0, 22.0]]
    assert plugrad.addbmm(plugrad.zeros(2, 2), b, b).tolist() == [[14.0, 20.0], [30.0, 44.0]]
    t = plugrad.ones(2)
    assert t.addmv_(m, v) is t and t.tolist() == [0.0, 0.0]
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        assert plugrad.chain_matmul(m, m, m).tolist() == [[37.0, 54.0], [81.0, 118.0]]


def test_predicates_scalar_tensor_asarray() -> None:
    assert plugrad.is_same_size(plugrad.ones(2, 3), plugrad.zeros(2, 3))
    assert not plugrad.is_same_size(plugrad.ones(2), plugrad.ones(3))
    assert plugrad.is_signed(plugrad.ones(1)) and not plugrad.is_signed(plugrad.ones(1, dtype=plugrad.uint8))
    assert plugrad.tensor([2]).is_nonzero()
    s = plugrad.scalar_tensor(1)
    assert s.dtype is plugrad.float32 and s.shape == () and s.item() == 1.0
    t = plugrad.tensor([1.0, 2.0])
    assert plugrad.asarray(t) is t
    assert plugrad.asarray(t, dtype=plugrad.float64).dtype is plugrad.float64
    assert plugrad.asarray([1, 2]).dtype is plugrad.int64


def test_torch_level_inplace_forms_and_comparison_inplace_methods() -> None:
    x = plugrad.tensor([-1.0, 2.0])
    assert plugrad.abs_(x) is x and x.tolist() == [1.0, 2.0]
    assert plugrad.clamp_(x, max=1.5).tolist() == [1.0, 1.5]
    assert plugrad.zero_(x).tolist() == [0.0, 0.0]
    assert plugrad.fill_(x, 3).tolist() == [3.0, 3.0]
    assert plugrad.relu_(plugrad.tensor([-1.0])).tolist() == [0.0]
    for name in plugrad.ops.special.INPLACE_FUNCTIONS:
        assert hasattr(plugrad.Tensor, name), name
    y = plugrad.tensor([1.0, 2.0, 3.0])
    assert y.eq_(plugrad.tensor([1.0, 0.0, 3.0])) is y and y.tolist() == [1.0, 0.0, 1.0] and y.dtype is plugrad.float32
    assert plugrad.tensor([1, 2, 3]).lt_(2).tolist() == [1, 0, 0]
    assert plugrad.tensor([1.0, 2.0]).greater_equal_(1.5).tolist() == [0.0, 1.0]


def test_special_namespace() -> None:
    import plugrad.special as special

    x = plugrad.tensor([-1.0, 0.0, 0.5])
    close(special.expit(x), [0.26894143, 0.5, 0.62245935])
    close(special.ndtr(x), [0.15865526, 0.5, 0.69146246])
    close(special.entr(plugrad.tensor([0.0, 0.5, 2.0])), [0.0, 0.34657359, -1.3862944])
    assert special.entr(plugrad.tensor([-1.0])).item() == -INF
    close(special.i1(plugrad.tensor([1.0])), [0.5651591])
    assert special.gammaln is plugrad.lgamma and special.psi is plugrad.digamma
    close(special.log_softmax(x, 0).exp().sum(), 1.0)
    close(special.logsumexp(x, 0), math.log(math.exp(-1) + 1 + math.exp(0.5)))


@pytest.mark.parametrize(("name", "fn", "low", "high"), [
    ("lgamma", plugrad.lgamma, 0.5, 4.0), ("digamma", plugrad.digamma, 0.5, 4.0),
    ("polygamma", lambda x: plugrad.polygamma(1, x), 0.5, 4.0), ("erfinv", plugrad.erfinv, -0.8, 0.8),
    ("logit", plugrad.logit, 0.2, 0.8), ("sinc", plugrad.sinc, 0.2, 1.5), ("i0", plugrad.i0, -2.0, 2.0),
    ("i1", lambda x: plugrad.special.i1(x), -2.0, 2.0), ("entr", lambda x: plugrad.special.entr(x), 0.2, 2.0),
    ("logcumsumexp", lambda x: plugrad.logcumsumexp(x, 0), -2.0, 2.0),
    ("quantile", lambda x: plugrad.quantile(x, 0.3), -2.0, 2.0),
])
def test_gradients_are_twice_differentiable(name: str, fn: Any, low: float, high: float) -> None:
    x = plugrad.tensor(np.linspace(low, high, 5) + 0.013, dtype=plugrad.float64, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# --- against PyTorch ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; these tests compare against it")


_X = [-2.5, -0.3, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.7, 12.0, 35.0]
_P = [-0.999, -0.5, 0.0, 0.3, 0.9999]
_A = [0.0, 1.0, -2.0, INF, NAN, 3.0]
_B = [NAN, 0.0, 3.0, NAN, INF, -0.0]

CASES = {
    "lgamma": (lambda m, x: m.lgamma(x), [_X]),
    "digamma": (lambda m, x: m.digamma(x), [_X]),
    "polygamma1": (lambda m, x: m.polygamma(1, x), [_X]),
    "polygamma2": (lambda m, x: m.polygamma(2, x), [_X]),
    "polygamma3": (lambda m, x: m.polygamma(3, x), [_X]),
    "erfinv": (lambda m, x: m.erfinv(x), [_P]),
    "i0": (lambda m, x: m.i0(x), [_X]),
    "i1": (lambda m, x: m.special.i1(x), [_X]),
    "sinc": (lambda m, x: m.sinc(x), [_X]),
    "logit": (lambda m, x: m.logit(x, eps=0.01), [_P]),
    "ndtr": (lambda m, x: m.special.ndtr(x), [_X]),
    "xlogy": (lambda m, x, y: m.xlogy(x, y), [_A, _B]),
    "hypot": (lambda m, x, y: m.hypot(x, y), [_A, _B]),
    "logaddexp": (lambda m, x, y: m.logaddexp(x, y), [_A, _B]),
    "logaddexp2": (lambda m, x, y: m.logaddexp2(x, y), [_A, _B]),
    "copysign": (lambda m, x, y: m.copysign(x, y), [_A, _B]),
    "fmax": (lambda m, x, y: m.fmax(x, y), [_A, _B]),
    "fmin": (lambda m, x, y: m.fmin(x, y), [_A, _B]),
    "nextafter": (lambda m, x, y: m.nextafter(x, y), [_A, _B]),
    "cummax": (lambda m, x: m.cummax(x, 0).values, [_A]),
    "cummin_indices": (lambda m, x: m.cummin(x, 0).indices, [_A]),
    "logcumsumexp": (lambda m, x: m.logcumsumexp(x, 0), [_X]),
    "quantile": (lambda m, x: m.quantile(x, m.tensor([0.1, 0.5, 0.75], dtype=x.dtype)), [_X]),
    "nanquantile": (lambda m, x: m.nanquantile(x, 0.3, interpolation="nearest"), [_A]),
    "nanmedian": (lambda m, x: m.nanmedian(x), [_A]),
    "cov": (lambda m, x, y: m.cov(m.stack([x, y])), [_X[:5], _X[5:]]),
    "corrcoef": (lambda m, x, y: m.corrcoef(m.stack([x, y])), [_X[:5], _X[5:]]),
    "histc": (lambda m, x: m.histc(x, bins=7), [_X]),
    "cumulative_trapezoid": (lambda m, x: m.cumulative_trapezoid(x, dx=0.5), [_X]),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), [_A]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(torch: Any, case: str, dtype: str) -> None:
    fn, args = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = fn(torch, *[torch.tensor(a, dtype=getattr(torch, dtype)) for a in args])
        got = fn(plugrad, *[plugrad.tensor(a, dtype=getattr(plugrad, dtype)) for a in args])
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=2e-6 if dtype == "float32" else 1e-8, atol=1e-12)


@pytest.mark.parametrize("case", ["lgamma", "digamma", "erfinv", "i0", "sinc", "logcumsumexp", "quantile"])
def test_gradients_match_torch(torch: Any, case: str) -> None:
    fn, args = CASES[case]
    grads = []
    for m in (torch, plugrad):
        inputs = [m.tensor([v for v in a if v == v and abs(v) != INF and v not in (0.0, -2.5)],
                           dtype=m.float64, requires_grad=True) for a in args]
        out = fn(m, *inputs)
        (g,) = m.autograd.grad((out * m.arange(out.numel(), dtype=m.float64).reshape(out.shape)).sum(), inputs[:1])
        grads.append(g.detach().cpu().numpy() if m is torch else to_numpy(g))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-8, atol=1e-10)


def test_polygamma_of_non_finite_and_far_negative_inputs_returns_instead_of_looping() -> None:
    x = plugrad.tensor([float("inf"), float("-inf"), float("nan"), -1e20, -1000.5, 0.5], dtype=plugrad.float64)
    got = plugrad.polygamma(1, x).tolist()
    assert got[0] == 0.0  # every term of the series vanishes at +inf
    assert math.isnan(got[2])
    assert math.isclose(got[4], 9.868600, rel_tol=1e-5)  # far below zero, still summed (PyTorch: 9.8686)
    assert math.isclose(got[5], math.pi**2 / 2, rel_tol=1e-12)
