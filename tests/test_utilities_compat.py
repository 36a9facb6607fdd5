"""Window functions, unravel_index, index_reduce and the process-wide settings PyTorch exposes at top level.

Values are checked against closed forms and NumPy here; where PyTorch is installed, against PyTorch too.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

try:
    import torch
except ImportError:  # the differential tests below skip with a reason
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed; differential tests need it")

WINDOWS = ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window")


def _closed_form(name: str, n: int, periodic: bool) -> np.ndarray:
    """The window by its textbook formula, in float64."""
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    m = n + 1 if periodic else n
    k = np.arange(m, dtype=np.float64)
    if name == "hann_window":
        w = 0.5 - 0.5 * np.cos(2 * np.pi * k / (m - 1))
    elif name == "hamming_window":
        w = 0.54 - 0.46 * np.cos(2 * np.pi * k / (m - 1))
    elif name == "blackman_window":
        w = 0.42 - 0.5 * np.cos(2 * np.pi * k / (m - 1)) + 0.08 * np.cos(4 * np.pi * k / (m - 1))
    elif name == "bartlett_window":
        w = 1 - np.abs(2 * k / (m - 1) - 1)
    else:
        w = np.i0(12.0 * np.sqrt(1 - ((k - (m - 1) / 2) / ((m - 1) / 2)) ** 2)) / np.i0(12.0)
    return w[:-1] if periodic else w


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 33])
def test_window_matches_closed_form(name: str, periodic: bool, n: int) -> None:
    w = getattr(plugrad, name)(n, periodic, dtype=plugrad.float64)
    assert w.dtype is plugrad.float64 and w.shape == (n,)
    np.testing.assert_allclose(to_numpy(w), _closed_form(name, n, periodic), rtol=1e-12, atol=1e-12)


def test_window_defaults_and_options() -> None:
    w = plugrad.hann_window(4)
    assert w.dtype is plugrad.get_default_dtype() and not w.requires_grad and w.is_contiguous()
    assert plugrad.hann_window(3, requires_grad=True).requires_grad
    np.testing.assert_allclose(to_numpy(plugrad.hamming_window(5, True, 0.5, 0.4, dtype=plugrad.float64)),
                               0.5 - 0.4 * np.cos(2 * np.pi * np.arange(5) / 5), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(plugrad.kaiser_window(5, False, 8.0, dtype=plugrad.float64)),
                               np.kaiser(5, 8.0), rtol=1e-12)


def test_window_errors() -> None:
    with pytest.raises(RuntimeError, match="hann_window requires non-negative window_length, got window_length=-1"):
        plugrad.hann_window(-1)
    with pytest.raises(RuntimeError, match="hann_window expects floating point dtypes, got: torch.int64"):
        plugrad.hann_window(3, dtype=plugrad.int64)
    with pytest.raises(TypeError, match="must be int, not float"):
        plugrad.bartlett_window(3.0)


@needs_torch
@pytest.mark.parametrize("name", WINDOWS)
def test_windows_match_torch(name: str) -> None:
    for n in (0, 1, 2, 3, 6, 10, 64):
        for periodic in (True, False):
            for dt in ("float32", "float64"):
                ours = to_numpy(getattr(plugrad, name)(n, periodic, dtype=getattr(plugrad, dt)))
                ref = getattr(torch, name)(n, periodic, dtype=getattr(torch, dt)).numpy()
                assert ours.dtype == ref.dtype and ours.shape == ref.shape
                # float32 cos differs between libraries in the last bit
                np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-7 if dt == "float32" else 1e-14)


# --- unravel_index -------------------------------------------------------------------------------------


@pytest.mark.parametrize("indices, shape", [
    ([4, 1], (2, 3)), (4, (3, 2)), ([[1234], [5678]], (10, 10, 10, 10)), ([0, 5, 11], (3, 4)), (3, 6),
])
def test_unravel_index_matches_numpy(indices, shape) -> None:
    got = plugrad.unravel_index(plugrad.tensor(indices), shape)
    ref = np.unravel_index(np.array(indices), (shape,) if isinstance(shape, int) else shape)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.dtype is plugrad.int64
        np.testing.assert_array_equal(to_numpy(g), r)


def test_unravel_index_wraps_and_checks() -> None:
    assert [int(c) for c in plugrad.unravel_index(plugrad.tensor(7), (2, 3))] == [0, 1]
    assert [int(c) for c in plugrad.unravel_index(plugrad.tensor(-1), (2, 3))] == [1, 2]
    assert plugrad.unravel_index(plugrad.tensor(1), ()) == ()
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got torch.float32"):
        plugrad.unravel_index(plugrad.tensor(1.0), (2, 3))
    with pytest.raises(ValueError, match=r"'shape' cannot have negative values, but got \(2, -3\)"):
        plugrad.unravel_index(plugrad.tensor(1), (2, -3))


# --- index_reduce --------------------------------------------------------------------------------------


def _index_reduce_np(x, dim, index, src, reduce, include_self):
    out = np.moveaxis(x.astype(np.float64).copy(), dim, 0)
    s = np.moveaxis(src.astype(np.float64), dim, 0)
    groups: dict[int, list] = {}
    for i, j in enumerate(index):
        groups.setdefault(int(j), []).append(s[i])
    for j, rows in groups.items():
        vals = ([out[j]] if include_self else []) + rows
        fn = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
        out[j] = fn(np.stack(vals), axis=0)
    return np.moveaxis(out, 0, dim)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
def test_index_reduce_matches_numpy(reduce: str, include_self: bool, dim: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    index = np.array([3, 0, 3]) if dim == 0 else np.array([1, 1, 4])
    src = rng.standard_normal((3, 5) if dim == 0 else (4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got = plugrad.tensor(x).index_reduce(dim, plugrad.tensor(index), plugrad.tensor(src), reduce,
                                             include_self=include_self)
    np.testing.assert_allclose(to_numpy(got), _index_reduce_np(x, dim, index, src, reduce, include_self), rtol=1e-12)


def test_index_reduce_inplace_grad_fn_and_errors() -> None:
    x = plugrad.full((5, 3), 2.0)
    t = plugrad.arange(1.0, 13.0).view(4, 3)
    index = plugrad.tensor([0, 4, 2, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        y = x.clone()
        assert y.index_reduce_(0, index, t, "prod") is y
        np.testing.assert_array_equal(to_numpy(y)[0], [20.0, 44.0, 72.0])
        a = plugrad.zeros(5, 3, requires_grad=True)
        assert type(a.index_reduce(0, index, t, "amax").grad_fn).__name__ == "IndexReduceBackward0"
        with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin but got sum"):
            x.index_reduce(0, index, t, "sum")
        with pytest.raises(RuntimeError, match=r"Expected dtype int32/int64 for index but got: Float"):
            x.index_reduce(0, index.float(), t, "prod")
        with pytest.raises(RuntimeError, match=r"Number of indices \(2\) should be equal to source.size\(dim\): \(4\)"):
            x.index_reduce(0, plugrad.tensor([0, 1]), t, "prod")
        with pytest.raises(IndexError, match="index out of range in self"):
            x.index_reduce(0, plugrad.tensor([0, 9, 1, 1]), t, "prod")
        with pytest.raises(RuntimeError, match=r"self \(Float\) and source \(Double\) must have the same scalar type"):
            x.index_reduce(0, index, t.double(), "prod")
        with pytest.raises(IndexError, match="Index is supposed to be a vector, but got dim: 2"):
            x.index_reduce(0, index.view(2, 2), t, "prod")


@needs_torch
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_gradients_match_torch(reduce: str) -> None:
    rng = np.random.default_rng(1)
    x0, s0 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    w = np.arange(15.0).reshape(5, 3)
    out = {}
    for mod in (plugrad, torch):
        a = mod.tensor(x0, requires_grad=True)
        s = mod.tensor(s0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            y = a.index_reduce(0, mod.tensor([0, 4, 2, 0]), s, reduce, include_self=False)
        (y * mod.tensor(w)).sum().backward()
        out[mod.__name__] = [np.asarray(v.detach().cpu().numpy() if mod is torch else to_numpy(v))
                             for v in (y, a.grad, s.grad)]
    for ours, ref in zip(out["plugrad"], out["torch"]):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


# --- settings ------------------------------------------------------------------------------------------


@pytest.fixture
def restore_settings():
    from plugrad import _settings, threads

    saved, interop = dict(_settings._state), list(threads._interop)
    yield
    _settings._state.update(saved)
    threads._interop[:] = interop


def test_deterministic_settings(restore_settings) -> None:
    assert not plugrad.are_deterministic_algorithms_enabled() and plugrad.get_deterministic_debug_mode() == 0
    plugrad.use_deterministic_algorithms(True, warn_only=True)
    assert plugrad.are_deterministic_algorithms_enabled() and plugrad.is_deterministic_algorithms_warn_only_enabled()
    assert plugrad.get_deterministic_debug_mode() == 1
    plugrad.set_deterministic_debug_mode("error")
    assert plugrad.get_deterministic_debug_mode() == 2 and not plugrad.is_deterministic_algorithms_warn_only_enabled()
    plugrad.set_deterministic_debug_mode(0)
    assert not plugrad.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="argument 'mode' \\(position 1\\) must be bool, not int"):
        plugrad.use_deterministic_algorithms(1)
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got x"):
        plugrad.set_deterministic_debug_mode("x")
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 3"):
        plugrad.set_deterministic_debug_mode(3)


def test_matmul_precision_and_warn_always(restore_settings) -> None:
    assert plugrad.get_float32_matmul_precision() == "highest"
    plugrad.set_float32_matmul_precision("high")
    assert plugrad.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high', or 'medium'"):
        plugrad.set_float32_matmul_precision("bogus")
    assert plugrad.get_float32_matmul_precision() == "high"
    assert not plugrad.is_warn_always_enabled()
    plugrad.set_warn_always(True)
    assert plugrad.is_warn_always_enabled()


def test_interop_threads_set_once(restore_settings) -> None:
    from plugrad import threads

    threads._interop[0] = None
    assert plugrad.get_num_interop_threads() >= 1
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive integer"):
        plugrad.set_num_interop_threads(0)
    plugrad.set_num_interop_threads(3)
    assert plugrad.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads after parallel work has started"):
        plugrad.set_num_interop_threads(4)


def test_default_device_follows_the_default_backend() -> None:
    before = plugrad.get_default_backend()
    dev = plugrad.get_default_device()
    assert dev.type == plugrad.ones(1).device.type
    plugrad.set_default_device(dev.type)  # the device it already has: the default backend stays
    assert plugrad.get_default_backend() == before
    plugrad.set_default_device("cpu")
    assert plugrad.ones(1).device.type == "cpu" and str(plugrad.get_default_device()) == "cpu"


def test_namespaces_for_device_checks() -> None:
    import plugrad.backends.cudnn as cudnn

    assert plugrad.backends.cudnn is cudnn and cudnn.is_available() is False
    assert plugrad.backends.mps.is_available() is False
    assert plugrad.backends.cuda.matmul.allow_tf32 is False
    assert plugrad.accelerator.is_available() == plugrad.cuda.is_available()
    if not plugrad.accelerator.is_available():
        assert plugrad.accelerator.current_accelerator() is None and plugrad.accelerator.device_count() == 0
    assert plugrad.version.__version__ == plugrad.__version__ and plugrad.version.cuda is None
    assert plugrad.get_device(plugrad.zeros(1, device="cpu")) == -1 and plugrad.is_storage(plugrad.zeros(1)) is False
    rows = plugrad.row_stack((plugrad.tensor([1, 2]), plugrad.tensor([3, 4])))
    np.testing.assert_array_equal(to_numpy(rows), [[1, 2], [3, 4]])
    assert math.isclose(float(plugrad.hann_window(3)[1]), 0.75)


# --- tensor methods beyond the op functions ------------------------------------------------------------


def test_inplace_forms_of_out_of_place_ops() -> None:
    a = plugrad.randn(3, 3, requires_grad=True)
    b = a * 1
    assert b.tril_() is b and type(b.grad_fn).__name__ == "TrilBackward0"
    b.sum().backward()
    np.testing.assert_array_equal(to_numpy(a.grad), np.tril(np.ones((3, 3))))
    x = plugrad.ones(3, 3)
    np.testing.assert_array_equal(to_numpy(x.triu_(1)), np.triu(np.ones((3, 3)), 1))
    y = plugrad.tensor([-1.5, 2.0])
    np.testing.assert_array_equal(to_numpy(y.absolute_()), [1.5, 2.0])
    z = plugrad.tensor([1.0, 2.0], dtype=plugrad.float64)
    np.testing.assert_array_equal(to_numpy(z.float_power_(2)), [1.0, 4.0])
    with pytest.raises(RuntimeError, match="float_power_ has dtype Float but the operation's result requires dtype "
                                           "Double"):
        plugrad.ones(3).float_power_(2)
    m = plugrad.zeros(2, 2)
    m.addmm_(plugrad.ones(2, 3), plugrad.ones(3, 2))
    np.testing.assert_array_equal(to_numpy(m), np.full((2, 2), 3.0))


def test_python_callable_maps() -> None:
    t = plugrad.tensor([1, 2], device="cpu")
    np.testing.assert_array_equal(to_numpy(t.apply_(lambda v: v * 1.7)), [1, 3])  # cast to int64 as PyTorch
    w = plugrad.ones(2, 3, device="cpu")
    w.map_(plugrad.arange(3.0, device="cpu"), lambda a, b: a + b)
    np.testing.assert_array_equal(to_numpy(w), [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    v = plugrad.ones(3, device="cpu")
    v.map2_(plugrad.full((3,), 2.0, device="cpu"), plugrad.full((3,), 3.0, device="cpu"), lambda a, b, c: a + b * c)
    np.testing.assert_array_equal(to_numpy(v), [7.0, 7.0, 7.0])
    with pytest.raises(TypeError, match="must be real number, not str"):
        plugrad.ones(2, device="cpu").apply_(lambda v: "a")
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
        plugrad.ones(2, device="cpu", requires_grad=True).apply_(abs)
    with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
        plugrad.ones(3, device="cpu").map_(plugrad.ones(2, device="cpu"), lambda a, b: a)
    with pytest.raises(TypeError, match="map_: expected torch.FloatTensor for 'other' \\(got torch.DoubleTensor\\)"):
        plugrad.ones(3, device="cpu").map_(plugrad.ones(3, dtype=plugrad.float64, device="cpu"), lambda a, b: a)


def test_legacy_new_and_aliases() -> None:
    f = plugrad.tensor([1.0, 2.0])
    assert f.new(2, 3).shape == (2, 3) and f.new(2, 3).dtype is plugrad.float32
    assert f.new([1, 2]).dtype is plugrad.float32 and f.new().shape == (0,)
    assert f.new(plugrad.Size([4])).shape == (4,)
    np.testing.assert_array_equal(to_numpy(plugrad.tensor([1, 2]).new([1.5])), [1])
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        f.new(2, dtype=plugrad.float64)
    x = plugrad.arange(6.0).view(2, 3)
    c = plugrad.narrow_copy(x, 1, 0, 2)
    assert c.is_contiguous() and c.shape == (2, 2)
    np.testing.assert_array_equal(to_numpy(c), to_numpy(x)[:, :2])
    assert [p.shape for p in x.unsafe_split(2, 1)] == [(2, 2), (2, 1)]
    assert [p.shape for p in plugrad.unsafe_chunk(x, 2, 1)] == [(2, 2), (2, 1)]
    assert x.to_dense() is x and x.share_memory_() is x
    assert not (x.is_pinned() or x.is_shared() or x.is_meta or x.is_sparse or x.is_quantized or x.is_nested
                or x.is_mps or x.is_distributed())
    assert x.name is None
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert x.volatile is False


def test_as_tensor_of_a_tensor_converts_like_to() -> None:
    t = plugrad.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugrad.as_tensor(t) is t
        assert plugrad.as_tensor(t, device=t.device) is t
        d = plugrad.as_tensor(t, dtype=plugrad.float64)
    assert d.dtype is plugrad.float64 and type(d.grad_fn).__name__ == "ToCopyBackward0"


def test_adjoint_mH_and_H() -> None:
    z = plugrad.tensor([[1 + 2j, 3j]], requires_grad=True)
    for t in (z.mH, z.H, z.adjoint(), plugrad.adjoint(z)):
        assert t.shape == (2, 1) and type(t.grad_fn).__name__ == "ConjBackward0"
        np.testing.assert_array_equal(to_numpy(t.detach().resolve_conj()), [[1 - 2j], [-3j]])
    r = plugrad.randn(4, 2, 3, requires_grad=True)
    assert r.mH.shape == (4, 3, 2) and type(r.mH.grad_fn).__name__ == "TransposeBackward0"
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices \\(2-D tensors\\). Got 3-D tensor"):
        _ = r.H
    with pytest.raises(RuntimeError, match=r"tensor.adjoint\(\) is only supported on matrices or batches of matrices"):
        plugrad.randn(3).adjoint()
    with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
        assert plugrad.tensor(2.0).H.shape == ()


# --- operand checks and promotion found by sweeping dtype pairs against PyTorch ---------------------------


@pytest.mark.parametrize("make", [
    lambda: plugrad.tensor([True]) - plugrad.tensor([1]),
    lambda: plugrad.tensor([1.0]) - plugrad.tensor([True]),
    lambda: 1 - plugrad.tensor([True]),
    lambda: plugrad.tensor([True]) - 1,
    lambda: plugrad.tensor([1.0]) - True,
])
def test_subtracting_a_bool_is_refused(make) -> None:
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        make()


def test_subtracting_two_bools_and_bool_powers_and_medians() -> None:
    for make in (lambda: plugrad.tensor([True]) - plugrad.tensor([False]), lambda: plugrad.tensor([True]) - True,
                 lambda: plugrad.sub(plugrad.tensor([True]), plugrad.tensor([True]), alpha=0)):
        with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
            make()
    with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
        plugrad.tensor([True]) ** plugrad.tensor([True])
    assert (plugrad.tensor([True]) ** plugrad.tensor([2])).dtype is plugrad.int64
    with pytest.raises(NotImplementedError, match="\"median_cpu\" not implemented for 'Bool'"):
        plugrad.tensor([True, False]).median()


@pytest.mark.parametrize("dim_dtype, zero_dtype, want", [
    ("float32", "complex128", "complex64"),   # the dimensioned tensor's precision, in the complex category
    ("float64", "complex64", "complex128"),
    ("int32", "complex128", "complex128"),    # an integer tensor takes the zero-dim tensor's dtype
    ("int64", "float64", "float64"),
    ("float32", "float64", "float32"),
    ("bool", "int8", "int8"),
])
def test_zero_dim_operands_raise_the_category_only(dim_dtype: str, zero_dtype: str, want: str) -> None:
    a = plugrad.ones(3, dtype=getattr(plugrad, dim_dtype))
    b = plugrad.ones((), dtype=getattr(plugrad, zero_dtype))
    assert (a + b).dtype is getattr(plugrad, want) and (b * a).dtype is getattr(plugrad, want)


def test_float16_as_the_default_dtype() -> None:
    try:
        plugrad.set_default_dtype(plugrad.float16)
        assert plugrad.tensor([1.2, 3.0]).dtype is plugrad.float16 and plugrad.ones(2).dtype is plugrad.float16
        assert plugrad.tensor([1.5, 3j]).dtype is plugrad.complex64  # PyTorch's complex32 does not exist here
    finally:
        plugrad.set_default_dtype(plugrad.float32)
    with pytest.raises(TypeError, match="^only floating-point types are supported as the default type$"):
        plugrad.set_default_dtype(plugrad.int64)


def test_copies_do_not_alias_and_views_write_through() -> None:
    a = plugrad.arange(9.0).reshape(3, 3)
    for make in (lambda t: plugrad.diag(t), lambda t: plugrad.flip(t, [0]), lambda t: plugrad.rot90(t),
                 lambda t: plugrad.flip(t, [])):
        out = make(a)
        out.add_(100)  # PyTorch's diag, flip and rot90 return new tensors
        np.testing.assert_array_equal(to_numpy(a), np.arange(9.0).reshape(3, 3))
    f = plugrad.from_numpy(np.asfortranarray(np.arange(9.0).reshape(3, 3)))  # a column-major array
    f.diagonal().mul_(2)  # diagonal is a view whatever the layout
    np.testing.assert_array_equal(np.diag(to_numpy(f)), [0.0, 8.0, 16.0])
    assert plugrad.arange(12.0).reshape(3, 4).diagonal(1).stride() == (5,)


def test_floor_division_and_remainder_follow_pytorchs_floating_rules() -> None:
    a = plugrad.tensor([7.0, -7.0, float("inf"), 0.0, -0.0, 5.0, 5.5], dtype=plugrad.float64)
    b = plugrad.tensor([0.1, 0.1, 2.0, -2.0, 2.0, 0.0, -2.0], dtype=plugrad.float64)
    # 7 // 0.1 is 69 (7 - fmod(7, 0.1) is 6.9...), as in Python; inf // 2 is nan, x // 0 is IEEE's
    np.testing.assert_array_equal(to_numpy(a // b), [69.0, -70.0, np.nan, -0.0, -0.0, np.inf, -3.0])
    np.testing.assert_array_equal(np.signbit(to_numpy(a // b)[3:5]), [True, True])
    r = to_numpy(plugrad.remainder(a, b))
    def floored(x: float, y: float) -> float:  # C's fmod, moved by y where its sign is not y's
        m = math.fmod(x, y) if y and math.isfinite(x) else math.nan
        return m + y if m != 0 and (m < 0) != (y < 0) else m
    np.testing.assert_array_equal(r, [floored(x, y) for x, y in zip(to_numpy(a), to_numpy(b))])
    np.testing.assert_array_equal(np.signbit(r[3:5]), [False, True])  # a zero remainder keeps the sign of x
    with pytest.raises(TypeError, match=r"fmod\(\) received an invalid combination of arguments - got \(int, Tensor\)"):
        plugrad.fmod(2, plugrad.tensor([1.0]))
    with pytest.raises(TypeError, match=r"hypot\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        plugrad.hypot(2, plugrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match="^Long did not match Float$"):
        plugrad.isclose(plugrad.tensor([1]), plugrad.tensor([1.0]))


def test_integer_clamp_bounds_rpow_and_mode_with_nan() -> None:
    u8 = plugrad.tensor([1, 200], dtype=plugrad.uint8)
    np.testing.assert_array_equal(to_numpy(plugrad.clamp(u8, -1, 2)), [2, 2])  # -1 wraps to 255, as in PyTorch
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        plugrad.clamp(u8, 0, 300)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without overflow"):
        plugrad.clamp(plugrad.tensor([1], dtype=plugrad.int8), 300)
    np.testing.assert_array_equal(to_numpy(2 ** plugrad.tensor([-2, -1, 0, 3])), [0, 0, 1, 8])
    np.testing.assert_array_equal(to_numpy((-1) ** plugrad.tensor([-3, -2])), [-1, 1])
    m = plugrad.mode(plugrad.tensor([-7.5, 0.0, -0.0, 1.0, float("nan")]))
    assert float(m.values) == 0.0 and int(m.indices) == 2
    assert math.isnan(float(plugrad.mode(plugrad.tensor([float("nan"), 1.0, float("nan"), 2.0])).values))


def test_ties_of_signed_zeros_keep_the_first_operand() -> None:
    a = plugrad.tensor([0.0, -0.0, 1.0, float("nan")])
    b = plugrad.tensor([-0.0, 0.0, 1.0, 2.0])
    for fn in (plugrad.maximum, plugrad.minimum, plugrad.fmax, plugrad.fmin):
        np.testing.assert_array_equal(np.signbit(to_numpy(fn(a, b))[:2]), [False, True])
    assert np.signbit(to_numpy(plugrad.relu(plugrad.tensor([-0.0]))))[0]  # relu keeps -0.0, as PyTorch's
    assert np.signbit(to_numpy(plugrad.clamp(plugrad.tensor([-0.0]), min=0)))[0]
    assert not np.signbit(to_numpy(plugrad.clamp(plugrad.tensor([0.0]), max=-0.0)))[0]


def test_bool_inputs_of_sgn_topk_kthvalue_and_ldexp() -> None:
    b = plugrad.tensor([True, False, True])
    out = plugrad.sgn(b)
    assert out.dtype is plugrad.bool and to_numpy(out).tolist() == [True, False, True]
    with pytest.raises(RuntimeError, match="^topk does not support bool dtypes on CPU$"):
        plugrad.topk(b, 2)
    with pytest.raises(NotImplementedError, match="\"kthvalue_cpu\" not implemented for 'Bool'"):
        plugrad.kthvalue(b, 2)
    with pytest.raises(NotImplementedError, match="\"ldexp_cpu_exp\" not implemented for 'Bool'"):
        plugrad.ldexp(plugrad.tensor([1.0]), plugrad.tensor([True]))
