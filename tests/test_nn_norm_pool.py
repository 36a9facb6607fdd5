"""Normalisation, pooling and convolution layers: GroupNorm, InstanceNorm, RMSNorm, 1-d and adaptive pooling,
Conv1d and the transposed convolutions, against hard values and (when installed) PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import to_numpy
from plugrad import nn


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _arrays(seed: int, *shapes: tuple) -> list:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _both(torch, fn_p, fn_t, arrays, *, dtype="float64", tol=1e-10) -> None:
    """``fn`` on the same inputs in both libraries: same output, and the same input gradients for a random
    output gradient."""
    pt = [plugrad.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    tt = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    yp, yt = fn_p(*pt), fn_t(*tt)
    assert tuple(yp.shape) == tuple(yt.shape)
    np.testing.assert_allclose(to_numpy(yp), yt.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(99).standard_normal(tuple(yt.shape)).astype(dtype)
    yp.backward(plugrad.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(pt, tt):
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), rtol=tol, atol=tol)


def _copy_params(torch, src, dst) -> None:
    """PyTorch module ``dst`` gets the parameters and buffers of plugrad module ``src``."""
    with torch.no_grad():
        for k, v in dst.state_dict().items():
            v.copy_(torch.tensor(to_numpy(src.state_dict()[k])))


def _raises(exc, match, fn) -> None:
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == match


# --- GroupNorm -------------------------------------------------------------------------------------------


def test_group_norm_normalises_each_group_of_channels():
    x = plugrad.arange(8.0).reshape(1, 4, 2)
    y = F.group_norm(x, 2, eps=0.0)
    # each group holds 0..3 (then 4..7): mean 1.5, biased std sqrt(1.25)
    expected = (np.array([0, 1, 2, 3]) - 1.5) / np.sqrt(1.25)
    np.testing.assert_allclose(to_numpy(y).reshape(2, 4), [expected, expected], rtol=1e-6)
    m = nn.GroupNorm(2, 4)
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(nn.GroupNorm(1, 3, affine=False)) == "GroupNorm(1, 3, eps=1e-05, affine=False, bias=False)"


def test_group_norm_errors():
    _raises(ValueError, "num_channels (6) must be divisible by num_groups (4)", lambda: nn.GroupNorm(4, 6))
    x = plugrad.zeros(2, 6, 4)
    _raises(RuntimeError, "Expected number of channels in input to be divisible by num_groups, but got input of "
            "shape [2, 6, 4] and num_groups=4", lambda: F.group_norm(x, 4))
    _raises(RuntimeError, "Expected at least 2 dimensions for input tensor but received 1",
            lambda: F.group_norm(plugrad.zeros(3), 1))
    _raises(ValueError, "Expected more than 1 value per channel when training, got input size [1, 2]",
            lambda: F.group_norm(plugrad.zeros(1, 2), 2))
    _raises(RuntimeError, "Expected weight to be a vector of size equal to the number of channels in input, but got "
            "weight of shape [5] and input of shape [2, 6, 4]", lambda: F.group_norm(x, 3, plugrad.ones(5)))


def test_group_norm_matches_torch(torch):
    x, w, b = _arrays(0, (3, 6, 4, 2), (6,), (6,))
    _both(torch, lambda x, w, b: F.group_norm(x, 3, w, b, 1e-3),
          lambda x, w, b: torch.nn.functional.group_norm(x, 3, w, b, 1e-3), [x, w, b])
    _both(torch, lambda x: F.group_norm(x, 2), lambda x: torch.nn.functional.group_norm(x, 2), [x])


# --- InstanceNorm ----------------------------------------------------------------------------------------


def test_instance_norm_modules_repr_state_and_checks():
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert repr(m) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(nn.InstanceNorm1d(4)) == ("InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                                          "track_running_stats=False)")
    assert list(nn.InstanceNorm1d(4).state_dict()) == []
    _raises(ValueError, "expected input's size at dim=1 to match num_features (3), but got: 4.",
            lambda: m(plugrad.zeros(2, 4, 3, 3)))
    _raises(ValueError, "expected 2D or 3D input (got 4D input)", lambda: nn.InstanceNorm1d(3)(plugrad.zeros(1, 3, 2, 2)))
    _raises(ValueError, "expected 3D or 4D input (got 2D input)", lambda: nn.InstanceNorm2d(3)(plugrad.zeros(2, 3)))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(3)(plugrad.randn(2, 4, 3))
    _raises(ValueError, "Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1])",
            lambda: F.instance_norm(plugrad.zeros(2, 3, 1)))
    _raises(RuntimeError, "running_mean should contain 12 elements not 10",
            lambda: F.instance_norm(plugrad.zeros(2, 6, 4), plugrad.zeros(5), plugrad.ones(6)))
    _raises(RuntimeError, "Expected running_mean and running_var to be defined when use_input_stats is false",
            lambda: F.instance_norm(plugrad.zeros(2, 6, 4), use_input_stats=False))


def test_instance_norm_normalises_each_sample_and_channel():
    x = plugrad.tensor([[[1.0, 3.0], [0.0, 10.0]]])
    y = nn.InstanceNorm1d(2)(x)
    np.testing.assert_allclose(to_numpy(y), [[[-1, 1], [-1, 1]]], atol=1e-4)
    # unbatched (C, L) input gives the same numbers without the batch dim
    np.testing.assert_allclose(to_numpy(nn.InstanceNorm1d(2)(x[0])), [[-1, 1], [-1, 1]], atol=1e-4)


def test_instance_norm_running_stats_and_eval_match_torch(torch):
    (xn, gn) = _arrays(1, (2, 3, 4, 4), (2, 3, 4, 4))
    mp = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)
    mt = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3).double()
    mp.double()
    with plugrad.no_grad():
        mp.weight.copy_(plugrad.tensor([0.5, 1.0, 2.0], dtype=plugrad.float64))
    _copy_params(torch, mp, mt)
    xp, xt = plugrad.tensor(xn, requires_grad=True), torch.tensor(xn, requires_grad=True)
    (mp(xp) * plugrad.tensor(gn)).sum().backward()
    (mt(xt) * torch.tensor(gn)).sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(to_numpy(mp.weight.grad), mt.weight.grad.numpy(), atol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(to_numpy(getattr(mp, name)), getattr(mt, name).numpy(), atol=1e-12)
    assert int(mp.num_batches_tracked) == 0  # instance norm never counts batches
    mp.eval()
    mt.eval()
    np.testing.assert_allclose(to_numpy(mp(plugrad.tensor(xn))), mt(torch.tensor(xn)).detach().numpy(), atol=1e-10)


# --- RMSNorm ---------------------------------------------------------------------------------------------


def test_rms_norm_values_repr_and_errors():
    y = F.rms_norm(plugrad.tensor([[1.0, 2.0, 3.0]]), (3,))
    np.testing.assert_allclose(to_numpy(y), [[0.46291, 0.92582, 1.38873]], rtol=1e-4)
    assert y.dtype is plugrad.float32
    m = nn.RMSNorm(4)
    assert repr(m) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    assert repr(nn.RMSNorm([3, 4], eps=1e-6, elementwise_affine=False)) == \
        "RMSNorm((3, 4), eps=1e-06, elementwise_affine=False)"
    assert list(m.state_dict()) == ["weight"]
    x = plugrad.zeros(2, 6, 4)
    _raises(RuntimeError, "Given normalized_shape=[5], expected input with shape [*5], but got input of size[2, 6, 4]",
            lambda: F.rms_norm(x, (5,)))
    _raises(RuntimeError, "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and "
            "normalized_shape = [4]", lambda: F.rms_norm(x, (4,), plugrad.ones(3)))


def test_rms_norm_matches_torch(torch):
    x, w = _arrays(2, (3, 4, 5), (4, 5))
    _both(torch, lambda x, w: F.rms_norm(x, (4, 5), w), lambda x, w: torch.nn.functional.rms_norm(x, (4, 5), w), [x, w])
    _both(torch, lambda x: F.rms_norm(x, 5, eps=0.1), lambda x: torch.nn.functional.rms_norm(x, (5,), eps=0.1), [x])
    assert F.rms_norm(plugrad.ones(2, 3, requires_grad=True), (3,)).grad_fn.name() == "MulBackward0"


# --- 1-d and adaptive pooling ----------------------------------------------------------------------------


def test_one_d_pooling_values_and_indices():
    x = plugrad.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0, 4.0, -1.0]]])
    np.testing.assert_allclose(to_numpy(F.avg_pool1d(x, 3)), [[[8 / 3, 7 / 3]]], rtol=1e-6)
    # padded ends count in the divisor by default, not with count_include_pad=False
    np.testing.assert_allclose(to_numpy(F.avg_pool1d(x, 2, 2, 1)), [[[0.5, 3.5, 1.5, 1.5]]], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(F.avg_pool1d(x, 2, 2, 1, count_include_pad=False)), [[[1, 3.5, 1.5, 1.5]]])
    out, idx = F.max_pool1d(x, 3, 2, return_indices=True)
    np.testing.assert_allclose(to_numpy(out), [[[5, 3, 4]]])
    assert to_numpy(idx).tolist() == [[[1, 4, 5]]] and idx.dtype is plugrad.int64
    np.testing.assert_allclose(to_numpy(F.adaptive_avg_pool1d(x, 2)), [[[2.0, 1.5]]], rtol=1e-6)
    out, idx = F.adaptive_max_pool1d(x, 3, return_indices=True)
    np.testing.assert_allclose(to_numpy(out), [[[5, 3, 4]]])
    assert to_numpy(idx).tolist() == [[[1, 4, 5]]]


def test_adaptive_max_pool2d_takes_the_first_maximum_in_row_major_order():
    x = plugrad.tensor([[[1.0, 7.0, 7.0], [7.0, 2.0, 0.0], [3.0, 3.0, 1.0]]], requires_grad=True)
    out, idx = F.adaptive_max_pool2d(x, (1, 1), return_indices=True)
    assert to_numpy(out).tolist() == [[[7.0]]] and to_numpy(idx).tolist() == [[[1]]]
    out.sum().backward()
    assert to_numpy(x.grad).tolist() == [[[0, 1, 0], [0, 0, 0], [0, 0, 0]]]
    out, idx = F.adaptive_max_pool2d(x, (2, None), return_indices=True)
    assert tuple(out.shape) == (1, 2, 3)
    assert to_numpy(idx).tolist() == [[[3, 1, 2], [3, 7, 8]]]


def test_pooling_modules_repr():
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AvgPool1d(3, 2, 1, True, False)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(nn.MaxPool1d(3, 2, 1, 2, True, True)) == \
        "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"
    assert repr(nn.AdaptiveAvgPool1d(3)) == "AdaptiveAvgPool1d(output_size=3)"
    assert repr(nn.AdaptiveMaxPool1d(2, True)) == "AdaptiveMaxPool1d(output_size=2)"
    assert repr(nn.AdaptiveMaxPool2d((3, None))) == "AdaptiveMaxPool2d(output_size=(3, None))"
    out, idx = nn.MaxPool1d(2, return_indices=True)(plugrad.tensor([[1.0, 3.0, 2.0, 0.0]]))
    assert to_numpy(out).tolist() == [[3.0, 2.0]] and to_numpy(idx).tolist() == [[1, 2]]


def test_pooling_errors():
    x4 = plugrad.zeros(2, 3, 4, 5)
    x = plugrad.zeros(2, 3, 7)
    _raises(RuntimeError, "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
            "checking arguments for avg_pool1d)", lambda: F.avg_pool1d(x4, 3))
    _raises(RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
            "dilation=1", lambda: F.avg_pool1d(x, 3, padding=2))
    _raises(RuntimeError, "Given input size: (3x1x7). Calculated output size: (3x1x0). Output size is too small",
            lambda: F.avg_pool1d(x, 9))
    _raises(RuntimeError, "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            "input, but got:[2, 3, 4, 5]", lambda: F.max_pool1d(x4, 3))
    _raises(RuntimeError, "max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
            "kernel_size=3", lambda: F.max_pool1d(x, 3, padding=2))
    _raises(RuntimeError, "max_pool1d() Invalid computed output size: 0", lambda: F.max_pool1d(x, 9))
    _raises(RuntimeError, "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [3, 7]",
            lambda: F.adaptive_max_pool2d(plugrad.zeros(3, 7), 2))
    _raises(RuntimeError, "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
            "input has sizes [1, 3, 7, 0] with dimension 3 being empty",
            lambda: F.adaptive_max_pool2d(plugrad.zeros(1, 3, 7, 0), 2))
    _raises(RuntimeError, "adaptive_max_pool2d(): internal error: output_size.size() must be 2",
            lambda: F.adaptive_max_pool2d(x4, (2, 2, 2)))
    _raises(RuntimeError, "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but "
            "input has sizes [1, 3, 0] with dimension 2 being empty",
            lambda: F.adaptive_max_pool1d(plugrad.zeros(1, 3, 0), 2))


@pytest.mark.parametrize("case", [
    ("avg_pool1d", (2, 3, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool1d", (3, 9), dict(kernel_size=4)),
    ("max_pool1d", (2, 3, 10), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("adaptive_avg_pool1d", (2, 3, 9), dict(output_size=4)),
    ("adaptive_max_pool1d", (2, 3, 9), dict(output_size=4)),
    ("adaptive_max_pool2d", (2, 3, 7, 9), dict(output_size=(3, 4))),
    ("adaptive_max_pool2d", (3, 5, 6), dict(output_size=(None, 4))),
], ids=lambda c: c[0] + str(len(c[1])) + "d")
def test_pooling_matches_torch_with_gradients_and_indices(torch, case):
    name, shape, kw = case
    (x,) = _arrays(3, shape)
    _both(torch, lambda t: getattr(F, name)(t, **kw), lambda t: getattr(torch.nn.functional, name)(t, **kw), [x])
    if name.startswith(("max", "adaptive_max")):
        _, ip = getattr(F, name)(plugrad.tensor(x), return_indices=True, **kw)
        _, it = getattr(torch.nn.functional, name)(torch.tensor(x), return_indices=True, **kw)
        assert to_numpy(ip).tolist() == it.tolist()


# --- Conv1d and the transposed convolutions --------------------------------------------------------------


def test_conv1d_values_and_reprs():
    x = plugrad.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    w = plugrad.tensor([[[1.0, 0.0, -1.0]]])
    assert to_numpy(F.conv1d(x, w)).tolist() == [[[-2.0, -2.0]]]
    assert to_numpy(F.conv1d(x, w, padding="same")).tolist() == [[[-2.0, -2.0, -2.0, 3.0]]]
    assert repr(nn.Conv1d(3, 4, 3)) == "Conv1d(3, 4, kernel_size=(3,), stride=(1,))"
    assert repr(nn.Conv1d(3, 4, 3, 2, 1, 2, 1, False, "reflect")) == \
        "Conv1d(3, 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), bias=False, padding_mode=reflect)"
    assert repr(nn.Conv1d(4, 4, (3,), padding="same", groups=2)) == \
        "Conv1d(4, 4, kernel_size=(3,), stride=(1,), padding=same, groups=2)"
    assert repr(nn.ConvTranspose2d(3, 4, 3)) == "ConvTranspose2d(3, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.ConvTranspose2d(3, 4, 3, 2, 1, 1, 1, False, 2)) == ("ConvTranspose2d(3, 4, kernel_size=(3, 3), "
                                                                      "stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
                                                                      "output_padding=(1, 1), bias=False)")
    assert repr(nn.ConvTranspose1d(3, 4, 3, stride=2, output_padding=1)) == \
        "ConvTranspose1d(3, 4, kernel_size=(3,), stride=(2,), output_padding=(1,))"
    m = nn.ConvTranspose1d(4, 6, 3, groups=2)
    assert tuple(m.weight.shape) == (4, 3, 3) and tuple(m.bias.shape) == (6,)


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(x, w), y> == <x, conv_transpose(y, w)>
    x, w, y = (plugrad.tensor(a) for a in _arrays(4, (2, 3, 7, 6), (4, 3, 3, 2), (2, 4, 4, 4)))
    lhs = float((F.conv2d(x, w, stride=2, padding=1) * y).sum())
    rhs = float((x * F.conv_transpose2d(y, w, stride=2, padding=1)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-4)


def test_conv_errors():
    x = plugrad.zeros(2, 3, 7)
    w = plugrad.zeros(4, 3, 3)
    _raises(RuntimeError, "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
            "[2, 3, 4, 5]", lambda: F.conv1d(plugrad.zeros(2, 3, 4, 5), w))
    _raises(RuntimeError, "Expected 4-dimensional input for 4-dimensional weight [4, 3, 3, 3], but got 3-dimensional "
            "input of size [2, 3, 7] instead", lambda: F.conv1d(x, plugrad.zeros(4, 3, 3, 3)))
    _raises(RuntimeError, "Given groups=1, weight of size [4, 2, 3], expected input[2, 3, 7] to have 2 channels, but "
            "got 3 channels instead", lambda: F.conv1d(x, plugrad.zeros(4, 2, 3)))
    _raises(RuntimeError, "Given weight of size [4, 3, 3], expected bias to be 1-dimensional with 4 elements, but got "
            "bias of size [3] instead", lambda: F.conv1d(x, w, plugrad.zeros(3)))
    _raises(RuntimeError, "Calculated padded input size per channel: (7). Kernel size: (9). Kernel size can't be "
            "greater than actual input size", lambda: F.conv1d(x, plugrad.zeros(4, 3, 9)))
    _raises(RuntimeError, "padding='same' is not supported for strided convolutions",
            lambda: F.conv1d(x, w, stride=2, padding="same"))
    x4, w4 = plugrad.zeros(2, 3, 4, 4), plugrad.zeros(3, 2, 3, 3)
    _raises(RuntimeError, "output padding must be smaller than either stride or dilation, but got "
            "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 "
            "dilation_width: 1", lambda: F.conv_transpose2d(x4, w4, stride=2, output_padding=2))
    _raises(RuntimeError, "Given transposed=1, weight of size [3, 2, 3, 3], expected input[2, 4, 4, 4] to have 3 "
            "channels, but got 4 channels instead", lambda: F.conv_transpose2d(plugrad.zeros(2, 4, 4, 4), w4))
    _raises(TypeError, "conv_transpose2d(): argument 'padding' must be tuple of ints, not str",
            lambda: F.conv_transpose2d(x4, w4, padding="same"))
    _raises(ValueError, 'Only "zeros" padding mode is supported for ConvTranspose2d',
            lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"))
    _raises(ValueError, "in_channels must be divisible by groups", lambda: nn.Conv1d(3, 4, 3, groups=2))
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(3, 4, 3, padding_mode="foo")
    m = nn.ConvTranspose2d(3, 4, 3, stride=2)
    assert tuple(m(plugrad.zeros(1, 3, 4, 4), output_size=[10, 10]).shape) == (1, 4, 10, 10)
    _raises(ValueError, "requested an output size of [12, 10], but valid sizes range from [9, 9] to [10, 10] (for an "
            "input of torch.Size([4, 4]))", lambda: m(plugrad.zeros(1, 3, 4, 4), output_size=[12, 10]))


@pytest.mark.parametrize("case", [
    ("conv1d", (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    ("conv1d", (4, 9), (6, 4, 4), dict(padding="same", dilation=2)),
    ("conv_transpose1d", (2, 4, 6), (4, 2, 3), dict(stride=3, padding=1, output_padding=2)),
    ("conv_transpose1d", (4, 6), (4, 2, 3), dict(stride=2)),
    ("conv_transpose2d", (2, 4, 3, 5), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (2, 4, 3, 5), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), groups=2, dilation=(1, 2))),
    # an output padding of the stride or more, allowed because the dilation is larger
    ("conv_transpose2d", (1, 2, 4, 4), (2, 3, 2, 2), dict(padding=1, dilation=3, output_padding=(1, 2))),
], ids=lambda c: c[0])
def test_convolutions_match_torch(torch, case):
    name, xs, ws, kw = case
    out_channels = ws[0] if name == "conv1d" else ws[1] * kw.get("groups", 1)
    x, w, b = _arrays(5, xs, ws, (out_channels,))
    _both(torch, lambda x, w, b: getattr(F, name)(x, w, b, **kw),
          lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes_match_torch(torch, mode):
    (x,) = _arrays(6, (2, 2, 7, 6))
    for ctor, xin in ((lambda lib: lib.nn.Conv1d(2, 3, 3, padding="same", padding_mode=mode, dilation=2), x[:, :, 0]),
                      (lambda lib: lib.nn.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode), x)):
        mp, mt = ctor(plugrad).double(), ctor(torch).double()
        _copy_params(torch, mp, mt)
        _both(torch, mp, mt, [xin])


def test_conv_modules_initialise_as_torch_after_the_same_seed(torch):
    for ctor in (lambda lib: lib.nn.Conv1d(3, 4, 3), lambda lib: lib.nn.ConvTranspose2d(3, 4, (2, 3)),
                 lambda lib: lib.nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)):
        plugrad.manual_seed(0)
        mp = ctor(plugrad)
        torch.manual_seed(0)
        mt = ctor(torch)
        assert list(mp.state_dict()) == list(mt.state_dict())
        for k, v in mt.state_dict().items():
            np.testing.assert_allclose(to_numpy(mp.state_dict()[k]), v.numpy(), rtol=1e-6, atol=1e-7)


def test_conv_transpose_and_adaptive_max_pool_gradcheck():
    from plugrad.autograd import gradcheck, gradgradcheck

    x, w = (plugrad.tensor(a, requires_grad=True) for a in _arrays(7, (1, 2, 3, 3), (2, 2, 2, 2)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), (x, w))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2), (x, w))
    (y,) = (plugrad.tensor(a, requires_grad=True) for a in _arrays(8, (1, 2, 5, 4)))
    assert gradcheck(lambda y: F.adaptive_max_pool2d(y, (2, 3)), (y,))
    assert gradcheck(lambda y: F.group_norm(y, 2) * 3, (y,))


def test_no_warning_for_matching_instance_norm_features():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(4)(plugrad.randn(2, 4, 3))


# --- padding, resampling and fold modules ----------------------------------------------------------------


def test_padding_modules_values_and_reprs():
    x = plugrad.tensor([[[1.0, 2.0, 3.0]]])
    assert to_numpy(nn.ReflectionPad1d(2)(x)).tolist() == [[[3, 2, 1, 2, 3, 2, 1]]]
    assert to_numpy(nn.ReplicationPad1d((1, 2))(x)).tolist() == [[[1, 1, 2, 3, 3, 3]]]
    assert to_numpy(nn.CircularPad1d(1)(x)).tolist() == [[[3, 1, 2, 3, 1]]]
    assert to_numpy(nn.ConstantPad1d((1, 0), 3.5)(x)).tolist() == [[[3.5, 1, 2, 3]]]
    assert tuple(nn.ZeroPad2d((1, 0, 2, 1))(plugrad.zeros(1, 2, 3)).shape) == (1, 5, 4)
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert repr(nn.ConstantPad1d((1, 2), 3.5)) == "ConstantPad1d(padding=(1, 2), value=3.5)"
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"
    assert repr(nn.ReplicationPad1d([1, 2])) == "ReplicationPad1d((1, 2))"
    _raises(ValueError, "expected 3D or 4D input (got 2D input)", lambda: nn.CircularPad2d(1)(plugrad.zeros(2, 2)))


@pytest.mark.parametrize("module", ["ZeroPad2d((1, 0, 2, 1))", "ConstantPad2d(1, -2.0)", "ReflectionPad2d((2, 1, 0, 2))",
                                    "ReplicationPad2d((1, 2, 0, 3))", "CircularPad2d((1, 0, 2, 1))",
                                    "ReflectionPad3d(1)", "ReplicationPad3d((1, 0, 0, 1, 2, 0))"])
def test_padding_modules_match_torch(torch, module):
    (x,) = _arrays(9, (2, 3, 4, 5))
    _both(torch, eval("nn." + module), eval("torch.nn." + module), [x])


def test_pixel_shuffle_round_trip_and_errors():
    x = plugrad.arange(16.0).reshape(1, 4, 2, 2)
    y = F.pixel_shuffle(x, 2)
    assert to_numpy(y)[0, 0].tolist() == [[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]]
    assert to_numpy(nn.PixelUnshuffle(2)(y)).tolist() == to_numpy(x).tolist()
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    _raises(RuntimeError, "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            "upscale_factor, but input.size(-3)=5 is not divisible by 4",
            lambda: F.pixel_shuffle(plugrad.zeros(1, 5, 2, 2), 2))
    _raises(RuntimeError, "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 "
            "is not divisible by 2", lambda: F.pixel_unshuffle(plugrad.zeros(1, 1, 3, 4), 2))
    _raises(RuntimeError, "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
            "dimension(s)", lambda: F.pixel_shuffle(plugrad.zeros(5, 2), 2))


def test_interpolate_values_reprs_and_errors():
    x = plugrad.tensor([[[1.0, 2.0, 4.0]]])
    assert to_numpy(F.interpolate(x, scale_factor=2)).tolist() == [[[1, 1, 2, 2, 4, 4]]]
    np.testing.assert_allclose(to_numpy(F.interpolate(x, size=5, mode="linear", align_corners=True)),
                               [[[1, 1.5, 2, 3, 4]]])
    np.testing.assert_allclose(to_numpy(F.interpolate(x, scale_factor=2, mode="linear")),
                               [[[1, 1.25, 1.75, 2.5, 3.5, 4]]])
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"
    x4 = plugrad.zeros(1, 2, 3, 4)
    _raises(ValueError, "only one of size or scale_factor should be defined",
            lambda: F.interpolate(x4, size=2, scale_factor=2))
    _raises(ValueError, "either size or scale_factor should be defined", lambda: F.interpolate(x4))
    _raises(ValueError, "align_corners option can only be set with the interpolating modes: linear | bilinear | "
            "bicubic | trilinear", lambda: F.interpolate(x4, scale_factor=2, align_corners=True))
    _raises(NotImplementedError, "Got 4D input, but linear mode needs 3D input",
            lambda: F.interpolate(x4, scale_factor=2, mode="linear"))
    with pytest.raises(ValueError, match="Input and output must have the same number of spatial dimensions"):
        F.interpolate(x4, size=(2, 3, 4))


@pytest.mark.parametrize("case", [
    ((1, 2, 7), dict(scale_factor=0.6)),
    ((1, 2, 3, 5), dict(scale_factor=(2.5, 1.3))),
    ((1, 2, 3, 5), dict(size=(7, 4), mode="nearest-exact")),
    ((1, 2, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 2, 3, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((2, 2, 3, 5), dict(size=(7, 1), mode="bilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(size=(4, 2, 7), mode="trilinear")),
    ((2, 2, 7, 5), dict(size=(3, 2), mode="area")),
], ids=lambda c: c[1].get("mode", "nearest") + str(len(c[0]) - 2) + "d")
def test_interpolate_matches_torch(torch, case):
    shape, kw = case
    (x,) = _arrays(10, shape)
    _both(torch, lambda t: F.interpolate(t, **kw), lambda t: torch.nn.functional.interpolate(t, **kw), [x])


def test_fold_modules_invert_unfold_without_overlap():
    x = plugrad.arange(24.0).reshape(1, 2, 3, 4)
    cols = nn.Unfold((3, 2), stride=(3, 2))(x)
    assert tuple(cols.shape) == (1, 12, 2)
    assert to_numpy(nn.Fold((3, 4), (3, 2), stride=(3, 2))(cols)).tolist() == to_numpy(x).tolist()
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Fold((4, 5), 2)) == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"
