"""Elementwise math, activations and reductions: values, gradients, node names and dtypes.

The op database (``tests/test_opdb.py``) checks every sample against its NumPy reference with
gradcheck; the tests here pin what a PyTorch user sees: node names, dtype rules, ties and zeros
in gradients, printed results, error messages, and values and gradients (first and second order)
against PyTorch itself where it is installed.
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd.gradcheck import gradcheck, gradgradcheck

RNG_SEED = 1234


def _t(values: Any, dtype: Any = plugrad.float64, requires_grad: bool = True) -> Any:
    return plugrad.tensor(values, dtype=dtype, requires_grad=requires_grad)


def _rand(*shape: int, low: float = -1.0, high: float = 1.0, seed: int = RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def _grad(fn: Callable[[Any], Any], values: Any) -> list:
    x = _t(values)
    y = fn(x)
    (y if y.ndim == 0 else y.sum()).backward()
    return x.grad.tolist()


def _central_differences(fn: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn / d x by central differences, element by element (fn maps an array to a number)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        grad[i] = (fn(hi) - fn(lo)) / (2 * eps)
    return grad


# --- node names: the literal PyTorch names ------------------------------------------------------

NODE_NAMES = [
    ("AbsBackward0", lambda x, y: x.abs()),
    ("AbsBackward0", lambda x, y: abs(x)),
    ("SignBackward0", lambda x, y: x.sign()),
    ("ClampBackward1", lambda x, y: x.clamp(0, 1)),
    ("ClampBackward1", lambda x, y: x.clamp(min=0)),
    ("ClampBackward1", lambda x, y: x.clip(max=0.5)),
    ("ClampBackward0", lambda x, y: x.clamp(y, y + 1)),
    ("ClampBackward0", lambda x, y: x.clamp(min=y)),
    ("ClampMinBackward0", lambda x, y: plugrad.clamp_min(x, 0)),
    ("ClampMinBackward1", lambda x, y: plugrad.clamp_min(x, y)),
    ("ClampMaxBackward0", lambda x, y: x.clamp_max(0)),
    ("ClampMaxBackward1", lambda x, y: x.clamp_max(y)),
    ("MaximumBackward0", lambda x, y: plugrad.maximum(x, y)),
    ("MaximumBackward0", lambda x, y: x.max(y)),
    ("MinimumBackward0", lambda x, y: plugrad.minimum(x, y)),
    ("MinimumBackward0", lambda x, y: x.min(y)),
    ("FloorBackward0", lambda x, y: x.floor()),
    ("CeilBackward0", lambda x, y: x.ceil()),
    ("RoundBackward0", lambda x, y: x.round()),
    ("RoundBackward1", lambda x, y: x.round(decimals=2)),
    ("TruncBackward0", lambda x, y: x.trunc()),
    ("FracBackward0", lambda x, y: x.frac()),
    ("RemainderBackward1", lambda x, y: x.remainder(y)),
    ("RemainderBackward1", lambda x, y: x % y),
    ("RemainderBackward0", lambda x, y: x % 0.3),
    ("FmodBackward1", lambda x, y: x.fmod(y)),
    ("FmodBackward0", lambda x, y: x.fmod(0.3)),
    ("PowBackward0", lambda x, y: x.square()),
    ("Log2Backward0", lambda x, y: x.abs().log2()),
    ("Log10Backward0", lambda x, y: x.abs().log10()),
    ("Exp2Backward0", lambda x, y: x.exp2()),
    ("AsinBackward0", lambda x, y: x.asin()),
    ("AcosBackward0", lambda x, y: x.acos()),
    ("AtanBackward0", lambda x, y: x.atan()),
    ("SinhBackward0", lambda x, y: x.sinh()),
    ("CoshBackward0", lambda x, y: x.cosh()),
    ("AsinhBackward0", lambda x, y: x.asinh()),
    ("AtanhBackward0", lambda x, y: x.atanh()),
    ("Atan2Backward0", lambda x, y: plugrad.atan2(x, y)),
    ("ErfBackward0", lambda x, y: x.erf()),
    ("ErfcBackward0", lambda x, y: x.erfc()),
    ("LerpBackward0", lambda x, y: plugrad.lerp(x, y, 0.3)),
    ("LerpBackward1", lambda x, y: plugrad.lerp(x, y, y)),
    ("ReluBackward0", lambda x, y: x.relu()),
    ("ReluBackward0", lambda x, y: plugrad.relu(x)),
    ("SoftmaxBackward0", lambda x, y: x.softmax(1)),
    ("SoftmaxBackward0", lambda x, y: plugrad.softmin(x, 1)),
    ("LogSoftmaxBackward0", lambda x, y: x.log_softmax(1)),
    ("GeluBackward0", lambda x, y: plugrad.gelu(x)),
    ("GeluBackward0", lambda x, y: plugrad.gelu(x, approximate="tanh")),
    ("SiluBackward0", lambda x, y: plugrad.silu(x)),
    ("SoftplusBackward0", lambda x, y: plugrad.softplus(x)),
    ("LeakyReluBackward0", lambda x, y: plugrad.leaky_relu(x, 0.1)),
    ("EluBackward0", lambda x, y: plugrad.elu(x)),
    ("EluBackward0", lambda x, y: plugrad.selu(x)),
    ("CeluBackward0", lambda x, y: plugrad.celu(x)),
    ("HardtanhBackward0", lambda x, y: plugrad.hardtanh(x)),
    ("HardtanhBackward0", lambda x, y: plugrad.relu6(x)),
    ("LogSigmoidBackward0", lambda x, y: plugrad.logsigmoid(x)),
    ("MishBackward0", lambda x, y: plugrad.mish(x)),
    ("HardsigmoidBackward0", lambda x, y: plugrad.hardsigmoid(x)),
    ("HardswishBackward0", lambda x, y: plugrad.hardswish(x)),
    ("ThresholdBackward0", lambda x, y: plugrad.threshold(x, 0.1, 20.0)),
    ("DivBackward0", lambda x, y: plugrad.softsign(x)),
    ("SubBackward0", lambda x, y: plugrad.tanhshrink(x)),
    ("ProdBackward0", lambda x, y: x.prod()),
    ("ProdBackward1", lambda x, y: x.prod(1)),
    ("MaxBackward1", lambda x, y: x.max()),
    ("MaxBackward0", lambda x, y: x.max(1)[0]),
    ("MinBackward1", lambda x, y: x.min()),
    ("MinBackward0", lambda x, y: x.min(1).values),
    ("AmaxBackward0", lambda x, y: x.amax()),
    ("AmaxBackward0", lambda x, y: x.amax(1)),
    ("AminBackward0", lambda x, y: x.amin(1)),
    ("VarBackward0", lambda x, y: x.var()),
    ("VarBackward0", lambda x, y: x.var(1)),
    ("StdBackward0", lambda x, y: x.std()),
    ("StdBackward0", lambda x, y: x.std(1)),
    ("LogsumexpBackward0", lambda x, y: x.logsumexp(1)),
    ("LinalgVectorNormBackward0", lambda x, y: x.norm()),
    ("LinalgVectorNormBackward0", lambda x, y: x.norm(dim=1)),
    ("LinalgVectorNormBackward0", lambda x, y: x.norm(p=1)),
    ("LinalgVectorNormBackward0", lambda x, y: x.norm(p=float("inf"))),
    ("CumsumBackward0", lambda x, y: x.cumsum(1)),
    ("CumprodBackward0", lambda x, y: x.cumprod(1)),
]


@pytest.mark.parametrize("name, fn", NODE_NAMES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NODE_NAMES)])
def test_node_names_are_pytorchs(name: str, fn: Callable) -> None:
    x = plugrad.tensor(_rand(3, 4, low=-0.9, high=0.9), requires_grad=True)
    y = plugrad.tensor(_rand(3, 4, low=0.5, high=1.0, seed=7), requires_grad=True)
    out = fn(x, y)
    assert type(out.grad_fn).__name__ == name
    assert out.grad_fn.name() == name


def test_node_names_match_torch_itself() -> None:
    torch = pytest.importorskip("torch")
    for name, fn in NODE_NAMES:
        x = torch.tensor(_rand(3, 4, low=-0.9, high=0.9), requires_grad=True)
        y = torch.tensor(_rand(3, 4, low=0.5, high=1.0, seed=7), requires_grad=True)
        out = _call_torch_style(fn, torch, x, y)
        assert out.grad_fn.name() == name


def _call_torch_style(fn: Callable, torch: Any, *args: Any) -> Any:
    """Run a plugrad lambda against torch by swapping the module it names."""
    g = dict(fn.__globals__)
    g["plugrad"] = _TorchShim(torch)
    return type(fn)(fn.__code__, g, None, fn.__defaults__, fn.__closure__)(*args)


_FUNCTIONAL = {"gelu", "silu", "softplus", "leaky_relu", "elu", "hardtanh", "logsigmoid", "relu6", "mish",
               "hardsigmoid", "hardswish", "softsign", "tanhshrink", "softmin", "threshold"}


class _TorchShim:
    """``plugrad.<name>`` spelled against torch: torch's function, or torch.nn.functional's."""

    def __init__(self, torch: Any) -> None:
        self._torch = torch

    def __getattr__(self, name: str) -> Any:
        if name in _FUNCTIONAL:
            return getattr(self._torch.nn.functional, name)
        return getattr(self._torch, name)


# --- forward values against NumPy and special values -------------------------------------------------


@pytest.mark.parametrize("name, ref", [
    ("log2", np.log2), ("log10", np.log10), ("exp2", np.exp2), ("sinh", np.sinh), ("cosh", np.cosh),
    ("asin", np.arcsin), ("acos", np.arccos), ("atan", np.arctan), ("asinh", np.arcsinh),
    ("atanh", np.arctanh), ("abs", np.abs), ("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc),
    ("round", np.round), ("square", np.square),
])
def test_unary_values_match_numpy(name: str, ref: Callable) -> None:
    a = _rand(4, 5, low=0.05, high=0.95)
    for dtype in (np.float64, np.float32):
        x = plugrad.tensor(a.astype(dtype))
        out = getattr(plugrad, name)(x)
        assert out.dtype is (plugrad.float64 if dtype is np.float64 else plugrad.float32)
        np.testing.assert_allclose(to_numpy(out), ref(a.astype(dtype)), rtol=1e-6 if dtype is np.float32 else 1e-12)


def test_erf_and_erfc_are_accurate_to_a_few_ulps() -> None:
    a = np.concatenate([np.linspace(-7.0, 7.0, 4001), [0.0, -0.0, 0.84375, 1.25, 1 / 0.35, 6.0, 27.0, 30.0]])
    erf = to_numpy(plugrad.erf(plugrad.tensor(a)))
    erfc = to_numpy(plugrad.erfc(plugrad.tensor(a)))
    want_erf = np.array([math.erf(v) for v in a])
    want_erfc = np.array([math.erfc(v) for v in a])
    np.testing.assert_array_max_ulp(erf, want_erf, maxulp=2)
    np.testing.assert_array_max_ulp(erfc, want_erfc, maxulp=8)
    special = plugrad.tensor([float("nan"), float("inf"), -float("inf")])
    assert plugrad.erf(special).tolist()[1:] == [1.0, -1.0] and math.isnan(plugrad.erf(special)[0].item())
    assert plugrad.erfc(special).tolist()[1:] == [0.0, 2.0] and math.isnan(plugrad.erfc(special)[0].item())


def test_sign_of_nan_and_negative_zero_is_zero_as_in_pytorch() -> None:
    out = plugrad.tensor([-2.0, -0.0, 0.0, 3.0, float("nan")]).sign()
    assert out.tolist() == [-1.0, 0.0, 0.0, 1.0, 0.0]
    assert plugrad.tensor([True, False]).sign().dtype is plugrad.bool


def test_round_is_half_to_even_and_takes_decimals() -> None:
    assert plugrad.tensor([0.5, 1.5, 2.5, -0.5, -1.5]).round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert plugrad.tensor([1.2345, -2.5551], dtype=plugrad.float64).round(decimals=2).tolist() == [1.23, -2.56]
    assert plugrad.tensor([1234.0, 1250.0]).round(decimals=-2).tolist() == [1200.0, 1200.0]


def test_remainder_follows_the_divisor_and_fmod_the_dividend() -> None:
    x = plugrad.tensor([5.0, -5.0, 5.0, -5.0])
    y = plugrad.tensor([3.0, 3.0, -3.0, -3.0])
    assert (x % y).tolist() == [2.0, 1.0, -1.0, -2.0]
    assert x.fmod(y).tolist() == [2.0, -2.0, 2.0, -2.0]
    assert (plugrad.tensor([5, -5]) % 3).tolist() == [2, 1]
    assert (7 % plugrad.tensor([3, -3])).tolist() == [1, -2]
    assert plugrad.tensor([5, -5]).fmod(3).dtype is plugrad.int64


def test_clamp_with_min_above_max_gives_max_everywhere() -> None:
    x = plugrad.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert x.clamp(1, 0).tolist() == [0.0] * 5
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        x.clamp()


def test_nan_propagates_through_maximum_max_relu_and_clamp() -> None:
    nan = float("nan")
    a = plugrad.tensor([nan, 1.0])
    b = plugrad.tensor([1.0, nan])
    assert all(math.isnan(v) for v in plugrad.maximum(a, b).tolist())
    assert math.isnan(plugrad.tensor([1.0, nan, 2.0]).max().item())
    assert plugrad.tensor([1.0, nan, 2.0]).max(0).indices.item() == 1
    assert plugrad.tensor([1.0, nan, 2.0]).argmax().item() == 1
    assert math.isnan(plugrad.tensor([nan]).relu().item())
    assert math.isnan(plugrad.tensor([nan]).clamp(0, 1).item())


def test_logical_ops_treat_nonzero_as_true_and_give_bool() -> None:
    a = plugrad.tensor([0.0, 0.5, 2.0])
    b = plugrad.tensor([1, 0, 3])
    assert plugrad.logical_not(a).tolist() == [True, False, False]
    assert plugrad.logical_and(a, b).tolist() == [False, False, True]
    assert plugrad.logical_or(a, b).tolist() == [True, True, True]
    assert plugrad.logical_xor(a, b).tolist() == [True, True, False]
    assert a.logical_not().dtype is plugrad.bool


def test_bitwise_operators_on_masks_and_integers() -> None:
    m = plugrad.tensor([True, False, True])
    n = plugrad.tensor([True, True, False])
    assert (~m).tolist() == [False, True, False]
    assert (m & n).tolist() == [True, False, False]
    assert (m | n).tolist() == [True, True, True]
    assert (m ^ n).tolist() == [False, True, True]
    assert (~plugrad.tensor([0, 5])).tolist() == [-1, -6]
    assert (plugrad.tensor([6, 3]) & 5).tolist() == [4, 1]
    assert (True & m).tolist() == [True, False, True]
    m &= n
    assert m.tolist() == [True, False, False]
    with pytest.raises(TypeError, match="only implemented on integer and Boolean-type tensors"):
        ~plugrad.tensor([1.0])
    with pytest.raises(RuntimeError, match="bitwise_and_cpu\" not implemented for 'Float'"):
        plugrad.tensor([1.0]) & m


def test_isnan_isinf_isfinite() -> None:
    x = plugrad.tensor([0.0, float("nan"), float("inf"), -float("inf")])
    assert x.isnan().tolist() == [False, True, False, False]
    assert x.isinf().tolist() == [False, False, True, True]
    assert x.isfinite().tolist() == [True, False, False, False]
    assert plugrad.tensor([1, 2]).isfinite().tolist() == [True, True]


def test_softmax_and_log_softmax_are_stable_for_large_inputs() -> None:
    x = plugrad.tensor([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    np.testing.assert_allclose(to_numpy(x.softmax(1)), [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(to_numpy(x.log_softmax(1))[0, :2], [-math.log(2)] * 2, rtol=1e-6)
    assert x.log_softmax(1)[0, 2].item() == pytest.approx(-2000 - math.log(2))
    assert plugrad.tensor(3.0).softmax(0).item() == 1.0
    assert tuple(plugrad.zeros(0, 3).softmax(1).shape) == (0, 3)


def test_logsumexp_is_stable_and_handles_infinities_and_empty_input() -> None:
    x = plugrad.tensor([[1000.0, 1000.0], [-float("inf"), -float("inf")], [float("inf"), 1.0]])
    out = x.logsumexp(1).tolist()
    assert out[0] == pytest.approx(1000 + math.log(2))
    assert out[1] == -float("inf") and out[2] == float("inf")
    assert plugrad.zeros(0).logsumexp(0).item() == -float("inf")
    assert plugrad.tensor([1, 2]).logsumexp(0).dtype is plugrad.float32


def test_softplus_threshold_and_beta() -> None:
    x = plugrad.tensor([-50.0, -1.0, 0.5, 30.0], dtype=plugrad.float64)
    out = to_numpy(plugrad.softplus(x, beta=2.0, threshold=20.0))
    a = to_numpy(x)
    want = np.where(2 * a > 20, a, np.logaddexp(0, 2 * a) / 2)
    np.testing.assert_allclose(out, want, rtol=1e-12)


def test_var_and_std_arguments() -> None:
    a = _rand(3, 4)
    x = plugrad.tensor(a)
    np.testing.assert_allclose(x.var().item(), a.var(ddof=1))
    np.testing.assert_allclose(x.var(False).item(), a.var())
    np.testing.assert_allclose(x.var(unbiased=False).item(), a.var())
    np.testing.assert_allclose(to_numpy(x.var(1, True, True)), a.var(axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(to_numpy(x.std(0, correction=2)), a.std(axis=0, ddof=2))
    np.testing.assert_allclose(x.std(dim=(0, 1)).item(), a.std(ddof=1))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert math.isnan(plugrad.tensor([1.0]).var().item())
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert plugrad.tensor([1.0, 2.0]).var(correction=2).item() == float("inf")
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        plugrad.tensor([1, 2]).var()


def test_norm_orders() -> None:
    a = _rand(3, 4)
    x = plugrad.tensor(a)
    np.testing.assert_allclose(x.norm().item(), np.linalg.norm(a))
    np.testing.assert_allclose(x.norm("fro", (0, 1)).item(), np.linalg.norm(a))
    np.testing.assert_allclose(to_numpy(x.norm(1, 1)), np.abs(a).sum(1))
    np.testing.assert_allclose(to_numpy(x.norm(float("inf"), 0, True)), np.abs(a).max(0, keepdims=True))
    np.testing.assert_allclose(x.norm(3).item(), (np.abs(a) ** 3).sum() ** (1 / 3))
    np.testing.assert_allclose(x.norm(0.5).item(), (np.abs(a) ** 0.5).sum() ** 2)
    assert plugrad.tensor([3.0, 0.0, 1.0]).norm(0).item() == 2.0
    assert plugrad.zeros(0).norm().item() == 0.0
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        plugrad.zeros(0).norm(float("inf"))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        plugrad.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match="p='nuc' is not supported"):
        x.norm("nuc")


def test_all_any_count_nonzero() -> None:
    x = plugrad.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    assert x.all().item() is False and x.any().item() is True
    assert x.all(1).tolist() == [False, True]
    assert x.any(0, keepdim=True).tolist() == [[True, True, True]]
    assert x.count_nonzero().item() == 5 and x.count_nonzero(1).tolist() == [2, 3]
    assert x.count_nonzero().dtype is plugrad.int64
    assert plugrad.tensor([1, 0], dtype=plugrad.uint8).all().dtype is plugrad.uint8


def test_cumsum_and_cumprod_values_and_dtypes() -> None:
    a = _rand(3, 4)
    x = plugrad.tensor(a)
    np.testing.assert_allclose(to_numpy(x.cumsum(1)), np.cumsum(a, 1))
    np.testing.assert_allclose(to_numpy(x.cumprod(0)), np.cumprod(a, 0))
    assert plugrad.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert plugrad.tensor([1, 2, 3], dtype=plugrad.int32).cumprod(0).dtype is plugrad.int64
    assert x.cumsum(1, dtype=plugrad.float32).dtype is plugrad.float32
    assert plugrad.tensor(2.0).cumsum(0).item() == 2.0


# --- max / min results --------------------------------------------------------------------------


def test_max_along_a_dim_returns_values_and_indices_like_torch_return_types() -> None:
    x = plugrad.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 5.0]], requires_grad=True)
    r = x.max(1)
    assert type(r).__name__ == "max" and isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values is r[0] and indices is r.indices and r[-1] is r.indices and r.values is r[0]
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [1, 0]  # the first of the ties
    assert indices.dtype is plugrad.int64 and not indices.requires_grad
    assert values.grad_fn.name() == "MaxBackward0"
    assert repr(r) == f"torch.return_types.max(\nvalues={values!r},\nindices={indices!r})"
    r_min = x.min(1, keepdim=True)
    assert type(r_min).__name__ == "min" and tuple(r_min.values.shape) == (2, 1)
    assert plugrad.max(x, dim=0).indices.tolist() == [1, 1, 0, 1]
    restored = pickle.loads(pickle.dumps(plugrad.return_types.max((1.5, 2))))
    assert type(restored) is plugrad.return_types.max and restored.values == 1.5 and restored.indices == 2


def test_max_with_a_tensor_is_maximum() -> None:
    x = plugrad.tensor([1.0, 5.0])
    assert x.max(plugrad.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]
    assert plugrad.min(x, plugrad.tensor([3.0, 2.0])).tolist() == [1.0, 2.0]


def test_reductions_without_identity_reject_empty_input() -> None:
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified for input.numel\\(\\) == 0"):
        plugrad.zeros(0).max()
    with pytest.raises(IndexError, match="max\\(\\): Expected reduction dim 0 to have non-zero size."):
        plugrad.zeros(0, 3).max(0)
    with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim 0 to have non-zero size."):
        plugrad.zeros(0, 3).amax(0)
    with pytest.raises(IndexError, match="argmax\\(\\): Expected reduction dim 0 to have non-zero size."):
        plugrad.zeros(0, 3).argmax(0)
    empty = plugrad.zeros(0, 3).max(1)
    assert tuple(empty.values.shape) == (0,) and empty.indices.dtype is plugrad.int64


def test_argmax_argmin() -> None:
    x = plugrad.tensor([[1.0, 7.0, 7.0], [9.0, 0.0, 9.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(0, keepdim=True).tolist() == [[0, 1, 0]]
    assert tuple(x.argmax(keepdim=True).shape) == (1, 1)
    assert plugrad.tensor(3.0).argmax(0).item() == 0
    with pytest.raises(RuntimeError, match="argmax\\(\\): does not support bool input"):
        plugrad.tensor([True]).argmax()


# --- gradients: ties, zeros, kinks ---------------------------------------------------------------


def test_full_max_and_amax_share_the_gradient_among_ties() -> None:
    assert _grad(lambda x: x.max(), [1.0, 3.0, 3.0, 2.0]) == [0.0, 0.5, 0.5, 0.0]
    assert _grad(lambda x: x.min(), [1.0, 1.0, 3.0, 2.0]) == [0.5, 0.5, 0.0, 0.0]
    assert _grad(lambda x: x.amax(), [1.0, 3.0, 3.0, 2.0]) == [0.0, 0.5, 0.5, 0.0]
    assert _grad(lambda x: x.amax(0), [1.0, 3.0, 3.0, 2.0]) == [0.0, 0.5, 0.5, 0.0]


def test_max_along_a_dim_sends_the_gradient_to_the_indexed_element() -> None:
    assert _grad(lambda x: x.max(0)[0], [1.0, 3.0, 3.0, 2.0]) == [0.0, 1.0, 0.0, 0.0]
    x = _t([[1.0, 3.0], [4.0, 2.0]])
    x.min(0, keepdim=True).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_maximum_and_minimum_split_the_gradient_in_halves_at_ties() -> None:
    x = _t([1.0, 3.0, 3.0, 2.0])
    y = _t([1.0, 2.0, 3.0, 4.0])
    plugrad.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0, 0.5, 0.0] and y.grad.tolist() == [0.5, 0.0, 0.5, 1.0]
    x.grad = y.grad = None
    plugrad.minimum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5, 1.0] and y.grad.tolist() == [0.5, 1.0, 0.5, 0.0]


def test_clamp_gradient_passes_on_the_bounds_and_tensor_bounds_get_theirs() -> None:
    assert _grad(lambda x: x.clamp(0, 1), [-1.0, 0.0, 0.5, 1.0, 2.0]) == [0.0, 1.0, 1.0, 1.0, 0.0]
    x = _t([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo, hi = _t([0.0] * 5), _t([1.0] * 5)
    x.clamp(lo, hi).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert lo.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0] and hi.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    # min > max: the output is max; min gets no gradient
    lo, hi = _t([1.0] * 5), _t([0.0] * 5)
    x.grad = None
    x.clamp(lo, hi).sum().backward()
    assert x.grad.tolist() == [0.0] * 5 and lo.grad.tolist() == [0.0] * 5 and hi.grad.tolist() == [1.0] * 5


def test_subgradients_at_kinks_follow_pytorch() -> None:
    assert _grad(lambda x: x.abs(), [-1.0, 0.0, 2.0]) == [-1.0, 0.0, 1.0]
    assert _grad(lambda x: x.relu(), [-1.0, 0.0, 2.0]) == [0.0, 0.0, 1.0]
    assert _grad(lambda x: plugrad.leaky_relu(x, 0.1), [-1.0, 0.0, 2.0]) == pytest.approx([0.1, 0.1, 1.0])
    assert _grad(lambda x: plugrad.elu(x, 2.0), [0.0]) == [2.0]
    assert _grad(lambda x: plugrad.hardtanh(x), [-2.0, -1.0, 0.0, 1.0, 2.0]) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert _grad(lambda x: x.norm(), [0.0, 0.0]) == [0.0, 0.0]
    assert _grad(lambda x: x.norm(p=1), [0.0, 1.0]) == [0.0, 1.0]
    assert _grad(lambda x: x.norm(p=3), [0.0, 0.0]) == [0.0, 0.0]
    assert _grad(lambda x: x.norm(p=0.5), [0.0, 1.0]) == [0.0, 1.0]
    assert _grad(lambda x: x.norm(p=float("inf")), [3.0, -3.0, 1.0]) == [0.5, -0.5, 0.0]
    assert _grad(lambda x: x.std(1), [[2.0, 2.0, 2.0]]) == [[0.0, 0.0, 0.0]]
    for fn in (lambda x: x.floor(), lambda x: x.round(), lambda x: x.sign(), lambda x: x.trunc()):
        assert _grad(fn, [-1.5, 0.2, 2.5]) == [0.0, 0.0, 0.0]
    x = _t([3.0, 0.0, 1.0])
    x.norm(0).backward()
    assert x.grad is None  # PyTorch gives the 0-norm no gradient at all


def test_prod_gradient_is_exact_with_zeros() -> None:
    assert _grad(lambda x: x.prod(), [0.0, 2.0, 3.0]) == [6.0, 0.0, 0.0]
    assert _grad(lambda x: x.prod(), [0.0, 0.0, 3.0]) == [0.0, 0.0, 0.0]
    assert _grad(lambda x: x.reshape(2, 2).prod(1), [0.0, 2.0, 3.0, 0.0]) == [2.0, 0.0, 0.0, 3.0]
    assert _grad(lambda x: x.prod(1, keepdim=True), [[2.0, 3.0, 4.0]]) == [[12.0, 8.0, 6.0]]
    assert _grad(lambda x: x.prod(), 5.0) == 1.0


def test_cumprod_gradient_is_exact_with_zeros() -> None:
    a = np.array([[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, -1.0, 2.0, 3.0, 0.5], [2.0, 1.0, -1.0, 0.0, 4.0]])
    weights = _rand(3, 5, seed=3)
    x = _t(a)
    (x.cumprod(1) * plugrad.tensor(weights)).sum().backward()
    want = _central_differences(lambda v: float((np.cumprod(v, 1) * weights).sum()), a)
    np.testing.assert_allclose(to_numpy(x.grad), want, atol=1e-8)


@pytest.mark.parametrize("fn", [
    lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.cumprod(1), lambda x: x.cumprod(0),
], ids=["prod", "prod_dim", "cumprod_dim1", "cumprod_dim0"])
def test_prod_and_cumprod_are_twice_differentiable_with_zeros(fn: Callable) -> None:
    for values in ([[0.0, 0.0, 3.0], [1.0, 0.0, 2.0]], [[0.0, 2.0, 3.0], [1.5, -1.0, 2.0]],
                   [[0.0, 0.0, 0.0], [0.0, 2.0, 0.0]], [[0.5, 2.0, 3.0], [1.5, -1.0, 2.0]]):
        x = _t(values)
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


# --- gradients against finite differences, in float64 --------------------------------------------

GRADCHECKED = [
    ("abs", lambda x: x.abs(), (-1, 1)), ("log2", lambda x: x.log2(), (0.5, 2)),
    ("log10", lambda x: x.log10(), (0.5, 2)), ("exp2", lambda x: x.exp2(), (-1, 1)),
    ("asin", lambda x: x.asin(), (-0.9, 0.9)), ("acos", lambda x: x.acos(), (-0.9, 0.9)),
    ("atan", lambda x: x.atan(), (-2, 2)), ("sinh", lambda x: x.sinh(), (-1, 1)),
    ("cosh", lambda x: x.cosh(), (-1, 1)), ("asinh", lambda x: x.asinh(), (-2, 2)),
    ("acosh", lambda x: x.acosh(), (1.2, 3)), ("atanh", lambda x: x.atanh(), (-0.9, 0.9)),
    ("erf", lambda x: x.erf(), (-3, 3)), ("erfc", lambda x: x.erfc(), (-3, 3)),
    ("square", lambda x: x.square(), (-1, 1)), ("frac", lambda x: x.frac(), (0.1, 0.9)),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), (-1, 1)), ("remainder", lambda x: x % 0.7, (0.1, 0.6)),
    ("relu", lambda x: x.relu(), (-1, 1)), ("softmax", lambda x: x.softmax(1), (-3, 3)),
    ("log_softmax", lambda x: x.log_softmax(0), (-3, 3)), ("gelu", lambda x: plugrad.gelu(x), (-3, 3)),
    ("gelu_tanh", lambda x: plugrad.gelu(x, approximate="tanh"), (-3, 3)),
    ("silu", lambda x: plugrad.silu(x), (-3, 3)), ("softplus", lambda x: plugrad.softplus(x, 2.0, 1.0), (-3, 3)),
    ("leaky_relu", lambda x: plugrad.leaky_relu(x, 0.2), (-1, 1)), ("elu", lambda x: plugrad.elu(x, 0.7), (-2, 2)),
    ("selu", lambda x: plugrad.selu(x), (-2, 2)), ("celu", lambda x: plugrad.celu(x, 1.5), (-2, 2)),
    ("hardtanh", lambda x: plugrad.hardtanh(x, -0.5, 0.5), (-1, 1)),
    ("logsigmoid", lambda x: plugrad.logsigmoid(x), (-5, 5)), ("mish", lambda x: plugrad.mish(x), (-3, 3)),
    ("hardsigmoid", lambda x: plugrad.hardsigmoid(x), (-5, 5)),
    ("hardswish", lambda x: plugrad.hardswish(x), (-5, 5)),
    ("prod", lambda x: x.prod(0), (0.5, 1.5)), ("max", lambda x: x.max(), (-1, 1)),
    ("max_dim", lambda x: x.max(1)[0], (-1, 1)), ("min_dim", lambda x: x.min(0, True).values, (-1, 1)),
    ("amax", lambda x: x.amax((0, 1)), (-1, 1)), ("amin", lambda x: x.amin(1), (-1, 1)),
    ("var", lambda x: x.var(1), (-1, 1)), ("std", lambda x: x.std(0, keepdim=True), (-1, 1)),
    ("std_all", lambda x: x.std(correction=0), (-1, 1)), ("logsumexp", lambda x: x.logsumexp((0, 1)), (-3, 3)),
    ("norm", lambda x: x.norm(), (-1, 1)), ("norm_p3_dim", lambda x: x.norm(3, 1), (-1, 1)),
    ("norm_p1_5", lambda x: x.norm(1.5), (-1, 1)), ("norm_p0_5", lambda x: x.norm(0.5, 0), (-1, 1)),
    ("norm_inf", lambda x: x.norm(float("inf"), 1), (-1, 1)), ("cumsum", lambda x: x.cumsum(1), (-1, 1)),
    ("cumprod", lambda x: x.cumprod(1), (-1, 1)),
]


@pytest.mark.parametrize("fn, bounds", [(f, b) for _, f, b in GRADCHECKED], ids=[n for n, _, _ in GRADCHECKED])
def test_gradients_match_finite_differences(fn: Callable, bounds: tuple) -> None:
    x = plugrad.tensor(_rand(3, 4, low=bounds[0], high=bounds[1]), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


BINARY_GRADCHECKED = [
    ("maximum", plugrad.maximum), ("minimum", plugrad.minimum), ("atan2", plugrad.atan2),
    ("remainder", plugrad.remainder), ("fmod", plugrad.fmod),
    ("lerp_scalar", lambda x, y: plugrad.lerp(x, y, 0.7)),
    ("clamp_tensor", lambda x, y: x.clamp(min=y)), ("clamp_max_tensor", lambda x, y: x.clamp_max(y)),
]


@pytest.mark.parametrize("fn", [f for _, f in BINARY_GRADCHECKED], ids=[n for n, _ in BINARY_GRADCHECKED])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,))],
                         ids=["same", "rhs", "both", "zero_dim"])
def test_binary_ops_broadcast_and_reduce_gradients_to_input_shapes(fn: Callable, shapes: tuple) -> None:
    x = plugrad.tensor(_rand(*shapes[0], low=0.5, high=2.0), requires_grad=True)
    y = plugrad.tensor(_rand(*shapes[1], low=0.5, high=2.0, seed=9), requires_grad=True)
    out = fn(x, y)
    assert tuple(out.shape) == np.broadcast_shapes(shapes[0], shapes[1])
    out.sum().backward()
    assert tuple(x.grad.shape) == shapes[0] and tuple(y.grad.shape) == shapes[1]
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


def test_clamp_and_lerp_with_tensor_bounds_and_weights_gradcheck() -> None:
    x = plugrad.tensor(_rand(3, 4, low=-2, high=2), requires_grad=True)
    lo = plugrad.tensor(_rand(4, low=-1, high=-0.2, seed=2), requires_grad=True)
    hi = plugrad.tensor(_rand(3, 1, low=0.2, high=1, seed=3), requires_grad=True)
    assert gradcheck(lambda a, b, c: a.clamp(b, c), (x, lo, hi))
    w = plugrad.tensor(_rand(3, 4, low=0, high=1, seed=4), requires_grad=True)
    end = plugrad.tensor(_rand(3, 4, seed=5), requires_grad=True)
    assert gradcheck(plugrad.lerp, (x, end, w))
    assert gradgradcheck(plugrad.lerp, (x, end, w))


def test_local_central_differences_agree_for_softmax_and_logsumexp() -> None:
    a = _rand(2, 5, low=-3, high=3)
    weights = _rand(2, 5, seed=11)
    x = _t(a)
    (x.softmax(1) * plugrad.tensor(weights)).sum().backward()

    def softmax_np(v: np.ndarray) -> float:
        e = np.exp(v - v.max(1, keepdims=True))
        return float(((e / e.sum(1, keepdims=True)) * weights).sum())

    np.testing.assert_allclose(to_numpy(x.grad), _central_differences(softmax_np, a), atol=1e-8)
    x = _t(a)
    x.logsumexp(1).sum().backward()
    want = _central_differences(lambda v: float(np.log(np.exp(v).sum(1)).sum()), a)
    np.testing.assert_allclose(to_numpy(x.grad), want, atol=1e-8)


# --- dtypes -----------------------------------------------------------------------------------

FLOAT32_KEPT = [
    lambda x: x.abs(), lambda x: x.sign(), lambda x: x.floor(), lambda x: x.round(decimals=1), lambda x: x.square(),
    lambda x: x.abs().log2(), lambda x: x.exp2(), lambda x: x.asin(), lambda x: x.sinh(), lambda x: x.erf(),
    lambda x: x.clamp(0, 1), lambda x: x.clamp(plugrad.tensor(0.0)), lambda x: x % 0.3,
    lambda x: plugrad.maximum(x, x), lambda x: plugrad.atan2(x, x), lambda x: plugrad.lerp(x, x, 0.5),
    lambda x: x.relu(), lambda x: x.softmax(0), lambda x: x.log_softmax(0), lambda x: plugrad.gelu(x),
    lambda x: plugrad.silu(x), lambda x: plugrad.softplus(x), lambda x: plugrad.elu(x), lambda x: plugrad.mish(x),
    lambda x: plugrad.hardtanh(x), lambda x: plugrad.logsigmoid(x), lambda x: x.prod(), lambda x: x.max(),
    lambda x: x.max(0).values, lambda x: x.amax(), lambda x: x.var(), lambda x: x.std(), lambda x: x.logsumexp(0),
    lambda x: x.norm(), lambda x: x.norm(0), lambda x: x.cumsum(0), lambda x: x.cumprod(0),
]


@pytest.mark.parametrize("fn", FLOAT32_KEPT, ids=[str(i) for i in range(len(FLOAT32_KEPT))])
def test_float32_stays_float32(fn: Callable) -> None:
    x = plugrad.tensor([0.25, -0.5, 0.75], requires_grad=True)
    out = fn(x)
    assert out.dtype is plugrad.float32
    out.sum().backward()
    assert x.grad is None or x.grad.dtype is plugrad.float32  # the 0-norm has no gradient


# (function, expected dtype for int64, int32 and bool input, as PyTorch 2 gives them; "error": it raises)
INTEGER_RULES = [
    ("abs", lambda t: t.abs(), ("int64", "int32", "error")),
    ("sign", lambda t: t.sign(), ("int64", "int32", "bool")),
    ("floor", lambda t: t.floor(), ("int64", "int32", "error")),
    ("round", lambda t: t.round(), ("int64", "int32", "error")),
    ("square", lambda t: t.square(), ("int64", "int32", "int64")),
    ("log2", lambda t: t.log2(), ("float32", "float32", "float32")),
    ("asin", lambda t: t.asin(), ("float32", "float32", "float32")),
    ("erf", lambda t: t.erf(), ("float32", "float32", "float32")),
    ("atan2", lambda t: plugrad.atan2(t, t), ("float32", "float32", "float32")),
    ("maximum", lambda t: plugrad.maximum(t, t), ("int64", "int32", "bool")),
    ("clamp", lambda t: t.clamp(0, 1), ("int64", "int32", "int64")),
    ("clamp_float", lambda t: t.clamp(0, 1.5), ("float32", "float32", "float32")),
    ("clamp_tensor", lambda t: t.clamp(plugrad.tensor(0.5)), ("float32", "float32", "float32")),
    ("remainder", lambda t: t % 2, ("int64", "int32", "int64")),
    ("remainder_float", lambda t: t % 1.5, ("float32", "float32", "float32")),
    ("frac", lambda t: t.frac(), ("error", "error", "error")),
    ("relu", lambda t: t.relu(), ("int64", "int32", "error")),
    ("hardtanh", lambda t: plugrad.hardtanh(t), ("int64", "int32", "error")),
    ("softmax", lambda t: t.softmax(0), ("error", "error", "error")),
    ("softmax_dtype", lambda t: t.softmax(0, dtype=plugrad.float64), ("float64", "float64", "float64")),
    ("gelu", lambda t: plugrad.gelu(t), ("error", "error", "error")),
    ("prod", lambda t: t.prod(), ("int64", "int64", "int64")),
    ("max", lambda t: t.max(), ("int64", "int32", "bool")),
    ("max_dim", lambda t: t.max(0).values, ("int64", "int32", "bool")),
    ("amax", lambda t: t.amax(), ("int64", "int32", "bool")),
    ("argmax", lambda t: t.argmax(), ("int64", "int64", "error")),
    ("var", lambda t: t.var(), ("error", "error", "error")),
    ("logsumexp", lambda t: t.logsumexp(0), ("float32", "float32", "float32")),
    ("norm", lambda t: t.norm(), ("error", "error", "error")),
    ("all", lambda t: t.all(), ("bool", "bool", "bool")),
    ("cumsum", lambda t: t.cumsum(0), ("int64", "int64", "int64")),
    ("cumprod", lambda t: t.cumprod(0), ("int64", "int64", "int64")),
    ("count_nonzero", lambda t: t.count_nonzero(), ("int64", "int64", "int64")),
    ("isnan", lambda t: t.isnan(), ("bool", "bool", "bool")),
    ("logical_not", lambda t: t.logical_not(), ("bool", "bool", "bool")),
    ("invert", lambda t: ~t, ("int64", "int32", "bool")),
]


def _integer_inputs(lib: Any) -> tuple:
    return (lib.tensor([1, -2, 3]), lib.tensor([1, -2, 3], dtype=lib.int32), lib.tensor([True, False, True]))


def _dtype_or_error(fn: Callable, t: Any) -> str:
    try:
        return str(fn(t).dtype).replace("torch.", "")
    except (RuntimeError, TypeError, NotImplementedError):
        return "error"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log2(-2), log2(0), asin(3): NaN and -inf
@pytest.mark.parametrize("fn, expected", [(f, e) for _, f, e in INTEGER_RULES], ids=[n for n, _, _ in INTEGER_RULES])
def test_integer_and_bool_inputs_follow_pytorchs_dtype_rules(fn: Callable, expected: tuple) -> None:
    assert tuple(_dtype_or_error(fn, t) for t in _integer_inputs(plugrad)) == expected


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_integer_dtype_table_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    for name, fn, expected in INTEGER_RULES:
        got = tuple(_dtype_or_error(lambda t, f=fn: _call_torch_style(f, torch, t), t)
                    for t in _integer_inputs(torch))
        assert got == expected, name


def test_errors_name_the_dtype_and_the_fix() -> None:
    with pytest.raises(RuntimeError, match="\"abs_cpu\" not implemented for 'Bool'.*\\.int\\(\\)"):
        plugrad.tensor([True]).abs()
    with pytest.raises(RuntimeError, match="\"softmax_lastdim_kernel_impl\" not implemented for 'Long'.*dtype="):
        plugrad.tensor([1, 2]).softmax(0)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        plugrad.tensor([True]).relu()
    with pytest.raises(TypeError, match="maximum\\(\\): argument 'other' \\(position 2\\) must be Tensor, not float"):
        plugrad.maximum(plugrad.tensor([1.0]), 1.0)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        plugrad.gelu(plugrad.tensor([1.0]), approximate="fast")
    with pytest.raises(RuntimeError, match="expected dtype float32 for `end` but got dtype float64"):
        plugrad.lerp(plugrad.tensor([1.0]), plugrad.tensor([1.0], dtype=plugrad.float64), 0.5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        plugrad.tensor([1.0]).softmax(2)
    with pytest.raises(TypeError, match="prod\\(\\): argument 'dim' must be int"):
        plugrad.tensor([1.0]).prod((0,))


# --- methods and in-place forms -------------------------------------------------------------------


def test_functions_are_also_methods_and_inplace_methods_record_the_same_node() -> None:
    x = plugrad.tensor([-1.0, 2.0], requires_grad=True)
    assert x.relu().tolist() == plugrad.relu(x).tolist() == [0.0, 2.0]
    assert x.softmax(0).tolist() == plugrad.softmax(x, 0).tolist()
    y = x * 1
    assert y.relu_() is y and y.tolist() == [0.0, 2.0] and y.grad_fn.name() == "ReluBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    z = x * 1
    plugrad.relu(z, inplace=True)
    assert z.grad_fn.name() == "ReluBackward0"
    w = x.detach().clone()
    w.abs_().clamp_(0.5, 1.5)
    assert w.tolist() == [1.0, 1.5]
    assert w.exp2_().tolist() == pytest.approx([2.0, 2.0 ** 1.5], rel=1e-7)


def test_activation_inplace_flag_writes_into_the_input() -> None:
    for fn in (lambda t: plugrad.leaky_relu(t, 0.5, inplace=True), lambda t: plugrad.elu(t, inplace=True),
               lambda t: plugrad.hardtanh(t, inplace=True), lambda t: plugrad.silu(t, inplace=True),
               lambda t: plugrad.relu6(t, inplace=True)):
        t = plugrad.tensor([-1.0, 0.5])
        assert fn(t) is t


# --- against PyTorch: values and gradients, first and second order ------------------------------------

TORCH_CASES = [
    ("abs", lambda m, x: x.abs(), [-1.5, 0.0, 2.0]),
    ("sign", lambda m, x: x.sign(), [-1.5, 0.0, 2.0]),
    ("clamp", lambda m, x: x.clamp(-0.5, 0.5), [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ("clamp_min_only", lambda m, x: x.clamp(min=0.0), [-1.0, 0.0, 1.0]),
    ("clamp_tensor", lambda m, x: x.clamp(x * 0 - 0.5, x * 0 + 0.5), [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ("maximum_ties", lambda m, x: m.maximum(x, x.detach() * 0 + 1.0), [0.0, 1.0, 2.0]),
    ("minimum_self", lambda m, x: m.minimum(x, x), [0.0, 1.0, 2.0]),
    ("floor", lambda m, x: x.floor(), [-1.5, 0.2, 2.5]),
    ("round", lambda m, x: x.round(), [-1.5, 0.5, 2.5]),
    ("round_decimals", lambda m, x: x.round(decimals=1), [-1.55, 0.25, 2.45]),
    ("frac", lambda m, x: x.frac(), [-1.5, 0.2, 2.75]),
    ("remainder", lambda m, x: x % (x.detach() * 0 - 0.7), [-1.5, 0.2, 2.75]),
    ("remainder_tensor_grad", lambda m, x: (x + 2) % x, [1.5, 0.7, 2.75]),
    ("fmod_tensor", lambda m, x: (x + 2).fmod(x), [-1.5, 0.7, 2.75]),
    ("square", lambda m, x: x.square(), [-1.5, 0.2, 2.75]),
    ("log2_log10", lambda m, x: x.log2() + x.log10(), [0.5, 1.0, 2.75]),
    ("exp2", lambda m, x: x.exp2(), [-1.5, 0.2, 2.75]),
    ("inverse_trig", lambda m, x: x.asin() + x.acos() * 2 + x.atan() * 3, [-0.9, 0.0, 0.7]),
    ("hyperbolic", lambda m, x: x.sinh() + x.cosh() * 2 + x.asinh() * 3 + (x * 0.5).atanh(), [-1.5, 0.0, 1.2]),
    ("acosh", lambda m, x: x.acosh(), [1.1, 2.0, 5.0]),
    ("atan2", lambda m, x: m.atan2(x, x.detach() * 0 + 1.5) + m.atan2(x * 0.5 + 2, x), [-1.5, 0.5, 2.0]),
    ("erf", lambda m, x: x.erf() + x.erfc(), [-3.0, -0.5, 0.0, 1.0, 2.5]),
    ("lerp", lambda m, x: m.lerp(x, x * x, 0.3) + m.lerp(x, x * 2, 0.8), [-1.5, 0.5, 2.0]),
    ("lerp_tensor", lambda m, x: m.lerp(x, x * x, x.sigmoid()), [-1.5, 0.5, 2.0]),
    ("relu", lambda m, x: x.relu(), [-1.0, 0.0, 2.0]),
    ("softmax", lambda m, x: x.reshape(2, 3).softmax(1), [-1.0, 0.0, 2.0, 5.0, 5.0, -3.0]),
    ("softmax_dim0", lambda m, x: x.reshape(2, 3).softmax(0), [-1.0, 0.0, 2.0, 5.0, 5.0, -3.0]),
    ("log_softmax", lambda m, x: x.reshape(2, 3).log_softmax(-1), [-1.0, 0.0, 2.0, 500.0, 500.0, -300.0]),
    ("softmin", lambda m, x: m.softmin(x, 0), [-1.0, 0.0, 2.0]),
    ("gelu", lambda m, x: m.gelu(x), [-3.0, -0.5, 0.0, 1.0, 2.5]),
    ("gelu_tanh", lambda m, x: m.gelu(x, approximate="tanh"), [-3.0, -0.5, 0.0, 1.0, 2.5]),
    ("silu", lambda m, x: m.silu(x), [-3.0, -0.5, 0.0, 1.0, 2.5]),
    ("softplus", lambda m, x: m.softplus(x, 2.0, 1.0), [-3.0, -0.5, 0.4, 0.5, 0.6, 2.5]),
    ("softplus_large_beta", lambda m, x: m.softplus(x, 3.0, 20.0), [-30.0, -0.5, 0.4, 6.0, 7.0]),
    ("leaky_relu", lambda m, x: m.leaky_relu(x, 0.1), [-3.0, 0.0, 2.5]),
    ("elu", lambda m, x: m.elu(x, 1.5), [-3.0, 0.0, 2.5]),
    ("selu", lambda m, x: m.selu(x), [-3.0, 0.0, 2.5]),
    ("celu", lambda m, x: m.celu(x, 0.5), [-3.0, 0.0, 2.5]),
    ("hardtanh", lambda m, x: m.hardtanh(x, -0.5, 2.0), [-3.0, -0.5, 0.0, 2.0, 2.5]),
    ("relu6", lambda m, x: m.relu6(x), [-3.0, 0.0, 6.0, 7.5]),
    ("logsigmoid", lambda m, x: m.logsigmoid(x), [-50.0, -0.5, 0.0, 30.0]),
    ("mish", lambda m, x: m.mish(x), [-3.0, -0.5, 0.0, 2.5]),
    ("hardsigmoid", lambda m, x: m.hardsigmoid(x), [-4.0, -3.0, 0.0, 3.0, 4.0]),
    ("hardswish", lambda m, x: m.hardswish(x), [-4.0, -3.0, 0.0, 3.0, 4.0]),
    ("threshold", lambda m, x: m.threshold(x, 0.5, 9.0), [-4.0, 0.5, 1.0]),
    ("softsign_tanhshrink", lambda m, x: m.softsign(x) + m.tanhshrink(x), [-4.0, 0.5, 1.0]),
    ("prod", lambda m, x: x.prod(), [1.5, -2.0, 3.0]),
    ("prod_one_zero", lambda m, x: x.prod(), [0.0, -2.0, 3.0]),
    ("prod_two_zeros", lambda m, x: x.prod(), [0.0, -2.0, 0.0]),
    ("prod_dim_zeros", lambda m, x: x.reshape(2, 3).prod(1), [0.0, -2.0, 3.0, 1.0, 0.0, 0.0]),
    ("prod_keepdim", lambda m, x: x.reshape(2, 3).prod(0, keepdim=True), [0.5, -2.0, 3.0, 1.0, 0.0, 4.0]),
    ("max_ties", lambda m, x: x.max(), [1.0, 3.0, 3.0, 2.0]),
    ("min_ties", lambda m, x: x.min(), [1.0, 1.0, 3.0, 2.0]),
    ("max_dim_ties", lambda m, x: x.reshape(2, 2).max(1)[0], [3.0, 3.0, 1.0, 2.0]),
    ("min_dim_keepdim", lambda m, x: x.reshape(2, 2).min(0, keepdim=True).values, [3.0, 3.0, 1.0, 2.0]),
    ("amax_ties", lambda m, x: x.reshape(2, 2).amax(1), [3.0, 3.0, 1.0, 2.0]),
    ("amin_all", lambda m, x: x.amin(), [3.0, 1.0, 1.0, 2.0]),
    ("var", lambda m, x: x.reshape(2, 3).var(1), [-1.0, 0.0, 2.0, 5.0, 5.0, -3.0]),
    ("var_biased", lambda m, x: x.var(unbiased=False), [-1.0, 0.0, 2.0, 5.0]),
    ("std", lambda m, x: x.reshape(2, 3).std(0, keepdim=True), [-1.0, 0.0, 2.0, 5.0, 5.0, -3.0]),
    ("std_constant_row", lambda m, x: x.reshape(2, 3).std(1), [2.0, 2.0, 2.0, 5.0, 5.0, -3.0]),
    ("std_correction", lambda m, x: x.std(correction=2), [-1.0, 0.0, 2.0, 5.0]),
    ("logsumexp", lambda m, x: x.reshape(2, 3).logsumexp(1), [-1.0, 0.0, 2.0, 500.0, 500.0, -300.0]),
    ("logsumexp_all", lambda m, x: x.logsumexp((0,), keepdim=True), [-1.0, 0.0, 2.0]),
    ("norm", lambda m, x: x.norm(), [-1.0, 0.0, 2.0]),
    ("norm_zero", lambda m, x: x.norm(), [0.0, 0.0, 0.0]),
    ("norm_dim", lambda m, x: x.reshape(2, 2).norm(dim=1, keepdim=True), [0.0, 0.0, 3.0, 4.0]),
    ("norm_p1", lambda m, x: x.norm(1), [-1.0, 0.0, 2.0]),
    ("norm_p3", lambda m, x: x.norm(3), [-1.0, 0.0, 2.0]),
    ("norm_p1_5", lambda m, x: x.norm(1.5), [-1.0, 0.0, 2.0]),
    ("norm_p0_5", lambda m, x: x.norm(0.5), [-1.0, 0.0, 2.0]),
    ("norm_inf", lambda m, x: x.norm(float("inf")), [-2.0, 0.0, 2.0]),
    ("norm_neg_inf", lambda m, x: x.norm(float("-inf")), [-2.0, 1.0, -1.0]),
    ("cumsum", lambda m, x: x.cumsum(0), [-1.0, 0.0, 2.0, 3.0]),
    ("cumprod", lambda m, x: x.cumprod(0), [-1.5, 0.5, 2.0, 3.0]),
    ("cumprod_zeros", lambda m, x: x.reshape(2, 3).cumprod(1), [0.0, 2.0, 3.0, 1.5, 0.0, 2.0]),
]


def _both(torch: Any, fn: Callable, values: list) -> tuple:
    a = np.array(values, dtype=np.float64)
    tx = torch.tensor(a, requires_grad=True)
    px = plugrad.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tx, px, fn(_TorchShim(torch), tx), fn(plugrad, px)


@pytest.mark.parametrize("fn, values", [(f, v) for _, f, v in TORCH_CASES], ids=[n for n, _, _ in TORCH_CASES])
def test_values_and_gradients_match_torch(fn: Callable, values: list) -> None:
    torch = pytest.importorskip("torch")
    tx, px, tout, pout = _both(torch, fn, values)
    np.testing.assert_allclose(to_numpy(pout), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert pout.dtype is plugrad.float64
    weights = _rand(*tout.shape, seed=21) if tout.ndim else np.array(0.7)
    (tout * torch.tensor(weights)).sum().backward()
    (pout * plugrad.tensor(weights)).sum().backward()
    if tx.grad is None:
        assert px.grad is None
        return
    np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


SECOND_ORDER = ["softmax", "softmax_dim0", "log_softmax", "prod", "prod_one_zero", "prod_two_zeros",
                "prod_dim_zeros", "cumprod", "cumprod_zeros", "gelu", "gelu_tanh", "silu", "softplus",
                "softplus_large_beta", "elu", "mish",
                "logsigmoid", "var", "std", "logsumexp", "norm", "norm_p3", "norm_p1_5", "norm_inf", "max_ties",
                "amax_ties", "max_dim_ties", "maximum_ties", "clamp", "clamp_tensor", "atan2", "erf", "lerp_tensor",
                "hyperbolic", "inverse_trig", "log2_log10", "exp2", "abs", "cumsum"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 ** -0.5 in pow's rule: NaN at 0, as in PyTorch
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    fn, values = next((f, v) for n, f, v in TORCH_CASES if n == name)
    tx, px, tout, pout = _both(torch, fn, values)
    weights = _rand(*tout.shape, seed=5) if tout.ndim else np.array(0.7)
    (tg,) = torch.autograd.grad((tout * torch.tensor(weights)).sum(), tx, create_graph=True)
    (pg,) = plugrad.autograd.grad((pout * plugrad.tensor(weights)).sum(), px, create_graph=True)
    np.testing.assert_allclose(to_numpy(pg), tg.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = _rand(*tx.shape, seed=6)
    if not tg.requires_grad:
        assert not pg.requires_grad or not np.any(to_numpy(
            plugrad.autograd.grad((pg * plugrad.tensor(v)).sum(), px, allow_unused=True, materialize_grads=True)[0]))
        return
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx, allow_unused=True)
    (pgg,) = plugrad.autograd.grad((pg * plugrad.tensor(v)).sum(), px, allow_unused=True, materialize_grads=True)
    want = torch.zeros_like(tx.detach()) if tgg is None else torch.zeros_like(tx.detach()) + tgg  # no ZeroTensor
    np.testing.assert_allclose(to_numpy(pgg), want.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "tanh", "sigmoid", "prod"])
def test_second_derivatives_by_gradgradcheck(name: str) -> None:
    fn = {"softmax": lambda x: x.softmax(1), "log_softmax": lambda x: x.log_softmax(0), "tanh": plugrad.tanh,
          "sigmoid": plugrad.sigmoid, "prod": lambda x: x.prod(1)}[name]
    x = plugrad.tensor(_rand(3, 4, low=-2, high=2), requires_grad=True)
    assert gradgradcheck(fn, (x,))
    y = fn(x)
    (g,) = plugrad.autograd.grad(y.sum() if name in ("tanh", "sigmoid", "prod") else (y * y).sum(), x,
                                 create_graph=True)
    assert g.requires_grad and g.grad_fn is not None


def test_float32_values_match_torch() -> None:
    torch = pytest.importorskip("torch")
    a = _rand(4, 5, low=-3, high=3).astype(np.float32)
    tx, px = torch.tensor(a), plugrad.tensor(a)
    F = torch.nn.functional
    pairs = [
        (F.gelu(tx), plugrad.gelu(px)), (F.silu(tx), plugrad.silu(px)), (tx.softmax(1), px.softmax(1)),
        (tx.log_softmax(0), px.log_softmax(0)), (F.softplus(tx), plugrad.softplus(px)), (tx.erf(), px.erf()),
        (tx.logsumexp(1), px.logsumexp(1)), (tx.norm(), px.norm()), (tx.std(0), px.std(0)),
        (F.mish(tx), plugrad.mish(px)), (F.logsigmoid(tx), plugrad.logsigmoid(px)), (tx.exp2(), px.exp2()),
    ]
    for t_out, p_out in pairs:
        assert p_out.dtype is plugrad.float32
        np.testing.assert_allclose(to_numpy(p_out), t_out.numpy(), rtol=2e-6, atol=2e-6)
