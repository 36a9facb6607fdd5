"""Forward-mode AD (``plugrad.autograd.forward_ad``): levels, dual tensors, tangents through every op.

Closed forms and finite differences run everywhere; the differential tests need PyTorch as a reference.
"""

from __future__ import annotations

import math

import numpy as np
import plugrad
import plugrad.autograd.forward_ad as fwAD
import pytest
from _devices import to_numpy
from plugrad.ops import registry


def _t(values, **kw):
    return plugrad.tensor(np.asarray(values, dtype=np.float64), **kw)


def test_tangent_of_a_composition_matches_the_closed_form():
    x, t = _t([0.3, -1.2, 2.0]), _t([1.0, 0.5, -2.0])
    with fwAD.dual_level():
        y = fwAD.make_dual(x, t).sin() * 3
        primal, tangent = fwAD.unpack_dual(y)
    assert np.allclose(to_numpy(primal), 3 * np.sin(to_numpy(x)))
    assert np.allclose(to_numpy(tangent), 3 * np.cos(to_numpy(x)) * to_numpy(t))


def test_tangent_matches_finite_differences_through_reductions_and_matmul():
    rs = np.random.RandomState(0)
    xv, tv, wv = rs.randn(3, 4), rs.randn(3, 4), rs.randn(4, 2)

    def f(x):
        return ((x.exp() @ _t(wv)).tanh().sum(0) + x.pow(2).mean()).log_softmax(0)

    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(fwAD.make_dual(_t(xv), _t(tv)))).tangent
    eps = 1e-6
    fd = (to_numpy(f(_t(xv + eps * tv))) - to_numpy(f(_t(xv - eps * tv)))) / (2 * eps)
    assert np.allclose(to_numpy(tangent), fd, atol=1e-7)


def test_unpack_dual_is_a_namedtuple_and_exiting_the_level_drops_tangents():
    x, t = _t([1.0, 2.0]), _t([3.0, 4.0])
    with fwAD.dual_level() as level:
        assert level == 0
        d = fwAD.make_dual(x, t)
        u = fwAD.unpack_dual(d)
        assert isinstance(u, fwAD.UnpackedDualTensor) and u._fields == ("primal", "tangent")
        assert u.tangent is t
        assert fwAD.unpack_dual(x).tangent is None
        assert fwAD.unpack_dual(u.primal).tangent is None
        assert fwAD.unpack_dual(3).primal == 3
    assert fwAD.unpack_dual(d).tangent is None
    assert type(registry.Op.__dict__["dispatch"]).__name__ == "function"
    assert registry.Op.dispatch.__name__ == "dispatch"  # the plain per-op path is back


def test_tangents_propagate_under_no_grad_and_results_do_not_require_grad():
    x, t = _t([0.5, 1.5]), _t([1.0, -1.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        with plugrad.no_grad():
            y = d.exp() * 2
        tangent = fwAD.unpack_dual(y).tangent
    assert not y.requires_grad and not tangent.requires_grad
    assert np.allclose(to_numpy(tangent), 2 * np.exp(to_numpy(x)) * to_numpy(t))


def test_tangent_requires_no_graph_when_nothing_requires_grad():
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(fwAD.make_dual(_t([1.0]), _t([1.0])).cos() * 2).tangent
    assert tangent.grad_fn is None and not tangent.requires_grad


def test_in_place_ops_take_the_tangent_along():
    x, t = _t([1.0, 2.0, 3.0]), _t([1.0, 1.0, 1.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        z = d.clone()
        z.mul_(3)
        a = plugrad.zeros(3, dtype=plugrad.float64)
        a.add_(d)
        assert np.allclose(to_numpy(fwAD.unpack_dual(z).tangent), 3.0)
        assert np.allclose(to_numpy(fwAD.unpack_dual(a).tangent), 1.0)


def test_integer_and_boolean_results_have_no_tangent():
    with fwAD.dual_level():
        d = fwAD.make_dual(_t([1.0, -2.0]), _t([1.0, 1.0]))
        assert fwAD.unpack_dual(d > 0).tangent is None
        assert fwAD.unpack_dual(d.argmax()).tangent is None


def test_reverse_mode_through_a_tangent():
    # d/dx of the tangent of sin(x) * x in direction t: (2 cos x - x sin x) * t
    x = _t([0.4, -0.7], requires_grad=True)
    t = _t([1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        tangent = fwAD.unpack_dual(d.sin() * d).tangent
    (g,) = plugrad.autograd.grad(tangent.sum(), x)
    xv = to_numpy(x)
    assert np.allclose(to_numpy(g), (2 * np.cos(xv) - xv * np.sin(xv)) * to_numpy(t))


def test_forward_over_reverse_gives_hessian_vector_products():
    xv, tv = np.array([0.4, -0.7, 1.1]), np.array([1.0, 0.0, -1.0])
    x = _t(xv, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, _t(tv))
        (g,) = plugrad.autograd.grad((d.sin() * d.sum()).sum(), d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent
    # f = sum(sin x) * sum(x): H = diag(-sin x) * S + cos x 1^T + 1 cos x^T
    h = np.diag(-np.sin(xv)) * xv.sum() + np.outer(np.cos(xv), np.ones(3)) + np.outer(np.ones(3), np.cos(xv))
    assert np.allclose(to_numpy(hv), h @ tv)


def test_explicit_rules_agree_with_the_generic_double_vjp_path():
    rs = np.random.RandomState(1)
    cases = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "neg": lambda a, b: -a * b,
        "mm": lambda a, b: a @ b.T, "bmm": lambda a, b: plugrad.bmm(a[None], b.T[None]),
    }
    assert set(cases) == set(fwAD.JVP_RULES)
    av, bv, ta, tb = (rs.randn(3, 3) for _ in range(4))

    def tangent(f):
        with fwAD.dual_level():
            return to_numpy(fwAD.unpack_dual(f(fwAD.make_dual(_t(av), _t(ta)), fwAD.make_dual(_t(bv), _t(tb)))).tangent)

    for name, f in cases.items():
        with_rule = tangent(f)
        rule = fwAD.JVP_RULES.pop(name)
        try:
            generic = tangent(f)
        finally:
            fwAD.JVP_RULES[name] = rule
        assert np.allclose(with_rule, generic), name


def test_an_op_added_at_run_time_gets_tangents_from_its_vjp_rule_alone():
    from plugrad.ops.registry import OPS, Op, register_generic_kernel, register_op

    def cube_vjp(ctx, g):
        (x,) = ctx.inputs
        return (g * 3 * x * x,)

    register_op(Op("fw_test_cube", 1, cube_vjp, owner="tests"))
    register_generic_kernel("fw_test_cube", lambda xp: (lambda x: x * x * x), owner="tests")
    try:
        op = OPS["fw_test_cube"]
        x, t = _t([0.5, -2.0]), _t([1.0, 3.0])
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(op.dispatch((fwAD.make_dual(x, t),))).tangent
        assert np.allclose(to_numpy(tangent), 3 * to_numpy(x) ** 2 * to_numpy(t))
    finally:
        OPS.pop("fw_test_cube")
        registry.GENERIC_KERNELS.pop("fw_test_cube")


def test_level_errors_read_as_pytorchs():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, x)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported at the moment$"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[2\] while the given forward gradient is of size \[3\]"):
            fwAD.make_dual(x, _t([1.0, 2.0, 3.0]))
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: torch.int64"):
            fwAD.make_dual(plugrad.arange(2), plugrad.arange(2))
        with pytest.raises(RuntimeError, match="Invalid level given to _make_dual"):
            fwAD.make_dual(x, x, level=5)
        d = fwAD.make_dual(x, x)
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(d, x)
    level = fwAD.enter_dual_level()
    with pytest.raises(RuntimeError, match="not the last one that was created"):
        fwAD.exit_dual_level(level=level + 1)
    fwAD.exit_dual_level(level=level)


# --- against PyTorch ------------------------------------------------------------------------------------------

FUNCTIONS = [
    lambda m, x, y: (x * y).sin() + y.exp() / (x * x + 1),
    lambda m, x, y: m.softmax(x @ y.T, dim=-1),
    lambda m, x, y: m.cat([x, y], 0).tanh().sum(0),
    lambda m, x, y: m.stack([x, y]).max(0).values * m.where(x > 0, x, y),
    lambda m, x, y: m.nn.functional.layer_norm(x * y, (4,)),
    lambda m, x, y: (x.pow(3) - y.sqrt()).cumsum(1)[1:, ::2],
    lambda m, x, y: m.linalg.inv(x.T @ x + m.eye(4, dtype=x.dtype)) @ y.T,
    lambda m, x, y: m.nn.functional.gelu(x).reshape(2, 6).prod(0),
]


@pytest.mark.parametrize("k", range(len(FUNCTIONS)))
def test_tangents_match_pytorch(k):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")
    import torch.autograd.forward_ad as tfw

    rs = np.random.RandomState(k)
    xv, yv = rs.randn(3, 4), rs.rand(3, 4) + 0.5
    tx, ty = rs.randn(3, 4), rs.randn(3, 4)
    f = FUNCTIONS[k]
    with tfw.dual_level():
        expected = tfw.unpack_dual(f(torch, tfw.make_dual(torch.tensor(xv), torch.tensor(tx)),
                                     tfw.make_dual(torch.tensor(yv), torch.tensor(ty)))).tangent.numpy()
    with fwAD.dual_level():
        got = fwAD.unpack_dual(f(plugrad, fwAD.make_dual(_t(xv), _t(tx)), fwAD.make_dual(_t(yv), _t(ty)))).tangent
    assert got.shape == expected.shape
    assert np.allclose(to_numpy(got), expected, rtol=1e-10, atol=1e-12)


def test_second_order_tangent_of_nested_transforms_is_exact():
    # jvp of jvp: d2/dx2 sin(x) = -sin(x), along tangents 1 and 1.
    x = _t([math.pi / 6])
    one = _t([1.0])
    inner = lambda z: plugrad.func.jvp(plugrad.sin, (z,), (one,))[1]  # noqa: E731
    second = plugrad.func.jvp(inner, (x,), (one,))[1]
    assert np.allclose(to_numpy(second), -0.5)
