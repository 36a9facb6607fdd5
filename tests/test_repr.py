"""Tensors print exactly as PyTorch prints them: values, layout, summarization and suffixes."""

from __future__ import annotations

import math

import numpy as np
import plugrad
import pytest
from _devices import device_suffix
from plugrad import formatting
from plugrad.backend import Backend, resolve
from plugrad.tensor import _wrap

NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def _restore_print_state():
    options = formatting.get_printoptions()
    default = plugrad.get_default_dtype()
    yield
    formatting.set_printoptions(**options)
    plugrad.set_default_dtype(default)


@pytest.fixture
def cpu():
    """The table compares against CPU PyTorch tensors, so it builds CPU tensors (device suffixes are tested below)."""
    with plugrad.default_backend(resolve("cpu")):
        yield


def _rand(seed: int, *shape: int, dtype: str = "float64", scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def _leaf(m, arr, **kw):
    return m.tensor(arr, requires_grad=True, **kw)


# name -> build(m): the same construction in plugrad and in torch (m is the module)
CASES = {
    # floats: integer-valued, fixed point, scientific, padding, signs, non-finite values
    "int_valued": lambda m: m.tensor([1.0, 2.0]),
    "int_valued_neg": lambda m: m.tensor([-1.0, 20.0, 300.0]),
    "fixed": lambda m: m.tensor([0.5, 1.25, -3.125]),
    "rounding": lambda m: m.tensor([0.99999, 9.99995, 0.123449, 1.00005]),
    "padding": lambda m: m.tensor([1.5, -100.25, 3.0]),
    "sci_large_ratio": lambda m: m.tensor([0.001, 2.0, 3000.0]),
    "sci_ratio_just_under": lambda m: m.tensor([1.0, 999.0, 0.5]),
    "sci_big": lambda m: m.tensor([1.0e9, 2.0]),
    "sci_big_int": lambda m: m.tensor([1.0e8, 2.0e8]),
    "sci_small": lambda m: m.tensor([1.0e-5, 2.0e-5]),
    "sci_negative": lambda m: m.tensor([-1.0e-5, 3.0e2, 7.5]),
    "nan_inf": lambda m: m.tensor([NAN, INF, -INF, 1.5]),
    "nan_inf_int_valued": lambda m: m.tensor([NAN, INF, -INF, 2.0]),
    "only_nonfinite": lambda m: m.tensor([NAN, -INF]),
    "zeros": lambda m: m.zeros(4),
    "zero_and_nan": lambda m: m.tensor([0.0, NAN]),
    "negative_zero": lambda m: m.tensor([0.0, -0.0, 1.0]),
    "negative_zero_frac": lambda m: m.tensor([-0.0, 0.5]),
    "random_1d": lambda m: m.tensor(_rand(0, 7)),
    "random_2d": lambda m: m.tensor(_rand(1, 4, 5)),
    "random_3d": lambda m: m.tensor(_rand(2, 2, 3, 4)),
    "random_4d": lambda m: m.tensor(_rand(3, 2, 2, 3, 2)),
    "random_float32": lambda m: m.tensor(_rand(4, 3, 6, dtype="float32")),
    "random_float16": lambda m: m.tensor(_rand(5, 2, 5, dtype="float16")),
    "float16_int_valued": lambda m: m.tensor(np.array([1, 2, 2048], dtype="float16")),
    "random_sci_2d": lambda m: m.tensor(_rand(6, 3, 3, scale=1e6)),
    "ones_3d": lambda m: m.ones(2, 3, 4),
    "single_row": lambda m: m.tensor(_rand(7, 1, 4)),
    "single_column": lambda m: m.tensor(_rand(8, 4, 1)),
    "nested_singletons": lambda m: m.ones(1, 1, 1, 2),
    # 0-d
    "scalar_float": lambda m: m.tensor(2.0),
    "scalar_frac": lambda m: m.tensor(-0.125),
    "scalar_sci": lambda m: m.tensor(1.0e-7),
    "scalar_nan": lambda m: m.tensor(NAN),
    "scalar_zero": lambda m: m.tensor(0.0),
    "scalar_int": lambda m: m.tensor(7),
    "scalar_bool": lambda m: m.tensor(True),
    "scalar_float64": lambda m: m.tensor(np.array(3.5)),
    "scalar_int32": lambda m: m.tensor(np.array(5, dtype="int32")),
    # integers and bools
    "ints": lambda m: m.tensor([1, 2, 3]),
    "ints_negative": lambda m: m.tensor([-1, 10, -100]),
    "ints_big": lambda m: m.tensor([2**62, -(2**40), 0]),
    "ints_2d": lambda m: m.tensor(np.arange(12).reshape(3, 4) - 5),
    "int32": lambda m: m.tensor(np.array([1, 2, 3], dtype="int32")),
    "int16": lambda m: m.tensor(np.array([[-7, 300]], dtype="int16")),
    "int8": lambda m: m.tensor(np.array([-128, 127], dtype="int8")),
    "uint8": lambda m: m.tensor(np.array([0, 255], dtype="uint8")),
    "bools": lambda m: m.tensor([True, False]),
    "bools_all_true": lambda m: m.tensor([True, True]),
    "bools_2d": lambda m: m.tensor(np.array([[True, False, True], [False, False, True]])),
    # empty tensors
    "empty": lambda m: m.tensor([]),
    "empty_0x3": lambda m: m.zeros(0, 3),
    "empty_2x0x4": lambda m: m.zeros(2, 0, 4),
    "empty_int64": lambda m: m.tensor(np.zeros(0, dtype="int64")),
    "empty_int64_2d": lambda m: m.tensor(np.zeros((3, 0), dtype="int64")),
    "empty_bool": lambda m: m.tensor(np.zeros(0, dtype="bool")),
    "empty_float64": lambda m: m.tensor(np.zeros(0)),
    "empty_requires_grad": lambda m: _leaf(m, np.zeros((0, 2), dtype="float32")),
    # other dtypes
    "float64": lambda m: m.tensor(np.array([1.0, 2.5])),
    "float64_int_valued": lambda m: m.tensor(np.array([[1.0, 2.0], [3.0, 4.0]])),
    "complex64": lambda m: m.tensor(np.array([1 + 2j, -0.5j, 3 - 1j], dtype="complex64")),
    "complex128": lambda m: m.tensor(np.array([1.5 + 2j, -0.0 - 1j])),
    "complex_int_valued": lambda m: m.tensor(np.array([1 + 1j, 2 - 3j], dtype="complex64")),
    "complex_2d": lambda m: m.tensor((_rand(9, 2, 3) + 1j * _rand(10, 2, 3)).astype("complex64")),
    "complex_sci": lambda m: m.tensor(np.array([1e-6 + 1j, 5 + 2e5j], dtype="complex64")),
    "complex_scalar": lambda m: m.tensor(np.array(2 - 0.5j, dtype="complex64")),
    "complex_wrapping": lambda m: m.tensor((_rand(11, 20) + 1j * _rand(12, 20)).astype("complex64")),
    # line wrapping at 80 columns
    "wrap_1d": lambda m: m.tensor(_rand(13, 30)),
    "wrap_ints": lambda m: m.tensor(np.arange(100)),
    "wrap_2d": lambda m: m.tensor(_rand(14, 3, 25)),
    "wrap_3d": lambda m: m.tensor(_rand(15, 2, 2, 20)),
    "wrap_sci": lambda m: m.tensor(_rand(16, 15, scale=1e9)),
    # summarization above 1000 elements
    "summary_1d": lambda m: m.tensor(np.arange(1001.0)),
    "summary_1d_ints": lambda m: m.tensor(np.arange(5000)),
    "summary_2d": lambda m: m.tensor(_rand(17, 40, 40)),
    "summary_2d_narrow_rows": lambda m: m.tensor(_rand(18, 3, 1000)),
    "summary_2d_narrow_cols": lambda m: m.tensor(_rand(19, 1000, 2)),
    "summary_3d": lambda m: m.tensor(_rand(20, 11, 11, 11)),
    "summary_3d_ints": lambda m: m.tensor(np.arange(2000).reshape(2, 10, 100)),
    "summary_4d": lambda m: m.tensor(_rand(21, 7, 2, 8, 20, dtype="float32")),
    "summary_sci_in_edges": lambda m: m.tensor(np.concatenate([[1e-9], np.ones(2000), [5.0]])),
    "summary_ignores_middle": lambda m: m.tensor(np.concatenate([np.ones(3), [1e12], np.ones(2000)])),
    "summary_complex": lambda m: m.tensor((_rand(22, 1200) + 1j * _rand(23, 1200)).astype("complex64")),
    "summary_bool": lambda m: m.tensor(np.arange(1500) % 3 == 0),
    # autograd suffixes
    "requires_grad_scalar": lambda m: m.tensor(2.0, requires_grad=True),
    "requires_grad_vector": lambda m: _leaf(m, [1.0, 2.0, 3.0]),
    "requires_grad_float64": lambda m: _leaf(m, np.array([1.0, 2.0])),
    "add_backward": lambda m: m.ones(3, 3, requires_grad=True) + 5,
    "mul_backward": lambda m: _leaf(m, [2.0, 2.0]) * 10,
    "mean_backward": lambda m: ((m.ones(2, 2, requires_grad=True) + 2) ** 2 * 3).mean() * 4 / 3,
    "sum_backward_float64": lambda m: _leaf(m, _rand(24, 3, 2)).sum(),
    "exp_backward_2d": lambda m: _leaf(m, _rand(25, 3, 4)).exp(),
    "grad_fn_wide": lambda m: _leaf(m, _rand(26, 2, 7)) * 3,
    "grad_fn_summary": lambda m: _leaf(m, _rand(27, 50, 50, dtype="float32")) + 1,
    "grad_fn_float16": lambda m: _leaf(m, np.array([1.5, 2.0], dtype="float16")) * 2,
}

# suffixes wrap to a new line once the last line would pass 80 columns: try every fill level
for _n in range(1, 14):
    CASES[f"suffix_wrap_{_n}"] = lambda m, n=_n: _leaf(m, np.arange(n) * 1.5 - 4, dtype=m.float64)
    CASES[f"suffix_wrap_grad_fn_{_n}"] = lambda m, n=_n: _leaf(m, np.arange(n) * 1.5 - 4, dtype=m.float64).sin()
    CASES[f"suffix_wrap_2d_{_n}"] = lambda m, n=_n: m.tensor(np.arange(2 * n, dtype="int32").reshape(2, n) * 11)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_torch(name, cpu):
    torch = pytest.importorskip("torch")
    build = CASES[name]
    assert repr(build(plugrad)) == repr(build(torch))


# (set_printoptions arguments, cases printed under them)
OPTION_CASES = [
    ({"precision": 2}, ["fixed", "rounding", "random_2d", "sci_small", "complex64", "requires_grad_vector"]),
    ({"precision": 8}, ["random_1d", "random_float32", "sci_big", "wrap_1d"]),
    ({"precision": 0}, ["fixed", "random_2d"]),
    ({"sci_mode": True}, ["int_valued", "fixed", "random_2d", "scalar_float", "nan_inf", "zeros", "complex64"]),
    ({"sci_mode": False}, ["sci_large_ratio", "sci_big", "sci_small", "random_sci_2d"]),
    ({"threshold": 5}, ["int_valued", "random_1d", "ints_2d", "random_3d", "wrap_ints", "scalar_float", "bools_2d"]),
    ({"threshold": 5, "edgeitems": 1}, ["random_1d", "ints_2d", "random_3d", "complex_wrapping"]),
    ({"threshold": 5, "edgeitems": 0}, ["random_1d", "ints_2d", "random_3d", "scalar_float", "requires_grad_vector"]),
    ({"edgeitems": 0}, ["random_2d", "summary_2d", "summary_1d"]),
    ({"edgeitems": 5}, ["summary_1d", "summary_2d", "summary_3d"]),
    ({"linewidth": 40}, ["wrap_1d", "wrap_2d", "wrap_ints", "complex_wrapping", "grad_fn_wide", "suffix_wrap_5"]),
    ({"linewidth": 200}, ["wrap_1d", "wrap_2d", "summary_2d", "suffix_wrap_13"]),
    ({"linewidth": 5}, ["wrap_ints", "random_1d"]),
    ({"profile": "short"}, ["random_2d", "summary_2d", "summary_3d"]),
    ({"profile": "full"}, ["summary_1d_ints", "summary_2d_narrow_rows"]),
    ({"profile": "full", "precision": 2}, ["summary_1d"]),
]


@pytest.mark.parametrize(
    "options,name", [(o, n) for o, names in OPTION_CASES for n in names], ids=lambda v: str(v).replace(" ", "")
)
def test_repr_under_printoptions_matches_torch(options, name, cpu):
    torch = pytest.importorskip("torch")
    formatting.set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        assert repr(CASES[name](plugrad)) == repr(CASES[name](torch))
    finally:
        torch.set_printoptions(profile="default")


@pytest.mark.parametrize(
    "name",
    ["int_valued", "float64", "random_float32", "empty", "empty_float64", "complex64", "complex128", "scalar_float",
     "requires_grad_float64", "mean_backward"],
)
def test_repr_with_float64_default_matches_torch(name, cpu):
    torch = pytest.importorskip("torch")
    plugrad.set_default_dtype(plugrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert repr(CASES[name](plugrad)) == repr(CASES[name](torch))
    finally:
        torch.set_default_dtype(torch.float32)


# --- the tutorial outputs, spelled out (no PyTorch needed) -------------------------------
def test_tutorial_add_prints_grad_fn_with_line_breaks():
    x = plugrad.ones(3, 3, requires_grad=True)
    y = x + 5
    assert repr(y) == (
        "tensor([[6., 6., 6.],\n"
        "        [6., 6., 6.],\n"
        f"        [6., 6., 6.]]{device_suffix()}, grad_fn=<AddBackward0>)"
    )


def test_tutorial_mean_prints_scalar_with_grad_fn():
    x = plugrad.ones(2, 2, requires_grad=True)
    out = ((x + 1) ** 2 * 4).mean()
    assert repr(out) == f"tensor(16.{device_suffix()}, grad_fn=<MeanBackward0>)"


def test_tutorial_leaf_prints_requires_grad():
    assert repr(plugrad.tensor(2.0, requires_grad=True)) == f"tensor(2.{device_suffix()}, requires_grad=True)"


def test_tutorial_int_tensor_has_no_dtype_suffix():
    assert repr(plugrad.tensor([1, 2, 3])) == f"tensor([1, 2, 3]{device_suffix()})"


def test_tutorial_mul_prints_grad_fn():
    x = plugrad.tensor([2.0, 2.0], requires_grad=True)
    assert repr(x * 10) == f"tensor([20., 20.]{device_suffix()}, grad_fn=<MulBackward0>)"


def test_str_equals_repr_and_print_shows_grad_fn(capsys):
    y = plugrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 10
    assert str(y) == repr(y)
    print(y)
    device = _device_suffix(y)
    assert capsys.readouterr().out == f"tensor([[10., 20.],\n        [30., 40.]]{device}, grad_fn=<MulBackward0>)\n"


def _device_suffix(t) -> str:
    backend = t._backend
    return "" if backend.device_type == "cpu" else f", device='{backend.device_name()}'"


def test_default_backend_prints_values_and_device():
    """On every backend the values print alike; a non-CPU backend adds its device first."""
    t = plugrad.tensor([1.5, -2.0, 3.25])
    assert repr(t) == f"tensor([ 1.5000, -2.0000,  3.2500]{_device_suffix(t)})"
    big = plugrad.arange(2000).reshape(2, 1000)
    assert repr(big) == (
        "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n"
        f"        [1000, 1001, 1002,  ..., 1997, 1998, 1999]]{_device_suffix(big)})"
    )


def test_basic_layouts_spelled_out(cpu):
    assert repr(plugrad.tensor([])) == "tensor([])"
    assert repr(plugrad.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(plugrad.tensor(np.zeros(0, dtype="int64"))) == "tensor([], dtype=torch.int64)"
    assert repr(plugrad.tensor(np.array([1.0, 2.0]))) == "tensor([1., 2.], dtype=torch.float64)"
    assert repr(plugrad.tensor([True, False])) == "tensor([ True, False])"
    assert repr(plugrad.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(plugrad.tensor([NAN, INF, 1.0])) == "tensor([nan, inf, 1.])"
    assert repr(plugrad.ones(2, 1, 2)) == "tensor([[[1., 1.]],\n\n        [[1., 1.]]])"


# --- devices: a stand-in CUDA backend holding NumPy arrays ------------------------------
class _FakeCudaBackend(Backend):
    name = "fake-cuda"
    device_type = "cuda"

    def load_namespace(self):
        return np

    def to_numpy(self, array):
        return np.array(array, copy=True)

    def device_name(self, index: int = 0) -> str:
        return f"cuda:{index}"


def _on_fake_cuda(arr, requires_grad: bool = False):
    t = _wrap(np.asarray(arr), _FakeCudaBackend())
    t._requires_grad = requires_grad
    return t


def test_device_suffix_comes_first():
    assert repr(_on_fake_cuda(np.array([1.0, 2.0], dtype="float32"))) == "tensor([1., 2.], device='cuda:0')"
    assert repr(_on_fake_cuda(np.array([1, 2], dtype="int32"))) == "tensor([1, 2], device='cuda:0', dtype=torch.int32)"
    assert repr(_on_fake_cuda(np.array(2.0, dtype="float32"), requires_grad=True)) == (
        "tensor(2., device='cuda:0', requires_grad=True)"
    )
    assert repr(_on_fake_cuda(np.zeros((0, 3), dtype="float32"))) == "tensor([], device='cuda:0', size=(0, 3))"


def test_device_suffixes_wrap_past_linewidth():
    t = _on_fake_cuda(np.arange(9, dtype="float64") * 1.5 - 4, requires_grad=True)
    assert repr(t) == (
        "tensor([-4.0000, -2.5000, -1.0000,  0.5000,  2.0000,  3.5000,  5.0000,  6.5000,\n"
        "         8.0000], device='cuda:0', dtype=torch.float64, requires_grad=True)"
    )
    t = _on_fake_cuda(np.arange(8, dtype="float64") * 1.5 - 4, requires_grad=True)
    assert repr(t) == (
        "tensor([-4.0000, -2.5000, -1.0000,  0.5000,  2.0000,  3.5000,  5.0000,  6.5000],\n"
        "       device='cuda:0', dtype=torch.float64, requires_grad=True)"
    )


class _FakeCudaNamedCpu(_FakeCudaBackend):
    """Prints ``device='cpu'``: what PyTorch prints for CPU tensors once its default device is CUDA."""

    def device_name(self, index: int = 0) -> str:
        return "cpu"


@pytest.mark.parametrize("name", sorted(CASES))
def test_device_suffix_placement_matches_torch(name, cpu, monkeypatch):
    torch = pytest.importorskip("torch")
    # PyTorch prints the device of tensors off its default device; point the default away from the CPU
    monkeypatch.setattr(torch._C, "_get_default_device", lambda: "cuda")
    made = CASES[name](plugrad)
    on_device = _wrap(made._data, _FakeCudaNamedCpu())
    on_device._requires_grad, on_device._grad_fn = made._requires_grad, made._grad_fn
    assert repr(on_device) == repr(CASES[name](torch))


def test_summarized_device_tensor_prints_its_edges():
    t = _on_fake_cuda(np.arange(3000, dtype="int64").reshape(3, 1000))
    assert repr(t) == (
        "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n"
        "        [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n"
        "        [2000, 2001, 2002,  ..., 2997, 2998, 2999]], device='cuda:0')"
    )


# --- print options ------------------------------------------------------------------------
def test_set_printoptions_is_exported_and_changes_output(cpu):
    plugrad.set_printoptions(precision=2)
    assert repr(plugrad.tensor([1.12345])) == "tensor([1.12])"
    plugrad.set_printoptions(threshold=5)
    assert repr(plugrad.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    plugrad.set_printoptions(profile="default")
    assert repr(plugrad.tensor([1.12345])) == "tensor([1.1235])"
    assert repr(plugrad.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_get_printoptions_round_trips_and_context_manager_restores():
    assert formatting.get_printoptions() == {
        "precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None,
    }
    with formatting.printoptions(precision=1, sci_mode=True):
        assert formatting.get_printoptions()["precision"] == 1
        assert formatting.get_printoptions()["sci_mode"] is True
    assert formatting.get_printoptions()["precision"] == 4
    assert formatting.get_printoptions()["sci_mode"] is None


def test_set_printoptions_resets_sci_mode_like_torch():
    plugrad.set_printoptions(sci_mode=True)
    plugrad.set_printoptions(precision=3)
    assert formatting.get_printoptions()["sci_mode"] is None


def test_unknown_print_profile_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown print profile 'long'; use one of 'default', 'short', 'full'"):
        plugrad.set_printoptions(profile="long")
