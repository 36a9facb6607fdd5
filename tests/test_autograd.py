"""The autograd semantics users rely on, each pinned by name."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc

import numpy as np
import plugrad as torch
import pytest
from _devices import to_numpy
from plugrad.autograd import Variable


def test_user_created_tensors_are_leaves_and_results_carry_grad_fn():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and type(y.grad_fn).__name__ == "MulBackward0"
    (fn, nr), (none, _) = y.grad_fn.next_functions
    assert type(fn).__name__ == "AccumulateGrad" and fn.variable is x and nr == 0
    assert none is None
    assert torch.ones(2).is_leaf


def test_node_names_follow_pytorch():
    x = torch.ones(2, 2, requires_grad=True)
    names = {
        "AddBackward0": x + 1, "SubBackward0": x - 1, "MulBackward0": x * 2, "DivBackward0": x / 2,
        "PowBackward0": x**2, "PowBackward1": x**x, "PowBackward2": 2**x, "NegBackward0": -x,
        "SumBackward0": x.sum(), "SumBackward1": x.sum(0), "MeanBackward0": x.mean(), "MeanBackward1": x.mean(1),
        "ExpBackward0": x.exp(), "RsubBackward1": 1 - x, "ToCopyBackward0": x.double(),
        "ViewBackward0": x.reshape(4), "ExpandBackward0": x.expand(3, 2, 2),
    }
    for name, t in names.items():
        assert type(t.grad_fn).__name__ == name
        assert t.grad_fn.name() == name


def test_gradients_accumulate_until_zeroed_in_each_way():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    (x * x).sum().backward()
    x.grad.data.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_leaf_grads_do_not_alias_each_other():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_second_backward_without_retain_graph_raises():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time .*Specify retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_backward_on_non_scalar_needs_gradient():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(torch.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.ones(1).backward()


def test_non_leaf_grad_warns_and_retain_grad_populates():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert y.grad is None
    y.retain_grad()
    assert y.retains_grad
    z.backward()
    assert y.grad.tolist() == [4.0, 4.0]
    assert x.grad.tolist() == [8.0, 8.0]


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        torch.tensor([1, 2]).requires_grad_()
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require gradients"):
        t.requires_grad = True


def test_inplace_on_leaf_requiring_grad_raises_but_works_under_no_grad():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        w += 1
    (w * 3).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(to_numpy(w), [0.7, 0.7], rtol=1e-6)
    assert w.is_leaf and w.requires_grad


def test_inplace_change_of_saved_tensor_raises_version_error():
    a = torch.ones(2, requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.FloatTensor \[2\]\], which is "
                                            r"output 0 of Add, is at version 1; expected version 0 instead"):
        c.sum().backward()


def test_inplace_change_of_saved_output_raises_version_error():
    a = torch.ones(2, requires_grad=True)
    y = a.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"output 0 of Exp, is at version 1; expected version 0"):
        y.sum().backward()


def test_inplace_on_non_leaf_is_recorded():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b *= 3
    assert type(b.grad_fn).__name__ == "MulBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [6.0, 6.0]
    assert b._version == 1


def test_mul_inplace_with_both_sides_requiring_grad():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    b = a * 1
    b.mul_(w)
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 4.0]
    assert w.grad.tolist() == [1.0, 2.0]


def test_numpy_on_tensor_requiring_grad_raises():
    x = torch.ones(2, requires_grad=True, device="cpu")
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_create_graph_gives_second_derivatives():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**3
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.item() == 27.0 and g.requires_grad
    (g2,) = torch.autograd.grad(g, x)
    assert g2.item() == 18.0
    x.grad = None
    y = x**3
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.grad = None
    gx.backward()
    assert x.grad.item() == 18.0


def test_hook_may_replace_the_gradient():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    x2 = torch.ones(2, requires_grad=True)
    h = x2.register_hook(lambda g: g + 1)
    (x2 * 3).sum().backward()
    assert x2.grad.tolist() == [4.0, 4.0]
    h.remove()
    (x2 * 3).sum().backward()
    assert x2.grad.tolist() == [7.0, 7.0]


def test_retain_grad_sees_the_gradient_after_tensor_hooks():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 100)
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward()
    assert seen == [[100.0, 100.0]]
    assert y.grad.tolist() == [100.0, 100.0]
    assert x.grad.tolist() == [200.0, 200.0]


def test_no_grad_enable_grad_and_set_grad_enabled():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)


def test_grad_mode_is_thread_local():
    seen = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_detach_shares_data_and_leaves_the_graph():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    d.zero_()
    assert y.detach().tolist() == [0.0, 0.0]
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_broadcasting_gradients_are_reduced_to_each_input_shape():
    a = torch.ones(3, 1, requires_grad=True)
    b = torch.ones(4, requires_grad=True)
    (a * b + a - b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[8.0]] * 3  # each a_i meets 4 entries: b_j + 1
    assert b.grad.shape == (4,) and b.grad.tolist() == [0.0] * 4  # sum_i a_i - 3


def test_scalars_do_not_change_dtype():
    x = torch.ones(2)
    assert (x * 2).dtype is torch.float32
    assert (x + 2.5).dtype is torch.float32
    assert (2 ** x).dtype is torch.float32
    assert (torch.tensor([1, 2]) * 2).dtype is torch.int64
    assert (torch.tensor([1, 2]) * 2.5).dtype is torch.float32
    assert (torch.tensor([1, 2]) / 2).dtype is torch.float32
    assert (torch.ones(2, dtype=torch.float64) * torch.ones(2)).dtype is torch.float64
    assert (torch.ones(2) * torch.tensor(2.0, dtype=torch.float64)).dtype is torch.float32


def test_long_chain_does_not_hit_the_recursion_limit():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert sys.getrecursionlimit() < 100_000
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward_so_memory_does_not_grow():
    w = torch.randn(64, 64, requires_grad=True)
    x = torch.randn(32, 64)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(0.01 * w.grad)
        w.grad = None

    for _ in range(20):
        step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        step()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, f"memory grew by {grown} bytes over 1000 steps"


def test_variable_returns_a_tensor_leaf():
    v = Variable(torch.ones(2), requires_grad=True)
    assert isinstance(v, torch.Tensor) and v.is_leaf and v.requires_grad
    assert isinstance(torch.ones(2), Variable)


def test_legacy_typed_constructors():
    assert torch.FloatTensor([1, 2]).dtype is torch.float32
    assert torch.DoubleTensor([1, 2]).dtype is torch.float64
    assert torch.LongTensor([1, 2]).dtype is torch.int64
    assert torch.FloatTensor(2, 3).shape == (2, 3)
    assert isinstance(torch.ones(2), torch.FloatTensor)
    assert not isinstance(torch.ones(2), torch.LongTensor)


def test_autograd_backward_function_with_grad_tensors():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    torch.autograd.backward([y], [torch.tensor([1.0, 2.0])])
    assert x.grad.tolist() == [3.0, 6.0]


def test_autograd_grad_unused_input_error_and_allow_unused():
    x = torch.ones(2, requires_grad=True)
    z = torch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used in the graph. "
                                            "Set allow_unused=True if this is the desired behavior."):
        torch.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gz is None
    assert x.grad is None


def test_backward_inputs_accumulates_only_into_given_leaves():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [1.0, 1.0] and b.grad is None


def test_out_argument_writes_into_the_given_tensor_and_refuses_autograd():
    out = torch.zeros(2)
    for fn in (torch.add, torch.sub, torch.mul, torch.div):
        res = fn(torch.tensor([4.0, 6.0]), 2.0, out=out)
        assert res is out
    assert out.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments don't support automatic "
                                            r"differentiation, but one of the arguments requires grad"):
        torch.add(torch.ones(2, requires_grad=True), 1.0, out=torch.zeros(2))


def test_no_grad_and_enable_grad_work_as_bare_decorators():
    @torch.no_grad
    def doubled(t):
        return t * 2

    @torch.enable_grad
    def tracked(t):
        return t * 2

    x = torch.ones(1, requires_grad=True)
    assert not doubled(x).requires_grad
    with torch.no_grad():
        assert tracked(x).requires_grad


def test_shapes_that_do_not_broadcast_raise_pytorchs_error():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                            r"non-singleton dimension 1"):
        torch.ones(4, 2) + torch.ones(3)


def test_inplace_on_a_view_rewrites_the_history_of_its_base():
    a = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    v = b[1:3]
    v.mul_(10)
    assert b.tolist() == [1.0, 20.0, 30.0, 4.0]
    assert type(b.grad_fn).__name__ == "CopySlices"
    assert b._version == v._version == 1
    (b * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 20.0, 30.0, 4.0]


def test_value_written_into_a_view_gets_its_gradient_and_the_region_none():
    c = torch.ones(2, 3, requires_grad=True) * 2
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    c.t().add_(w)
    assert c.tolist() == [[3.0, 3.0, 3.0], [4.0, 4.0, 4.0]]
    (c * c).sum().backward()
    assert w.grad.tolist() == [18.0, 24.0]  # 2 * c summed over each row
    src = torch.ones(2, 2, requires_grad=True)
    z = src.clone()
    z.view(4)[0] = 5
    (z * z).sum().backward()
    assert src.grad.tolist() == [[0.0, 2.0], [2.0, 2.0]]


def test_inplace_on_a_view_of_a_leaf_requiring_grad_raises():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place operation."):
        x[0].add_(1)


def test_views_share_data_and_version_with_their_base():
    q = torch.ones(3)
    r = q[0:2]
    r.add_(1)
    assert q.tolist() == [2.0, 2.0, 1.0]
    assert q._version == 1
