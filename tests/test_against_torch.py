"""Differential tests: random expressions over the op set give PyTorch's values and gradients.

Skipped with a reason when torch is not installed; torch is a reference here, never a dependency.
"""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy

torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")

UNARY = [
    lambda m, x: m.exp(x * 0.5),
    lambda m, x: m.tanh(x),
    lambda m, x: m.sigmoid(x),
    lambda m, x: m.sin(x),
    lambda m, x: m.cos(x),
    lambda m, x: m.log(x * x + 1),
    lambda m, x: m.sqrt(x * x + 0.5),
    lambda m, x: m.relu(x),
    lambda m, x: m.abs(x),
    lambda m, x: -x,
    lambda m, x: x**2,
    lambda m, x: x**3,
    lambda m, x: m.clamp(x, -0.5, 0.5),
    lambda m, x: m.softmax(x, dim=-1),
    lambda m, x: m.log_softmax(x, dim=-1),
    lambda m, x: x.transpose(0, 1).transpose(0, 1),
    lambda m, x: m.reshape(x, (-1,)).reshape(x.shape),
]
BINARY = [
    lambda m, x, y: x + y,
    lambda m, x, y: x - y,
    lambda m, x, y: x * y,
    lambda m, x, y: x / (y * y + 1),
    lambda m, x, y: m.maximum(x, y),
    lambda m, x, y: m.minimum(x, y),
    lambda m, x, y: m.where(x > y, x, y * 2),
    lambda m, x, y: x @ y.transpose(0, 1),
    lambda m, x, y: 2.5 * x - y / 3,
]
REDUCE = [
    lambda m, x: x.sum(),
    lambda m, x: x.mean(),
    lambda m, x: (x * x).sum(dim=1).mean(),
    lambda m, x: m.logsumexp(x, dim=0).sum(),
    lambda m, x: x.amax(dim=1).sum(),
    lambda m, x: x.std(),
    lambda m, x: x.var(dim=0).sum(),
    lambda m, x: x.prod(dim=0).sum(),
    lambda m, x: x.norm(),
]


def _build(rng: np.random.Generator, depth: int) -> list:
    """A random program: a list of (kind, index) steps applied to two inputs of shape (3, 3)."""
    steps = []
    for _ in range(depth):
        kind = rng.choice(["u", "b"])
        steps.append((kind, int(rng.integers(len(UNARY) if kind == "u" else len(BINARY)))))
    steps.append(("r", int(rng.integers(len(REDUCE)))))
    return steps


def _run(m, steps, x, y):
    a, b = x, y
    for kind, i in steps:
        if kind == "u":
            a = UNARY[i](m, a)
        elif kind == "b":
            a, b = BINARY[i](m, a, b), a
        else:
            return REDUCE[i](m, a)
    return a


@pytest.mark.parametrize("seed", range(40))
def test_random_expressions_match_pytorch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = _build(rng, int(rng.integers(1, 5)))
    xv = rng.uniform(-1, 1, (3, 3))
    yv = rng.uniform(-1, 1, (3, 3))
    px = plugrad.tensor(xv, requires_grad=True)
    py = plugrad.tensor(yv, requires_grad=True)
    tx = torch.tensor(xv, requires_grad=True)
    ty = torch.tensor(yv, requires_grad=True)
    pout = _run(plugrad, steps, px, py)
    tout = _run(torch, steps, tx, ty)
    np.testing.assert_allclose(pout.item(), tout.item(), rtol=1e-10, atol=1e-12, err_msg=str(steps))
    assert type(pout.grad_fn).__name__ == type(tout.grad_fn).__name__
    pout.backward()
    tout.backward()
    for p, t in ((px, tx), (py, ty)):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(to_numpy(p.grad), t.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=str(steps))


@pytest.mark.parametrize("seed", range(10))
def test_second_derivatives_match_pytorch(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    steps = _build(rng, int(rng.integers(1, 4)))
    xv = rng.uniform(-1, 1, (3, 3))
    yv = rng.uniform(-1, 1, (3, 3))
    results = []
    for m in (plugrad, torch):
        x = m.tensor(xv, requires_grad=True)
        y = m.tensor(yv, requires_grad=True)
        out = _run(m, steps, x, y)
        (gx,) = m.autograd.grad(out, x, create_graph=True)
        if not gx.requires_grad:
            results.append(None)
            continue
        (ggx,) = m.autograd.grad(gx.sum(), x, allow_unused=True)
        results.append(None if ggx is None else to_numpy(ggx.detach()))
    if results[1] is None or results[0] is None:
        assert results[0] is None or not np.any(results[0]), str(steps)
        return
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8, atol=1e-10, err_msg=str(steps))


def test_float32_values_match_pytorch_within_float_tolerance() -> None:
    rng = np.random.default_rng(7)
    xv = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
    px = plugrad.tensor(xv, requires_grad=True)
    tx = torch.tensor(xv, requires_grad=True)
    for m, x in ((plugrad, px), (torch, tx)):
        out = (m.tanh(x) * 3 + x**2).softmax(dim=1).log().mean()
        out.backward()
    assert px.grad.dtype is plugrad.float32
    np.testing.assert_allclose(to_numpy(px.grad), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
