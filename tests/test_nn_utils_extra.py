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
