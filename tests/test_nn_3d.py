"""3-d convolution and pooling, and the further layers of ``nn`` (LPPool, LocalResponseNorm, Bilinear,
AlphaDropout, ChannelShuffle, MaxUnpool, EmbeddingBag, gumbel_softmax, MultiLabelMarginLoss, the
Transformer decoder), against hard values and (when installed) PyTorch."""

from __future__ import annotations

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import to_numpy
from plugrad import nn


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


# --- LPPool, LocalResponseNorm, Bilinear, ChannelShuffle, MaxUnpool, EmbeddingBag, MultiLabelMarginLoss -----


def test_layers_hard_values():
    x = plugrad.tensor([[[3.0, 4.0]]])
    assert F.lp_pool1d(x, 2, 2).tolist() == [[[5.0]]]
    assert F.channel_shuffle(plugrad.arange(4.0).reshape(1, 4, 1), 2).flatten().tolist() == [0.0, 2.0, 1.0, 3.0]
    v, i = F.max_pool1d(plugrad.tensor([[[1.0, 5.0, 7.0, 2.0]]]), 2, return_indices=True)
    assert F.max_unpool1d(v, i, 2).tolist() == [[[0.0, 5.0, 7.0, 0.0]]]
    w = plugrad.arange(6.0).reshape(3, 2)
    bag = F.embedding_bag(plugrad.tensor([0, 2, 1]), w, plugrad.tensor([0, 2]), mode="sum")
    assert bag.tolist() == [[4.0, 6.0], [2.0, 3.0]]
    # targets 3 and 0 against classes 1 and 2: (1 - (0.8 - 0.2)) + (1 - (0.8 - 0.4)) + (1 - (0.1 - 0.2)) + ...
    loss = F.multilabel_margin_loss(plugrad.tensor([[0.1, 0.2, 0.4, 0.8]]), plugrad.tensor([[3, 0, -1, 1]]))
    assert abs(loss.item() - 0.85) < 1e-6
    assert F.bilinear(plugrad.ones(1, 2), plugrad.ones(1, 3), plugrad.ones(4, 2, 3)).tolist() == [[6.0] * 4]


@pytest.mark.parametrize("case", ["lp2", "lp2s", "lp1", "lp3"])
def test_lp_pool_matches_torch(torch, case):
    tf = torch.nn.functional
    fns = {"lp2": (lambda x: F.lp_pool2d(x, 2, 2), lambda x: tf.lp_pool2d(x, 2, 2)),
           "lp2s": (lambda x: F.lp_pool2d(x, 3, (2, 3), 1, True), lambda x: tf.lp_pool2d(x, 3, (2, 3), 1, True)),
           "lp1": (lambda x: F.lp_pool1d(x[0], 2, 3), lambda x: tf.lp_pool1d(x[0], 2, 3)),
           "lp3": (lambda x: F.lp_pool3d(x, 2, 2), lambda x: tf.lp_pool3d(x, 2, 2))}[case]
    a = np.abs(np.random.default_rng(0).standard_normal((2, 3, 6, 8))) + 0.1
    pt, tt = plugrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    yp, yt = fns[0](pt), fns[1](tt)
    np.testing.assert_allclose(to_numpy(yp.detach()), yt.detach().numpy(), atol=1e-10)
    yp.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(to_numpy(pt.grad), tt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("shape", [(2, 5, 7), (2, 6, 3, 4), (2, 6, 3, 4, 2)])
def test_local_response_norm_matches_torch(torch, shape):
    tf = torch.nn.functional
    _both(torch, lambda x: F.local_response_norm(x, 3), lambda x: tf.local_response_norm(x, 3), [shape])
    _both(torch, lambda x: F.local_response_norm(x, 2, 0.1, 0.5, 2.0),
          lambda x: tf.local_response_norm(x, 2, 0.1, 0.5, 2.0), [shape])


def test_bilinear_and_channel_shuffle_match_torch(torch):
    tf = torch.nn.functional
    _both(torch, F.bilinear, tf.bilinear, [(4, 3), (4, 5), (2, 3, 5), (2,)])
    _both(torch, F.bilinear, tf.bilinear, [(2, 4, 3), (2, 4, 5), (2, 3, 5)])
    _both(torch, lambda x: F.channel_shuffle(x, 3), lambda x: tf.channel_shuffle(x, 3), [(2, 6, 3, 2)])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_matches_torch(torch, n):
    tf = torch.nn.functional
    shape = (2, 3, 4, 6, 8)[: n + 2]
    a = np.random.default_rng(n).standard_normal(shape)
    v, idx = getattr(tf, f"max_pool{n}d")(torch.tensor(a), 2, return_indices=True)
    for size in (None, [s + 1 for s in shape[2:]]):
        pv = plugrad.tensor(v.numpy(), requires_grad=True)
        tv = v.clone().requires_grad_(True)
        yp = getattr(F, f"max_unpool{n}d")(pv, plugrad.tensor(idx.numpy()), 2, output_size=size)
        yt = getattr(tf, f"max_unpool{n}d")(tv, idx, 2, output_size=size)
        np.testing.assert_array_equal(to_numpy(yp.detach()), yt.detach().numpy())
        (yp * plugrad.arange(float(yp.numel())).reshape(yp.shape)).sum().backward()
        (yt * torch.arange(float(yt.numel())).reshape(yt.shape)).sum().backward()
        np.testing.assert_array_equal(to_numpy(pv.grad), tv.grad.numpy())


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"rows": True}, {"include_last_offset": True}])
def test_embedding_bag_matches_torch(torch, mode, kw):
    inp = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    off = np.array([0, 3, 8]) if kw.get("include_last_offset") else np.array([0, 4, 4])
    kw = dict(kw)
    if kw.pop("rows", False):
        inp, off = inp.reshape(2, 4), None

    def call(lib, fn, w):
        offsets = None if off is None else lib.tensor(off)
        return fn(lib.tensor(inp), w, offsets, mode=mode, **kw)

    _both(torch, lambda w: call(plugrad, F.embedding_bag, w),
          lambda w: call(torch, torch.nn.functional.embedding_bag, w), [(10, 3)])


def test_embedding_bag_per_sample_weights_match_torch(torch):
    inp, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4, 4])
    _both(torch, lambda w, p: F.embedding_bag(plugrad.tensor(inp), w, plugrad.tensor(off), mode="sum",
                                              per_sample_weights=p),
          lambda w, p: torch.nn.functional.embedding_bag(torch.tensor(inp), w, torch.tensor(off), mode="sum",
                                                         per_sample_weights=p), [(10, 3), (8,)])
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(plugrad.tensor(inp), plugrad.ones(10, 3), plugrad.tensor(off),
                        per_sample_weights=plugrad.ones(8))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(torch, reduction):
    tgt = np.array([[3, 0, -1, 1], [1, 2, 3, 0]])
    rng = np.random.default_rng(4)
    for x, t in ((rng.standard_normal((2, 4)), tgt), (rng.standard_normal(4), tgt[0])):
        px, tx = plugrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yp = plugrad.nn.MultiLabelMarginLoss(reduction=reduction)(px, plugrad.tensor(t))
        yt = torch.nn.MultiLabelMarginLoss(reduction=reduction)(tx, torch.tensor(t))
        np.testing.assert_allclose(to_numpy(yp.detach()), yt.detach().numpy(), atol=1e-12)
        yp.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_alpha_dropout_draws_as_torch(torch, fn, p):
    a = np.random.default_rng(5).standard_normal((4, 5, 3)).astype(np.float32)
    torch.manual_seed(5)
    plugrad.manual_seed(5)
    got = getattr(F, fn)(plugrad.tensor(a), p, True)
    np.testing.assert_allclose(to_numpy(got), getattr(torch.nn.functional, fn)(torch.tensor(a), p, True).numpy(),
                               atol=1e-6)
    np.testing.assert_array_equal(to_numpy(getattr(F, fn)(plugrad.tensor(a), p)), a)  # training=False by default
    module = plugrad.nn.AlphaDropout(p) if fn == "alpha_dropout" else plugrad.nn.FeatureAlphaDropout(p)
    np.testing.assert_array_equal(to_numpy(module.eval()(plugrad.tensor(a))), a)


@pytest.mark.parametrize("ctor", ["LPPool1d(2, 3)", "LPPool2d(2.0, (2, 3), stride=1)", "LocalResponseNorm(2)",
                                  "Bilinear(2, 3, 4)", "Bilinear(2, 3, 4, bias=False)", "AlphaDropout(0.2)",
                                  "FeatureAlphaDropout()", "ChannelShuffle(2)", "MaxUnpool2d(2)", "MaxUnpool1d(3, 1)",
                                  "MaxUnpool3d(2)", "EmbeddingBag(5, 3)",
                                  "EmbeddingBag(5, 3, mode='sum', padding_idx=0, max_norm=1.0)",
                                  "MultiLabelMarginLoss()"])
def test_layer_modules_repr_and_init_match_torch(torch, ctor):
    torch.manual_seed(1)
    plugrad.manual_seed(1)
    a, b = eval("plugrad.nn." + ctor), eval("torch.nn." + ctor)
    assert repr(a) == repr(b)
    for k, v in b.state_dict().items():
        np.testing.assert_allclose(to_numpy(a.state_dict()[k]), v.numpy(), atol=1e-6)


# --- Transformer decoder -------------------------------------------------------------------------------------


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.tolist() == [[0.0, float("-inf"), float("-inf")], [0.0, 0.0, float("-inf")], [0.0, 0.0, 0.0]]
    assert m.dtype is plugrad.float32


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True}, {"activation": "gelu", "bias": False}])
def test_transformer_init_forward_and_grad_match_torch(torch, kw):
    torch.manual_seed(0)
    plugrad.manual_seed(0)
    tm = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kw)
    pm = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kw)
    assert list(tm.state_dict()) == list(pm.state_dict())
    assert repr(pm) == repr(tm)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(to_numpy(pm.state_dict()[k]), v.numpy(), atol=1e-6)
    rng = np.random.default_rng(0)
    src, tgt = rng.standard_normal((5, 3, 8)).astype(np.float32), rng.standard_normal((4, 3, 8)).astype(np.float32)
    if kw.get("batch_first"):
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    kpm = np.zeros((3, 4), bool)
    kpm[1, 3] = True
    ps, ts = plugrad.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
    yp = pm(ps, plugrad.tensor(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
            tgt_key_padding_mask=plugrad.tensor(kpm))
    yt = tm(ts, torch.tensor(tgt), tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4),
            tgt_key_padding_mask=torch.tensor(kpm))
    np.testing.assert_allclose(to_numpy(yp.detach()), yt.detach().numpy(), atol=1e-5)
    yp.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(to_numpy(ps.grad), ts.grad.numpy(), atol=1e-4)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_unbatched_matches_torch(torch, norm_first):
    dl = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first)
    tl = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first)
    _copy_params(torch, dl, tl)
    dp, dt = nn.TransformerDecoder(dl, 2, nn.LayerNorm(8)), torch.nn.TransformerDecoder(tl, 2, torch.nn.LayerNorm(8))
    assert repr(dp) == repr(dt)
    rng = np.random.default_rng(1)
    tgt, mem = rng.standard_normal((4, 8)).astype(np.float32), rng.standard_normal((5, 8)).astype(np.float32)
    yp = dp(plugrad.tensor(tgt), plugrad.tensor(mem), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
            tgt_is_causal=True)
    yt = dt(torch.tensor(tgt), torch.tensor(mem), tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4),
            tgt_is_causal=True)
    np.testing.assert_allclose(to_numpy(yp.detach()), yt.detach().numpy(), atol=1e-5)


def test_transformer_checks_batch_and_features():
    with pytest.warns(UserWarning, match="enable_nested_tensor"):
        m = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="^the batch number of src and tgt must be equal$"):
        m(plugrad.zeros(3, 2, 8), plugrad.zeros(3, 1, 8))
    with pytest.raises(RuntimeError, match="^the feature number of src and tgt must be equal to d_model$"):
        m(plugrad.zeros(3, 2, 8), plugrad.zeros(3, 2, 4))


# --- gumbel_softmax -----------------------------------------------------------------------------------------


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    plugrad.manual_seed(0)
    logits = plugrad.tensor([[0.0, 10.0, 0.0], [10.0, 0.0, 0.0]], requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.1, hard=True)
    assert y.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    y.sum().backward()
    assert logits.grad is not None
    soft = F.gumbel_softmax(logits, tau=1.0)
    np.testing.assert_allclose(to_numpy(soft.detach().sum(-1)), [1.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_draws_as_torch(torch, dtype, hard, dim):
    a = np.random.default_rng(0).standard_normal((3, 5)).astype(dtype)
    torch.manual_seed(2)
    plugrad.manual_seed(2)
    lt, lp = torch.tensor(a, requires_grad=True), plugrad.tensor(a, requires_grad=True)
    yt = torch.nn.functional.gumbel_softmax(lt, tau=0.5, hard=hard, dim=dim)
    yp = F.gumbel_softmax(lp, tau=0.5, hard=hard, dim=dim)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(to_numpy(yp.detach()), yt.detach().numpy(), atol=tol)
    g = np.arange(15.0).reshape(3, 5).astype(dtype)
    yt.backward(torch.tensor(g))
    yp.backward(plugrad.tensor(g))
    np.testing.assert_allclose(to_numpy(lp.grad), lt.grad.numpy(), atol=tol)


def test_native_channel_shuffle_is_channel_shuffle():
    x = plugrad.arange(6.0).reshape(1, 6, 1)
    assert F.native_channel_shuffle(x, 3).flatten().tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
