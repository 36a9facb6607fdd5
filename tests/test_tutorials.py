"""The examples of the tutorials plugrad is built from, with the values and printed forms PyTorch gives."""

from __future__ import annotations

import numpy as np
import plugrad as torch
import pytest
from _devices import device_suffix, to_numpy
from plugrad.autograd import Variable


def test_scalar_product_gradients_are_the_other_factor():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    assert a.is_leaf and a.grad is None
    c = a * b
    assert not c.is_leaf
    c.backward()
    assert a.grad.item() == 3.0
    assert b.grad.item() == 2.0


def test_grad_of_non_leaf_is_none_with_a_warning_and_retain_graph_accumulates():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    c = a * b
    d = torch.tensor(4.0, requires_grad=True)
    e = c * d
    c.backward(retain_graph=True)
    e.backward()
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert c.grad is None
    assert not c.is_leaf
    # de/da = b*d = 12 added to dc/da = 3; de/db = a*d = 8 added to 2
    assert a.grad.item() == 15.0
    assert b.grad.item() == 10.0
    assert d.grad.item() == 6.0


def test_backward_of_matrix_needs_a_scalar_then_sum_gives_two_a():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a**2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        b.backward()
    b = torch.sum(a**2)
    b.backward()
    assert a.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_ones_with_requires_grad_prints_and_requires_grad_():
    dev = device_suffix()
    a = torch.ones((2, 2), requires_grad=True)
    assert a.requires_grad
    assert repr(a) == f"tensor([[1., 1.],\n        [1., 1.]]{dev}, requires_grad=True)"
    a = torch.ones((2, 2))
    a.requires_grad_()
    assert a.requires_grad
    assert not torch.ones(2, 2).requires_grad
    b = torch.ones((2, 2), requires_grad=True)
    assert repr(a + b) == f"tensor([[2., 2.],\n        [2., 2.]]{dev}, grad_fn=<AddBackward0>)"
    assert torch.add(a, b).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert torch.mul(a, b).tolist() == (a * b).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_five_x_plus_one_squared():
    dev = device_suffix()
    x = torch.ones(2, requires_grad=True)
    assert repr(x) == f"tensor([1., 1.]{dev}, requires_grad=True)"
    y = 5 * (x + 1) ** 2
    assert repr(y) == f"tensor([20., 20.]{dev}, grad_fn=<MulBackward0>)"
    o = (1 / 2) * torch.sum(y)
    assert repr(o) == f"tensor(20.{dev}, grad_fn=<MulBackward0>)"
    o.backward()
    assert repr(x.grad) == f"tensor([10., 10.]{dev})"
    assert x.requires_grad and y.requires_grad and o.requires_grad


def test_graph_names_and_mean_of_squares():
    dev = device_suffix()
    x = torch.ones(3, 3, requires_grad=True)
    y = x + 5
    assert repr(y) == (
        f"tensor([[6., 6., 6.],\n        [6., 6., 6.],\n        [6., 6., 6.]]{dev}, grad_fn=<AddBackward0>)"
    )
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert repr(y.grad_fn).startswith("<AddBackward0 object at 0x")
    assert x.grad_fn is None
    y = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    x = torch.ones(2, 2, requires_grad=True)
    z = (x + 3) ** 2
    res = z.mean()
    assert repr(z) == f"tensor([[16., 16.],\n        [16., 16.]]{dev}, grad_fn=<PowBackward0>)"
    assert repr(res) == f"tensor(16.{dev}, grad_fn=<MeanBackward0>)"
    res.backward()
    assert repr(x.grad) == f"tensor([[2., 2.],\n        [2., 2.]]{dev})"


def test_leaves_without_grad_give_results_without_grad_fn():
    dev = device_suffix()
    x = torch.ones(1, 1)
    y = torch.ones(1, 1)
    assert (x.requires_grad, x.grad_fn, x.is_leaf) == (False, None, True)
    z = x + y
    assert repr(z) == f"tensor([[2.]]{dev})"
    assert (z.requires_grad, z.grad_fn, z.is_leaf) == (False, None, True)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        z.backward()
    x = torch.ones(1, 1, requires_grad=True)
    y = torch.ones(1, 1, requires_grad=True)
    z = x + y
    assert repr(z) == f"tensor([[2.]]{dev}, grad_fn=<AddBackward0>)"
    assert (z.requires_grad, z.is_leaf) == (True, False)
    z.backward()
    assert x.grad.tolist() == [[1.0]] and y.grad.tolist() == [[1.0]]


def test_derivatives_and_partial_derivatives():
    x = torch.tensor(2.0, requires_grad=True)
    y = x**2
    y.backward()
    assert y.item() == 4.0 and x.grad.item() == 4.0
    x = torch.tensor(2.0, requires_grad=True)
    z = x**2 + 2 * x + 1
    z.backward()
    assert z.item() == 9.0 and x.grad.item() == 6.0
    u = torch.tensor(1.0, requires_grad=True)
    v = torch.tensor(2.0, requires_grad=True)
    f = u * v + u**2
    f.backward()
    assert f.item() == 3.0
    assert u.grad.item() == 4.0 and v.grad.item() == 1.0


def test_two_x_cubed_gradient_is_24_x_squared():
    x = Variable(torch.randn(1, 1), requires_grad=True)
    assert x.grad_fn is None and x.is_leaf
    y = 2 * x
    z = y**3
    z.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 24 * to_numpy(x) ** 2, rtol=1e-5)


def test_variable_notebook_gradient_arguments():
    y = torch.FloatTensor([[1, 2, 3], [4, 5, 6]])
    z = Variable(y)
    assert isinstance(z, Variable) and isinstance(z, torch.Tensor)
    assert z.dtype is torch.float32 and not z.requires_grad
    z = Variable(y, requires_grad=True)
    assert z.requires_grad and z.is_leaf

    x = Variable(torch.randn(1, 1), requires_grad=True)
    z = (2 * x) ** 3
    z.backward(torch.FloatTensor([1]), retain_graph=True)  # one element for a 1x1 output: accepted with a warning
    g1 = x.grad.clone()
    np.testing.assert_allclose(to_numpy(g1), 24 * to_numpy(x) ** 2, rtol=1e-5)
    x.grad.data.zero_()
    assert x.grad.tolist() == [[0.0]]
    z.backward(torch.FloatTensor([0.1]), retain_graph=True)
    np.testing.assert_allclose(to_numpy(x.grad), 0.1 * to_numpy(g1), rtol=1e-5)


def test_variable_notebook_broadcast_gradient_for_a_matrix_output():
    x = Variable(torch.randn(2, 2), requires_grad=True)
    z = (2 * x) ** 3
    assert z.shape == (2, 2)
    with pytest.warns(UserWarning, match=r"\(2,\).*\(2, 2\)"):
        z.backward(torch.FloatTensor([1, 1]), retain_graph=True)
    full = 24 * to_numpy(x) ** 2
    np.testing.assert_allclose(to_numpy(x.grad), full, rtol=1e-5)
    x.grad.data.zero_()
    with pytest.warns(UserWarning):
        z.backward(torch.FloatTensor([1, 0]), retain_graph=True)
    np.testing.assert_allclose(to_numpy(x.grad), full * np.array([1.0, 0.0]), rtol=1e-5)


def test_mismatched_gradient_shape_raises_pytorch_error():
    x = torch.randn(2, 2, requires_grad=True)
    z = x * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[3\]\) "
                                            r"and output\[0\] has a shape of torch.Size\(\[2, 2\]\)"):
        z.backward(torch.ones(3))


def test_variable_notebook_mean_then_retain_graph_consumed():
    x = Variable(torch.randn(2, 2), requires_grad=True)
    out = ((2 * x) ** 3).mean()
    with pytest.warns(UserWarning, match=r"\(1,\).*\(\)"):
        out.backward(torch.FloatTensor([1]), retain_graph=True)
    np.testing.assert_allclose(to_numpy(x.grad), 6 * to_numpy(x) ** 2, rtol=1e-5)
    x.grad.data.zero_()
    out.backward(torch.tensor(0.1))
    np.testing.assert_allclose(to_numpy(x.grad), 0.6 * to_numpy(x) ** 2, rtol=1e-5)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.backward(torch.tensor(0.1))


def _sum_a10(a: np.ndarray) -> float:
    return float(np.linalg.matrix_power(a, 10).sum())


def test_gradient_of_sum_of_matrix_power_against_finite_differences():
    rng = np.random.default_rng(0)
    a_np = rng.uniform(-0.5, 0.5, (3, 3))
    A = torch.tensor(a_np, requires_grad=True)
    torch.sum(torch.matrix_power(A, 10)).backward()
    eps = 1e-6
    numeric = np.zeros_like(a_np)
    for i in range(3):
        for j in range(3):
            p = a_np.copy()
            p[i, j] += eps
            m = a_np.copy()
            m[i, j] -= eps
            numeric[i, j] = (_sum_a10(p) - _sum_a10(m)) / (2 * eps)
    np.testing.assert_allclose(to_numpy(A.grad), numeric, rtol=1e-5, atol=1e-8)


def test_matrix_power_with_detached_a9_as_a_leaf():
    rng = np.random.default_rng(1)
    A = torch.tensor(rng.uniform(-0.5, 0.5, (3, 3)))
    A9 = torch.matrix_power(A.detach(), 9).requires_grad_()
    assert A9.is_leaf and A9.requires_grad
    A10 = A9 @ A
    torch.sum(A10).backward()
    # d sum(A9 @ A) / d A9 = ones @ A^T
    np.testing.assert_allclose(to_numpy(A9.grad), np.ones((3, 3)) @ to_numpy(A).T, rtol=1e-10)
