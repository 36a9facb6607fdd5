"""nn.Module beyond the basics: state-dict hooks and their order, extra state, set_submodule, to_empty,
share_memory, call_super_init, nn.Buffer; checked against PyTorch where installed."""

from __future__ import annotations

import numpy as np
import plugrad
import plugrad.nn as nn
import pytest
from _devices import to_numpy


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _net(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.steps = 0

        def get_extra_state(self):
            return {"steps": self.steps}

        def set_extra_state(self, state):
            self.steps = state["steps"]

    return lib.nn.Sequential(Counter(), lib.nn.Linear(2, 1))


def _hook_log(lib, net, log):
    """Register every kind of state-dict hook on ``net`` and its first child, logging each call."""
    for name, m in [("root", net), ("child", net[0])]:
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars, n=name: log.append(("pre", n, prefix, keep_vars)))
        m.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta, n=name: log.append(("post", n, prefix, sorted(sd), meta["version"])))
        m.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, meta, strict, missing, unexpected, errors, n=name:
            log.append(("load_pre", n, prefix, sorted(sd), strict, list(missing), list(unexpected))))
        m.register_load_state_dict_post_hook(
            lambda mod, keys, n=name: log.append(("load_post", n, list(keys.missing_keys), list(keys.unexpected_keys))))


def test_state_dict_hooks_run_in_order_with_their_arguments():
    net = _net(plugrad)
    log = []
    _hook_log(plugrad, net, log)
    sd = net.state_dict()
    assert list(sd) == ["0._extra_state", "0.lin.weight", "0.lin.bias", "1.weight", "1.bias"]
    assert sd["0._extra_state"] == {"steps": 0}
    assert log == [
        ("pre", "root", "", False), ("pre", "child", "0.", False),
        ("post", "child", "0.", ["0._extra_state", "0.lin.bias", "0.lin.weight"], 1),
        ("post", "root", "", ["0._extra_state", "0.lin.bias", "0.lin.weight", "1.bias", "1.weight"], 1),
    ]
    log.clear()
    sd["0._extra_state"] = {"steps": 7}
    del sd["1.bias"]
    sd["1.extra"] = plugrad.ones(1)
    keys = net.load_state_dict(sd, strict=False)
    assert net[0].steps == 7
    assert keys.missing_keys == ["1.bias"] and keys.unexpected_keys == ["1.extra"]
    assert log[0][:2] == ("load_pre", "root") and log[0][4:] == (True, [], [])
    assert log[1][:2] == ("load_pre", "child") and log[2] == ("load_post", "child", [], [])
    assert log[3] == ("load_post", "root", ["1.bias"], ["1.extra"])


def test_load_post_hook_can_clear_incompatible_keys_and_must_return_none():
    net = nn.Linear(2, 2)
    net.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())
    assert repr(net.load_state_dict({"weight": plugrad.zeros(2, 2)})) == "<All keys matched successfully>"
    net.register_load_state_dict_post_hook(lambda m, keys: 1)
    with pytest.raises(AssertionError, match="are not expected to return new values"):
        net.load_state_dict(net.state_dict())
    handle = nn.Linear(1, 1).register_state_dict_post_hook(lambda *a: {})
    lin = nn.Linear(1, 1)
    lin.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        lin.state_dict()
    handle.remove()


def test_extra_state_missing_and_unexpected_keys():
    net = _net(plugrad)
    sd = net.state_dict()
    del sd["0._extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        net.load_state_dict(sd)
    plain = nn.Linear(1, 1)
    sd = {**plain.state_dict(), "_extra_state": 3}
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        plain.load_state_dict(sd)
    with pytest.raises(RuntimeError, match="Reached a code path in Module.get_extra_state\\(\\)"):
        plain.get_extra_state()


def test_state_dict_hooks_match_torch(torch):
    logs = {}
    for lib in (plugrad, torch):
        net, log = _net(lib), []
        _hook_log(lib, net, log)
        sd = net.state_dict(keep_vars=True)
        sd = dict(sd)
        sd["0._extra_state"] = {"steps": 2}
        del sd["1.bias"]
        sd["1.extra"] = lib.ones(1)
        sd["0.lin.nope.w"] = lib.ones(1)
        result = net.load_state_dict(sd, strict=False)
        logs[lib.__name__] = (log, list(net.state_dict()), result.missing_keys, result.unexpected_keys, net[0].steps)
    assert logs["plugrad"] == logs["torch"]


def test_set_submodule_to_empty_share_memory():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    net.set_submodule("1.0", nn.Tanh())
    assert isinstance(net[1][0], nn.Tanh)
    net.set_submodule("1.extra", nn.ReLU())
    assert isinstance(net[1].extra, nn.ReLU)
    with pytest.raises(AttributeError, match="Sequential has no attribute `missing`"):
        net.set_submodule("1.missing", nn.ReLU(), strict=True)
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name!"):
        net.set_submodule("", nn.ReLU())
    with pytest.raises(ValueError, match="`module` is not an nn.Module, found <class 'int'>"):
        net.set_submodule("0", 3)
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.set_submodule("0.weight", nn.ReLU())
    weight = net[0].weight
    assert net.to_empty(device="cpu") is net and net[0].weight is weight and weight.shape == (2, 2)
    assert weight.device.type == "cpu" and weight.requires_grad
    outer = nn.Sequential(nn.Linear(1, 1))
    outer.register_buffer("b", plugrad.ones(1))
    outer[0].weight.data.fill_(0.25)
    outer.to_empty(device=outer.b.device, recurse=False)
    assert outer[0].weight.tolist() == [[0.25]] and outer.b.shape == (1,)
    assert net.share_memory() is net


def test_call_super_init_and_init_arguments():
    with pytest.raises(TypeError, match="Module.__init__\\(\\) got an unexpected keyword argument 'x'"):
        nn.Module(x=1)
    with pytest.raises(TypeError, match="Module.__init__\\(\\) takes 1 positional argument but 2 were given"):
        nn.Module(1)

    class Mixin:
        def __init__(self, *args, **kwargs):
            self.seen = (args, kwargs)

    class Cooperative(nn.Module, Mixin):
        call_super_init = True

    m = Cooperative(1, y=2)
    assert m.seen == ((1,), {"y": 2}) and nn.Module.call_super_init is False


def test_buffer_registers_on_assignment():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = nn.Buffer(plugrad.ones(2))
            self.scratch = nn.Buffer(plugrad.zeros(1), persistent=False)

    m = M()
    assert list(m.state_dict()) == ["kept"] and [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    assert type(m.kept) is plugrad.Tensor and isinstance(m.kept, nn.Buffer)
    assert not isinstance(plugrad.ones(1), nn.Buffer)
    assert nn.Buffer().shape == (0,)
    m.kept = nn.Buffer(plugrad.ones(3), persistent=False)
    assert list(m.state_dict()) == []


def test_buffer_and_module_attributes_match_torch(torch):
    results = []
    for lib in (plugrad, torch):
        class M(lib.nn.Module):
            def __init__(self, lib=lib):
                super().__init__()
                self.a = lib.nn.Buffer(lib.ones(2), persistent=False)
                self.b = lib.nn.Buffer(lib.ones(2, requires_grad=True))

        m = M()
        results.append((list(m.state_dict()), [n for n, _ in m.named_buffers()], m.b.requires_grad,
                        type(m.a).__name__, lib.nn.Module.call_super_init))
    assert results[0] == results[1]


# --- nn.utils: norms, clipping, fusion, skip_init ----------------------------------------------------------


def _with_grads(lib, values):
    params = []
    for v in values:
        p = lib.nn.Parameter(lib.tensor(v))
        p.grad = lib.tensor(v) * 2
        params.append(p)
    return params


def test_total_norm_and_clipping_values():
    params = _with_grads(plugrad, [[3.0, 0.0], [0.0, 4.0]])
    grads = [p.grad for p in params]
    assert nn.utils.get_total_norm(grads).item() == pytest.approx(10.0)
    assert nn.utils.get_total_norm(grads, norm_type=float("inf")).item() == 8.0
    assert nn.utils.get_total_norm([]).item() == 0.0
    nn.utils.clip_grads_with_norm_(params, 5.0, plugrad.tensor(10.0))
    assert params[0].grad.tolist() == pytest.approx([3.0, 0.0], rel=1e-6)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        total = nn.utils.clip_grad_norm(params, 1.0)
    assert total.item() == pytest.approx(5.0, rel=1e-6)
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.get_total_norm([plugrad.tensor([float("inf")])], error_if_nonfinite=True)
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clipping_matches_torch(torch):
    values = [[0.5, -1.5, 2.0], [[0.1, 0.2], [0.3, -4.0]]]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        ours, theirs = _with_grads(plugrad, values), _with_grads(torch, values)
        a = plugrad.nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
        assert a.item() == pytest.approx(b.item(), rel=1e-6)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(to_numpy(p.grad), q.grad.numpy(), rtol=1e-6)
        assert plugrad.nn.utils.get_total_norm([p.grad for p in ours], norm_type).item() == \
            pytest.approx(torch.nn.utils.get_total_norm([q.grad for q in theirs], norm_type).item(), rel=1e-6)


def test_fusion_folds_batchnorm():
    plugrad.manual_seed(0)
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    bn.running_mean.copy_(plugrad.tensor([0.1, -0.2, 0.3]))
    bn.running_var.copy_(plugrad.tensor([1.5, 0.5, 2.0]))
    conv.eval()
    bn.eval()
    x = plugrad.randn(1, 2, 5, 5)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter)
    np.testing.assert_allclose(to_numpy(fused(x)), to_numpy(bn(conv(x))), rtol=1e-5, atol=1e-6)
    lin, bn1 = nn.Linear(4, 3).eval(), nn.BatchNorm1d(3).eval()
    bn1.running_var.fill_(2.0)
    y = plugrad.randn(2, 4)
    np.testing.assert_allclose(to_numpy(nn.utils.fuse_linear_bn_eval(lin, bn1)(y)), to_numpy(bn1(lin(y))),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), bn)
    with pytest.raises(AssertionError, match="got linear.out_features=3 and bn.num_features=2"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(2).eval())


def test_fusion_matches_torch(torch):
    for transpose in (False, True):
        shape = (4, 3, 2, 2)
        w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        stats = [np.linspace(0.1, 0.9, 3 if transpose else 4).astype(np.float32) for _ in range(4)]
        ours = plugrad.nn.utils.fuse_conv_bn_weights(plugrad.tensor(w), None, *(plugrad.tensor(s) for s in stats[:2]),
                                                      1e-5, *(plugrad.tensor(s) for s in stats[2:]), transpose)
        theirs = torch.nn.utils.fuse_conv_bn_weights(torch.tensor(w), None, *(torch.tensor(s) for s in stats[:2]),
                                                     1e-5, *(torch.tensor(s) for s in stats[2:]), transpose)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(to_numpy(a.detach()), b.detach().numpy(), rtol=1e-6)
            assert a.requires_grad == b.requires_grad


def test_skip_init_draws_no_random_numbers():
    plugrad.manual_seed(3)
    expected = plugrad.rand(2).tolist()
    plugrad.manual_seed(3)
    lin = nn.utils.skip_init(nn.Linear, 4, 2, device=plugrad.ones(1).device)
    assert lin.weight.shape == (2, 4) and isinstance(lin.weight, nn.Parameter)
    assert plugrad.rand(2).tolist() == expected
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        nn.utils.skip_init(int)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(NoDevice, 1)
