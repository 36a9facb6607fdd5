"""optim.swa_utils: AveragedModel (equal-weight and EMA averages, with and without buffers), SWALR and
update_bn, by hand and against PyTorch on the same training runs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn
from plugrad.optim import swa_utils


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _linear(values):
    m = nn.Linear(1, 1, bias=False)
    with plugrad.no_grad():
        m.weight.fill_(values)
    return m


def test_averaged_model_means_the_models_and_counts_them():
    model = _linear(1.0)
    avg = swa_utils.AveragedModel(model)
    for w in (1.0, 2.0, 6.0):
        with plugrad.no_grad():
            model.weight.fill_(w)
        avg.update_parameters(model)
    assert avg.module.weight.item() == pytest.approx(3.0)
    assert avg.n_averaged.item() == 3 and avg.n_averaged.dtype is plugrad.int64
    assert list(avg.state_dict()) == ["n_averaged", "module.weight"]
    assert avg(plugrad.ones(1, 1)).item() == pytest.approx(3.0)


def test_ema_average_and_avg_fn_exclusive():
    model = _linear(0.0)
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.5))
    single = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.5))
    for w in (0.0, 4.0, 8.0):
        with plugrad.no_grad():
            model.weight.fill_(w)
        ema.update_parameters(model)
        single.update_parameters(model)
    assert ema.module.weight.item() == pytest.approx(5.0)  # 0 -> 2 -> 5
    assert single.module.weight.item() == pytest.approx(5.0)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range."):
        swa_utils.get_ema_multi_avg_fn(1.5)


def test_buffers_follow_the_model_unless_averaged():
    model = nn.BatchNorm1d(1)
    plain, averaged = swa_utils.AveragedModel(model), swa_utils.AveragedModel(model, use_buffers=True)
    for mean in (2.0, 4.0):
        with plugrad.no_grad():
            model.running_mean.fill_(mean)
        plain.update_parameters(model)
        averaged.update_parameters(model)
    assert plain.module.running_mean.item() == 4.0 and averaged.module.running_mean.item() == 3.0


def test_update_bn_recomputes_cumulative_statistics_and_restores_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with plugrad.no_grad():
        model[0].weight.copy_(plugrad.eye(2))
        model[0].bias.zero_()
    model.eval()
    batches = [plugrad.tensor([[0.0, 1.0], [2.0, 3.0]]), plugrad.tensor([[4.0, 5.0], [6.0, 7.0]])]
    swa_utils.update_bn([(b, None) for b in batches], model)
    assert to_numpy(model[1].running_mean).tolist() == pytest.approx([3.0, 4.0])
    assert to_numpy(model[1].running_var).tolist() == pytest.approx([2.0, 2.0])
    assert model[1].momentum == 0.1 and not model.training


def test_swalr_anneals_to_swa_lr():
    p = nn.Parameter(plugrad.zeros(1))
    opt = plugrad.optim.SGD([p], lr=1.0)
    sched = swa_utils.SWALR(opt, swa_lr=0.5, anneal_epochs=2, anneal_strategy="linear")
    assert sched.get_last_lr() == [1.0]
    lrs = []
    for _ in range(3):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx([0.75, 0.5, 0.5])
    cos = swa_utils.SWALR(plugrad.optim.SGD([p], lr=1.0), swa_lr=0.0, anneal_epochs=2)
    cos.optimizer.step()
    cos.step()
    assert cos.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi / 2)) / 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.get_lr()
    assert "please use `get_last_lr()`" in str(caught[0].message)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        swa_utils.SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
    state = sched.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    other = swa_utils.SWALR(plugrad.optim.SGD([p], lr=1.0), swa_lr=0.1)
    other.load_state_dict(state)
    assert other.anneal_func is other._linear_anneal and other.anneal_epochs == 2


# --- against PyTorch ------------------------------------------------------------------------------


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))


def _averaged_after_training(lib, kind, use_buffers):
    s = lib.optim.swa_utils
    fns = {"swa": {}, "ema": {"avg_fn": s.get_ema_avg_fn(0.9)}, "multi_ema": {"multi_avg_fn": s.get_ema_multi_avg_fn(0.9)},
           "multi_swa": {"multi_avg_fn": s.get_swa_multi_avg_fn()}}[kind]
    model = _model(lib)
    avg = s.AveragedModel(model, use_buffers=use_buffers, **fns)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(4):
        model(lib.tensor(rng.standard_normal((5, 3)), dtype=lib.float32)).pow(2).sum().backward()
        opt.step()
        opt.zero_grad()
        avg.update_parameters(model)
    return avg


@pytest.mark.parametrize("kind,use_buffers", [("swa", False), ("swa", True), ("ema", False), ("ema", True),
                                              ("multi_ema", False), ("multi_ema", True), ("multi_swa", False)])
def test_averaged_model_matches_torch(torch, kind, use_buffers):
    at, ap = _averaged_after_training(torch, kind, use_buffers), _averaged_after_training(plugrad, kind, use_buffers)
    st, sp = at.state_dict(), ap.state_dict()
    assert list(st) == list(sp) and repr(ap) == repr(at)
    for key in st:
        np.testing.assert_allclose(to_numpy(sp[key]), st[key].numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def test_update_bn_matches_torch(torch):
    out = []
    for lib in (torch, plugrad):
        model = _model(lib)
        rng = np.random.default_rng(1)
        model.eval()
        lib.optim.swa_utils.update_bn([lib.tensor(rng.standard_normal((5, 3)), dtype=lib.float32) for _ in range(3)],
                                      model)
        out.append(model[1])
    np.testing.assert_allclose(to_numpy(out[1].running_mean), out[0].running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(out[1].running_var), out[0].running_var.numpy(), rtol=1e-5, atol=1e-6)
    assert out[1].num_batches_tracked.item() == out[0].num_batches_tracked.item() == 3


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
def test_swalr_matches_torch(torch, strategy, anneal_epochs):
    out = []
    for lib in (torch, plugrad):
        params = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
        opt = lib.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}], lr=1.0)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs,
                                          anneal_strategy=strategy)
        lrs = [sched.get_last_lr()]
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        out.append((lrs, sorted(sched.state_dict())))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-15)
    assert out[1][1] == out[0][1]


def test_swa_multi_avg_fn_on_integers_raises_as_torch(torch):
    fn_t, fn_p = torch.optim.swa_utils.get_swa_multi_avg_fn(), swa_utils.get_swa_multi_avg_fn()
    with pytest.raises(RuntimeError) as expected:
        fn_t([torch.tensor([5, 1])], [torch.tensor([2, 4])], torch.tensor(1))
    with pytest.raises(RuntimeError) as got:
        fn_p([plugrad.tensor([5, 1])], [plugrad.tensor([2, 4])], plugrad.tensor(1))
    assert str(got.value) == str(expected.value)
