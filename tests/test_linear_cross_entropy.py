"""F.linear_cross_entropy and nn.LinearCrossEntropyLoss: the reference path (linear + cross_entropy) and the
chunked path (LinearCrossEntropyOptions) give the same values and gradients, by hand and against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn
from plugrad.nn import functional as F

X = np.sin(np.arange(21) * 0.7).reshape(7, 3)
W = np.cos(np.arange(15) * 1.3).reshape(5, 3)
B = np.linspace(-0.5, 0.5, 5)
TARGET = [0, 1, 4, -100, 2, 3, 1]


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _inputs(lib, bias=True):
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(B, dtype=lib.float64, requires_grad=True) if bias else None
    return x, w, b


def _run(lib, reduction, options, *, bias=True, class_weight=False, ignore_index=None):
    x, w, b = _inputs(lib, bias)
    target = TARGET if ignore_index is None else [abs(t) % 5 for t in TARGET]
    weight = lib.tensor(np.linspace(0.5, 1.5, 5), dtype=lib.float64) if class_weight else None
    opts = None if options is None else lib.nn.LinearCrossEntropyOptions(**options)
    loss = lib.nn.functional.linear_cross_entropy(x, w, lib.tensor(target), linear_bias=b, weight=weight,
                                                  reduction=reduction, ignore_index=ignore_index, options=opts)
    loss.backward(lib.tensor(np.arange(1.0, 8.0) if reduction == "none" else 1.0, dtype=lib.float64))
    return loss, x.grad, w.grad, None if b is None else b.grad


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{"batch_chunk_size": 2}, {}, {"chunking_method": "aspect_ratio"},
                                     {"batch_chunk_size": 3, "allow_retain_graph": True}])
@pytest.mark.parametrize("class_weight,ignore_index", [(False, None), (True, None), (True, 1)])
def test_chunked_path_equals_linear_then_cross_entropy(reduction, options, class_weight, ignore_index):
    reference = _run(plugrad, reduction, None, class_weight=class_weight, ignore_index=ignore_index)
    chunked = _run(plugrad, reduction, options, class_weight=class_weight, ignore_index=ignore_index)
    for r, c in zip(reference, chunked):
        np.testing.assert_allclose(to_numpy(c), to_numpy(r), rtol=1e-12, atol=1e-13)


def test_loss_by_hand_and_unbatched_and_empty():
    x = plugrad.tensor([1.0, 0.0], dtype=plugrad.float64)
    w = plugrad.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=plugrad.float64)
    expected = np.log(1 + np.exp(-1.0))
    for options in (None, nn.LinearCrossEntropyOptions()):
        assert F.linear_cross_entropy(x, w, plugrad.tensor(0), options=options).item() == pytest.approx(expected)
    empty = F.linear_cross_entropy(plugrad.zeros(0, 2, dtype=plugrad.float64), w,
                                   plugrad.zeros(0, dtype=plugrad.int64), options=nn.LinearCrossEntropyOptions())
    assert np.isnan(empty.item())


def test_chunked_backward_twice_needs_allow_retain_graph():
    x, w, _ = _inputs(plugrad, bias=False)
    loss = F.linear_cross_entropy(x, w, plugrad.tensor(TARGET), options=nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    assert loss.grad_fn.name() == "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward"
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="linear_cross_entropy chunked backward called twice; retain_graph=True / "
                                           "double backward are not supported."):
        loss.backward()
    loss = F.linear_cross_entropy(x, w, plugrad.tensor(TARGET),
                                  options=nn.LinearCrossEntropyOptions(allow_retain_graph=True))
    loss.backward(retain_graph=True)
    loss.backward()


def test_options_validation_and_resolution():
    opts = nn.LinearCrossEntropyOptions
    assert repr(opts()) == ("LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None, "
                            "chunking_method='auto', acc_policy='auto', acc_dtype=None)")
    resolved = opts()._adjust(1000, 64, 50000, plugrad.float32)
    assert (resolved.batch_chunk_size, resolved.chunking_method, resolved.acc_policy) == (1, "aspect_ratio:2", "compact")
    assert opts(chunking_method="aspect_ratio")._adjust(64, 8, 32, plugrad.float32).batch_chunk_size == 16
    with pytest.raises(ValueError, match="invalid acc_policy: 'x'"):
        opts(acc_policy="x")
    with pytest.raises(ValueError, match="invalid chunking_method: 'foo'"):
        opts(chunking_method="foo")
    with pytest.raises(ValueError, match="batch_chunk_size must be positive int or None, got 0"):
        opts(batch_chunk_size=0)
    with pytest.raises(ValueError, match=r"give different chunk sizes \(2 vs 4\); pass only one."):
        opts(batch_chunk_size=2, chunking_method="aspect_ratio")._adjust(7, 3, 5, plugrad.float32)


def test_unsupported_options_warn_and_take_the_reference_path():
    x, w, _ = _inputs(plugrad, bias=False)
    with pytest.warns(UserWarning, match=r"``options`` ignored; chunked path needs .* label_smoothing=0.1"):
        loss = F.linear_cross_entropy(x, w, plugrad.tensor(TARGET), label_smoothing=0.1,
                                      options=nn.LinearCrossEntropyOptions())
    assert loss.grad_fn.name() != "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward"
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified when target contains probabilities"):
        F.linear_cross_entropy(x, w, plugrad.ones(7, 5, dtype=plugrad.float64) / 5, ignore_index=0)
    with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2, got 3"):
        F.linear_cross_entropy(x.reshape(7, 3, 1), w, plugrad.tensor(TARGET))


def test_module_keys_repr_and_k_dimensional_loss():
    m = nn.LinearCrossEntropyLoss(3, 5, bias=True, out_features=(2,))
    assert list(m.state_dict()) == ["linear.weight", "linear.bias"]
    assert tuple(m.linear.weight.shape) == (10, 3)
    assert repr(m).splitlines()[1] == ("  in_features=3, num_classes=5, out_features=(2,), bias=True, reduction=mean, "
                                       "ignore_index=None, label_smoothing=0.0, options=None")
    x = plugrad.tensor(X[:4].tolist())
    target = plugrad.tensor([[0, 1], [4, 2], [3, 3], [1, 0]])
    logits = F.linear(x, m.linear.weight, m.linear.bias).reshape(4, 5, 2)
    np.testing.assert_allclose(to_numpy(m(x, target)), to_numpy(F.cross_entropy(logits, target)), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(5,\), got \(4,\)"):
        nn.LinearCrossEntropyLoss(3, 5, weight=plugrad.ones(4))
    assert list(nn.LinearCrossEntropyLoss(3, 5, weight=plugrad.ones(5)).state_dict()) == ["weight", "linear.weight"]


# --- against PyTorch ------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [None, {"batch_chunk_size": 2}, {}])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("class_weight,ignore_index", [(False, None), (True, 1)])
def test_linear_cross_entropy_matches_torch(torch, reduction, options, bias, class_weight, ignore_index):
    got = _run(plugrad, reduction, options, bias=bias, class_weight=class_weight, ignore_index=ignore_index)
    expected = _run(torch, reduction, options, bias=bias, class_weight=class_weight, ignore_index=ignore_index)
    assert got[0].grad_fn.name() == expected[0].grad_fn.name()
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
            continue
        np.testing.assert_allclose(to_numpy(g), e.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_module_and_fallback_warning_match_torch(torch):
    out = []
    for lib in (torch, plugrad):
        lib.manual_seed(0)
        m = lib.nn.LinearCrossEntropyLoss(3, 5, bias=True, out_features=(2,),
                                          options=lib.nn.LinearCrossEntropyOptions())
        x = lib.tensor(X[:4], dtype=lib.float32)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = m(x, lib.tensor([[0, 1], [4, 2], [3, 3], [1, 0]]))
        loss.backward()
        out.append((loss, m.linear.weight.grad, repr(m), [str(w.message) for w in caught]))
    np.testing.assert_allclose(to_numpy(out[1][0]), out[0][0].detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(out[1][1]), out[0][1].numpy(), rtol=1e-5, atol=1e-7)
    assert out[1][2] == out[0][2] and out[1][3] == out[0][3]
    for n in (7, 1000):
        for method in ("auto", "aspect_ratio", "aspect_ratio:4"):
            t = torch.nn.LinearCrossEntropyOptions(chunking_method=method)._adjust(n, 3, 50, torch.float32,
                                                                                   torch.device("cpu"))
            p = nn.LinearCrossEntropyOptions(chunking_method=method)._adjust(n, 3, 50, plugrad.float32,
                                                                             plugrad.device("cpu"))
            assert repr(p) == repr(t)
