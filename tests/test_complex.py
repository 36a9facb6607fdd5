"""Complex tensors: the real/imag views, conjugation, polar form, complex random draws, and autograd with
PyTorch's convention (a complex input's gradient is dL/dx + i dL/dy, the conjugate Wirtinger derivative).

The plugrad-only tests check values against NumPy; the differential ones (the ``torch`` fixture) compare
values and gradients with PyTorch and are skipped when it is not installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd import gradcheck, gradgradcheck


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")


def _c(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _leaf(a: np.ndarray) -> Any:
    return plugrad.tensor(a, requires_grad=True)


# --- values, against NumPy ------------------------------------------------------------------------


def test_real_and_imag_are_writable_views_sharing_memory() -> None:
    z = plugrad.tensor([1 + 2j, 3 - 4j])
    re, im = z.real, z.imag
    assert re.dtype is plugrad.float32 and im.dtype is plugrad.float32
    np.testing.assert_array_equal(to_numpy(re), [1.0, 3.0])
    np.testing.assert_array_equal(to_numpy(plugrad.imag(z)), [2.0, -4.0])
    im[0] = 9.0
    re.mul_(2)
    np.testing.assert_array_equal(to_numpy(z), np.array([2 + 9j, 6 - 4j], dtype=np.complex64))
    z.real = plugrad.tensor([5.0, 6.0])
    np.testing.assert_array_equal(to_numpy(z), np.array([5 + 9j, 6 - 4j], dtype=np.complex64))
    assert z.imag.stride() == (2,)


def test_real_of_a_real_tensor_is_itself_and_imag_raises() -> None:
    x = plugrad.tensor([1.0, 2.0])
    assert x.real is x and plugrad.real(x) is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        _ = x.imag
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        plugrad.imag(plugrad.tensor([1, 2]))


def test_conj_sets_the_conj_bit_and_resolve_conj_clears_it() -> None:
    z = plugrad.tensor([1 + 2j])
    c = z.conj()
    assert c.is_conj() and not z.is_conj() and not c.conj().is_conj()
    np.testing.assert_array_equal(to_numpy(c), np.array([1 - 2j], dtype=np.complex64))
    r = c.resolve_conj()
    assert not r.is_conj()
    np.testing.assert_array_equal(to_numpy(r), to_numpy(c))
    assert not plugrad.conj_physical(z).is_conj() and not (c + 1).is_conj()
    x = plugrad.tensor([1.0])
    assert x.conj() is x and not x.is_neg() and x.resolve_neg() is x
    assert c.imag.is_neg() and not c.imag.resolve_neg().is_neg()
    np.testing.assert_array_equal(to_numpy(c.imag), [-2.0])
    with pytest.raises(RuntimeError, match="view_as_real doesn't work on unresolved conjugated tensors"):
        plugrad.view_as_real(c)


def test_view_as_real_and_view_as_complex_round_trip_sharing_memory() -> None:
    z = plugrad.tensor([1 + 2j, 3 - 4j], dtype=plugrad.complex128)
    v = plugrad.view_as_real(z)
    assert v.shape == (2, 2) and v.dtype is plugrad.float64 and v.stride() == (2, 1)
    np.testing.assert_array_equal(to_numpy(v), [[1.0, 2.0], [3.0, -4.0]])
    v[1, 1] = 7.0
    assert to_numpy(z)[1] == 3 + 7j
    back = plugrad.view_as_complex(v)
    assert back.dtype is plugrad.complex128
    np.testing.assert_array_equal(to_numpy(back), to_numpy(z))
    assert plugrad.view_as_real(plugrad.tensor(1 + 2j)).shape == (2,)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: plugrad.view_as_real(plugrad.tensor([1.0])), "view_as_real is only supported for complex tensors"),
    (lambda: plugrad.view_as_complex(plugrad.tensor([1.0, 2.0, 3.0])), "Tensor must have a last dimension of size 2"),
    (lambda: plugrad.view_as_complex(plugrad.tensor([[1.0, 2.0], [3.0, 4.0]]).t()),
     "Tensor must have a last dimension with stride 1"),
    (lambda: plugrad.view_as_complex(plugrad.tensor([1, 2])),
     "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: Long"),
    (lambda: plugrad.complex(plugrad.tensor([1.0]), plugrad.tensor([1.0], dtype=plugrad.float64)),
     "Expected object of scalar type Float but got scalar type Double for second argument"),
    (lambda: plugrad.polar(plugrad.tensor([1]), plugrad.tensor([1])),
     "Expected both inputs to be Half, Float or Double tensors but got Long and Long"),
])
def test_complex_views_and_constructors_refuse_as_pytorch_does(make: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        make()


def test_angle_polar_complex_isreal_match_numpy() -> None:
    rng = np.random.default_rng(0)
    a = _c(rng, 5)
    z = plugrad.tensor(a)
    np.testing.assert_allclose(to_numpy(plugrad.angle(z)), np.angle(a), rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(plugrad.angle(plugrad.tensor([1.0, -2.0, 0.0], dtype=plugrad.float64))),
                                  [0.0, np.pi, 0.0])
    assert plugrad.angle(plugrad.tensor([1, -2])).dtype is plugrad.float32
    r, t = np.abs(rng.standard_normal(4)), rng.standard_normal(4)
    p = plugrad.polar(plugrad.tensor(r), plugrad.tensor(t))
    assert p.dtype is plugrad.complex128
    np.testing.assert_allclose(to_numpy(p), r * np.exp(1j * t), rtol=1e-12)
    c = plugrad.complex(plugrad.tensor([1.0, 0.0]), plugrad.tensor([0.5, float("inf")]))
    assert c.dtype is plugrad.complex64
    np.testing.assert_array_equal(to_numpy(c), np.array([1 + 0.5j, complex(0, np.inf)], dtype=np.complex64))
    np.testing.assert_array_equal(to_numpy(plugrad.isreal(plugrad.tensor([1 + 0j, 3 - 4j]))), [True, False])
    np.testing.assert_array_equal(to_numpy(plugrad.isreal(plugrad.tensor([1.0, 2.0]))), [True, True])


def test_abs_sgn_sigmoid_and_casts_on_complex() -> None:
    z = plugrad.tensor([3 + 4j, 0j, 1 + 2j])
    a = z.abs()
    assert a.dtype is plugrad.float32
    np.testing.assert_allclose(to_numpy(a), [5.0, 0.0, np.sqrt(5.0)], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(z.sgn()), [0.6 + 0.8j, 0, (1 + 2j) / np.sqrt(5)], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(plugrad.tensor([1 + 2j]).sigmoid()), 1 / (1 + np.exp(-(1 + 2j))), rtol=1e-6)
    x = plugrad.tensor([1.0, 2.0])
    assert x.cfloat().dtype is plugrad.complex64 and x.cdouble().dtype is plugrad.complex128
    assert (plugrad.tensor([1.0], dtype=plugrad.float64) * 1j).dtype is plugrad.complex128
    assert (plugrad.tensor([1.0]) * 1j).dtype is plugrad.complex64
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        f = plugrad.tensor([1 + 2j]).float()
    np.testing.assert_array_equal(to_numpy(f), [1.0])


def test_factories_make_complex_tensors() -> None:
    assert plugrad.zeros(2, dtype=plugrad.complex64).dtype is plugrad.complex64
    np.testing.assert_array_equal(to_numpy(plugrad.ones(2, dtype=plugrad.cfloat)), [1 + 0j, 1 + 0j])
    np.testing.assert_array_equal(to_numpy(plugrad.full((2,), 1 + 2j)), [1 + 2j, 1 + 2j])
    plugrad.manual_seed(0)
    z = plugrad.randn(4000, dtype=plugrad.complex128)
    assert z.dtype is plugrad.complex128 and z.shape == (4000,)
    parts = to_numpy(plugrad.view_as_real(z))
    assert abs(parts.var() - 0.5) < 0.05  # Note: variance 1/2 per part, so that E|z|^2 = 1
    u = to_numpy(plugrad.rand(100, dtype=plugrad.complex64))
    assert u.real.min() >= 0 and u.imag.max() < 1
    assert plugrad.randn_like(z[:3]).dtype is plugrad.complex128


# --- autograd, against closed forms --------------------------------------------------------------


def test_mul_gradient_is_grad_times_conj_other() -> None:
    rng = np.random.default_rng(1)
    a, b, g = _c(rng, 3), _c(rng, 3), _c(rng, 3)
    x, y = _leaf(a), _leaf(b)
    (x * y).backward(plugrad.tensor(g))
    np.testing.assert_allclose(to_numpy(x.grad), g * np.conj(b), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(y.grad), g * np.conj(a), rtol=1e-12)


def test_abs_angle_real_imag_gradients_have_closed_forms() -> None:
    rng = np.random.default_rng(2)
    a = _c(rng, 4)
    z = _leaf(a)
    z.abs().sum().backward()
    np.testing.assert_allclose(to_numpy(z.grad), a / np.abs(a), rtol=1e-12)
    z.grad = None
    z.angle().sum().backward()
    np.testing.assert_allclose(to_numpy(z.grad), 1j * a / np.abs(a) ** 2, rtol=1e-12)
    z.grad = None
    (z.real * 2 + z.imag * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(z.grad), np.full(4, 2 + 3j), rtol=1e-12)


def test_a_real_input_gets_the_real_part_of_a_complex_gradient() -> None:
    x = plugrad.tensor([1.0, 2.0], dtype=plugrad.float64, requires_grad=True)
    w = np.array([1 + 2j, 3 - 1j])
    (x * plugrad.tensor(w)).real.sum().backward()
    assert x.grad.dtype is plugrad.float64
    np.testing.assert_array_equal(to_numpy(x.grad), w.real)


def test_matmul_gradients_use_conjugate_transposes() -> None:
    rng = np.random.default_rng(3)
    a, b, g = _c(rng, 3, 4), _c(rng, 4, 2), _c(rng, 3, 2)
    x, y = _leaf(a), _leaf(b)
    (x @ y).backward(plugrad.tensor(g))
    np.testing.assert_allclose(to_numpy(x.grad), g @ b.conj().T, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(y.grad), a.conj().T @ g, rtol=1e-12)


def _complex_functions() -> list[tuple[str, Any, int]]:
    return [
        ("mul", lambda a, b: a * b, 2),
        ("div", lambda a, b: a / b, 2),
        ("exp_log", lambda a: (a.exp() + (a * a + 1).log()), 1),
        ("sin_tanh_sqrt", lambda a: a.sin() * a.tanh() + (a * a + 2).sqrt(), 1),
        ("pow", lambda a: a**3 + a**0.5 * 2, 1),
        ("sigmoid_reciprocal", lambda a: a.sigmoid() + (a + 3).reciprocal(), 1),
        ("abs_angle", lambda a: a.abs() * a.angle(), 1),
        ("sgn", lambda a: plugrad.sgn(a), 1),
        ("real_imag_conj", lambda a: a.real * a.imag + a.conj() * 1j, 1),
        ("view_as_real", lambda a: plugrad.view_as_real(a) ** 2, 1),
        ("sum_mean_prod", lambda a: a.sum(0) * a.mean(1).prod(), 1),
        ("matmul_dot_vdot", lambda a, b: (a.reshape(2, 2) @ b.reshape(2, 2)).sum() + plugrad.dot(a, b)
         + plugrad.vdot(a, b), 2),
        ("shape_ops", lambda a: a.reshape(2, 2).t().flip(0)[1:].expand(3, 2) * plugrad.cat([a[:2], a[2:]]).reshape(2, 2)[0], 1),
    ]


@pytest.mark.parametrize(("name", "fn", "nin"), _complex_functions(), ids=[c[0] for c in _complex_functions()])
def test_gradcheck_complex_functions(name: str, fn: Any, nin: int) -> None:
    rng = np.random.default_rng(4)
    shape = (2, 2) if name == "sum_mean_prod" else (4,)
    inputs = tuple(_leaf(_c(rng, *shape)) for _ in range(nin))
    assert gradcheck(fn, inputs)
    assert gradcheck(fn, inputs, fast_mode=True)
    if name != "sgn":  # Note: sgn has no double backward, as in PyTorch
        assert gradgradcheck(fn, inputs)


def test_gradcheck_real_inputs_complex_outputs() -> None:
    rng = np.random.default_rng(5)
    r = _leaf(np.abs(rng.standard_normal(3)) + 0.5)
    t, u = _leaf(rng.standard_normal(3)), _leaf(rng.standard_normal(3))
    assert gradcheck(plugrad.polar, (r, t))
    assert gradcheck(plugrad.complex, (t, u))
    assert gradcheck(lambda v: plugrad.view_as_complex(v), (_leaf(rng.standard_normal((3, 2))),))


def test_gradcheck_catches_a_rule_without_the_conjugate() -> None:
    class Square(plugrad.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any) -> Any:
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (a,) = ctx.saved_tensors
            return 2 * g * a  # wrong for complex inputs: PyTorch's convention needs conj(2 a)

    z = _leaf(_c(np.random.default_rng(6), 3))
    assert not gradcheck(Square.apply, (z,), raise_exception=False)
    assert not gradcheck(Square.apply, (z,), raise_exception=False, fast_mode=True)


# --- against PyTorch -----------------------------------------------------------------------------


_LOSSES = [
    ("mul_abs", lambda m, a, b: (a * b).abs().sum()),
    ("div_angle", lambda m, a, b: (a / b).angle().sum()),
    ("exp_sin_real", lambda m, a, b: (a.exp() * b.sin()).real.sum()),
    ("matmul", lambda m, a, b: (a.reshape(2, 3) @ b.reshape(3, 2)).abs().sum()),
    ("bmm_mv", lambda m, a, b: m.bmm(a.reshape(1, 2, 3), b.reshape(1, 3, 2)).abs().sum()
     + m.mv(a.reshape(2, 3), b[:3]).abs().sum()),
    ("dot_vdot", lambda m, a, b: m.dot(a, b).abs() + m.vdot(a, b).real),
    ("prod_mean", lambda m, a, b: a.prod().abs() + (a * b).mean().imag),
    ("view_as_real", lambda m, a, b: (m.view_as_real(a) ** 3).sum() + m.view_as_real(b)[:, 1].sum()),
    ("sgn_conj", lambda m, a, b: (m.sgn(a) * b.conj()).real.sum()),
    ("pow_sqrt_tanh", lambda m, a, b: (a**2 + m.sqrt(b) * m.tanh(a)).abs().sum()),
    ("shapes", lambda m, a, b: (a.reshape(2, 3).t()[1:] * m.stack([b[:2], b[2:4]], 1)).abs().sum()),
]


@pytest.mark.parametrize(("name", "loss"), _LOSSES, ids=[n for n, _ in _LOSSES])
def test_gradients_match_pytorch(torch: Any, name: str, loss: Any) -> None:
    rng = np.random.default_rng(7)
    arrays = [_c(rng, 6), _c(rng, 6)]
    got = [_leaf(a) for a in arrays]
    want = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = loss(plugrad, *got), loss(torch, *want)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(to_numpy(out), ref.detach().numpy(), rtol=1e-10)
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(g.grad), w.grad.resolve_conj().numpy(), rtol=1e-9, atol=1e-12)


def test_real_input_meeting_complex_matches_pytorch(torch: Any) -> None:
    rng = np.random.default_rng(8)
    a, w = rng.standard_normal(4), _c(rng, 4)
    x, tx = _leaf(a), torch.tensor(a, requires_grad=True)
    (x * plugrad.tensor(w) * (2 - 1j)).abs().sum().backward()
    (tx * torch.tensor(w) * (2 - 1j)).abs().sum().backward()
    assert x.grad.dtype is plugrad.float64
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), rtol=1e-12)


def test_polar_complex_gradients_match_pytorch(torch: Any) -> None:
    rng = np.random.default_rng(9)
    r, t = np.abs(rng.standard_normal(3)) + 0.1, rng.standard_normal(3)
    for fn in ("polar", "complex"):
        ours = [_leaf(r), _leaf(t)]
        theirs = [torch.tensor(r, requires_grad=True), torch.tensor(t, requires_grad=True)]
        (getattr(plugrad, fn)(*ours) ** 2).imag.sum().backward()
        (getattr(torch, fn)(*theirs) ** 2).imag.sum().backward()
        for o, w in zip(ours, theirs):
            np.testing.assert_allclose(to_numpy(o.grad), w.grad.numpy(), rtol=1e-12)


def test_values_and_node_names_match_pytorch(torch: Any) -> None:
    a = np.array([1 + 2j, -3 + 0.5j, 0j])
    for expr in ("m.angle(z)", "z.abs()", "m.sgn(z)", "z.real", "z.imag", "m.view_as_real(z)", "z.conj()",
                 "m.conj_physical(z)", "z.sigmoid()", "m.isreal(z)"):
        z, tz = plugrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        got, want = eval(expr, {"m": plugrad, "z": z}), eval(expr, {"m": torch, "z": tz})
        np.testing.assert_allclose(to_numpy(got.detach()), want.detach().resolve_conj().numpy(), rtol=1e-12)
        if want.grad_fn is not None:
            assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__, expr


def test_complex_random_draws_match_pytorch(torch: Any) -> None:
    for dtype in ("complex64", "complex128"):
        for fn in ("randn", "rand"):
            torch.manual_seed(0)
            plugrad.manual_seed(0)
            want = getattr(torch, fn)(3, dtype=getattr(torch, dtype)).numpy()
            got = getattr(plugrad, fn)(3, dtype=getattr(plugrad, dtype), device="cpu")
            np.testing.assert_array_equal(to_numpy(got), want)


def test_printing_matches_pytorch(torch: Any) -> None:
    for values, dtype in (([1 + 2j, -3.25 - 4j], "complex64"), ([[0j, 1j], [1.5 + 2j, 1e10j]], "complex128")):
        got = repr(plugrad.tensor(values, dtype=getattr(plugrad, dtype), device="cpu"))
        assert got == repr(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert repr(plugrad.tensor([1 + 2j], device="cpu").real) == repr(torch.tensor([1 + 2j]).real)
