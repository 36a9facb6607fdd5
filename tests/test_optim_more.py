"""RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS and the learning-rate schedulers
beyond StepLR/CosineAnnealingLR: closed forms, PyTorch's iterates step by step, state dicts, errors, warnings."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn, optim
from plugrad.optim import lr_scheduler
from test_optim import _float32_problem, _trajectory

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
G1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is the reference optimizer and scheduler")


def _one_step(make_opt, grads=(G1,), w0=W0):
    """The float64 parameter after one step per gradient in ``grads``, and the optimizer."""
    p = nn.Parameter(plugrad.tensor(w0.copy()))
    opt = make_opt([p])
    for g in grads:
        opt.zero_grad()
        p.grad = plugrad.tensor(g.copy())
        opt.step()
    return to_numpy(p), opt


# --- closed forms of the first steps, no reference library needed ----------------------------------------

def test_rmsprop_first_step_divides_by_the_root_mean_square():
    got, opt = _one_step(lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9))
    v = 0.1 * G1**2
    np.testing.assert_allclose(got, W0 - 0.01 * G1 / (np.sqrt(v) + 1e-8), rtol=1e-13)
    np.testing.assert_allclose(to_numpy(opt.state[opt.param_groups[0]["params"][0]]["square_avg"]), v, rtol=1e-13)


def test_rmsprop_centered_with_momentum_two_steps():
    g2 = -0.5 * G1 + 0.1
    got, _ = _one_step(lambda ps: optim.RMSprop(ps, lr=0.05, alpha=0.8, momentum=0.9, centered=True), (G1, g2))
    w, v, m, buf = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for g in (G1, g2):
        v = 0.8 * v + 0.2 * g * g
        m = 0.8 * m + 0.2 * g
        buf = 0.9 * buf + g / (np.sqrt(v - m * m) + 1e-8)
        w = w - 0.05 * buf
    np.testing.assert_allclose(got, w, rtol=1e-12)


def test_adagrad_with_lr_decay_and_initial_accumulator():
    g2 = 2 * G1
    got, opt = _one_step(lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.5, initial_accumulator_value=0.25),
                         (G1, g2))
    s1 = 0.25 + G1**2
    w = W0 - 0.1 * G1 / (np.sqrt(s1) + 1e-10)
    s2 = s1 + g2**2
    w = w - 0.1 / (1 + 0.5) * g2 / (np.sqrt(s2) + 1e-10)
    np.testing.assert_allclose(got, w, rtol=1e-13)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert sorted(state) == ["step", "sum"] and state["step"].item() == 2.0


def test_adadelta_first_step():
    got, _ = _one_step(lambda ps: optim.Adadelta(ps, lr=0.5, rho=0.9, eps=1e-3))
    delta = np.sqrt(1e-3) / np.sqrt(0.1 * G1**2 + 1e-3) * G1
    np.testing.assert_allclose(got, W0 - 0.5 * delta, rtol=1e-13)


def test_adamax_first_step_moves_by_lr_times_the_sign():
    got, _ = _one_step(lambda ps: optim.Adamax(ps, lr=0.02))
    np.testing.assert_allclose(got, W0 - 0.02 * G1 / (np.abs(G1) + 1e-8), rtol=1e-13)


def test_radam_without_rectification_takes_a_momentum_step():
    # rho_t <= 5 for the first steps: p -= lr * m / (1 - beta1^t), which is lr * g on the first one.
    got, _ = _one_step(lambda ps: optim.RAdam(ps, lr=0.1))
    np.testing.assert_allclose(got, W0 - 0.1 * G1, rtol=1e-13)


def test_nadam_first_step():
    got, opt = _one_step(lambda ps: optim.NAdam(ps, lr=0.01))
    mu = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu_next = 0.9 * (1 - 0.5 * 0.96**0.008)
    denom = np.sqrt(0.001 * G1**2 / 0.001) + 1e-8
    m = 0.1 * G1
    want = W0 - 0.01 * (1 - mu) / (1 - mu) * G1 / denom - 0.01 * mu_next / (1 - mu * mu_next) * m / denom
    np.testing.assert_allclose(got, want, rtol=1e-6)  # mu_product is a float32 tensor, as in PyTorch
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert state["mu_product"].dtype == plugrad.float32
    assert state["mu_product"].item() == pytest.approx(mu, rel=1e-7)


def test_rprop_grows_steps_while_the_sign_holds_and_skips_a_flip():
    g_flip = G1 * np.array([[1, 1, 1], [-1, -1, -1]])
    got, opt = _one_step(lambda ps: optim.Rprop(ps, lr=0.1), (G1, G1, g_flip))
    state = opt.state[opt.param_groups[0]["params"][0]]
    np.testing.assert_allclose(to_numpy(state["step_size"]).ravel(), np.r_[[0.144] * 3, [0.06] * 3], rtol=1e-12)
    # Row 0 kept its sign three times (0.1 + 0.12 + 0.144); row 1 flipped on the third step and stood still.
    want = W0 - np.sign(G1) * np.array([[0.364], [0.22]])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(to_numpy(state["prev"])[1], 0.0)


def test_asgd_first_step_and_its_float32_schedule_state():
    got, opt = _one_step(lambda ps: optim.ASGD(ps, lr=0.1, lambd=0.01, alpha=0.5))
    eta = float(np.float32(0.1))  # the state's eta is a float32 tensor
    want = W0 * (1 - 0.01 * eta) - eta * G1
    np.testing.assert_allclose(got, want, rtol=1e-12)
    state = opt.state[opt.param_groups[0]["params"][0]]
    np.testing.assert_allclose(to_numpy(state["ax"]), want, rtol=1e-12)  # mu was 1: the average is the point
    assert state["eta"].dtype == plugrad.float32
    assert state["eta"].item() == float(np.float32(0.1 / (1 + 0.01 * 0.1) ** 0.5))
    assert state["mu"].item() == 1.0


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_maximize_ascends(name):
    kw = {"lambd": 0.0} if name == "ASGD" else {}  # ASGD's decay of the parameter does not change sign
    down, _ = _one_step(lambda ps: getattr(optim, name)(ps, lr=0.01, **kw))
    up, _ = _one_step(lambda ps: getattr(optim, name)(ps, lr=0.01, maximize=True, **kw))
    np.testing.assert_allclose(up - W0, -(down - W0), rtol=1e-12, atol=1e-15)
    assert np.all((up - W0) * G1 > 0)


# --- PyTorch's single-tensor algorithms, step by step, in float32 ------------------------------------------

TORCH_CONFIGS = [
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5,
                 "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.01,
               "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"betas": (0.5, 0.7)}),  # rho_t passes 5 after a few steps: the rectified branch
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.7), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.1, "maximize": True}),
]
CONFIG_IDS = [f"{n}-" + ",".join(f"{k}={v}" for k, v in kw.items()) for n, kw in TORCH_CONFIGS]


@pytest.mark.parametrize("name,kw", TORCH_CONFIGS, ids=CONFIG_IDS)
def test_optimizer_matches_torch_over_twelve_float32_steps(name, kw):
    torch = _torch()
    w0, grads = _float32_problem(steps=12)
    want, topt = _trajectory(torch, name, kw, w0, grads, lambda p: p.detach().numpy())
    got, opt = _trajectory(plugrad, name, kw, w0, grads, to_numpy)
    for step, (g_step, w_step) in enumerate(zip(got, want)):
        for g, w in zip(g_step, w_step):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, err_msg=f"{name} {kw} after step {step + 1}")
    tsd, sd = topt.state_dict(), opt.state_dict()
    assert {k: sorted(v) for k, v in sd["state"].items()} == {k: sorted(v) for k, v in tsd["state"].items()}
    for k, tstate in tsd["state"].items():
        for key, value in tstate.items():
            mine = sd["state"][k][key]
            assert mine.dtype == getattr(plugrad, str(value.dtype).removeprefix("torch."))
            np.testing.assert_allclose(to_numpy(mine), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    assert sd["param_groups"] == tsd["param_groups"]
    assert repr(opt) == repr(topt)


@pytest.mark.parametrize("name,kw", TORCH_CONFIGS, ids=CONFIG_IDS)
def test_optimizer_updates_parameters_and_state_in_place(name, kw):
    w0, grads = _float32_problem(steps=3)
    params = [nn.Parameter(plugrad.tensor(w.copy())) for w in w0]
    opt = getattr(optim, name)(params, **kw)
    arrays = [p._data for p in params]
    before = None
    for step in grads:
        for p, g in zip(params, step):
            p.grad = plugrad.tensor(g)
        grads_before = [to_numpy(p.grad).copy() for p in params]
        opt.step()
        assert all(p._data is a for p, a in zip(params, arrays))
        assert all(p.is_leaf and p.grad_fn is None and p.requires_grad for p in params)
        for p, g in zip(params, grads_before):  # the gradient is left alone
            np.testing.assert_array_equal(to_numpy(p.grad), g)
        now = [{k: v._data for k, v in opt.state[p].items()} for p in params]
        if before is not None:
            assert all(a[k] is b[k] for a, b in zip(now, before) for k in a)
        before = now


# --- arguments, groups, zero_grad, state dicts ------------------------------------------------------------

@pytest.mark.parametrize("make,message", [
    (lambda p: optim.RMSprop(p, lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "Invalid alpha value: -0.5"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), "Invalid momentum value: -0.1"),
    (lambda p: optim.RMSprop(p, eps=-1e-3), "Invalid epsilon value: -0.001"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.Adadelta(p, weight_decay=-2), "Invalid weight_decay value: -2"),
    (lambda p: optim.Adamax(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.NAdam(p, momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    (lambda p: optim.RAdam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (lambda p: optim.ASGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.LBFGS(p, lr=-1), "Invalid learning rate: -1"),
])
def test_bad_arguments_raise_pytorchs_errors(make, message):
    p = nn.Parameter(plugrad.ones(2))
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        make([p])


def test_bad_arguments_match_torch():
    torch = _torch()
    for lib in (torch, plugrad):
        p = lib.nn.Parameter(lib.ones(2))
        with pytest.raises(ValueError) as err:
            lib.optim.Rprop([p], etas=(0.5, 0.9))
        assert str(err.value) == "Invalid eta values: 0.5, 0.9"


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_add_param_group_and_zero_grad(name):
    a, b = nn.Parameter(plugrad.ones(2)), nn.Parameter(plugrad.ones(3))
    opt = getattr(optim, name)([a], lr=0.01)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.5]
    assert {k for k in opt.param_groups[1] if k != "params"} == set(opt.defaults)
    a.grad, b.grad = plugrad.ones(2), plugrad.ones(3)
    opt.step()
    assert sorted(opt.state[b]) == sorted(opt.state[a]) and opt.state[b]["step"].item() == 1.0
    moved_a, moved_b = 1 - to_numpy(a), 1 - to_numpy(b)
    assert np.all(moved_a > 0) and np.all(moved_b > moved_a[0])  # the second group's larger rate
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and float(a.grad.abs().sum()) == 0.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    before = to_numpy(a).copy()
    opt.step()  # no gradients: nothing moves
    np.testing.assert_array_equal(to_numpy(a), before)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_adagrad_has_state_from_construction():
    a, b = nn.Parameter(plugrad.ones(2)), nn.Parameter(plugrad.ones(1))
    opt = optim.Adagrad([a, b], initial_accumulator_value=0.3)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1] and sd["state"][1]["step"].item() == 0.0
    np.testing.assert_allclose(to_numpy(sd["state"][0]["sum"]), [0.3, 0.3], rtol=1e-7)


def _saved(obj):
    buf = io.BytesIO()
    plugrad.save(obj, buf)
    buf.seek(0)
    return plugrad.load(buf)


@pytest.mark.parametrize("name,kw", [("RMSprop", {"momentum": 0.9, "centered": True}), ("Adagrad", {}),
                                     ("Adadelta", {}), ("Adamax", {}), ("NAdam", {"weight_decay": 0.1}),
                                     ("RAdam", {"betas": (0.5, 0.7)}), ("Rprop", {}), ("ASGD", {"t0": 2})])
def test_state_dict_roundtrip_continues_identically(name, kw):
    def make():
        plugrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        return model, getattr(optim, name)(model.parameters(), lr=0.01, **kw)

    x, y = plugrad.randn(8, 3), plugrad.randn(8, 1)

    def step(model, opt):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model, opt = make()
    for _ in range(4):
        step(model, opt)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3] and sd["state"][0]["step"].item() == 4.0
    model2, opt2 = make()
    model2.load_state_dict(model.state_dict())
    opt2.load_state_dict(_saved(sd))
    assert [step(model, opt) for _ in range(3)] == [step(model2, opt2) for _ in range(3)]


def test_differentiable_true_is_refused_with_a_reason():
    p = nn.Parameter(plugrad.ones(1))
    with pytest.raises(RuntimeError, match="differentiable=True is not available"):
        optim.RMSprop([p], differentiable=True)


# --- LBFGS ------------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(1)
A = _RNG.standard_normal((8, 3))
B = _RNG.standard_normal(8)


def _values(t):
    """A tensor of either library as a NumPy array."""
    return t.detach().cpu().numpy()


def _lbfgs_run(lib, kw, dtype=np.float64, outer=3, nonlinear=True):
    x = lib.nn.Parameter(lib.tensor(np.array([1.5, -0.5, 0.7], dtype=dtype)))
    c = lib.nn.Parameter(lib.tensor(np.array([0.3], dtype=dtype)))
    a, b = lib.tensor(A.astype(dtype)), lib.tensor(B.astype(dtype))
    opt = lib.optim.LBFGS([x, c], **kw)
    calls = []

    def closure():
        opt.zero_grad()
        r = a @ x - b + c
        loss = (r * r).sum()
        if nonlinear:
            loss = loss + ((x[1] - x[0] ** 2) ** 2).sum() * 3 + (c**4).sum()
        loss.backward()
        calls.append(1)
        return loss

    out = []
    for _ in range(outer):
        loss = opt.step(closure)
        out.append((float(loss.detach()), np.r_[_values(x), _values(c)]))
    return out, opt, len(calls)


def test_lbfgs_solves_a_least_squares_problem():
    for kw in ({}, {"line_search_fn": "strong_wolfe"}, {"history_size": 2, "lr": 0.5, "max_iter": 50}):
        kw = {**kw, "tolerance_grad": 1e-12, "tolerance_change": 1e-15}
        out, opt, calls = _lbfgs_run(plugrad, kw, nonlinear=False)
        design = np.c_[A, np.ones(8)]
        want = np.linalg.lstsq(design, B, rcond=None)[0]
        np.testing.assert_allclose(out[-1][1], want, rtol=1e-6, atol=1e-7, err_msg=str(kw))
        state = opt.state[opt.param_groups[0]["params"][0]]
        assert state["func_evals"] == calls
        assert len(state["old_dirs"]) <= kw.get("history_size", 100)


def test_lbfgs_returns_the_first_loss_and_stops_at_a_minimum():
    p = nn.Parameter(plugrad.tensor([3.0]))
    opt = optim.LBFGS([p])

    def closure():
        opt.zero_grad()
        loss = ((p - 1.0) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert p.item() == pytest.approx(1.0, abs=1e-6)
    evals = opt.state[p]["func_evals"]
    assert opt.step(closure).item() == pytest.approx(0.0, abs=1e-12)  # gradient under tolerance_grad: one call
    assert opt.state[p]["func_evals"] == evals + 1


LBFGS_CONFIGS = [{}, {"lr": 0.5, "max_iter": 7, "history_size": 3}, {"line_search_fn": "strong_wolfe"},
                 {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 10, "lr": 0.8},
                 {"tolerance_grad": 1e-3, "tolerance_change": 1e-4}]


@pytest.mark.parametrize("kw", LBFGS_CONFIGS, ids=[",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                                                  for kw in LBFGS_CONFIGS])
def test_lbfgs_matches_torch_iterates(kw):
    torch = _torch()
    want, topt, tcalls = _lbfgs_run(torch, kw)
    got, opt, calls = _lbfgs_run(plugrad, kw)
    assert calls == tcalls
    for (gl, gx), (wl, wx) in zip(got, want):
        assert gl == pytest.approx(wl, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(gx, wx, rtol=1e-11, atol=1e-12)
    tstate = topt.state[topt.param_groups[0]["params"][0]]
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert sorted(state) == sorted(tstate)
    assert (state["func_evals"], state["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])
    np.testing.assert_allclose(_values(state["d"]), _values(tstate["d"]), rtol=1e-8, atol=1e-10)
    assert opt.param_groups[0]["max_eval"] == topt.param_groups[0]["max_eval"]


def test_lbfgs_float32_first_iterations_match_torch():
    torch = _torch()
    kw = {"max_iter": 4, "history_size": 3}
    want, _, _ = _lbfgs_run(torch, kw, dtype=np.float32, outer=1)
    got, _, _ = _lbfgs_run(plugrad, kw, dtype=np.float32, outer=1)
    assert got[0][1].dtype == np.float32
    np.testing.assert_allclose(got[0][1], want[0][1], rtol=1e-5, atol=1e-6)


def test_lbfgs_errors():
    a, b = nn.Parameter(plugrad.ones(1)), nn.Parameter(plugrad.ones(1))
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="backtracking")

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


# --- learning-rate schedulers -----------------------------------------------------------------------------

def _sgd(lr=0.1, momentum=0.0, lib=plugrad):
    p = lib.nn.Parameter(lib.ones(1))
    return lib.optim.SGD([p], lr=lr, momentum=momentum)


def _lrs(sched, opt, n, metrics=None, epochs=None):
    out = []
    for i in range(n):
        out.append(sched.get_last_lr()[0])
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        elif epochs is not None:
            sched.step(epochs[i])
        else:
            sched.step()
    return out


def test_lambda_multiplicative_multistep_exponential_values():
    opt = _sgd(0.5)
    assert _lrs(lr_scheduler.LambdaLR(opt, lambda e: 1 / (e + 1)), opt, 4) == [0.5, 0.25, 0.5 / 3, 0.125]
    opt = _sgd(1.0)
    assert _lrs(lr_scheduler.MultiplicativeLR(opt, lambda e: 0.5), opt, 4) == [1.0, 0.5, 0.25, 0.125]
    opt = _sgd(1.0)
    got = _lrs(lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5), opt, 7)
    assert got == [1.0, 1.0, 0.5, 0.5, 0.5, 0.125, 0.125]
    opt = _sgd(2.0)
    np.testing.assert_allclose(_lrs(lr_scheduler.ExponentialLR(opt, 0.9), opt, 6), 2.0 * 0.9 ** np.arange(6),
                               rtol=1e-14)


def test_linear_constant_polynomial_values():
    opt = _sgd(1.0)
    got = _lrs(lr_scheduler.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=4), opt, 7)
    np.testing.assert_allclose(got, [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0], rtol=1e-14)
    opt = _sgd(0.9)
    got = _lrs(lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3), opt, 5)
    np.testing.assert_allclose(got, [0.45, 0.45, 0.45, 0.9, 0.9], rtol=1e-14)
    opt = _sgd(1.0)
    got = _lrs(lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0), opt, 6)
    np.testing.assert_allclose(got, [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0], rtol=1e-14, atol=1e-15)


def test_cosine_warm_restarts_values():
    opt = _sgd(1.0)
    got = _lrs(lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0), opt, 8)
    cos = [0.5 * (1 + math.cos(math.pi * t / ti)) for t, ti in [(0, 2), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4),
                                                                (0, 8), (1, 8)]]
    np.testing.assert_allclose(got, cos, rtol=1e-14, atol=1e-15)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(_sgd(1.0), T_0=2, T_mult=2)
    sched.step(3.0)  # fractional and explicit epochs: the closed form
    assert (sched.T_i, sched.T_cur) == (4, 1.0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(_sgd(), T_0=0)


def test_sequential_and_chained_values():
    opt = _sgd(1.0)
    sched = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2),
                                           lr_scheduler.ExponentialLR(opt, gamma=0.5)], milestones=[2])
    np.testing.assert_allclose(_lrs(sched, opt, 5), [0.1, 0.1, 1.0, 0.5, 0.25], rtol=1e-14)
    opt = _sgd(1.0)
    sched = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2),
                                           lr_scheduler.ExponentialLR(opt, gamma=0.5)])
    np.testing.assert_allclose(_lrs(sched, opt, 5), [0.1, 0.05, 0.25, 0.125, 0.0625], rtol=1e-14)
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt)], milestones=[])


def test_reduce_lr_on_plateau_waits_patience_then_cools_down():
    opt = _sgd(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    got = _lrs(sched, opt, 9, metrics=[5, 4, 4, 4, 4, 4, 4, 4, 4])
    assert got == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert sched.get_last_lr() == [0.25] and sched.best == 4.0
    _lrs(sched, opt, 6, metrics=[4] * 6)
    assert sched.get_last_lr() == [0.2]  # min_lr bounds the reduction
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode sideways is unknown!"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")


def test_one_cycle_endpoints_and_momentum():
    opt = _sgd(0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(1.0 / 25) and moms[0] == pytest.approx(0.95)
    assert lrs[2] == pytest.approx(1.0) and moms[2] == pytest.approx(0.85)  # the peak at pct_start * 10 - 1
    assert lrs[9] == pytest.approx(1.0 / 25 / 1e4) and moms[9] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()
    adam = optim.Adam([nn.Parameter(plugrad.ones(1))], betas=(0.9, 0.99))
    lr_scheduler.OneCycleLR(adam, max_lr=0.1, total_steps=5, anneal_strategy="linear")
    assert adam.param_groups[0]["betas"] == (0.95, 0.99)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)


def test_cyclic_triangular_values():
    opt = _sgd(0.1, momentum=0.9)
    got = _lrs(lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2), opt, 6)
    np.testing.assert_allclose(got, [0.1, 0.3, 0.5, 0.3, 0.1, 0.3], rtol=1e-14)
    opt = _sgd(0.1, momentum=0.9)
    got = _lrs(lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, mode="triangular2"), opt, 7)
    np.testing.assert_allclose(got, [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3], rtol=1e-14)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(optim.Adagrad([nn.Parameter(plugrad.ones(1))]), 0.1, 0.5)


SCHEDULERS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 7, 7, 20], 0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.93),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.25, 0.9, 7),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.4, 6),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 12, 2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, 1.0, 5), m.ExponentialLR(o, 0.9),
                                                    m.CosineAnnealingLR(o, 8)], [5, 15]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.9),
                                                         m.MultiStepLR(o, [10, 20], 0.5)]),
    "CyclicLR": lambda m, o: m.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=3, step_size_down=5,
                                        mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=40),
    "OneCycleLR-three_phase": lambda m, o: m.OneCycleLR(o, [0.5, 1.0], epochs=4, steps_per_epoch=10,
                                                        anneal_strategy="linear", three_phase=True,
                                                        div_factor=10, final_div_factor=100, pct_start=0.25),
}
EPOCHS = {  # step(epoch): the closed forms
    "MultiStepLR": [i * 2 % 17 for i in range(40)],
    "ExponentialLR": list(range(3, 43)),
    "LinearLR": [i % 11 for i in range(40)],
    "ConstantLR": [i % 9 for i in range(40)],
    "PolynomialLR": [i % 15 for i in range(40)],
    "CosineAnnealingWarmRestarts": [i * 0.7 for i in range(40)],
}
PLATEAUS = {
    "min-rel": ({"patience": 2, "factor": 0.5, "cooldown": 1, "min_lr": [0.01, 0.002]},
                [1.0 / (1 + i) if i < 8 else 0.1 + 0.001 * (i % 3) for i in range(40)]),
    "max-abs": ({"mode": "max", "threshold": 0.05, "threshold_mode": "abs", "patience": 1, "eps": 1e-3},
                [math.sin(i / 3) for i in range(40)]),
    "max-rel": ({"mode": "max", "threshold": 0.05, "patience": 0}, [math.sin(i / 3) + 2 for i in range(40)]),
}


def _schedule(lib, make, optimizer="SGD", n=40, **step_args):
    params = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(1))]
    kw = {"lr": 0.1, "momentum": 0.9} if optimizer == "SGD" else {}
    opt = getattr(lib.optim, optimizer)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation
        sched = make(lib.optim.lr_scheduler, opt)
        out = []
        for i in range(n):
            groups = opt.param_groups
            out.append((sched.get_last_lr(), [g["lr"] for g in groups],
                        [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups],
                        getattr(sched, "last_epoch", None)))
            opt.step()
            sched.step(*[v[i] for v in step_args.values()])
    return out, sorted(sched.state_dict())


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_matches_torch(name):
    torch = _torch()
    for optimizer in ("SGD", "Adam") if name.startswith(("Cyclic", "OneCycle")) else ("SGD",):
        want, tkeys = _schedule(torch, SCHEDULERS[name], optimizer)
        got, keys = _schedule(plugrad, SCHEDULERS[name], optimizer)
        assert got == want  # the same floats: the same formulas in the same order
        assert keys == tkeys


@pytest.mark.parametrize("name", list(EPOCHS))
def test_scheduler_with_explicit_epochs_matches_torch(name):
    torch = _torch()
    want, _ = _schedule(torch, SCHEDULERS[name], epochs=EPOCHS[name])
    got, _ = _schedule(plugrad, SCHEDULERS[name], epochs=EPOCHS[name])
    assert got == want


@pytest.mark.parametrize("name", list(PLATEAUS))
def test_reduce_lr_on_plateau_matches_torch(name):
    torch = _torch()
    kw, metrics = PLATEAUS[name]
    want, tkeys = _schedule(torch, lambda m, o: m.ReduceLROnPlateau(o, **kw), metrics=metrics)
    got, keys = _schedule(plugrad, lambda m, o: m.ReduceLROnPlateau(o, **kw), metrics=metrics)
    assert got == want and keys == tkeys


@pytest.mark.parametrize("name", ["ExponentialLR", "SequentialLR", "ChainedScheduler", "CyclicLR", "OneCycleLR",
                                  "CosineAnnealingWarmRestarts"])
def test_scheduler_state_dict_resumes_the_schedule(name):
    def run(n, state=None):
        params = [nn.Parameter(plugrad.ones(1)), nn.Parameter(plugrad.ones(1))]
        opt = optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}], lr=0.1, momentum=0.9)
        sched = SCHEDULERS[name](lr_scheduler, opt)
        if state is not None:
            opt_state, sched_state = state
            opt.load_state_dict(opt_state)
            sched.load_state_dict(sched_state)
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        return out, (opt.state_dict(), sched.state_dict())

    straight, _ = run(20)
    first, state = run(8)
    rest, _ = run(12, _saved(state))
    assert first + rest == straight


def test_scheduler_step_before_optimizer_step_warns():
    opt = _sgd()
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    opt = _sgd()
    sched = lr_scheduler.MultiStepLR(opt, [1])
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # the right order: no warning
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(3)


def test_scheduler_warnings_match_torch():
    torch = _torch()
    messages = []
    for lib in (torch, plugrad):
        opt = _sgd(lib=lib)
        sched = lib.optim.lr_scheduler.LinearLR(opt)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
            sched.get_lr()
            sched.step(2)
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 3
