"""Lazy modules and uninitialized parameters: shape inference on the first forward, the class switch, the
errors on use, state dicts, conversions; values, reprs and messages checked against PyTorch where installed."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import plugrad
import plugrad.nn as nn
import pytest
from _devices import device_suffix, fake_cuda_registered, to_numpy
from plugrad.nn.modules.lazy import LazyModuleMixin
from plugrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


# (lazy class, constructor args, input shape, the class it becomes)
LAZY_CASES = [
    ("LazyLinear", (3,), (2, 5), "Linear"),
    ("LazyConv1d", (4, 3), (2, 3, 8), "Conv1d"),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6), "Conv2d"),
    ("LazyConv3d", (2, 2), (1, 2, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 8), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), (2, 3, 5, 5), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), (1, 2, 3, 3, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), (2, 3, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2), "InstanceNorm3d"),
]
IDS = [case[0] for case in LAZY_CASES]


def _input(lib, shape):
    n = int(np.prod(shape))
    return (lib.arange(n, dtype=lib.float32).reshape(shape) * 0.37).sin()


def _repr(lib, t) -> str:
    """``repr(t)`` as PyTorch on the CPU prints it (without the suite's device)."""
    return repr(t).replace(device_suffix(), "") if lib is plugrad and device_suffix() else repr(t)


def _use_message_tail(message: str) -> str:
    """The use error's text after the function it names (whose repr differs between the libraries)."""
    return message.split(". ", 1)[1]


# --- the uninitialized classes ----------------------------------------------------------------
def test_uninitialized_parameter_allows_only_what_pytorch_allows():
    p = UninitializedParameter()
    assert repr(p) == str(p) == "<UninitializedParameter>"
    assert isinstance(p, nn.Parameter) and is_lazy(p) and nn.UninitializedParameter is UninitializedParameter
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert p.size() == (0,) and p.ndim == 1 and p.dtype == plugrad.float32 and p.is_floating_point()
    assert tuple(p.data.shape) == (0,) and type(p.data) is plugrad.Tensor
    assert p.float() is p
    assert UninitializedParameter(dtype=plugrad.float64).dtype == plugrad.float64
    assert UninitializedParameter(requires_grad=False).requires_grad is False
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        UninitializedParameter(dtype=plugrad.int64)


def test_shape_of_uninitialized_parameter_raises():
    with pytest.raises(RuntimeError, match=r"^Can't access the shape of an uninitialized parameter or buffer\. "):
        UninitializedParameter().shape  # noqa: B018


@pytest.mark.parametrize("use, where", [
    (lambda p: p + 1, "<function add"),
    (lambda p: plugrad.mm(p, p), "<function mm"),
    (lambda p: nn.functional.linear(plugrad.ones(2, 2), p), "<function linear"),
    (lambda p: p.sum(), "sum"),
    (lambda p: p.dim(), "<function Tensor.dim"),
    (lambda p: len(p), "<function Tensor.__len__"),
    (lambda p: p.detach(), "<function Tensor.detach"),
    (lambda p: p.requires_grad_(False), "<function Tensor.requires_grad_"),
    (lambda p: p.zero_(), "<function Tensor.zero_"),
    (lambda p: nn.init.kaiming_uniform_(p), "<function kaiming_uniform_"),
], ids=["add", "mm", "linear", "sum", "dim", "len", "detach", "requires_grad_", "zero_", "kaiming_uniform_"])
def test_using_an_uninitialized_parameter_raises_value_error(use, where):
    p = UninitializedParameter()
    with pytest.raises(ValueError, match="^Attempted to use an uninitialized parameter in ") as info:
        use(p)
    assert where in str(info.value)
    assert "`torch.nn.parameter.UninitializedParameter` objects" in str(info.value)


def test_share_memory_and_deepcopy_of_uninitialized_parameter():
    p = UninitializedParameter(requires_grad=False, dtype=plugrad.float64)
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter or buffer"):
        p.share_memory_()
    q = copy.deepcopy(p)
    assert type(q) is UninitializedParameter and q is not p and q.dtype == plugrad.float64 and not q.requires_grad
    assert type(pickle.loads(pickle.dumps(p))) is UninitializedParameter


def test_materialize_turns_the_parameter_into_a_parameter_in_place():
    p = UninitializedParameter(dtype=plugrad.float64)
    device = p.device
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and not is_lazy(p)
    assert tuple(p.shape) == (2, 3) and p.dtype == plugrad.float64 and p.device == device and p.requires_grad
    (p * 2).sum().backward()
    np.testing.assert_array_equal(to_numpy(p.grad), np.full((2, 3), 2.0))
    q = UninitializedParameter(requires_grad=False)
    q.materialize(4, dtype=plugrad.float16)
    assert tuple(q.shape) == (4,) and q.dtype == plugrad.float16 and not q.requires_grad


def test_uninitialized_buffer_converts_as_a_buffer_and_materializes_to_a_tensor():
    b = UninitializedBuffer(persistent=False)
    assert repr(b) == "<UninitializedBuffer>" and isinstance(b, nn.Buffer) and not b.requires_grad
    assert b.persistent is False
    d = b.double()
    assert type(d) is UninitializedBuffer and d.dtype == plugrad.float64 and b.float() is b
    with pytest.raises(ValueError, match="`torch.nn.parameter.UninitializedBuffer` objects"):
        b + 1
    with pytest.raises(ValueError, match="Tensor.__deepcopy__"):
        copy.deepcopy(b)
    d.materialize((3,))
    assert type(d) is plugrad.Tensor and tuple(d.shape) == (3,) and d.dtype == plugrad.float64


def test_no_overhead_on_the_normal_path_a_parameter_has_no_lazy_data_property():
    # The uninitialized classes shadow Tensor's _data slot; a regular Parameter reads the slot itself.
    assert nn.Parameter._data is plugrad.Tensor._data
    assert UninitializedParameter._data is not plugrad.Tensor._data


# --- lazy modules --------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, shape, becomes", LAZY_CASES, ids=IDS)
def test_first_forward_infers_the_shapes_and_switches_the_class(name, args, shape, becomes):
    m = getattr(nn, name)(*args)
    assert m.has_uninitialized_params() and isinstance(m, LazyModuleMixin)
    assert all(is_lazy(p) for p in m.parameters())
    y = m(_input(plugrad, shape))
    assert type(m) is getattr(nn, becomes)
    assert not any(is_lazy(t) for t in (*m.parameters(), *m.buffers()))
    assert not m._forward_pre_hooks and not hasattr(m, "_initialize_hook") and not hasattr(m, "_load_hook")
    features = shape[-1] if name == "LazyLinear" else shape[1]
    assert (m.in_features if name == "LazyLinear" else
            m.num_features if "Norm" in name else m.in_channels) == features
    np.testing.assert_array_equal(to_numpy(m(_input(plugrad, shape))), to_numpy(y))


def test_lazy_linear_trains_with_an_optimizer_built_before_the_first_forward():
    plugrad.manual_seed(0)
    m = nn.LazyLinear(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch warns of nothing here
        opt = plugrad.optim.SGD(m.parameters(), lr=0.1)
    m(plugrad.ones(3, 4)).sum().backward()
    before = to_numpy(m.weight).copy()
    opt.step()
    np.testing.assert_allclose(to_numpy(m.weight), before - 0.1 * 3.0, rtol=1e-6)


def test_lazy_conv_errors():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but "
                                           r"got input of size: torch.Size\(\[2, 3\]\)"):
        nn.LazyConv2d(4, 3)(plugrad.ones(2, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(plugrad.ones(1, 3, 5, 5))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for LazyConvTranspose2d'):
        nn.LazyConvTranspose2d(4, 3, padding_mode="reflect")


def test_lazy_module_that_does_not_initialize_everything_raises():
    class Half(LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def initialize_parameters(self, x):
            pass

        def forward(self, x):
            return x

    with pytest.raises(RuntimeError, match="^module Half has not been fully initialized$"):
        Half()(plugrad.ones(1))


def test_requires_grad_and_share_memory_of_a_lazy_module_raise():
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        nn.LazyLinear(3).requires_grad_(False)
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter or buffer"):
        nn.LazyLinear(3).share_memory()


def test_dtype_conversion_before_the_first_forward_is_kept():
    m = nn.LazyBatchNorm1d().double()
    assert type(m.running_mean) is UninitializedBuffer and m.running_mean.dtype == plugrad.float64
    assert type(m.weight) is UninitializedParameter and m.weight.dtype == plugrad.float64
    assert m.num_batches_tracked.dtype == plugrad.int64
    m(plugrad.ones(2, 3, dtype=plugrad.float64))
    assert {t.dtype for t in m.state_dict().values()} == {plugrad.float64, plugrad.int64}
    lin = nn.LazyLinear(3, dtype=plugrad.float64)
    assert lin.weight.dtype == plugrad.float64
    lin.half()
    assert lin.weight.dtype == plugrad.float16 and type(lin.weight) is UninitializedParameter


def test_device_move_before_the_first_forward_is_kept():
    from plugrad.backend import default_backend_obj, resolve

    with fake_cuda_registered() as fake:
        other = resolve("cpu") if default_backend_obj().device_type != "cpu" else fake
        m = nn.LazyBatchNorm2d().to(other)
        assert all(t.device.type == other.device_type for t in (*m.parameters(), *m.buffers()))
        assert type(m.running_var) is UninitializedBuffer
        m(_input(plugrad, (2, 3, 2, 2)).to(other))
        assert all(t.device.type == other.device_type for t in (*m.parameters(), *m.buffers()))
        lin = nn.LazyLinear(2).cuda() if other.device_type == "cuda" else nn.LazyLinear(2).cpu()
        lin(plugrad.ones(1, 3).to(other))
        assert lin.weight.device.type == other.device_type and type(lin) is nn.Linear


def test_state_dict_of_a_lazy_module_holds_the_uninitialized_tensors():
    m = nn.LazyBatchNorm1d()
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["weight"] is m.weight and sd["running_mean"] is m.running_mean
    assert m.state_dict(keep_vars=True)["bias"] is m.bias


def test_loading_a_state_dict_materializes_a_lazy_module():
    src = nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    weight = m.weight
    assert repr(m.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    assert type(m) is nn.LazyLinear and m.weight is weight and type(weight) is nn.Parameter
    assert tuple(m.weight.shape) == (3, 5) and m.in_features == 0 and not m.has_uninitialized_params()
    m(plugrad.ones(2, 5))  # the loaded values stay
    assert type(m) is nn.Linear and m.in_features == 5
    np.testing.assert_array_equal(to_numpy(m.weight), to_numpy(src.weight))
    np.testing.assert_array_equal(to_numpy(m.bias), to_numpy(src.bias))


def test_loading_uninitialized_state_into_modules():
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
        nn.Linear(5, 3).load_state_dict(nn.LazyLinear(3).state_dict())
    m = nn.LazyLinear(3)
    m.load_state_dict(nn.LazyLinear(3).state_dict())
    assert type(m.weight) is UninitializedParameter
    partial = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"'):
        partial.load_state_dict({"weight": plugrad.ones(3, 2)})
    assert type(partial.weight) is nn.Parameter and type(partial.bias) is UninitializedParameter


def test_copied_and_pickled_lazy_modules_initialize_on_their_own():
    m = nn.LazyLinear(3)
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(twin) is nn.LazyLinear and type(twin.weight) is UninitializedParameter
        twin(plugrad.ones(1, 2))
        assert type(twin) is nn.Linear and tuple(twin.weight.shape) == (3, 2)
    assert type(m) is nn.LazyLinear and len(m._forward_pre_hooks) == 1 and len(m._load_state_dict_pre_hooks) == 1
    m(plugrad.ones(1, 4))
    assert tuple(m.weight.shape) == (3, 4)


# --- against PyTorch --------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, shape, becomes", LAZY_CASES, ids=IDS)
def test_lazy_modules_match_torch(torch, name, args, shape, becomes):
    results = {}
    for lib in (torch, plugrad):
        lib.manual_seed(0)
        m = getattr(lib.nn, name)(*args)
        before = (repr(m), {k: _repr(lib, v) for k, v in m.state_dict().items()})
        y = m(_input(lib, shape))
        after = {k: to_numpy(v) if lib is plugrad else v.detach().numpy() for k, v in m.state_dict().items()}
        results[lib.__name__] = (before, repr(m), type(m).__name__, after,
                                 to_numpy(y) if lib is plugrad else y.detach().numpy())
    t, p = results["torch"], results["plugrad"]
    assert p[:3] == t[:3]
    assert list(p[3]) == list(t[3])
    for key in t[3]:
        np.testing.assert_allclose(p[3][key], t[3][key], rtol=1e-6, atol=1e-7, err_msg=key)
    np.testing.assert_allclose(p[4], t[4], rtol=1e-5, atol=1e-6)


def test_lazy_norm_options_match_torch(torch):
    for kwargs in ({"affine": False}, {"track_running_stats": False}, {"bias": False}):
        for name in ("LazyBatchNorm1d", "LazyInstanceNorm1d"):
            reprs = []
            for lib in (torch, plugrad):
                m = getattr(lib.nn, name)(**kwargs)
                reprs.append((repr(m), {k: _repr(lib, v) for k, v in m.state_dict().items()},
                              [n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()]))
                m(_input(lib, (4, 3, 5)))
                reprs.append((repr(m), {k: tuple(v.shape) for k, v in m.state_dict().items()}))
            assert reprs[:2] == reprs[2:], (name, kwargs)


def test_uninitialized_messages_match_torch(torch):
    messages = []
    for lib in (torch, plugrad):
        p = lib.nn.UninitializedParameter()
        with pytest.raises(RuntimeError) as shape_error:
            p.shape  # noqa: B018
        with pytest.raises(ValueError) as use_error:
            p + 1
        with pytest.raises(RuntimeError) as share_error:
            p.share_memory_()
        with pytest.raises(RuntimeError) as load_error:
            lib.nn.Linear(5, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())
        messages.append((str(shape_error.value), _use_message_tail(str(use_error.value)), str(share_error.value),
                         str(load_error.value), repr(p), repr(lib.nn.UninitializedBuffer())))
    assert messages[0] == messages[1]


def test_lazy_state_dict_and_conversions_match_torch(torch):
    seen = []
    for lib in (torch, plugrad):
        m = lib.nn.LazyBatchNorm1d().double()
        kinds = {k: (type(v).__name__, str(v.dtype)) for k, v in m.state_dict().items()}
        src = lib.nn.BatchNorm1d(5)
        src(lib.arange(10.0).reshape(2, 5))
        lazy = lib.nn.LazyBatchNorm1d()
        loaded = repr(lazy.load_state_dict(src.state_dict()))
        values = {k: np.round(to_numpy(v) if lib is plugrad else v.numpy(), 6).tolist()
                  for k, v in lazy.state_dict().items()}
        seq = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.ReLU(), lib.nn.LazyConv2d(2, 1))
        seen.append((kinds, loaded, type(lazy).__name__, values, repr(seq), str(list(seq.state_dict().items()))))
    assert seen[0] == seen[1]


def test_weight_and_spectral_norm_refuse_uninitialized_parameters() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match="The module passed to `WeightNorm` can't have uninitialized parameters"):
            plugrad.nn.utils.weight_norm(plugrad.nn.LazyLinear(3))
    with pytest.raises(ValueError, match="The module passed to `SpectralNorm` can't have uninitialized parameters"):
        plugrad.nn.utils.spectral_norm(plugrad.nn.LazyLinear(3))
