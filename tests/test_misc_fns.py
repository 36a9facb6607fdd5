"""as_strided, frombuffer, histogram(dd), nonzero_static, empty_permuted, dim_order, set_flush_denormal, poisson,
CTC loss and fractional max pooling, pinned to PyTorch's numbers."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def close(a, b, **kw) -> None:
    np.testing.assert_allclose(to_numpy(a), np.asarray(b), **kw)


# --- as_strided ----------------------------------------------------------------------------------------


def test_as_strided_views_the_storage_and_shares_memory():
    x = plugrad.arange(8.0)
    y = x[2:].as_strided((2, 2), (1, 2))
    close(y, [[2.0, 4.0], [3.0, 5.0]])
    assert y.storage_offset() == 2 and y.stride() == (1, 2)
    c = plugrad.arange(6.0)
    c.as_strided((2,), (2,), 1).mul_(10)
    close(c, [0.0, 10.0, 2.0, 30.0, 4.0, 5.0])


def test_as_strided_gradient_adds_overlapping_reads():
    a = plugrad.arange(6.0).reshape(2, 3).requires_grad_()
    b = plugrad.as_strided(a, (3, 2), (1, 1), 1)
    assert type(b.grad_fn).__name__ == "AsStridedBackward0"
    close(b, [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    (b * plugrad.arange(6.0).reshape(3, 2)).sum().backward()
    close(a.grad, [[0.0, 0.0, 3.0], [7.0, 5.0, 0.0]])


@pytest.mark.parametrize(("args", "message"), [
    (((2, 2), (1, 1), 7), "setStorage: sizes [2, 2], strides [1, 1], storage offset 7, and itemsize 4 requiring a "
                          "storage size of 40 are out of bounds for storage of size 32"),
    (((2,), (-1,)), "as_strided: Negative strides are not supported at the moment, got strides: [-1]"),
    (((2, 2), (1,)), "mismatch in length of strides and shape"),
    (((2, 2), (1, 1), -1), "Tensor: invalid storage offset -1"),
])
def test_as_strided_errors_are_pytorchs(args, message):
    with pytest.raises(RuntimeError) as err:
        plugrad.arange(8.0).as_strided(*args)
    assert str(err.value) == message


def test_as_strided_matches_torch_values_and_gradients(torch):
    base = np.arange(12.0).reshape(3, 4)
    for size, stride, offset in [((2, 3), (4, 1), 1), ((3, 3), (1, 2), 0), ((4,), (3,), None)]:
        a = plugrad.tensor(base, requires_grad=True)
        ta = torch.tensor(base, requires_grad=True)
        p, t = a.t().as_strided(size, stride, offset), ta.t().as_strided(size, stride, offset)
        close(p, t.detach().numpy())
        (p ** 2).sum().backward()
        (t ** 2).sum().backward()
        close(a.grad, ta.grad.numpy())


# --- frombuffer ----------------------------------------------------------------------------------------


def test_frombuffer_shares_a_writable_buffer():
    buf = bytearray(b"\x01\x02\x03\x04")
    t = plugrad.frombuffer(buf, dtype=plugrad.int8, count=2, offset=1)
    assert t.tolist() == [2, 3] and t.dtype == plugrad.int8 and t.device.type == "cpu"
    t[0] = 9
    assert buf == bytearray(b"\x01\x09\x03\x04")
    assert plugrad.frombuffer(buf, dtype=plugrad.int16).tolist() == [2305, 1027]
    with pytest.warns(UserWarning):
        assert plugrad.frombuffer(memoryview(b"\x00\x00\x80\x3f"), dtype=plugrad.float32).tolist() == [1.0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"offset": 4}, "offset (4 bytes) must be non-negative and no greater than buffer length (4 bytes) minus 1"),
    ({"offset": 1, "count": 2}, "requested buffer length (2 * 2 bytes) after offset (1 bytes) must not be greater "
                                "than actual buffer length (4 bytes)"),
    ({"offset": 1}, "buffer length (3 bytes) after offset (1 bytes) must be a multiple of element size (2)"),
])
def test_frombuffer_errors_are_pytorchs(kwargs, message):
    with pytest.raises(ValueError) as err:
        plugrad.frombuffer(bytearray(4), dtype=plugrad.int16, **kwargs)
    assert str(err.value) == message


# --- histogram / histogramdd ---------------------------------------------------------------------------


def test_histogram_weights_edges_and_density():
    r = plugrad.histogram(plugrad.tensor([1.0, 2, 1]), bins=4, range=(0.0, 3.0), weight=plugrad.tensor([1.0, 2, 4]))
    close(r.hist, [0.0, 5.0, 2.0, 0.0])
    close(r.bin_edges, [0.0, 0.75, 1.5, 2.25, 3.0])
    r = plugrad.histogram(plugrad.tensor([2.0, 2.0]), bins=3)
    close(r.bin_edges, [1.5, 1.5 + 1 / 3, 2.5 - 1 / 3, 2.5], rtol=1e-6)
    r = plugrad.tensor([1.0, 2, 5, 7]).histogram(plugrad.tensor([0.0, 2, 5]), density=True)
    close(r.hist, [1 / 6, 2 / 9], rtol=1e-6)
    assert "torch.return_types.histogram(" in repr(r)
    with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Long'"):
        plugrad.histogram(plugrad.tensor([1, 2]), bins=3)
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0 for dimension 0"):
        plugrad.histogram(plugrad.tensor([1.0]), bins=0)


def test_histogramdd_counts_points_in_a_grid():
    r = plugrad.histogramdd(plugrad.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]]), bins=[3, 3],
                            weight=plugrad.tensor([1.0, 2.0, 4.0, 8.0]))
    close(r.hist, [[0.0, 1.0, 0.0], [2.0, 0.0, 0.0], [4.0, 0.0, 8.0]])
    assert len(r.bin_edges) == 2
    close(r.bin_edges[1], [0.0, 2 / 3, 4 / 3, 2.0], rtol=1e-6)


def test_histogram_matches_torch(torch):
    data = np.random.default_rng(0).normal(size=(50,))
    for kw in [{"bins": 7}, {"bins": 5, "range": (-1.0, 1.0)}, {"bins": 6, "density": True}]:
        p = plugrad.histogram(plugrad.tensor(data), **kw)
        t = torch.histogram(torch.tensor(data), **kw)
        close(p.hist, t.hist.numpy())
        close(p.bin_edges, t.bin_edges.numpy())


# --- nonzero_static, empty_permuted, dim_order, set_flush_denormal -------------------------------------


def test_nonzero_static_truncates_or_pads():
    assert plugrad.nonzero_static(plugrad.tensor([0, 1, 0, 2]), size=3).tolist() == [[1], [3], [-1]]
    assert plugrad.nonzero_static(plugrad.tensor([[0, 1], [3, 2]]), size=2, fill_value=-5).tolist() == [[0, 1],
                                                                                                         [1, 0]]
    assert plugrad.tensor([0.0, 1.0, 2.0]).nonzero_static(size=4).tolist() == [[1], [2], [-1], [-1]]
    assert plugrad.nonzero_static(plugrad.tensor(3), size=2).shape == (2, 0)
    with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
        plugrad.nonzero_static(plugrad.tensor([1]), size=-1)


def test_empty_permuted_lays_dimensions_out_in_the_given_order():
    e = plugrad.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1))
    assert e.shape == (2, 3, 5, 7) and e.stride() == (105, 1, 21, 3)
    assert e.dim_order() == (0, 2, 3, 1)
    assert plugrad.randn(2, 3).t().dim_order() == (1, 0)
    assert plugrad.zeros(2, 3, 4).dim_order() == (0, 1, 2)


def test_set_flush_denormal_reports_unsupported():
    assert plugrad.set_flush_denormal(True) is False
    assert plugrad.set_flush_denormal(False) is False


# --- poisson -------------------------------------------------------------------------------------------


def test_poisson_follows_pytorchs_cpu_stream():
    plugrad.manual_seed(0)
    close(plugrad.poisson(plugrad.tensor([0.5, 3.0, 15.0, 0.0, 100.0])), [2.0, 4.0, 16.0, 0.0, 99.0])
    plugrad.manual_seed(0)
    r = plugrad.poisson(plugrad.tensor([[1.5, 30.0]], dtype=plugrad.float64))
    assert r.dtype == plugrad.float64 and r.tolist() == [[4.0, 35.0]]


def test_poisson_matches_torch_after_the_same_seed(torch):
    plugrad.manual_seed(3)
    torch.manual_seed(3)
    p = plugrad.poisson(plugrad.rand(3, 4) * 20)
    t = torch.poisson(torch.rand(3, 4) * 20)
    close(p, t.numpy())
    close(plugrad.rand(2), torch.rand(2).numpy())


# --- CTC loss ------------------------------------------------------------------------------------------

_CTC_LOGITS = np.random.default_rng(0).normal(size=(6, 3, 5))
_CTC_TARGETS = [[1, 2, 2], [3, 1, 0], [4, 0, 0]]


def test_ctc_loss_values_are_pytorchs():
    lp = plugrad.tensor(_CTC_LOGITS).log_softmax(2)
    args = (plugrad.tensor(_CTC_TARGETS), plugrad.tensor([6, 5, 4]), plugrad.tensor([3, 2, 1]))
    close(plugrad.nn.functional.ctc_loss(lp, *args, reduction="none"), [8.255633, 5.215814, 5.048698], rtol=1e-6)
    close(plugrad.nn.functional.ctc_loss(lp, *args), 3.469494, rtol=1e-6)
    close(plugrad.nn.CTCLoss(reduction="sum")(lp, *args), 18.520145, rtol=1e-6)
    # concatenated targets, another blank; an impossible target (4 labels in 3 steps) is inf, or 0 when asked
    x = plugrad.tensor(_CTC_LOGITS.astype(np.float32), requires_grad=True)
    lp = x.log_softmax(2)
    loss = plugrad.nn.CTCLoss(blank=4, reduction="none")(lp, plugrad.tensor([1, 2, 2, 3, 1, 0]), (6, 2, 1), (3, 2, 1))
    close(loss, [5.5070143, 3.69403, 1.641156], rtol=1e-5)
    loss = plugrad.nn.functional.ctc_loss(lp, plugrad.tensor([[1, 1, 1, 1]] * 3), [3, 3, 3], [4, 4, 1],
                                          reduction="none", zero_infinity=True)
    close(loss, [0.0, 0.0, 2.97318], rtol=1e-5)
    loss.sum().backward()
    assert np.isfinite(to_numpy(x.grad)).all() and np.abs(to_numpy(x.grad)[:, :2]).sum() == 0
    un = plugrad.nn.functional.ctc_loss(plugrad.tensor(_CTC_LOGITS[:, 0]).log_softmax(1), plugrad.tensor([1, 2]),
                                        plugrad.tensor(6), plugrad.tensor(2), reduction="none")
    assert un.shape == () and abs(float(un) - 6.464746) < 1e-5


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_gradients_match_torch(torch, reduction):
    outs = []
    for lib in (plugrad, torch):
        x = lib.tensor(_CTC_LOGITS, requires_grad=True)
        lp = x.log_softmax(2)
        lp.retain_grad()
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(_CTC_TARGETS), lib.tensor([6, 5, 4]), lib.tensor([3, 2, 1]),
                                          reduction=reduction)
        loss.sum().backward()
        outs.append([to_numpy(v.detach()) if lib is plugrad else v.detach().numpy() for v in (loss, x.grad, lp.grad)])
    for p, t in zip(*outs):
        np.testing.assert_allclose(p, t, rtol=1e-6, atol=1e-9)


# --- fractional max pooling ----------------------------------------------------------------------------

_FMP_X = np.random.default_rng(1).normal(size=(2, 3, 9, 11)).astype(np.float32)
_FMP_SAMPLES = np.random.default_rng(2).random(size=(2, 3, 2)).astype(np.float32)


def test_fractional_max_pool2d_windows_follow_the_samples():
    x = plugrad.tensor(_FMP_X, requires_grad=True)
    v, i = plugrad.nn.functional.fractional_max_pool2d(x, 3, output_size=(4, 5), return_indices=True,
                                                       _random_samples=plugrad.tensor(_FMP_SAMPLES))
    assert v.shape == (2, 3, 4, 5) and i.dtype == plugrad.int64
    assert i[0, 0].tolist() == [[22, 4, 4, 30, 30], [33, 35, 49, 30, 30], [56, 70, 70, 73, 75],
                                [90, 70, 70, 94, 75]]
    assert int(i.sum()) == 5871
    close(v.sum(), 160.69702, rtol=1e-5)
    (v * v).sum().backward()
    close(np.abs(to_numpy(x.grad)).sum(), 322.0254, rtol=1e-5)
    v2 = plugrad.nn.functional.fractional_max_pool2d(x[0], (2, 3), output_ratio=(0.5, 0.5),
                                                     _random_samples=plugrad.tensor(_FMP_SAMPLES[:1]))
    assert v2.shape == (3, 4, 5)


def test_fractional_max_pool2d_matches_torch(torch):
    outs = []
    for lib in (plugrad, torch):
        x = lib.tensor(_FMP_X.astype(np.float64), requires_grad=True)
        lib.manual_seed(0)
        v, i = lib.nn.FractionalMaxPool2d(2, output_ratio=(0.6, 0.5), return_indices=True)(x)
        v.sum().backward()
        outs.append([to_numpy(t.detach()) if lib is plugrad else t.detach().numpy() for t in (v, i, x.grad)])
    for p, t in zip(*outs):
        np.testing.assert_allclose(p, t)
