"""plugrad.optim: update rules against closed forms and PyTorch, in-place updates, state dicts, schedulers."""

from __future__ import annotations

import math

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn, optim
from plugrad.optim import lr_scheduler

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
GRADS = [np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]) * (k + 1) + k * 0.05 for k in range(3)]


def _run(make_opt, grads=GRADS, w0=W0):
    """Apply ``grads`` one per step to a float64 parameter; returns the parameter values after each step."""
    p = nn.Parameter(plugrad.tensor(w0.copy()))
    opt = make_opt([p])
    data_id = id(p._data)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = plugrad.tensor(g)
        opt.step()
        assert id(p._data) == data_id and p.is_leaf and p.grad_fn is None  # written in place, no graph
        out.append(to_numpy(p).copy())
    return out


def _sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    w = W0.copy()
    buf = None
    out = []
    for g in GRADS:
        d = g + weight_decay * w
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        w = w - lr * d
        out.append(w)
    return out


def _adam_reference(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    w = W0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    vmax = np.zeros_like(w)
    out = []
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            w = w * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - betas[1] ** t) + eps
        w = w - lr / (1 - betas[0] ** t) * m / denom
        out.append(w)
    return out


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1},
]
ADAM_CONFIGS = [
    ({"lr": 0.01}, {}),
    ({"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}, {}),
    ({"lr": 0.01, "weight_decay": 0.1}, {}),
    ({"lr": 0.01, "amsgrad": True}, {}),
]


@pytest.mark.parametrize("kw", SGD_CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_sgd_matches_closed_form(kw):
    got = _run(lambda ps: optim.SGD(ps, **kw))
    for a, b in zip(got, _sgd_reference(**kw)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kw,_", ADAM_CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_adam_matches_closed_form(kw, _):
    got = _run(lambda ps: optim.Adam(ps, **kw))
    for a, b in zip(got, _adam_reference(**kw)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw", [{"lr": 0.01}, {"lr": 0.1, "weight_decay": 0.5}, {"lr": 0.01, "amsgrad": True}])
def test_adamw_matches_closed_form(kw):
    got = _run(lambda ps: optim.AdamW(ps, **kw))
    ref = _adam_reference(**{"weight_decay": 1e-2, **kw}, decoupled=True)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
                                     ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
                                     ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
                                     ("AdamW", {"lr": 0.05})])
def test_optimizers_match_torch(name, kw):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference optimizer")
    tp = torch.nn.Parameter(torch.tensor(W0.copy()))
    topt = getattr(torch.optim, name)([tp], **kw)
    want = []
    for g in GRADS:
        tp.grad = torch.tensor(g)
        topt.step()
        want.append(tp.detach().numpy().copy())
    got = _run(lambda ps: getattr(optim, name)(ps, **kw))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_zero_grad_sets_none_by_default_or_zeros():
    p = nn.Parameter(plugrad.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = plugrad.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and float(p.grad.abs().sum()) == 0.0
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # parameters without gradients are left alone
    assert np.array_equal(to_numpy(p), np.ones(2, np.float32))


def test_param_groups_have_their_own_hyperparameters():
    a, b = nn.Parameter(plugrad.ones(1)), nn.Parameter(plugrad.ones(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad, b.grad = plugrad.ones(1), plugrad.ones(1)
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_optimizer_state_dict_roundtrip_continues_identically():
    def make():
        plugrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        return model, optim.Adam(model.parameters(), lr=0.01, amsgrad=True)

    x, y = plugrad.randn(16, 4), plugrad.randn(16, 1)

    def step(model, opt):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model, opt = make()
    for _ in range(3):
        step(model, opt)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3] and sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"].item() == 3.0
    model2, opt2 = make()
    model2.load_state_dict(model.state_dict())
    opt2.load_state_dict(plugrad.load(_saved(sd)))
    assert [step(model, opt) for _ in range(3)] == [step(model2, opt2) for _ in range(3)]
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})


def _saved(obj):
    import io

    buf = io.BytesIO()
    plugrad.save(obj, buf)
    buf.seek(0)
    return buf


def test_optimizer_repr_and_argument_errors():
    p = nn.Parameter(plugrad.ones(1))
    assert repr(optim.SGD([p], lr=0.1)).startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got torch.FloatTensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))


def test_step_closure_reevaluates_the_loss():
    p = nn.Parameter(plugrad.tensor([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert p.item() == 1.0


def test_steplr_and_cosine_follow_pytorch_formulas():
    p = nn.Parameter(plugrad.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD([p], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
    got = []
    for _ in range(8):
        got.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    closed = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(8)]
    np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-15)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    assert sched.state_dict()["last_epoch"] == 8


def test_schedulers_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference scheduler")

    def lrs(lib, make):
        p = lib.nn.Parameter(lib.ones(1))
        opt = lib.optim.SGD([p], lr=0.3)
        sched = make(lib.optim.lr_scheduler, opt)
        out = []
        for _ in range(12):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        return out

    for make in (lambda m, o: m.StepLR(o, 3, 0.3), lambda m, o: m.CosineAnnealingLR(o, 4, 0.02)):
        np.testing.assert_allclose(lrs(plugrad, make), lrs(torch, make), rtol=1e-14)


# --- PyTorch's single-tensor algorithms, step by step, in float32 ------------------------------------------

TORCH_CONFIGS = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("Adamax", {"lr": 0.02}),
    ("Adamax", {"lr": 0.02, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1, "momentum_decay": 0.01, "maximize": True}),
    ("RAdam", {"lr": 0.02}),
    ("RAdam", {"lr": 0.02, "betas": (0.5, 0.6), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.02, "betas": (0.5, 0.6), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}),
]


def _float32_problem(steps=5, seed=0):
    """Initial float32 weights (a matrix and a bias) and ``steps`` gradients for each."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 6), (6,)]
    w0 = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return w0, grads


def _trajectory(lib, name, kw, w0, grads, to_np):
    params = [lib.nn.Parameter(lib.tensor(w.copy())) for w in w0]
    opt = getattr(lib.optim, name)(params, **kw)
    out = []
    for step in grads:
        opt.zero_grad()
        for p, g in zip(params, step):
            p.grad = lib.tensor(g.copy())
        opt.step()
        out.append([to_np(p).copy() for p in params])
    return out, opt


@pytest.mark.parametrize("name,kw", TORCH_CONFIGS, ids=[f"{n}-" + ",".join(f"{k}={v}" for k, v in kw.items())
                                                       for n, kw in TORCH_CONFIGS])
def test_optimizer_matches_torch_over_five_float32_steps(name, kw):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference optimizer")
    w0, grads = _float32_problem()
    want, topt = _trajectory(torch, name, kw, w0, grads, lambda p: p.detach().numpy())
    got, opt = _trajectory(plugrad, name, kw, w0, grads, to_numpy)
    for step, (g_step, w_step) in enumerate(zip(got, want)):
        for g, w in zip(g_step, w_step):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, err_msg=f"{name} {kw} after step {step + 1}")
    # The state follows PyTorch's: same keys, the step counter a float32 tensor.
    tstate = topt.state_dict()["state"]
    state = opt.state_dict()["state"]
    assert {k: sorted(v) for k, v in state.items()} == {k: sorted(v) for k, v in tstate.items()}
    assert opt.defaults == topt.defaults  # the same hyperparameters, flags included, in the same order
    assert list(opt.defaults) == list(topt.defaults)
    if name != "SGD":
        assert isinstance(state[0]["step"], plugrad.Tensor) and state[0]["step"].dtype == plugrad.float32
        assert state[0]["step"].item() == tstate[0]["step"].item() == 5.0
    for k in state:
        for key, value in state[k].items():
            if key != "step":
                np.testing.assert_allclose(to_numpy(value), tstate[k][key].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", TORCH_CONFIGS, ids=[f"{n}-" + ",".join(f"{k}={v}" for k, v in kw.items())
                                                       for n, kw in TORCH_CONFIGS])
def test_optimizer_step_updates_parameters_and_state_in_place(name, kw):
    w0, grads = _float32_problem(steps=3)
    params = [nn.Parameter(plugrad.tensor(w.copy())) for w in w0]
    opt = getattr(optim, name)(params, **kw)
    arrays = [p._data for p in params]
    state_arrays = None
    for step in grads:
        for p, g in zip(params, step):
            p.grad = plugrad.tensor(g)
        versions = [p._version for p in params]
        ids = [id(p) for p in params]
        opt.step()
        assert [id(p) for p in opt.param_groups[0]["params"]] == ids
        assert all(p._data is a for p, a in zip(params, arrays))  # the parameters' own arrays, written in place
        assert all(p._version > v for p, v in zip(params, versions))
        assert all(p.is_leaf and p.grad_fn is None and p.requires_grad for p in params)
        now = [{k: v._data for k, v in opt.state[p].items()} for p in params]
        if state_arrays is not None:  # the state tensors too: the same arrays from step to step
            assert all(a[k] is b[k] for a, b in zip(now, state_arrays) for k in a)
        state_arrays = now


def test_adam_step_leaves_the_gradient_alone():
    w0, grads = _float32_problem(steps=2)
    p = nn.Parameter(plugrad.tensor(w0[0].copy()))
    opt = optim.Adam([p], lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True)
    for g in grads:
        p.grad = plugrad.tensor(g[0].copy())
        opt.step()
        np.testing.assert_array_equal(to_numpy(p.grad), g[0])
