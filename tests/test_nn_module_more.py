"""nn.Module beyond the basics: state-dict hooks and their order, extra state, set_submodule, to_empty,
share_memory, call_super_init, nn.Buffer; checked against PyTorch where installed."""

from __future__ import annotations

import plugrad
import plugrad.nn as nn
import pytest


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
