"""The function transforms of ``plugrad.func``: closed forms everywhere, PyTorch's ``torch.func`` as a reference."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import func

F64 = plugrad.float64


def _t(values, **kw):
    return plugrad.tensor(np.asarray(values, dtype=np.float64), **kw)


def _close(a, b):
    return np.allclose(to_numpy(a), np.asarray(b), rtol=1e-10, atol=1e-12)


# --- closed forms ------------------------------------------------------------------------------------------------


def test_grad_of_a_scalar_function_and_its_second_derivative():
    x = _t([0.3, -1.0, 2.0])
    g = func.grad(lambda x: (x**3).sum())(x)
    assert _close(g, 3 * to_numpy(x) ** 2) and not g.requires_grad
    gg = func.grad(lambda x: func.grad(lambda y: (y**3).sum())(x).sum())(x)
    assert _close(gg, 6 * to_numpy(x))


def test_grad_and_value_with_argnums_and_aux():
    x, y = _t([1.0, 2.0]), _t([3.0, 4.0])
    (gx, gy), (value, aux) = func.grad_and_value(lambda x, y: ((x * y).sum(), x + 1), argnums=(0, 1),
                                                 has_aux=True)(x, y)
    assert _close(gx, [3.0, 4.0]) and _close(gy, [1.0, 2.0]) and _close(value, 11.0) and _close(aux, [2.0, 3.0])


def test_grad_over_a_dict_of_inputs_and_a_closed_over_tensor_that_requires_grad():
    w = _t([2.0, -1.0], requires_grad=True)
    g = func.grad(lambda p: (p["a"] * w).sum() + p["b"].pow(2).sum())({"a": _t([1.0, 1.0]), "b": _t([3.0])})
    assert set(g) == {"a", "b"} and _close(g["b"], [6.0])
    assert g["a"].requires_grad  # differentiable with respect to w, which the caller holds
    (gw,) = plugrad.autograd.grad(g["a"].sum(), w)
    assert _close(gw, [1.0, 1.0])


def test_vjp_and_jvp_of_a_linear_map_are_its_transpose_and_itself():
    a = _t(np.arange(6.0).reshape(2, 3))
    x = _t([1.0, -1.0, 0.5])
    out, vjp_fn = func.vjp(lambda x: a @ x, x)
    assert _close(out, to_numpy(a) @ to_numpy(x))
    (ct,) = vjp_fn(_t([1.0, 2.0]))
    assert _close(ct, to_numpy(a).T @ [1.0, 2.0])
    out2, tangent = func.jvp(lambda x: a @ x, (x,), (_t([0.0, 1.0, 0.0]),))
    assert _close(out2, to_numpy(out)) and _close(tangent, to_numpy(a)[:, 1])


def test_jacobians_by_both_modes_and_the_hessian_agree_with_the_closed_forms():
    xv = np.array([0.2, -0.4, 0.9])
    x = _t(xv)
    f = lambda x: x.sin() * x.sum()  # noqa: E731
    jac = np.diag(np.cos(xv)) * xv.sum() + np.outer(np.sin(xv), np.ones(3))
    assert _close(func.jacrev(f)(x), jac) and _close(func.jacfwd(f)(x), jac)
    h = func.hessian(lambda x: (x.exp() * x).sum())(x)
    assert h.shape == (3, 3) and _close(h, np.diag(np.exp(xv) * (xv + 2)))


def test_vmap_matches_a_loop_and_nests():
    rs = np.random.RandomState(0)
    xs, w = _t(rs.randn(4, 3)), _t(rs.randn(3))
    out = func.vmap(lambda x, w: (x * w).sum(), in_dims=(0, None))(xs, w)
    assert out.shape == (4,) and _close(out, to_numpy(xs) @ to_numpy(w))
    out2 = func.vmap(func.vmap(lambda x: x * 2), in_dims=1, out_dims=1)(xs)
    assert _close(out2, 2 * to_numpy(xs))
    per_sample = func.vmap(func.grad(lambda x: (x**2).sum()))(xs)
    assert _close(per_sample, 2 * to_numpy(xs))


def test_vmap_randomness():
    plugrad.manual_seed(0)
    x = plugrad.zeros(3, 2)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        func.vmap(lambda r: r + plugrad.rand(2))(x)
    same = func.vmap(lambda r: r + plugrad.rand(2), randomness="same")(x)
    assert np.allclose(to_numpy(same), to_numpy(same[0]))
    different = func.vmap(lambda r: r + plugrad.rand(2), randomness="different")(x)
    assert not np.allclose(to_numpy(different[0]), to_numpy(different[1]))
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are 'error', 'different', or 'same'"):
        func.vmap(lambda r: r, randomness="foo")


def test_functional_call_replaces_parameters_for_the_call_only():
    m = plugrad.nn.Linear(3, 2).double()
    before = to_numpy(m.weight).copy()
    x = _t([1.0, 2.0, 3.0])
    params = {"weight": _t(np.ones((2, 3))), "bias": _t([0.5, -0.5])}
    assert _close(func.functional_call(m, params, (x,)), [6.5, 5.5])
    assert np.array_equal(to_numpy(m.weight), before)
    g = func.grad(lambda p: func.functional_call(m, p, (x,)).sum())(params)
    assert _close(g["weight"], [[1.0, 2.0, 3.0]] * 2) and _close(g["bias"], [1.0, 1.0])
    from plugrad.nn.utils.stateless import functional_call

    assert functional_call is func.functional_call
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'bias'"):
        func.functional_call(m, {"weight": params["weight"]}, (x,), strict=True)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        func.functional_call(m, ({"weight": params["weight"]}, {"weight": params["weight"]}), (x,))


def test_linearize_gives_the_jvp_at_the_primal():
    x = _t([0.5, 1.0])
    out, jvp_fn = func.linearize(lambda x: x.exp(), x)
    assert _close(out, np.exp([0.5, 1.0])) and _close(jvp_fn(_t([1.0, 2.0])), np.exp([0.5, 1.0]) * [1.0, 2.0])


def test_misuse_errors_read_as_pytorchs():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Expected f\(\*args\) to return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        func.grad(lambda x: x.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\) if has_aux is True"):
        func.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor, got <class 'float'>"):
        func.grad(lambda x: x)(3.0)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        func.jvp(lambda x: x, x, x)
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same python structure"):
        func.jvp(lambda x: x, (x,), (x, x))
    _, vjp_fn = func.vjp(lambda x: x * 2, x)
    with pytest.raises(RuntimeError, match=r"cotangents: \(\*,\), primal output: \*"):
        vjp_fn((x,))
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        func.vmap(lambda x: x)(3)
    with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
        func.vmap(lambda a, b: a)(x, _t([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="must only return Tensors"):
        func.vmap(lambda a: 3)(x)


# --- against PyTorch ------------------------------------------------------------------------------------------


def _compare(got, expected):
    torch = pytest.importorskip("torch")
    if isinstance(expected, torch.Tensor):
        assert isinstance(got, plugrad.Tensor), type(got)
        assert tuple(got.shape) == tuple(expected.shape)
        assert got.requires_grad == expected.requires_grad
        assert np.allclose(to_numpy(got), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    elif isinstance(expected, dict):
        assert set(got) == set(expected)
        for k in expected:
            _compare(got[k], expected[k])
    else:
        assert type(got) is type(expected) and len(got) == len(expected)
        for a, b in zip(got, expected):
            _compare(a, b)


def _cases(m, F):
    rs = np.random.RandomState(3)
    x = m.tensor(rs.randn(3))
    y = m.tensor(rs.rand(3) + 0.5)
    X = m.tensor(rs.randn(2, 3))
    t = m.tensor(rs.randn(3))
    f = lambda x, y: (x.tanh() * y.log()).sum() + (x @ y) ** 2  # noqa: E731
    vec = lambda x, y: {"s": m.softmax(x * y, 0), "p": (x.cos(), x * y.sum())}  # noqa: E731
    return {
        "grad": lambda: F.grad(f, argnums=(0, 1))(x, y),
        "grad_of_grad": lambda: F.grad(lambda a: F.grad(f)(a, y).pow(2).sum())(x),
        "vjp": lambda: (lambda o, fn: (o, fn(m.ones_like(o["s"]) if False else {"s": t, "p": (t, t)})))(
            *F.vjp(vec, x, y)),
        "jvp": lambda: F.jvp(vec, (x, y), (t, t * 2)),
        "jvp_of_grad": lambda: F.jvp(F.grad(f), (x, y), (t, t)),
        "grad_of_jvp": lambda: F.grad(lambda a: F.jvp(lambda z: (z.sin() * z).sum(), (a,), (t,))[1])(x),
        "jacrev": lambda: F.jacrev(vec, argnums=(0, 1))(x, y),
        "jacfwd": lambda: F.jacfwd(vec, argnums=1)(x, y),
        "jacfwd_aux": lambda: F.jacfwd(lambda a: (a.exp(), a.sum()), has_aux=True)(x),
        "hessian": lambda: F.hessian(f, argnums=(0, 1))(x, y),
        "hessian_rev_rev": lambda: F.jacrev(F.jacrev(f))(x, y),
        "vmap": lambda: F.vmap(lambda a, b: (a * b, a.sum()), in_dims=(0, None), out_dims=(1, 0))(X, y),
        "vmap_dict": lambda: F.vmap(lambda d: d["a"].exp() + d["b"], in_dims=({"a": 1, "b": None},))(
            {"a": X, "b": y[:2]}),
        "vmap_of_jacrev": lambda: F.vmap(F.jacrev(lambda a: a.sin() * a.sum()))(X),
        "vmap_of_vmap": lambda: F.vmap(F.vmap(lambda a: a.pow(3)), in_dims=1)(X),
        "vmap_of_hessian": lambda: F.vmap(F.hessian(lambda a: (a.exp() * a).sum()))(X),
        "vmap_empty": lambda: F.vmap(lambda a: a * 2)(m.zeros(0, 3, dtype=m.float64)),
    }


@pytest.mark.parametrize("name", sorted(_cases(plugrad, func)))
def test_transforms_match_torch_func(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")
    import torch.func as tf

    _compare(_cases(plugrad, func)[name](), _cases(torch, tf)[name]())


def test_functional_call_matches_torch_func():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")
    import torch.func as tf

    rs = np.random.RandomState(5)
    w, b, xv = rs.randn(2, 3), rs.randn(2), rs.randn(4, 3)

    def run(m, F):
        lin = m.nn.Linear(3, 2).double()
        params = {"weight": m.tensor(w), "bias": m.tensor(b)}
        x = m.tensor(xv)
        out = F.functional_call(lin, params, (x,))
        grads = F.grad(lambda p: F.functional_call(lin, p, x).pow(2).sum())(params)
        return out, grads

    _compare(run(plugrad, func), run(torch, tf))
