"""The NumPy backend's own kernels: the branchless selects behind ReLU's and clamp's backward and ``where``
equal the generic ``np.where`` kernels bit for bit and give PyTorch's gradients, and out-of-domain math is
silent, as in PyTorch. The gradient tests against PyTorch run on every backend; the rest are the NumPy
backend's and skip elsewhere."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import plugrad
import plugrad_numpy
import pytest
from _devices import to_numpy
from plugrad.ops import registry

NAN, INF = float("nan"), float("inf")
# Values where a select can go wrong: NaN (with its sign and another payload), infinities, signed zeros,
# the thresholds and clamp bounds below, and the smallest subnormal.
SPECIAL = [NAN, -NAN, INF, -INF, -0.0, 0.0, 0.25, -0.5, 0.5, 1.0, -1.0, 1e-45]
SELECT_OPS = ("threshold_backward", "clamp_backward", "where")
LARGE = (64, 48)  # above the size from which the select kernels skip np.where
THRESHOLDS = (0, 0.25, -0.5)
CLAMP_BOUNDS = ((-0.5, 0.5), (0.0, None), (None, 0.25), (1.0, -1.0), (-0.0, 0.0))


def _values(shape: tuple, dtype: Any, seed: int = 0) -> np.ndarray:
    """Normal samples with about a third of them replaced by SPECIAL values and a NaN of another payload."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    pick = rng.random(shape) < 0.35
    with np.errstate(over="ignore", under="ignore"):  # 1e-45 is 0 in float16
        a[pick] = np.array(SPECIAL, dtype=dtype)[rng.integers(0, len(SPECIAL), int(pick.sum()))]
    if a.size > 2 and a.dtype.itemsize in (4, 8):
        bits = a.reshape(-1).view(f"u{a.dtype.itemsize}")
        bits[1] = np.array(np.nan, dtype=a.dtype).view(bits.dtype) | 1  # a quiet NaN with payload 1
    return a


LAYOUTS: dict[str, Callable[[tuple, Any, int], np.ndarray]] = {
    "contiguous": lambda s, d, k: _values(s, d, k),
    "transposed": lambda s, d, k: _values(s[::-1], d, k).T,
    "fortran": lambda s, d, k: np.asfortranarray(_values(s, d, k)),
    "strided": lambda s, d, k: _values((s[0], 2 * s[1]), d, k)[:, ::2],
    "reversed": lambda s, d, k: _values(s, d, k)[::-1],
    "broadcast": lambda s, d, k: np.broadcast_to(_values((1, s[1]), d, k), s),
}


def _assert_same_bits(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
    np.testing.assert_array_equal(np.ascontiguousarray(ours).view(np.uint8), np.ascontiguousarray(theirs).view(np.uint8))


@pytest.fixture
def numpy_backend(backend_name: str) -> Any:
    if backend_name != "numpy":
        pytest.skip(f"the kernels tested here are the NumPy backend's; this run is on {backend_name!r}")
    return plugrad.tensor(0.0)._backend


def _kernels(backend: Any, op_name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return registry.kernel_for(op_name, backend), registry.kernel_for(op_name, backend, generic=True)


# --- the selects: the native kernel against the generic one --------------------------------------------------


def test_select_and_silent_kernels_are_the_numpy_backends_own(numpy_backend: Any) -> None:
    for op_name in (*SELECT_OPS, *plugrad_numpy.QUIET_OPS):
        assert registry.kernel_source(op_name, numpy_backend) == "native", op_name
        native, generic = _kernels(numpy_backend, op_name)
        assert native is not generic, op_name


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_threshold_and_clamp_backward_equal_the_generic_kernel_bit_for_bit(numpy_backend: Any, dtype: Any,
                                                                           layout: str) -> None:
    make = LAYOUTS[layout]
    threshold_backward, threshold_generic = _kernels(numpy_backend, "threshold_backward")
    clamp_backward, clamp_generic = _kernels(numpy_backend, "clamp_backward")
    g, x = make(LARGE, dtype, 1), make(LARGE, dtype, 2)
    cases = [(g, x), (g, _values(LARGE, np.float32, 3)), (g, x[:1]), (g[0], x), (g[:3, :4], x[:3, :4]),
             (np.asarray(g[0, 0]), np.asarray(x[0, 0])), (g[:0], x[:0])]
    for gi, xi in cases:
        for th in THRESHOLDS:
            _assert_same_bits(threshold_backward(gi, xi, th), threshold_generic(gi, xi, th))
        for lo, hi in CLAMP_BOUNDS:
            _assert_same_bits(clamp_backward(gi, xi, lo, hi), clamp_generic(gi, xi, lo, hi))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.int64, np.int32,
                                   np.uint8, np.bool_])
def test_where_equals_the_generic_kernel_bit_for_bit(numpy_backend: Any, dtype: Any, layout: str) -> None:
    where, generic = _kernels(numpy_backend, "where")
    make = LAYOUTS[layout]
    if np.dtype(dtype).kind in "fc":
        x, y = make(LARGE, dtype, 4), make(LARGE, dtype, 5)
    else:
        rng = np.random.default_rng(4)
        x, y = (rng.integers(0, 100, LARGE).astype(dtype) for _ in range(2))
    cond = make(LARGE, np.float64, 6) > 0
    other = np.complex128 if x.dtype.kind == "c" else np.float32 if x.dtype == np.float64 else np.float64
    cases = [(x, y, cond), (x[:1], y, cond), (x, y[0], cond), (x, y, np.broadcast_to(cond, (2, *LARGE))),
             (x, y, cond[:, :1]), (x, y.astype(other), cond), (x[:3, :4], y[:3, :4], cond[:3, :4]),
             (np.asarray(x[0, 0]), np.asarray(y[0, 0]), np.asarray(cond[0, 0])), (x[:0], y[:0], cond[:0])]
    for xi, yi, ci in cases:
        _assert_same_bits(where(xi, yi, ci), generic(xi, yi, ci))


def test_the_selects_on_float32_arrays_do_not_run_np_where(numpy_backend: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    g, x = _values((256, 512), np.float32, 7), _values((256, 512), np.float32, 8)
    expected = [registry.kernel_for("threshold_backward", numpy_backend, generic=True)(g, x, 0),
                registry.kernel_for("clamp_backward", numpy_backend, generic=True)(g, x, -0.5, 0.5),
                registry.kernel_for("where", numpy_backend, generic=True)(g, x, x > 0)]

    def refuse(*args: Any) -> None:
        raise AssertionError("np.where ran: the select fell back to the generic kernel")

    monkeypatch.setattr(np, "where", refuse)
    got = [registry.kernel_for("threshold_backward", numpy_backend)(g, x, 0),
           registry.kernel_for("clamp_backward", numpy_backend)(g, x, -0.5, 0.5),
           registry.kernel_for("where", numpy_backend)(g, x, x > 0)]
    for ours, theirs in zip(got, expected):
        _assert_same_bits(ours, theirs)
    # and through the ops' dispatch: ReLU's and clamp's backward
    xt = plugrad.tensor(x, requires_grad=True)
    plugrad.relu(xt).backward(plugrad.tensor(g))
    plugrad.clamp(xt, -0.5, 0.5).backward(plugrad.tensor(g))
    assert xt.grad.shape == (256, 512)


# --- the selects through autograd, against PyTorch (every backend) ----------------------------------------


def _torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference here")


def _grad_pairs(fn: Callable[[Any, Any], Any], shape: tuple, dtype: str, broadcast_grad: bool,
                nan_in_x: bool) -> tuple:
    """``x.grad`` after ``fn(module, x).backward(g)`` in plugrad and in PyTorch, for the same x and g."""
    torch = _torch()
    x = _values(shape, getattr(np, dtype), 11)
    if not nan_in_x:
        x[np.isnan(x)] = 0.5
    grads = []
    for lib, make in ((plugrad, plugrad.tensor), (torch, torch.from_numpy)):
        xt = make(x.copy()).requires_grad_()
        y = fn(lib, xt)
        if broadcast_grad:
            y.sum().backward()
        else:
            y.backward(make(_values(tuple(y.shape), getattr(np, dtype), 12)))
        grads.append(to_numpy(xt.grad) if lib is plugrad else xt.grad.numpy())
    return grads[0], grads[1]


SELECT_GRADS = {
    "relu": lambda m, x: m.relu(x),
    "relu_of_transposed": lambda m, x: m.relu(x.t()) if x.dim() == 2 else m.relu(x),
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.25, 20.0),
    "clamp": lambda m, x: m.clamp(x, -0.5, 0.5),
    "clamp_min": lambda m, x: m.clamp(x, min=0.0),
    "clamp_max": lambda m, x: m.clamp(x, max=0.25),
    "clamp_min_above_max": lambda m, x: m.clamp(x, 1.0, -1.0),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x),
    "relu6": lambda m, x: m.nn.functional.relu6(x),
    "where": lambda m, x: m.where(x > 0, x, 0.0),
}
# PyTorch's hardtanh backward is 0 at NaN inputs in its vectorized loop and the gradient in its scalar tail
# (so it depends on the position); plugrad passes the gradient, as the tail does.
NO_NAN_IN_X = {"hardtanh", "relu6"}


@pytest.mark.parametrize("shape", [LARGE, (3, 4), (), (0, 3)], ids=["large", "small", "0-d", "empty"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SELECT_GRADS))
def test_select_gradients_equal_pytorchs_bit_for_bit(name: str, dtype: str, shape: tuple) -> None:
    for broadcast_grad in (False, True):
        ours, theirs = _grad_pairs(SELECT_GRADS[name], shape, dtype, broadcast_grad, name not in NO_NAN_IN_X)
        _assert_same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threshold_backward_equals_aten_at_the_boundary_and_for_nan(dtype: str) -> None:
    torch = _torch()
    x = np.array([0.0, -0.0, 0.25, 0.2500001, NAN, -NAN, INF, -INF, -1.0, 1.0] * 60, dtype=dtype)
    g = np.array([1.0, 2.0, NAN, INF, -0.0, 3.0, -INF, 4.0, NAN, -0.0] * 60, dtype=dtype)
    for th in (0, 0.25):
        ours = registry.get_op("threshold_backward").dispatch((plugrad.tensor(g), plugrad.tensor(x)), (th,))
        _assert_same_bits(to_numpy(ours), torch.ops.aten.threshold_backward(torch.from_numpy(g),
                                                                            torch.from_numpy(x), th).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_where_equals_pytorchs(dtype: str) -> None:
    torch = _torch()
    x, y = _values(LARGE, getattr(np, dtype), 13), _values((LARGE[1],), getattr(np, dtype), 14)
    cond = _values(LARGE, np.float64, 15) > 0
    ours = plugrad.where(plugrad.tensor(cond), plugrad.tensor(x), plugrad.tensor(y))
    _assert_same_bits(to_numpy(ours), torch.where(torch.from_numpy(cond), torch.from_numpy(x),
                                                  torch.from_numpy(y)).numpy())


# --- silent math --------------------------------------------------------------------------------------------

DOMAIN_EDGES = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 1000.0, -1000.0, INF, -INF, NAN]
UNARY = ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "exp", "exp2", "expm1",
         "acos", "asin", "atanh", "acosh", "sinh", "cosh"]
BINARY = {
    "div": lambda m, x, y: x / y,
    "floor_divide": lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
    "pow": lambda m, x, y: x**y,
    "pow_scalar": lambda m, x, y: x**-1.5,
    "rpow": lambda m, x, y: 0.0**y,
    "fmod": lambda m, x, y: m.fmod(x, y),
    "fmod_scalar": lambda m, x, y: m.fmod(x, 0.0),
    "remainder": lambda m, x, y: m.remainder(x, y),
    "remainder_scalar": lambda m, x, y: m.remainder(x, 0.0),
}
# Gradients at in-domain and boundary points (no infinities: those make the backward's own products overflow)
BACKWARD = {
    **{name: lambda m, x, _n=name: getattr(m, _n)(x) for name in
       ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "acos", "asin", "atanh", "acosh"]},
    "div": lambda m, x: 1.0 / x,
    "pow_half": lambda m, x: x**0.5,
    "pow_minus_one": lambda m, x: x**-1.0,
}
RTOL = {"float32": 1e-6, "float64": 1e-15}  # a few ulps: libm and PyTorch's vectorized math differ there
# PyTorch's remainder gives a zero result the dividend's sign; NumPy's and Python's give it the divisor's.
ZERO_SIGN_DIFFERS = {"remainder"}


def _assert_matches_torch(ours: np.ndarray, theirs: np.ndarray, dtype: str, zero_signs: bool = True) -> None:
    """NaN, infinities and signed zeros exactly; finite values within a few ulps."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    if zero_signs:
        np.testing.assert_array_equal(np.signbit(ours[ours == 0]), np.signbit(theirs[ours == 0]))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype], atol=0)


@pytest.fixture
def warnings_are_errors() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_math_out_of_domain_is_silent_and_gives_pytorchs_values(numpy_backend: Any, name: str,
                                                                      dtype: str) -> None:
    torch = _torch()
    x = np.array(DOMAIN_EDGES, dtype=dtype)
    _assert_matches_torch(to_numpy(getattr(plugrad, name)(plugrad.tensor(x))),
                          getattr(torch, name)(torch.from_numpy(x)).numpy(), dtype)
    for v in x:  # 0-d tensors: NumPy scalars, another path through NumPy
        _assert_matches_torch(to_numpy(getattr(plugrad, name)(plugrad.tensor(v))),
                              getattr(torch, name)(torch.tensor(v)).numpy(), dtype)


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_math_out_of_domain_is_silent_and_gives_pytorchs_values(numpy_backend: Any, name: str,
                                                                       dtype: str) -> None:
    torch = _torch()
    x = np.array([a for a in DOMAIN_EDGES for _ in DOMAIN_EDGES], dtype=dtype)
    y = np.array([b for _ in DOMAIN_EDGES for b in DOMAIN_EDGES], dtype=dtype)
    fn = BINARY[name]
    _assert_matches_torch(to_numpy(fn(plugrad, plugrad.tensor(x), plugrad.tensor(y))),
                          fn(torch, torch.from_numpy(x), torch.from_numpy(y)).numpy(), dtype,
                          zero_signs=name not in ZERO_SIGN_DIFFERS)
    zero = np.zeros((), dtype=dtype)
    for v in (-1.0, 0.0, 1.0):  # 0-d tensors: NumPy scalars, another path through NumPy
        a = np.array(v, dtype=dtype)
        _assert_matches_torch(to_numpy(fn(plugrad, plugrad.tensor(a), plugrad.tensor(zero))),
                              fn(torch, torch.from_numpy(a), torch.from_numpy(zero)).numpy(), dtype)


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_gradients_at_the_domain_edges_are_silent_and_give_pytorchs(numpy_backend: Any, name: str,
                                                                    dtype: str) -> None:
    torch = _torch()
    x = np.array([-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0], dtype=dtype)
    if name == "pow_half":  # at -0.0 PyTorch's gradient is 0.5 / sqrt(-0.0) = -inf, plugrad's 0.5 * (-0.0) ** -0.5 = inf
        x = x[~((x == 0) & np.signbit(x))]
    grads = []
    for lib, make in ((plugrad, plugrad.tensor), (torch, torch.from_numpy)):
        xt = make(x.copy()).requires_grad_()
        y = BACKWARD[name](lib, xt)
        y.backward(make(np.ones_like(x)))
        grads.append(to_numpy(xt.grad) if lib is plugrad else xt.grad.numpy())
    _assert_matches_torch(grads[0], grads[1], dtype)


def test_silent_kernels_leave_the_callers_error_state_alone(numpy_backend: Any) -> None:
    before = np.geterr()
    x = plugrad.tensor([-1.0, 0.0])
    with np.errstate(all="raise"):
        # PyTorch never raises for these; the caller's own NumPy code still does.
        assert np.isnan(to_numpy(plugrad.log(x))[0])
        with pytest.raises(FloatingPointError):
            np.log(np.array([-1.0]))
    assert np.geterr() == before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.log(np.array([-1.0]))
    assert [w.category for w in caught] == [RuntimeWarning]


def test_silent_kernels_keep_each_threads_error_state(numpy_backend: Any) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            with np.errstate(divide="raise"):
                for _ in range(200):
                    plugrad.log(plugrad.tensor([0.0, -1.0]))
                    with pytest.raises(FloatingPointError):
                        np.log(np.zeros(1))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.usefixtures("warnings_are_errors")
def test_both_ways_of_silencing_give_the_kernels_values() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    ways = [plugrad_numpy._quiet_by_errstate]
    if plugrad_numpy._IGNORE_ERRORS is not None:
        ways.append(plugrad_numpy._quiet_by_context)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.log(x)
    for quiet in ways:
        _assert_same_bits(quiet(np.log)(x), expected)
        with pytest.raises(ValueError):  # the state is reset when the kernel raises
            quiet(np.log)(x, np.empty(5))
        with pytest.raises(RuntimeWarning):
            np.log(x)


# --- views and sums: the same arrays as NumPy's wrapper functions give ------------------------------------


VIEW_CASES = [
    ("t", (3, 5), ()),
    ("t", (4,), ()),
    ("transpose", (2, 3, 4), (0, 2)),
    ("transpose", (2, 3), (1, 1)),
    ("permute", (2, 3, 4), ((2, 0, 1),)),
    ("expand", (3, 1), ((2, 3, 4),)),
    ("expand", (), ((2, 2),)),
    ("expand", (1, 4), ((0, 4),)),
]


@pytest.mark.parametrize("op_name,shape,attrs", VIEW_CASES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_view_kernels_return_views_equal_to_the_generic_kernels(numpy_backend: Any, op_name: str, shape: tuple,
                                                                attrs: tuple, layout: str) -> None:
    assert registry.kernel_source(op_name, numpy_backend) == "native"
    native, generic = _kernels(numpy_backend, op_name)
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    if layout == "transposed":
        x = x.T.copy().T  # same values, Fortran order: the expand kernel takes np.broadcast_to's path
    got, want = native(x, *attrs), generic(x, *attrs)
    assert got.shape == want.shape and got.strides == want.strides
    assert np.array_equal(got, want)
    assert got is x or np.shares_memory(got, x) or got.size == 0
    if op_name == "expand":
        assert not got.flags.writeable  # as np.broadcast_to's views: writing would alias elements


@pytest.mark.parametrize("op_name", ["sum", "sum_dim"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.complex64])
def test_sum_kernels_equal_np_sum_in_value_and_dtype(numpy_backend: Any, op_name: str, dtype: Any) -> None:
    native, _ = _kernels(numpy_backend, op_name)
    x = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    for dims, keepdim in [(None, False), (None, True), ((1,), False), ((0, 2), True), ((), False)]:
        got, want = native(x, dims, keepdim), np.sum(x, axis=dims, keepdims=keepdim)
        assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
        assert np.array_equal(got, want), (dims, keepdim)
