"""3-d convolution and pooling, and the further layers of ``nn`` (LPPool, LocalResponseNorm, Bilinear,
AlphaDropout, ChannelShuffle, MaxUnpool, EmbeddingBag, gumbel_softmax, MultiLabelMarginLoss, the
Transformer decoder), against hard values and (when installed) PyTorch."""

from __future__ import annotations

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import to_numpy


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _both(torch, fn_p, fn_t, shapes, *, seed=0, tol=1e-10) -> None:
    """``fn`` on the same float64 inputs in both libraries: same output (and integer indices, when it returns
    a pair), and the same input gradients for a random output gradient."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    pt = [plugrad.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    yp, yt = fn_p(*pt), fn_t(*tt)
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(to_numpy(yp[1]), yt[1].numpy())
        assert str(yp[1].dtype) == str(yt[1].dtype)
        yp, yt = yp[0], yt[0]
    assert tuple(yp.shape) == tuple(yt.shape)
    np.testing.assert_allclose(to_numpy(yp), yt.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(tuple(yt.shape))
    yp.backward(plugrad.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(pt, tt):
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), rtol=tol, atol=tol)


def _copy_params(torch, src, dst) -> None:
    """PyTorch module ``dst`` gets the parameters and buffers of plugrad module ``src``."""
    with torch.no_grad():
        for k, v in dst.state_dict().items():
            v.copy_(torch.tensor(to_numpy(src.state_dict()[k])))


# --- 3-d convolution and pooling ---------------------------------------------------------------------------


def test_conv3d_and_pool3d_hard_values():
    x = plugrad.arange(8.0).reshape(1, 1, 2, 2, 2)
    assert F.conv3d(x, plugrad.ones(1, 1, 2, 2, 2)).tolist() == [[[[[28.0]]]]]
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    assert out.tolist() == [[[[[7.0]]]]] and idx.tolist() == [[[[[7]]]]]
    assert F.avg_pool3d(x, 2).tolist() == [[[[[3.5]]]]]
    assert F.adaptive_avg_pool3d(x, 1).tolist() == [[[[[3.5]]]]]
    # a 1x1x1 input spreads the kernel over the output
    y = F.conv_transpose3d(plugrad.ones(1, 1, 1, 1, 1), x)
    assert y.tolist() == x.tolist()
    # padding in depth counts towards the average unless count_include_pad=False
    p = F.avg_pool3d(plugrad.ones(1, 1, 2, 1, 1), (2, 1, 1), stride=1, padding=(1, 0, 0))
    assert p.flatten().tolist() == [0.5, 1.0, 0.5]
    q = F.avg_pool3d(plugrad.ones(1, 1, 2, 1, 1), (2, 1, 1), stride=1, padding=(1, 0, 0), count_include_pad=False)
    assert q.flatten().tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"padding": 1}, {"padding": (1, 0, 2), "dilation": (2, 1, 1)},
                                {"padding": "same", "dilation": 2}, {"padding": "valid"},
                                {"groups": 2, "stride": (1, 2, 3)}])
def test_conv3d_matches_torch(torch, kw):
    g = kw.get("groups", 1)
    _both(torch, lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: torch.nn.functional.conv3d(x, w, b, **kw),
          [(2, 4, 5, 6, 7), (6, 4 // g, 3, 2, 3), (6,)])


def test_conv3d_unbatched_matches_torch(torch):
    _both(torch, F.conv3d, torch.nn.functional.conv3d, [(4, 5, 6, 7), (3, 4, 2, 2, 2)])


@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"stride": (2, 1, 3), "padding": (1, 0, 1), "output_padding": (1, 0, 2)},
                                {"dilation": 2, "padding": 1}, {"groups": 2, "stride": 3, "output_padding": 1},
                                {"dilation": (3, 1, 1), "output_padding": (2, 0, 0)}])
def test_conv_transpose3d_matches_torch(torch, kw):
    g = kw.get("groups", 1)
    _both(torch, lambda x, w, b: F.conv_transpose3d(x, w, b, **kw),
          lambda x, w, b: torch.nn.functional.conv_transpose3d(x, w, b, **kw), [(2, 4, 3, 4, 5), (4, 3, 3, 2, 3), (3 * g,)])


_POOLS = [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
          {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "dilation": (2, 1, 1), "ceil_mode": True},
          {"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1}]


@pytest.mark.parametrize("kw", _POOLS)
def test_max_pool3d_matches_torch(torch, kw):
    _both(torch, lambda x: F.max_pool3d(x, return_indices=True, **kw),
          lambda x: torch.nn.functional.max_pool3d(x, return_indices=True, **kw), [(2, 3, 7, 6, 8)])
    _both(torch, lambda x: F.max_pool3d(x, **kw), lambda x: torch.nn.functional.max_pool3d(x, **kw), [(3, 7, 6, 8)])


@pytest.mark.parametrize("kw", _POOLS)
@pytest.mark.parametrize("extra", [{}, {"count_include_pad": False}, {"divisor_override": 5}])
def test_avg_pool3d_matches_torch(torch, kw, extra):
    kw = {k: v for k, v in kw.items() if k != "dilation"}
    _both(torch, lambda x: F.avg_pool3d(x, **kw, **extra), lambda x: torch.nn.functional.avg_pool3d(x, **kw, **extra),
          [(2, 3, 7, 6, 8)])


@pytest.mark.parametrize("size", [2, (3, None, 2), (1, 1, 1), (5, 4, 3)])
def test_adaptive_pool3d_matches_torch(torch, size):
    tf = torch.nn.functional
    _both(torch, lambda x: F.adaptive_avg_pool3d(x, size), lambda x: tf.adaptive_avg_pool3d(x, size), [(2, 3, 7, 6, 8)])
    _both(torch, lambda x: F.adaptive_max_pool3d(x, size, True), lambda x: tf.adaptive_max_pool3d(x, size, True),
          [(2, 3, 7, 6, 8)])
    _both(torch, lambda x: F.adaptive_max_pool3d(x, size, True), lambda x: tf.adaptive_max_pool3d(x, size, True),
          [(3, 7, 6, 8)])


@pytest.mark.parametrize("ctor", ["Conv3d(2, 4, 3, groups=2, padding='same')", "ConvTranspose3d(2, 4, (1, 2, 3), stride=2)",
                                  "Conv3d(2, 4, 3, padding=1, padding_mode='circular', bias=False)"])
def test_conv3d_modules_init_repr_and_forward_match_torch(torch, ctor):
    torch.manual_seed(3)
    plugrad.manual_seed(3)
    a, b = eval("plugrad.nn." + ctor), eval("torch.nn." + ctor)
    assert repr(a) == repr(b)
    np.testing.assert_allclose(to_numpy(a.weight.detach()), b.weight.detach().numpy(), atol=1e-6)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(a(plugrad.tensor(x)).detach()), b(torch.tensor(x)).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("ctor", ["MaxPool3d(2)", "MaxPool3d((2, 3, 1), stride=1, padding=(1, 1, 0))", "AvgPool3d(2)",
                                  "AvgPool3d((2, 2, 1), padding=(1, 1, 0), ceil_mode=True)", "AdaptiveAvgPool3d((2, None, 3))",
                                  "AdaptiveMaxPool3d(2)"])
def test_pool3d_modules_repr_and_forward_match_torch(torch, ctor):
    a, b = eval("plugrad.nn." + ctor), eval("torch.nn." + ctor)
    assert repr(a) == repr(b)
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 6, 4))
    np.testing.assert_allclose(to_numpy(a(plugrad.tensor(x))), b(torch.tensor(x)).numpy(), atol=1e-12)
