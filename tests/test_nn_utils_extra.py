"""``nn.utils.parametrize``: parametrized tensors, right_inverse on assignment, caching, removal."""

from __future__ import annotations

import copy

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

nn = plugrad.nn
P = plugrad.nn.utils.parametrize


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def _modules(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    class Double(lib.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2

    return Symmetric, Double


def _linear(lib):
    m = lib.nn.Linear(3, 3)
    with lib.no_grad():
        m.weight.copy_(lib.arange(9.0).reshape(3, 3))
        m.bias.zero_()
    return m


def test_parametrized_weight_is_computed_from_original() -> None:
    symmetric, double = _modules(plugrad)
    m = P.register_parametrization(_linear(plugrad), "weight", symmetric())
    w = np.arange(9.0).reshape(3, 3)
    assert type(m).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(m) is nn.Linear
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    np.testing.assert_array_equal(to_numpy(m.parametrizations.weight.original), np.triu(w))
    np.testing.assert_array_equal(to_numpy(m.weight), np.triu(w) + np.triu(w, 1).T)
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "parametrizations.weight.original"]
    m(plugrad.ones(2, 3)).sum().backward()
    np.testing.assert_array_equal(to_numpy(m.parametrizations.weight.original.grad),
                                  np.triu(np.full((3, 3), 2.0)) + np.triu(np.full((3, 3), 2.0), 1))
    P.register_parametrization(m, "weight", double())
    m.weight = plugrad.eye(3) * 4  # through both right_inverses
    np.testing.assert_array_equal(to_numpy(m.parametrizations.weight.original), np.eye(3) * 2)
    np.testing.assert_array_equal(to_numpy(m.weight), np.eye(3) * 4)


def test_cached_computes_once_and_removal_restores_the_class() -> None:
    symmetric, _ = _modules(plugrad)
    m = P.register_parametrization(_linear(plugrad), "weight", symmetric())
    assert m.weight is not m.weight
    with P.cached():
        assert m.weight is m.weight
    value = to_numpy(m.weight)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and not P.is_parametrized(m) and isinstance(m.weight, nn.Parameter)
    np.testing.assert_array_equal(to_numpy(m.weight), value)
    m2 = P.register_parametrization(_linear(plugrad), "weight", symmetric())
    P.remove_parametrizations(m2, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(to_numpy(m2.weight), np.triu(np.arange(9.0).reshape(3, 3)))
    m3 = P.register_parametrization(nn.Linear(2, 2), "weight", symmetric())
    m4 = copy.deepcopy(m3)
    assert type(m4).__name__ == "ParametrizedLinear"
    np.testing.assert_array_equal(to_numpy(m4.weight), to_numpy(m3.weight))


def test_parametrize_errors() -> None:
    symmetric, _ = _modules(plugrad)

    class Shrink(nn.Module):
        def forward(self, x):
            return x[:2]

    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="may not change the shape of the tensor, unless `unsafe` flag"):
        P.register_parametrization(m, "bias", Shrink())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        P.register_parametrization(m, "nothere", symmetric())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")
    P.register_parametrization(m, "bias", Shrink(), unsafe=True)
    assert m.bias.shape == (2,)


def test_parametrize_matches_torch(torch) -> None:
    outs = []
    for lib in (plugrad, torch):
        symmetric, double = _modules(lib)
        m = _linear(lib)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", symmetric())
        lib.nn.utils.parametrize.register_parametrization(m, "weight", double())
        y = m(lib.arange(6.0).reshape(2, 3))
        (y * y).sum().backward()
        outs.append([repr(m), list(m.state_dict()), y.tolist(), m.parametrizations.weight.original.grad.tolist()])
    assert outs[0] == outs[1]


# --- nn.utils.prune ------------------------------------------------------------------------------------------

_W = np.array([[0.3, -1.2, 0.05, 2.0], [-0.7, 0.9, -0.01, 0.4], [1.5, -0.2, 0.6, -2.5]], dtype=np.float32)
_W2 = np.array([[0.11, -0.5], [0.8, -0.03], [0.25, 0.6]], dtype=np.float32)
prune = plugrad.nn.utils.prune


def _pruned_linear(lib, w):
    m = lib.nn.Linear(w.shape[1], w.shape[0])
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
    return m


def test_l1_unstructured_masks_the_smallest_and_recomputes_before_forward() -> None:
    m = prune.l1_unstructured(_pruned_linear(plugrad, _W), "weight", amount=0.25)
    keep = np.abs(_W) > np.sort(np.abs(_W).reshape(-1))[2]
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"] and prune.is_pruned(m)
    np.testing.assert_array_equal(to_numpy(m.weight_mask), keep.astype(np.float32))
    np.testing.assert_array_equal(to_numpy(m.weight), _W * keep)
    m(plugrad.ones(2, 4)).sum().backward()
    np.testing.assert_array_equal(to_numpy(m.weight_orig.grad), 2 * keep)
    with plugrad.no_grad():
        m.weight_orig.fill_(1.0)
    m(plugrad.ones(1, 4))  # the pre-hook recomputes weight from weight_orig
    np.testing.assert_array_equal(to_numpy(m.weight), keep.astype(np.float32))
    prune.remove(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and not prune.is_pruned(m)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(m, "weight")


def test_ln_structured_then_container_and_global() -> None:
    m = prune.l1_unstructured(_pruned_linear(plugrad, _W), "weight", amount=3)
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    assert type(next(iter(m._forward_pre_hooks.values()))).__name__ == "PruningContainer"
    assert to_numpy(m.weight_mask).sum(1).tolist() == [3.0, 0.0, 3.0]  # row 1 has the smallest 2-norm
    a, b = _pruned_linear(plugrad, _W), _pruned_linear(plugrad, _W2)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=5)
    both = np.concatenate([np.abs(_W).reshape(-1), np.abs(_W2).reshape(-1)])
    cut = np.sort(both)[4]
    np.testing.assert_array_equal(to_numpy(a.weight_mask), (np.abs(_W) > cut).astype(np.float32))
    np.testing.assert_array_equal(to_numpy(b.weight_mask), (np.abs(_W2) > cut).astype(np.float32))
    c = prune.random_unstructured(nn.Linear(4, 3), "weight", amount=0.5)
    assert to_numpy(c.weight_mask).sum() == 6
    prune.random_structured(c, "weight", amount=1, dim=1)
    assert (to_numpy(c.weight_mask).sum(0) == 0).sum() >= 1
    with pytest.raises(ValueError, match="should either be a float in the range"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        prune.ln_structured(nn.Linear(2, 2), "bias", amount=1, n=1, dim=0)


def test_prune_matches_torch(torch) -> None:
    import torch.nn.utils.prune  # noqa: F401 - not imported by torch.nn.utils

    outs = []
    for lib in (plugrad, torch):
        pr = lib.nn.utils.prune
        m = pr.l1_unstructured(_pruned_linear(lib, _W), "weight", amount=0.25)
        pr.ln_structured(m, "weight", amount=1, n=1, dim=1)
        pr.l1_unstructured(m, "bias", amount=1, importance_scores=lib.tensor([3.0, 1.0, 2.0]))
        y = m(lib.arange(8.0).reshape(2, 4))
        (y * y).sum().backward()
        a, b = _pruned_linear(lib, _W), _pruned_linear(lib, _W2)
        pr.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=pr.L1Unstructured, amount=0.3)
        pr.remove(m, "weight")
        outs.append([m.weight.tolist(), m.bias_mask.tolist(), m.weight.grad is None, a.weight_mask.tolist(),
                     b.weight_mask.tolist(), sorted(n for n, _ in m.named_parameters()), pr.is_pruned(m)])
    assert outs[0] == outs[1]
