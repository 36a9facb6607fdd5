"""Custom Functions, the functional API, node hooks, anomaly mode, explain_grad and the graph report."""

from __future__ import annotations

import math

import numpy as np
import plugrad
import plugrad as torch
import pytest
from _devices import to_numpy
from plugrad.autograd import Function, once_differentiable
from plugrad.autograd import functional as AF


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.scale * 3 * x**2, None


def test_custom_function_forward_backward_and_node_name():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    assert y.tolist() == [2.0, 16.0]
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_custom_function_needs_input_grad_and_edges():
    seen = {}

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            a, b = ctx.saved_tensors
            return g * b, g * a

    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2) * 3
    out = Mul.apply(a, b)
    assert [type(n).__name__ if n else None for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad", None]
    out.sum().backward()
    assert seen["needs"] == (True, False)
    assert a.grad.tolist() == [3.0, 3.0]


def test_custom_function_backward_is_differentiable():
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y = Cube.apply(x, 1.0)
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (gg,) = torch.autograd.grad(g, x)
    assert math.isclose(g.item(), 3 * 1.5**2) and math.isclose(gg.item(), 6 * 1.5)


def test_once_differentiable_blocks_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = torch.tensor(3.0, requires_grad=True)
    (g,) = torch.autograd.grad(Square.apply(x), x, create_graph=True)
    assert g.item() == 6.0 and not g.requires_grad  # its backward ran without recording
    w = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(Square.apply(x) * w, x, create_graph=True)
    assert g.item() == 12.0 and g.requires_grad
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g, w)


def test_saved_tensors_are_version_checked_and_freed():
    x = torch.ones(2, requires_grad=True)
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = Cube.apply(x, 1.0)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        Bad.apply(torch.ones(1, requires_grad=True))


def test_wrong_number_of_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of gradients \(expected 1, got 2\)"):
        Bad.apply(torch.ones(2, requires_grad=True)).sum().backward()


def test_mark_non_differentiable_and_materialize_grads():
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            idx = (x > 0).long()
            ctx.mark_non_differentiable(idx)
            ctx.set_materialize_grads(False)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is None
            return g * 2

    x = torch.tensor([1.0, -1.0], requires_grad=True)
    y, idx = Split.apply(x)
    assert not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_gradcheck_on_a_custom_function():
    x = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), (x,))


def test_node_hooks_prehook_and_post_hook():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    calls = []
    y.grad_fn.register_prehook(lambda gouts: (gouts[0] * 2,))
    h = y.grad_fn.register_hook(lambda gins, gouts: calls.append((gins[0].tolist(), gouts[0].tolist())))
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert calls == [([6.0, 6.0], [2.0, 2.0])]
    h.remove()


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    x = torch.ones(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0], [4.0, 4.0]]


def test_anomaly_mode_names_the_forward_op_on_nan():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly():
        y = torch.sqrt(x) * 0.0
        # the outer sqrt's gradient is inf at 0; multiplying it by 0.0 in MulBackward0 makes the first NaN
        with pytest.raises(RuntimeError, match=r"Function 'MulBackward0' returned nan values in its 0th output"):
            torch.sqrt(y).sum().backward()


def test_anomaly_mode_warns_with_forward_trace_on_error():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    with torch.autograd.set_detect_anomaly(True):
        y = Boom.apply(torch.ones(1, requires_grad=True))
        with pytest.warns(UserWarning, match="Error detected in BoomBackward"):
            with pytest.raises(ValueError, match="boom"):
                y.sum().backward()
    assert not torch.autograd.is_anomaly_enabled()


def test_explain_grad_covers_each_reason():
    x = torch.ones(2, requires_grad=True)
    assert "not a leaf" in (x * 2).explain_grad()
    with torch.no_grad():
        assert "grad mode was off" in (x * 2).explain_grad()
    assert "detach" in x.detach().explain_grad()
    assert "dtype torch.int64" in torch.tensor([1]).explain_grad()
    assert "requires_grad=False" in torch.ones(1).explain_grad()
    unused = torch.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    assert "never used in the graph of the last backward" in unused.explain_grad()
    assert "is set" in x.explain_grad()


def test_graph_walk_and_saved_tensor_report():
    x = torch.ones(3, requires_grad=True)
    y = (x.exp() * x).sum()
    names = [n.name() for n in torch.autograd.graph.walk(y)]
    assert names == ["SumBackward0", "MulBackward0", "ExpBackward0", "torch::autograd::AccumulateGrad"]
    report = torch.autograd.graph.saved_tensors_report(y)
    assert report.total_bytes == 2 * 3 * 4  # x and exp(x), float32
    assert "MulBackward0" in str(report)
    y.backward()
    assert all(n.freed for n in torch.autograd.graph.saved_tensors_report(y).nodes if n.node != "SumBackward0")


# --- the functional API ---------------------------------------------------------------------


def _f(x):
    return (x**3).sum()


def test_jacobian_hessian_hvp_vhp_closed_forms():
    xv = np.array([0.5, -1.0, 2.0])
    x = torch.tensor(xv)
    J = AF.jacobian(lambda t: t**2, x)
    np.testing.assert_allclose(to_numpy(J), np.diag(2 * xv))
    H = AF.hessian(_f, x)
    np.testing.assert_allclose(to_numpy(H), np.diag(6 * xv))
    v = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    out, hv = AF.hvp(_f, x, v)
    np.testing.assert_allclose(to_numpy(hv), 6 * xv * to_numpy(v))
    assert math.isclose(out.item(), float((xv**3).sum()))
    _, vh = AF.vhp(_f, x, v)
    np.testing.assert_allclose(to_numpy(vh), 6 * xv * to_numpy(v))
    _, jv = AF.jvp(lambda t: t**2, x, v)
    np.testing.assert_allclose(to_numpy(jv), 2 * xv * to_numpy(v))
    _, vj = AF.vjp(lambda t: t**2, x, v)
    np.testing.assert_allclose(to_numpy(vj), 2 * xv * to_numpy(v))


def test_third_derivative_of_sin_times_exp():
    # d^3/dx^3 sin(x) e^x = 2 e^x (cos x - sin x)
    for xv in (-0.7, 0.3, 1.9):
        x = torch.tensor(xv, dtype=torch.float64, requires_grad=True)
        y = torch.sin(x) * torch.exp(x)
        (g1,) = torch.autograd.grad(y, x, create_graph=True)
        (g2,) = torch.autograd.grad(g1, x, create_graph=True)
        (g3,) = torch.autograd.grad(g2, x)
        assert math.isclose(g3.item(), 2 * math.exp(xv) * (math.cos(xv) - math.sin(xv)), rel_tol=1e-12)


def test_jacobian_tuple_inputs_and_outputs_shapes():
    a = torch.randn(2, dtype=torch.float64)
    b = torch.randn(3, dtype=torch.float64)
    J = AF.jacobian(lambda x, y: (x.sum() * y, x * 2), (a, b))
    assert [tuple(t.shape) for t in J[0]] == [(3, 2), (3, 3)]
    assert [tuple(t.shape) for t in J[1]] == [(2, 2), (2, 3)]
    assert not np.any(to_numpy(J[1][1]))


def test_functional_matches_pytorch_on_random_inputs():
    ref = pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(3)
    xv = rng.uniform(-1, 1, (4,))
    vv = rng.uniform(-1, 1, (4,))

    def f(m, t):
        return (m.tanh(t) * t.exp()).sum()

    def g(m, t):
        return m.sin(t) * t**2

    ours = plugrad.tensor(xv)
    theirs = ref.tensor(xv)
    pv, tv = plugrad.tensor(vv), ref.tensor(vv)
    pairs = [
        (AF.hessian(lambda t: f(plugrad, t), ours), ref.autograd.functional.hessian(lambda t: f(ref, t), theirs)),
        (AF.jacobian(lambda t: g(plugrad, t), ours), ref.autograd.functional.jacobian(lambda t: g(ref, t), theirs)),
        (AF.hvp(lambda t: f(plugrad, t), ours, pv)[1], ref.autograd.functional.hvp(lambda t: f(ref, t), theirs, tv)[1]),
        (AF.vhp(lambda t: f(plugrad, t), ours, pv)[1], ref.autograd.functional.vhp(lambda t: f(ref, t), theirs, tv)[1]),
        (AF.jvp(lambda t: g(plugrad, t), ours, pv)[1], ref.autograd.functional.jvp(lambda t: g(ref, t), theirs, tv)[1]),
        (AF.vjp(lambda t: g(plugrad, t), ours, pv)[1], ref.autograd.functional.vjp(lambda t: g(ref, t), theirs, tv)[1]),
    ]
    for mine, want in pairs:
        np.testing.assert_allclose(to_numpy(mine), want.numpy(), rtol=1e-10, atol=1e-12)


def test_functional_create_graph_keeps_results_differentiable():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    H = AF.hessian(_f, x, create_graph=True)
    assert H.requires_grad
    H.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [6.0, 6.0])
