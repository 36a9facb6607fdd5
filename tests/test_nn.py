"""plugrad.nn: modules, parameters, state dicts, init, the functional layers and losses, and real training."""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import plugrad.nn.functional as F
import pytest
from _devices import device_suffix, to_numpy
from plugrad import nn, optim


def _two_layer(d_in=1000, h=100, d_out=10):
    return nn.Sequential(nn.Linear(d_in, h), nn.ReLU(), nn.Linear(h, d_out))


# --- modules: registration, traversal, printing ----------------------------------------------------------


def test_sequential_repr_is_pytorchs():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert repr(model) == "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)"


def _zoo(lib):
    n = lib.nn
    return [
        n.Sequential(n.Conv2d(1, 8, 3, padding=1), n.ReLU(), n.MaxPool2d(2), n.Flatten(), n.Dropout(0.25),
                     n.Linear(8 * 4 * 4, 10), n.LogSoftmax(dim=1)),
        n.ModuleList([n.Linear(4, 4), n.Linear(4, 4), n.Tanh(), n.Sigmoid(), n.Linear(4, 2, bias=False)]),
        n.ModuleDict({"emb": n.Embedding(10, 3, padding_idx=0), "norm": n.LayerNorm(3), "act": n.GELU(),
                      "soft": n.Softmax(dim=-1), "id": n.Identity()}),
        n.Sequential(n.Conv2d(3, 4, (3, 5), stride=2, dilation=2, bias=False), n.Conv2d(4, 4, 3, padding="same",
                                                                                        groups=2)),
        n.Sequential(n.MSELoss(), n.CrossEntropyLoss(label_smoothing=0.1), n.NLLLoss(), n.BCEWithLogitsLoss(),
                     n.L1Loss(), n.ReLU(inplace=True), n.LayerNorm((2, 3), elementwise_affine=False)),
    ]


def test_module_reprs_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for printed forms")
    for mine, theirs in zip(_zoo(plugrad), _zoo(torch)):
        assert repr(mine) == repr(theirs)


def test_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for state_dict keys")
    for mine, theirs in zip(_zoo(plugrad), _zoo(torch)):
        a, b = mine.state_dict(), theirs.state_dict()
        assert list(a) == list(b)
        assert [tuple(v.shape) for v in a.values()] == [tuple(v.shape) for v in b.values()]


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(plugrad.ones(2))
    assert isinstance(p, plugrad.Tensor) and p.is_leaf and p.requires_grad
    dev = device_suffix()
    assert repr(p) == f"Parameter containing:\ntensor([1., 1.]{dev}, requires_grad=True)"
    assert repr(nn.Parameter(plugrad.ones(2), requires_grad=False)) == f"Parameter containing:\ntensor([1., 1.]{dev})"
    assert type((p * 2).detach()) is plugrad.Tensor


def test_attribute_registration_and_traversal():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
            self.head = nn.Linear(4, 2)
            self.scale = nn.Parameter(plugrad.ones(1))
            self.register_buffer("steps", plugrad.zeros(1))
            self.register_buffer("cache", plugrad.zeros(2), persistent=False)
            self.plain = 3

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.0.weight", "body.0.bias", "head.weight",
                                                      "head.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert list(net.state_dict()) == ["scale", "steps", "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_parameter("head.bias") is net.head.bias
    assert net.plain == 3 and "plain" not in net._parameters
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'scale'"):
        net.scale = plugrad.ones(1)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope  # noqa: B018
    del net.head
    assert "head" not in dict(net.named_children())


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2


def test_train_eval_zero_grad_apply_requires_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[1].training
    model(plugrad.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_dtype_keeps_parameter_objects():
    model = nn.Linear(3, 2)
    w = model.weight
    model.to(plugrad.float64)
    assert model.weight is w and w.dtype is plugrad.float64 and isinstance(w, nn.Parameter)
    with pytest.raises(TypeError, match="only accepts floating point"):
        model.to(plugrad.int64)
    model.float()
    assert w.dtype is plugrad.float32


def test_load_state_dict_copies_in_place_and_reports_keys_like_torch():
    src, dst = nn.Linear(2, 3), nn.Linear(2, 3)
    w = dst.weight
    assert repr(dst.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    assert dst.weight is w and np.array_equal(to_numpy(dst.weight), to_numpy(src.weight))
    with pytest.raises(RuntimeError) as err:
        dst.load_state_dict({"weight": plugrad.ones(3, 3), "foo": plugrad.ones(1)})
    assert str(err.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\tUnexpected key(s) '
        'in state_dict: "foo". \n\tsize mismatch for weight: copying a param with shape torch.Size([3, 3]) from '
        "checkpoint, the shape in current model is torch.Size([3, 2])."
    )
    result = dst.load_state_dict({"weight": plugrad.ones(3, 2)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []
    assert np.array_equal(to_numpy(dst.weight), np.ones((3, 2), np.float32))


def test_containers_index_like_lists_and_dicts():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert isinstance(seq[-1], nn.Sigmoid) and len(seq[1:]) == 2 and list(seq[1:]._modules) == ["1", "2"]
    del seq[0]
    assert list(seq._modules) == ["0", "1"]
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    assert [type(m).__name__ for m in ml] == ["ReLU", "Tanh", "Sigmoid"]
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b"] and "b" in md


def test_forward_hooks_run_around_forward():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append("pre"))
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0)
    out = lin(plugrad.ones(1, 2))
    assert calls == ["pre"] and float(out.abs().sum()) == 0.0
    h1.remove()
    h2.remove()
    assert float(lin(plugrad.ones(1, 2)).abs().sum()) > 0


# --- init ---------------------------------------------------------------------------------------------------


def test_linear_and_conv_default_init_bounds():
    plugrad.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        a = to_numpy(p)
        assert a.min() >= -bound and a.max() <= bound and a.max() > 0.9 * bound and a.min() < -0.9 * bound
    assert abs(to_numpy(lin.weight).std() - bound / math.sqrt(3)) < 0.01 * bound
    conv = nn.Conv2d(4, 8, 3)
    cb = 1 / math.sqrt(4 * 9)
    assert np.abs(to_numpy(conv.weight)).max() <= cb and np.abs(to_numpy(conv.bias)).max() <= cb


def test_init_distributions():
    plugrad.manual_seed(1)
    w = plugrad.empty(500, 400)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 400)
    assert np.abs(to_numpy(w)).max() <= bound and abs(to_numpy(w).std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    nn.init.kaiming_normal_(w, mode="fan_out")
    std = math.sqrt(2 / (1 + 0.01**2)) / math.sqrt(500)
    assert abs(to_numpy(w).std() - std) < 0.02 * std
    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh"))
    a = 5 / 3 * math.sqrt(6 / 900)
    assert np.abs(to_numpy(w)).max() <= a and np.abs(to_numpy(w)).max() > 0.99 * a
    nn.init.xavier_normal_(w)
    assert abs(to_numpy(w).std() - math.sqrt(2 / 900)) < 0.02 * math.sqrt(2 / 900)
    nn.init.normal_(w, 2.0, 0.5)
    assert abs(to_numpy(w).mean() - 2.0) < 0.01 and abs(to_numpy(w).std() - 0.5) < 0.01
    nn.init.uniform_(w, -3, -2)
    assert to_numpy(w).min() >= -3 and to_numpy(w).max() <= -2
    nn.init.constant_(w, 0.25)
    assert np.all(to_numpy(w) == 0.25)
    nn.init.zeros_(w)
    assert not to_numpy(w).any()
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert nn.init.calculate_gain("selu") == 0.75 and nn.init.calculate_gain("conv2d") == 1
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(plugrad.empty(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")


def test_embedding_and_layernorm_init():
    plugrad.manual_seed(2)
    emb = nn.Embedding(2000, 50, padding_idx=3)
    w = to_numpy(emb.weight)
    assert abs(w.std() - 1) < 0.02 and not w[3].any()
    ln = nn.LayerNorm(6)
    assert np.all(to_numpy(ln.weight) == 1) and not to_numpy(ln.bias).any()


def test_init_runs_without_recording_a_graph():
    lin = nn.Linear(3, 3)
    nn.init.normal_(lin.weight)
    assert lin.weight.is_leaf and lin.weight.grad_fn is None


# --- functional layers against PyTorch -------------------------------------------------------------------------


def _pair(a, grad=True):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the layers' values")
    return (plugrad.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


CASES = [
    ("cross_entropy", lambda F_, x, t, w: F_.cross_entropy(x, t)),
    ("cross_entropy_weight_ignore", lambda F_, x, t, w: F_.cross_entropy(x, t, w, ignore_index=1)),
    ("cross_entropy_smoothing", lambda F_, x, t, w: F_.cross_entropy(x, t, w, label_smoothing=0.2)),
    ("cross_entropy_smoothing_sum", lambda F_, x, t, w: F_.cross_entropy(x, t, reduction="sum", label_smoothing=0.1)),
    ("cross_entropy_none", lambda F_, x, t, w: F_.cross_entropy(x, t, reduction="none")),
    ("nll_loss", lambda F_, x, t, w: F_.nll_loss(F_.log_softmax(x, 1), t, w)),
    ("mse_loss", lambda F_, x, t, w: F_.mse_loss(x, x.detach() * 0.5 + 1)),
    ("l1_loss", lambda F_, x, t, w: F_.l1_loss(x, x.detach() * 0.5 + 1, reduction="sum")),
    ("bce_with_logits", lambda F_, x, t, w: F_.binary_cross_entropy_with_logits(x, (x.detach() > 0).float(),
                                                                                  pos_weight=w)),
    ("layer_norm", lambda F_, x, t, w: F_.layer_norm(x, (4,), w, w * 0.5)),
    ("gelu_softmax", lambda F_, x, t, w: F_.softmax(F_.gelu(x), dim=1)),
    ("dropout_eval", lambda F_, x, t, w: F_.dropout(x, 0.5, training=False)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_functional_matches_torch(name, fn):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the layers' values")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 1, 2, 3])
    w = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    xp, xt = plugrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yp = fn(F, xp, plugrad.tensor(t), plugrad.tensor(w))
    yt = fn(torch.nn.functional, xt, torch.tensor(t), torch.tensor(w))
    np.testing.assert_allclose(to_numpy(yp), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert type(yp.grad_fn).__name__ == type(yt.grad_fn).__name__
    yp.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_conv_pool_embedding_modules_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the layers' values")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    for kwargs in ({"stride": 2, "padding": 1}, {"dilation": 2, "groups": 2}, {"padding": "same"}):
        mine, theirs = nn.Conv2d(4, 6, 3, **kwargs), torch.nn.Conv2d(4, 6, 3, **kwargs)
        mine.load_state_dict({k: plugrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
        xp, xt = plugrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yp, yt = nn.MaxPool2d(2, ceil_mode=True)(mine(xp)), torch.nn.MaxPool2d(2, ceil_mode=True)(theirs(xt))
        np.testing.assert_allclose(to_numpy(yp), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        (yp * yp).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(to_numpy(xp.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(to_numpy(mine.weight.grad), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
        assert type(mine(xp).grad_fn).__name__ == "ConvolutionBackward0"
    emb_t = torch.nn.Embedding(7, 3, padding_idx=2)
    emb_p = nn.Embedding(7, 3, padding_idx=2)
    emb_p.load_state_dict({"weight": plugrad.tensor(emb_t.weight.detach().numpy())})
    idx = np.array([[1, 2, 6], [2, 2, 0]])
    emb_p(plugrad.tensor(idx)).sum().backward()
    emb_t(torch.tensor(idx)).sum().backward()
    np.testing.assert_allclose(to_numpy(emb_p.weight.grad), emb_t.weight.grad.numpy())


def test_dropout_zeroes_and_rescales_in_training_only():
    plugrad.manual_seed(3)
    drop = nn.Dropout(0.25)
    x = plugrad.ones(200, 200, requires_grad=True)
    y = drop(x)
    a = to_numpy(y)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.01
    assert type(y.grad_fn).__name__ == "MulBackward0"
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_softmax_without_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = nn.Softmax()(plugrad.ones(2, 3))
    np.testing.assert_allclose(to_numpy(out), np.full((2, 3), 1 / 3), rtol=1e-6)


def test_cross_entropy_rejects_bad_targets():
    x = plugrad.zeros(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x, plugrad.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, plugrad.tensor([0, 1]))
    with pytest.raises(ValueError, match="bogus is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="bogus")


# --- training: the PyTorch examples' two-layer network, and a CNN on the digits -------------------------------


def _numpy_two_layer(x, y, w1, b1, w2, b2, lr, steps):
    losses = []
    for _ in range(steps):
        h = x @ w1.T + b1
        h_relu = np.maximum(h, 0)
        y_pred = h_relu @ w2.T + b2
        losses.append(((y_pred - y) ** 2).sum())
        g_pred = 2.0 * (y_pred - y)
        g_w2 = g_pred.T @ h_relu
        g_b2 = g_pred.sum(0)
        g_h = (g_pred @ w2) * (h > 0)
        g_w1 = g_h.T @ x
        g_b1 = g_h.sum(0)
        w1, b1, w2, b2 = w1 - lr * g_w1, b1 - lr * g_b1, w2 - lr * g_w2, b2 - lr * g_b2
    return losses, (w1, b1, w2, b2)


def _train(model, x, y, lr, steps):
    loss_fn = nn.MSELoss(reduction="sum")
    opt = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def test_two_layer_network_matches_numpy_forward_backward():
    plugrad.manual_seed(0)
    model = _two_layer().to(plugrad.float64)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
    init = [to_numpy(p).copy() for p in model.parameters()]
    losses = _train(model, plugrad.tensor(x), plugrad.tensor(y), 1e-4, 20)
    want, final = _numpy_two_layer(x, y, *init, lr=1e-4, steps=20)
    np.testing.assert_allclose(losses, want, rtol=1e-10)
    assert losses[-1] < 0.5 * losses[0]
    for p, w in zip(model.parameters(), final):
        np.testing.assert_allclose(to_numpy(p), w, rtol=1e-9, atol=1e-12)


def test_two_layer_network_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference training run")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(1000, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    model = _two_layer()
    model.load_state_dict({k: plugrad.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x, y = torch.randn(64, 1000), torch.randn(64, 10)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    opt = torch.optim.SGD(ref.parameters(), lr=1e-4)
    want = []
    for _ in range(20):
        loss = loss_fn(ref(x), y)
        want.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    got = _train(model, plugrad.tensor(x.numpy()), plugrad.tensor(y.numpy()), 1e-4, 20)
    np.testing.assert_allclose(got, want, rtol=2e-4)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(to_numpy(p), q.detach().numpy(), rtol=1e-3, atol=1e-5)


def test_small_cnn_learns_the_digits():
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn ships the digits data")
    digits = datasets.load_digits()
    x = plugrad.tensor((digits.data[:512] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32))
    y = plugrad.tensor(digits.target[:512])
    plugrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 10))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    loader = plugrad.data.DataLoader(plugrad.data.TensorDataset(x, y), batch_size=64, shuffle=True, generator=0)
    epoch_losses = []
    for _ in range(8):
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        epoch_losses.append(total / len(loader))
    assert epoch_losses[-1] < 0.25 * epoch_losses[0]
    with plugrad.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    assert acc > 0.85


def test_legacy_size_average_warns_and_maps_to_reduction():
    x = plugrad.ones(2, 2)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum" and "please use reduction='sum' instead" in str(rec[0].message)
    assert float(loss(x, x * 3)) == 16.0
