"""Activation checkpointing: the gradients of a plain run, the forward run again in backward, nothing saved."""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd.graph import saved_tensors_report
from plugrad.utils.checkpoint import checkpoint, checkpoint_sequential


def _block(calls: list[int]):
    def f(x, w):
        calls.append(1)
        h = (x @ w).tanh()
        return plugrad.nn.functional.dropout(h, 0.5, True).sin()

    return f


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_equal_plain_run_and_forward_is_recomputed(use_reentrant):
    plugrad.manual_seed(0)
    x = plugrad.randn(4, 3, dtype=plugrad.float64, requires_grad=True)
    w = plugrad.randn(3, 5, dtype=plugrad.float64, requires_grad=True)
    calls: list[int] = []
    f = _block(calls)
    plugrad.manual_seed(1)
    plain = f(x, w)
    plain.sum().backward()
    gx, gw = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    plugrad.manual_seed(1)
    calls.clear()
    out = checkpoint(f, x, w, use_reentrant=use_reentrant)
    assert len(calls) == 1
    assert plugrad.equal(out.detach(), plain.detach())  # same dropout mask
    out.sum().backward()
    assert len(calls) == 2  # recomputed in backward, with the same random numbers
    assert plugrad.allclose(x.grad, gx) and plugrad.allclose(w.grad, gw)


def test_non_reentrant_checkpoint_keeps_no_activations():
    x = plugrad.randn(8, 8, requires_grad=True)
    w = plugrad.randn(8, 8, requires_grad=True)

    def f(x, w):
        return ((x @ w).tanh() @ w).exp().sum()

    assert saved_tensors_report(f(x, w)).total_bytes > 0
    assert saved_tensors_report(checkpoint(f, x, w, use_reentrant=False)).total_bytes == 0


def test_preserve_rng_state_false_draws_new_numbers_in_recompute():
    x = plugrad.ones(64, requires_grad=True)

    def f(x):
        return plugrad.nn.functional.dropout(x, 0.5, True)

    plugrad.manual_seed(3)
    out = checkpoint(f, x, use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    # the gradient is the recomputed mask, which differs from the forward's one
    assert not plugrad.equal(x.grad, out.detach())
    x.grad = None
    plugrad.manual_seed(3)
    out = checkpoint(f, x, use_reentrant=False)
    out.sum().backward()
    assert plugrad.equal(x.grad, out.detach())


def test_checkpoint_without_use_reentrant_warns_as_pytorch():
    x = plugrad.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        checkpoint_sequential([lambda t: t * 2, lambda t: t + 1], 2, x)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        checkpoint(lambda t: t * 2, plugrad.ones(2), use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda t: t * 2, x, use_reentrant=False)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_matches_plain_sequential(use_reentrant):
    plugrad.manual_seed(0)
    model = plugrad.nn.Sequential(plugrad.nn.Linear(3, 4), plugrad.nn.Tanh(), plugrad.nn.Linear(4, 4),
                                  plugrad.nn.ReLU(), plugrad.nn.Linear(4, 2))
    x = plugrad.randn(5, 3, requires_grad=True)
    model(x).sum().backward()
    want = [p.grad.clone() for p in model.parameters()] + [x.grad.clone()]
    model.zero_grad()
    x.grad = None
    out = checkpoint_sequential(model, 2, x, use_reentrant=use_reentrant)
    assert plugrad.allclose(out, model(x))
    out.sum().backward()
    got = [p.grad for p in model.parameters()] + [x.grad]
    assert all(plugrad.allclose(a, b) for a, b in zip(got, want))


def test_against_torch_checkpoint_gradients():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; differential tests need it as a reference")
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    values = [[0.3, -1.2, 0.5], [1.1, 0.4, -0.7]]
    x_t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    x_p = plugrad.tensor(values, dtype=plugrad.float64, requires_grad=True)
    torch_checkpoint(lambda t: (t.sin() * t).exp().sum(), x_t, use_reentrant=False).backward()
    checkpoint(lambda t: (t.sin() * t).exp().sum(), x_p, use_reentrant=False).backward()
    np.testing.assert_allclose(to_numpy(x_p.grad), x_t.grad.numpy(), rtol=1e-12)
