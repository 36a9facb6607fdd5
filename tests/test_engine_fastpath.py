"""The engine's shortcuts keep PyTorch's semantics: a leaf's first gradient is taken without a copy only
when nothing else can reach its memory; a chain of nodes runs without the ready queue in the same order."""

from __future__ import annotations

from typing import Any

import numpy as np
import plugrad
import pytest
from plugrad.autograd import engine


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the copies AccumulateGrad makes of a first gradient."""
    made: list[int] = []
    original = engine._detached_copy

    def spy(g: Any, like: Any = None) -> Any:
        made.append(1)
        return original(g, like)

    monkeypatch.setattr(engine, "_detached_copy", spy)
    return made


def _shares(a: Any, b: Any) -> bool:
    """Whether writing into ``a`` changes ``b`` (backend-neutral: no array library's memory query)."""
    before = b.detach().cpu().numpy().copy()
    with plugrad.no_grad():
        a.add_(1)
        changed = not np.array_equal(b.detach().cpu().numpy(), before)
        a.sub_(1)
    return changed


def test_an_unshared_matmul_gradient_becomes_grad_without_a_copy(copies: list[int]) -> None:
    w = plugrad.randn(5, 3, requires_grad=True)
    x = plugrad.randn(4, 5)
    (x @ w).sum().backward()
    assert copies == []
    np.testing.assert_allclose(w.grad.cpu().numpy(), np.repeat(x.sum(0).cpu().numpy()[:, None], 3, axis=1), rtol=1e-5)


def test_linear_layer_gradients_are_taken_without_copies_and_keep_the_weights_layout(copies: list[int]) -> None:
    lin = plugrad.nn.Linear(5, 3)
    x = plugrad.randn(4, 5)
    lin(x).sum().backward()
    assert copies == []
    assert lin.weight.grad.is_contiguous() and lin.bias.grad.is_contiguous()
    assert lin.weight.grad._view_of is None  # a plain tensor, not a view of an engine temporary
    np.testing.assert_allclose(lin.bias.grad.cpu().numpy(), np.full(3, 4.0), rtol=1e-6)


def test_one_gradient_sent_to_two_leaves_is_copied_so_the_grads_do_not_alias(copies: list[int]) -> None:
    a = plugrad.ones(3, requires_grad=True)
    b = plugrad.ones(3, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad and not _shares(a.grad, b.grad)
    assert copies  # at least one of the two took a copy


def test_a_gradient_the_caller_holds_is_copied(copies: list[int]) -> None:
    c = plugrad.ones(3, requires_grad=True)
    given = plugrad.ones(3)
    (c + 1).backward(given)
    assert copies == [1]
    assert c.grad is not given and not _shares(c.grad, given)


def test_a_gradient_a_hook_kept_is_copied(copies: list[int]) -> None:
    kept: list[Any] = []
    d = plugrad.ones(3, requires_grad=True)
    d.register_hook(lambda g: kept.append(g))
    (d * 2).sum().backward()
    assert copies == [1]
    assert not _shares(kept[0], d.grad)


def test_a_stolen_gradient_accumulates_in_place_on_the_next_backward() -> None:
    w = plugrad.randn(3, 2, requires_grad=True)
    x = plugrad.randn(4, 3)
    (x @ w).sum().backward()
    first = w.grad
    first_values = first.clone()
    (x @ w).sum().backward()
    assert w.grad is first
    np.testing.assert_allclose(w.grad.cpu().numpy(), 2 * first_values.cpu().numpy(), rtol=1e-5)


def test_with_retain_graph_a_second_backward_gives_the_same_gradient_again() -> None:
    x = plugrad.randn(4, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.clone()
    x.grad = None
    y.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), g1.cpu().numpy())


def test_backward_twice_through_a_node_that_saved_values_raises_pytorchs_error() -> None:
    x = plugrad.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_a_long_chain_and_a_diamond_run_in_pytorchs_order() -> None:
    order: list[str] = []
    x = plugrad.ones(2, requires_grad=True)
    a = x * 2
    b = a + 1
    c = a * 3
    d = b + c
    for name, t in (("a", a), ("b", b), ("c", c), ("d", d)):
        t.register_hook(lambda g, name=name: order.append(name))
    d.sum().backward()
    # ready nodes run latest-created first: after d, c (created after b), then b, then a
    assert order == ["d", "c", "b", "a"]
    assert x.grad.tolist() == [8.0, 8.0]
    y = x
    for _ in range(1000):
        y = y * 1.0001 + x
    x.grad = None
    y.sum().backward()
    expected = sum(1.0001**k for k in range(1001))
    np.testing.assert_allclose(x.grad.cpu().numpy(), [expected, expected], rtol=1e-4)
