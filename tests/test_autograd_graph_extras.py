"""autograd.graph: gradient edges as inputs of grad/backward, multi-tensor gradient hooks, increment_version,
and the order PyTorch runs ready nodes of equal priority in."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.autograd.graph import get_gradient_edge, increment_version, register_multi_grad_hook


def test_gradient_edges_stand_for_tensors() -> None:
    x = plugrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    w = plugrad.tensor([3.0, 4.0, 5.0], requires_grad=True) * 3
    edge = get_gradient_edge(y)
    assert type(edge.node).__name__ == "MulBackward0" and edge.output_nr == 0 and edge.node is y.grad_fn
    assert type(get_gradient_edge(x).node).__name__ == "AccumulateGrad"
    (g,) = plugrad.autograd.grad(y.sum(), edge, retain_graph=True)
    np.testing.assert_array_equal(to_numpy(g), [1.0, 1.0])
    unused, gx = plugrad.autograd.grad(y.sum(), [get_gradient_edge(w), x], allow_unused=True, retain_graph=True)
    assert unused is None
    np.testing.assert_array_equal(to_numpy(gx), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="materialize_grads cannot be used when the given input is a GradientEdge"):
        plugrad.autograd.grad(y.sum(), [get_gradient_edge(w)], materialize_grads=True, retain_graph=True)
    y.sum().backward(inputs=[get_gradient_edge(x)])
    np.testing.assert_array_equal(to_numpy(x.grad), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="not possible to get the gradient edge for a Tensor that does not require"):
        get_gradient_edge(plugrad.ones(2))


def test_multi_grad_hook_all_and_any() -> None:
    a = plugrad.tensor([1.0, 2.0], requires_grad=True)
    b = plugrad.tensor([3.0, 4.0], requires_grad=True)
    calls: list = []
    handle = register_multi_grad_hook((a, b), lambda grads: calls.append(
        [None if g is None else to_numpy(g).tolist() for g in grads]))
    (a * 2).sum().backward()
    (a * b).sum().backward()
    (b * b).sum().backward()
    assert calls == [[[2.0, 2.0], None], [[3.0, 4.0], [1.0, 2.0]], [None, [6.0, 8.0]]]
    handle.remove()
    (a * b).sum().backward()
    assert len(calls) == 3
    with register_multi_grad_hook((a, b), lambda g: calls.append(("any", to_numpy(g).tolist())), mode="any"):
        (a * b * 5).sum().backward()
    assert calls[3] == ("any", [15.0, 20.0])  # a's gradient: its node became ready first, as in PyTorch
    with register_multi_grad_hook((a, b), lambda grads: calls.append([g is None for g in grads])):
        (a * b).sum().backward(inputs=[a])
    assert calls[4] == [False, True]
    with pytest.raises(ValueError, match="Expects mode to be one of \\('all', 'any'\\) but got x"):
        register_multi_grad_hook((a,), print, mode="x")


def test_increment_version_fails_a_saved_tensor_check() -> None:
    x = plugrad.tensor([1.0, 2.0], requires_grad=True)
    t = plugrad.ones(2)
    before = t._version
    y = x * t
    increment_version(t)
    assert t._version == before + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_grad_dtype_casts_incoming_gradients_and_checks_assignments() -> None:
    x = plugrad.randn(3, requires_grad=True)
    assert x.grad_dtype is plugrad.float32
    x.grad_dtype = plugrad.float64
    (x * 2).sum().backward()
    assert x.grad.dtype is plugrad.float64
    np.testing.assert_array_equal(to_numpy(x.grad), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="Cannot set grad_dtype to 'Half' because there is already a gradient"):
        x.grad_dtype = plugrad.float16
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'float' to a tensor with "
                                           "grad_dtype 'Double'"):
        x.grad = plugrad.ones(3)
    x.grad = None
    x.grad_dtype = None  # any dtype may be assigned
    x.grad = plugrad.ones(3, dtype=plugrad.float16)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad_dtype can only be accessed on leaf tensors"):
        _ = y.grad_dtype
    with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf tensors"):
        y.grad_dtype = plugrad.float64
