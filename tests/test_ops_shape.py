"""Shape ops: values against NumPy, float64 gradients, PyTorch's node names and errors."""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import pytest
from plugrad.autograd import gradcheck, gradgradcheck


def _t(shape, seed=0, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return plugrad.tensor(a, dtype=plugrad.float64, requires_grad=requires_grad)


def _np(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


# (expression over x, NumPy equivalent, input shape, PyTorch's node name)
CASES = [
    ("x.flatten()", lambda a: a.reshape(-1), (2, 3, 4), "ViewBackward0"),
    ("x.flatten(1)", lambda a: a.reshape(2, 12), (2, 3, 4), "ViewBackward0"),
    ("x.flatten(0, 1)", lambda a: a.reshape(6, 4), (2, 3, 4), "ViewBackward0"),
    ("x.unflatten(1, (2, -1))", lambda a: a.reshape(3, 2, 2), (3, 4), "ViewBackward0"),
    ("x.squeeze()", lambda a: a.reshape(3), (1, 3, 1), "SqueezeBackward0"),
    ("x.squeeze(0)", lambda a: a.reshape(3, 1), (1, 3, 1), "SqueezeBackward1"),
    ("x.squeeze(1)", lambda a: a, (1, 3, 1), "SqueezeBackward1"),
    ("x.squeeze((0, 2))", lambda a: a.reshape(3), (1, 3, 1), "SqueezeBackward2"),
    ("x.unsqueeze(1)", lambda a: a[:, None], (2, 3), "UnsqueezeBackward0"),
    ("x.unsqueeze(-1)", lambda a: a[..., None], (2, 3), "UnsqueezeBackward0"),
    ("x.transpose(0, 2)", lambda a: a.swapaxes(0, 2), (2, 3, 4), "TransposeBackward0"),
    ("x.swapaxes(0, 1)", lambda a: a.swapaxes(0, 1), (2, 3, 4), "TransposeBackward0"),
    ("x.swapdims(1, 2)", lambda a: a.swapaxes(1, 2), (2, 3, 4), "TransposeBackward0"),
    ("x.t()", lambda a: a.T, (2, 3), "TBackward0"),
    ("x.t()", lambda a: a, (3,), "TBackward0"),
    ("x.permute(2, 0, 1)", lambda a: a.transpose(2, 0, 1), (2, 3, 4), "PermuteBackward0"),
    ("plugrad.permute(x, (1, 0))", lambda a: a.T, (2, 3), "PermuteBackward0"),
    ("x.T", lambda a: a.T, (2, 3), "PermuteBackward0"),
    ("x.mT", lambda a: a.swapaxes(-1, -2), (2, 3, 4), "TransposeBackward0"),
    ("x.movedim(0, 2)", lambda a: np.moveaxis(a, 0, 2), (2, 3, 4), "PermuteBackward0"),
    ("x.moveaxis((0, 1), (2, 0))", lambda a: np.moveaxis(a, (0, 1), (2, 0)), (2, 3, 4), "PermuteBackward0"),
    ("x.movedim(1, 1)", lambda a: a, (2, 3), "AliasBackward0"),
    ("x.select(1, -1)", lambda a: a[:, -1], (2, 3), "SelectBackward0"),
    ("x.narrow(1, 1, 2)", lambda a: a[:, 1:3], (2, 4), "SliceBackward0"),
    ("x.narrow(0, -2, 2)", lambda a: a[-2:], (3, 4), "SliceBackward0"),
    ("x.flip(0)", lambda a: a[::-1], (3, 4), "FlipBackward0"),
    ("x.flip(0, 1)", lambda a: a[::-1, ::-1], (3, 4), "FlipBackward0"),
    ("plugrad.flip(x, [1])", lambda a: a[:, ::-1], (3, 4), "FlipBackward0"),
    ("plugrad.fliplr(x)", lambda a: a[:, ::-1], (3, 4), "FlipBackward0"),
    ("plugrad.flipud(x)", lambda a: a[::-1], (3, 4), "FlipBackward0"),
    ("x.roll(1)", lambda a: np.roll(a, 1), (3, 4), "RollBackward0"),
    ("x.roll(-1, 0)", lambda a: np.roll(a, -1, 0), (3, 4), "RollBackward0"),
    ("x.roll((1, 5), (0, 1))", lambda a: np.roll(a, (1, 5), (0, 1)), (3, 4), "RollBackward0"),
    ("x.repeat(2, 3)", lambda a: np.tile(a, (2, 3)), (2, 3), "RepeatBackward0"),
    ("x.repeat(2, 1, 2)", lambda a: np.tile(a, (2, 1, 2)), (2, 3), "RepeatBackward0"),
    ("x.tile(2)", lambda a: np.tile(a, 2), (2, 3), "RepeatBackward0"),
    ("plugrad.tile(x, (2, 1, 1))", lambda a: np.tile(a, (2, 1, 1)), (2, 3), "RepeatBackward0"),
    ("x.view(3, 2)", lambda a: a.reshape(3, 2), (2, 3), "ViewBackward0"),
    ("x.reshape(-1)", lambda a: a.reshape(-1), (2, 3), "ViewBackward0"),
    ("x.view_as(plugrad.zeros(6))", lambda a: a.reshape(6), (2, 3), "ViewBackward0"),
    ("x.reshape_as(plugrad.zeros(3, 2))", lambda a: a.reshape(3, 2), (2, 3), "ViewBackward0"),
    ("x.expand_as(plugrad.zeros(2, 3))", lambda a: np.broadcast_to(a, (2, 3)), (3,), "ExpandBackward0"),
    ("plugrad.atleast_2d(x)", lambda a: a[None], (3,), "UnsqueezeBackward0"),
]


@pytest.mark.parametrize("expr, ref, shape, node", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_shape_op_forward_node_and_gradient(expr, ref, shape, node):
    x = _t(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = eval(expr, {"x": x, "plugrad": plugrad})
        np.testing.assert_allclose(_np(out), ref(_np(x)), rtol=0, atol=0)
        assert type(out.grad_fn).__name__ == node
        assert gradcheck(lambda t: eval(expr, {"x": t, "plugrad": plugrad}), (x,))
        assert gradgradcheck(lambda t: eval(expr, {"x": t, "plugrad": plugrad}), (x,))


def test_flatten_of_a_single_dim_returns_the_tensor_itself():
    x = _t((2, 3, 4))
    assert x.flatten(1, 1) is x
    v = _t((4,))
    assert v.flatten() is v
    s = _t(())
    assert s.flatten().shape == (1,) and type(s.flatten().grad_fn).__name__ == "ViewBackward0"


def test_zero_dim_shape_ops_record_pytorch_nodes():
    s = _t(())
    assert type(s.squeeze(0).grad_fn).__name__ == "SqueezeBackward1"
    assert s.unsqueeze(0).shape == (1,)
    assert type(s.t().grad_fn).__name__ == "TBackward0"
    assert type(s.flip(0).grad_fn).__name__ == "FlipBackward0"
    assert s.repeat(2).shape == (2,)
    assert type(s.movedim(0, 0).grad_fn).__name__ == "AliasBackward0"
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert type(s.T.grad_fn).__name__ == "PermuteBackward0"


def test_T_on_non_matrix_warns_like_pytorch():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        out = _t((2, 3, 4)).T
    assert tuple(out.shape) == (4, 3, 2)


# --- cat / stack ----------------------------------------------------------------------------


def test_cat_values_node_and_gradients():
    a, b, c = _t((2, 3), 1), _t((1, 3), 2), _t((4, 3), 3)
    out = plugrad.cat([a, b, c])
    np.testing.assert_array_equal(_np(out), np.concatenate([_np(a), _np(b), _np(c)]))
    assert type(out.grad_fn).__name__ == "CatBackward0"
    assert [type(f).__name__ for f, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    assert gradcheck(lambda *t: plugrad.cat(t, 0), (a, b, c))
    assert gradgradcheck(lambda *t: plugrad.cat(t, 0), (a, b, c))
    x, y = _t((2, 1), 4), _t((2, 2), 5)
    assert gradcheck(lambda p, q: plugrad.concat([p, q], dim=-1), (x, y))
    assert gradcheck(lambda p, q: plugrad.concatenate([p, q], axis=1), (x, y))


def test_cat_with_an_input_that_does_not_require_grad():
    a, b = _t((2, 3), 1), _t((2, 3), 2, requires_grad=False)
    out = plugrad.cat([b, a], 1)
    assert out.grad_fn.next_functions[0] == (None, 0)
    out.sum().backward()
    np.testing.assert_array_equal(_np(a.grad), np.ones((2, 3)))


def test_cat_promotes_dtypes_and_skips_legacy_empty_tensors():
    f = plugrad.ones(2, 2)
    assert plugrad.cat([f, f.double()]).dtype is plugrad.float64
    assert plugrad.cat([plugrad.ones(2, dtype=plugrad.int64), plugrad.ones(2)]).dtype is plugrad.float32
    assert plugrad.stack([plugrad.ones(2, dtype=plugrad.int64), plugrad.ones(2)]).dtype is plugrad.float32
    m = _t((3, 4))
    e = plugrad.zeros(0, dtype=plugrad.float64, requires_grad=True)
    out = plugrad.cat([m, e])
    assert tuple(out.shape) == (3, 4)
    out.sum().backward()
    assert tuple(e.grad.shape) == (0,)


def test_stack_values_node_and_gradients():
    a, b = _t((2, 3), 1), _t((2, 3), 2)
    for dim in (0, 1, 2, -1):
        out = plugrad.stack([a, b], dim)
        np.testing.assert_array_equal(_np(out), np.stack([_np(a), _np(b)], axis=dim))
        assert type(out.grad_fn).__name__ == "StackBackward0"
        assert gradcheck(lambda p, q, d=dim: plugrad.stack([p, q], d), (a, b))
    assert gradgradcheck(lambda p, q: plugrad.stack((p, q), 1), (a, b))
    h = plugrad.hstack([_t((2,)), _t((3,))])
    assert tuple(h.shape) == (5,) and type(h.grad_fn).__name__ == "CatBackward0"
    assert tuple(plugrad.vstack([_t((2,)), _t((2,))]).shape) == (2, 2)


@pytest.mark.parametrize("call, message, exc", [
    (lambda: plugrad.cat([]), "torch.cat(): expected a non-empty list of Tensors", ValueError),
    (lambda: plugrad.cat([plugrad.ones(3, 4), plugrad.ones(4)]),
     "Tensors must have same number of dimensions: got 2 and 1", RuntimeError),
    (lambda: plugrad.cat([plugrad.ones(3, 4), plugrad.ones(2, 5)]),
     "Sizes of tensors must match except in dimension 0. Expected size 4 but got size 5 for tensor number 1 in the "
     "list.", RuntimeError),
    (lambda: plugrad.cat([plugrad.tensor(1.0), plugrad.tensor(2.0)]),
     "zero-dimensional tensor (at position 0) cannot be concatenated", RuntimeError),
    (lambda: plugrad.cat([plugrad.ones(3, 4)], 2),
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", IndexError),
    (lambda: plugrad.stack([plugrad.ones(3, 4), plugrad.ones(4)]),
     "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [4] at entry 1", RuntimeError),
    (lambda: plugrad.stack([]), "stack expects a non-empty TensorList", RuntimeError),
])
def test_cat_and_stack_errors_match_pytorch(call, message, exc):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_out_argument_writes_resizes_and_refuses_autograd():
    out = plugrad.zeros(5)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        res = plugrad.cat([plugrad.ones(2), plugrad.ones(2)], out=out)
    assert res is out and out.tolist() == [1.0] * 4
    with pytest.raises(RuntimeError, match=r"cat\(\): functions with out=\.\.\. arguments don't support automatic"):
        plugrad.cat([_t((2,))], out=plugrad.empty(0, dtype=plugrad.float64))


# --- split / chunk / unbind: one multi-output node ----------------------------------------------


def test_split_is_one_multi_output_node():
    x = _t((5, 3))
    parts = x.split(2)
    assert [tuple(p.shape) for p in parts] == [(2, 3), (2, 3), (1, 3)]
    assert len({id(p.grad_fn) for p in parts}) == 1
    assert type(parts[0].grad_fn).__name__ == "SplitBackward0"
    assert [p.output_nr for p in parts] == [0, 1, 2]
    sizes = plugrad.split(x, [1, 4], 0)
    assert type(sizes[0].grad_fn).__name__ == "SplitWithSizesBackward0"
    np.testing.assert_array_equal(_np(sizes[1]), _np(x)[1:])


def test_split_gradient_with_only_some_outputs_used():
    x = _t((5, 3))
    a, _, c = x.split(2)
    (a.sum() + 2 * c.sum()).backward()
    expected = np.zeros((5, 3))
    expected[:2] = 1
    expected[4:] = 2
    np.testing.assert_array_equal(_np(x.grad), expected)


@pytest.mark.parametrize("fn", [
    lambda t: t.split(2, 1), lambda t: plugrad.split(t, [1, 2, 1], 1), lambda t: t.chunk(3, 1),
    lambda t: t.unbind(0), lambda t: plugrad.unbind(t, 1),
])
def test_split_chunk_unbind_gradients(fn):
    x = _t((2, 4))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_chunk_and_split_sizes_follow_pytorch():
    assert [tuple(c.shape) for c in plugrad.zeros(5).chunk(3)] == [(2,), (2,), (1,)]
    assert [tuple(c.shape) for c in plugrad.zeros(5).chunk(4)] == [(2,), (2,), (1,)]
    assert [tuple(c.shape) for c in plugrad.zeros(6).chunk(4)] == [(2,), (2,), (2,)]
    assert [tuple(c.shape) for c in plugrad.zeros(0, 3).chunk(2)] == [(0, 3), (0, 3)]
    assert [tuple(c.shape) for c in plugrad.zeros(0).split(0)] == [(0,)]
    u = _t((2, 3)).unbind(1)
    assert len(u) == 3 and type(u[0].grad_fn).__name__ == "UnbindBackward0"


# --- in-place shape changes ------------------------------------------------------------------


def test_inplace_shape_ops_record_pytorch_nodes_and_bump_the_version():
    for call, node, shape in [
        (lambda t: t.squeeze_(), "SqueezeBackward3", (2, 3)),
        (lambda t: t.squeeze_(1), "SqueezeBackward4", (2, 3)),
        (lambda t: t.squeeze_((1,)), "SqueezeBackward5", (2, 3)),
        (lambda t: t.unsqueeze_(0), "UnsqueezeBackward1", (1, 2, 1, 3)),
        (lambda t: t.transpose_(0, 2), "TransposeBackward1", (3, 1, 2)),
    ]:
        x = _t((2, 1, 3))
        y = x.clone()
        assert call(y) is y
        assert type(y.grad_fn).__name__ == node and tuple(y.shape) == shape
        assert y._version == 1
        y.sum().backward()
        np.testing.assert_array_equal(_np(x.grad), np.ones((2, 1, 3)))
    m = _t((2, 3)).clone()
    m.t_()
    assert type(m.grad_fn).__name__ == "TBackward1" and tuple(m.shape) == (3, 2)


def test_inplace_shape_op_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        _t((1, 3)).squeeze_()


def test_inplace_shape_op_invalidates_saved_values():
    b = _t((1, 3)).clone()
    w = _t((1, 3), 1)
    y = b * w
    b.squeeze_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message, exc", [
    (lambda x: x.squeeze(3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)", IndexError),
    (lambda x: x.unsqueeze(4), "Dimension out of range (expected to be in range of [-4, 3], but got 4)", IndexError),
    (lambda x: x.permute(0, 1), "permute(sparse_coo): number of dimensions in the tensor input does not match the "
     "length of the desired ordering of dimensions i.e. input.dim() = 3 is not equal to len(dims) = 2", RuntimeError),
    (lambda x: x.permute(0, 1, 1), "permute(): duplicate dims are not allowed.", RuntimeError),
    (lambda x: x.flip(0, 0), "dim 0 appears multiple times in the list of dims", RuntimeError),
    (lambda x: x.repeat(2), "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
     "tensor", RuntimeError),
    (lambda x: x.repeat(-1, 1, 1), "Trying to create tensor with negative dimension -2: [-2, 3, 4]", RuntimeError),
    (lambda x: x.narrow(1, 2, 2), "start (2) + length (2) exceeds dimension size (3).", RuntimeError),
    (lambda x: x.narrow(1, 4, 0), "start out of range (expected to be in range of [-3, 3], but got 4)", IndexError),
    (lambda x: x.narrow(1, 0, -1), "narrow(): length must be non-negative.", RuntimeError),
    (lambda x: x.select(0, 5), "select(): index 5 out of range for tensor of size [2, 3, 4] at dimension 0",
     IndexError),
    (lambda x: x.movedim((0, 1), (1,)), "movedim: Invalid source or destination dims: source ([0, 1] dims) should "
     "contain the same number of dims as destination ([1] dims)", RuntimeError),
    (lambda x: x.split(0, 1), "split_size can only be 0 if dimension size is 0, but got dimension size of 3",
     RuntimeError),
    (lambda x: x.split([1, 1], 1), "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at "
     "dimension 1), but got split_sizes=[1, 1]", RuntimeError),
    (lambda x: x.chunk(0), "chunk expects `chunks` to be greater than 0, got: 0", RuntimeError),
    (lambda x: x.flatten(2, 1), "flatten() has invalid args: start_dim cannot come after end_dim", RuntimeError),
    (lambda x: x.unflatten(1, (2, 2)), "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3) "
     "in the input tensor", RuntimeError),
    (lambda x: x.unflatten(1, ()), "unflatten: sizes must be non-empty", RuntimeError),
    (lambda x: x.roll(1, (0, 1)), "shifts and dimensions must align. shifts: 1, dims:2", RuntimeError),
    (lambda x: x.t(), "t() expects a tensor with <= 2 dimensions, but self is 3D", RuntimeError),
    (lambda x: x[0, 0].mT, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
     RuntimeError),
    (lambda x: plugrad.tensor(1.0).select(0, 0), "select() cannot be applied to a 0-dim tensor.", IndexError),
])
def test_shape_errors_match_pytorch(call, message, exc):
    with pytest.raises(exc) as info:
        call(plugrad.zeros(2, 3, 4))
    assert str(info.value) == message


# --- differential against PyTorch ----------------------------------------------------------------


DIFFERENTIAL = [
    ("x.flatten(0, 1).unflatten(0, (3, 2))", [(2, 3, 4)]),
    ("x.permute(1, 0, 2).reshape(3, 8).t()", [(2, 3, 4)]),
    ("torch.cat([x, y.mT], 1).roll(1, 0)", [(2, 3), (3, 2)]),
    ("torch.stack([x, y], 0).flip(0, 2).sum(0)", [(2, 3), (2, 3)]),
    ("x.repeat(2, 1, 3).movedim(0, 2)", [(2, 3)]),
    ("torch.cat(x.chunk(3, 1)[::-1], 1)", [(2, 5)]),
    ("torch.stack(x.unbind(1), 0) * 2", [(2, 3)]),
    ("x.unsqueeze(0).expand(3, 2, 4).squeeze()", [(2, 4)]),
    ("x.narrow(1, 1, 2).transpose(0, 1).tile((2, 1))", [(3, 4)]),
]


@pytest.mark.parametrize("expr, shapes", DIFFERENTIAL, ids=[d[0] for d in DIFFERENTIAL])
def test_shape_expressions_match_pytorch(expr, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in shapes]
    results = {}
    for name, lib in (("torch", torch), ("plugrad", plugrad)):
        xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        env = {"torch": lib, "x": xs[0], "y": xs[1] if len(xs) > 1 else None}
        out = eval(expr, env)
        weights = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=lib.float64)
        (out * weights).sum().backward()
        results[name] = (np.asarray(out.detach().tolist()), [np.asarray(t.grad.tolist()) for t in xs],
                         type(out.grad_fn).__name__)
    t, p = results["torch"], results["plugrad"]
    np.testing.assert_allclose(p[0], t[0], rtol=1e-12, atol=1e-12)
    for gp, gt in zip(p[1], t[1]):
        np.testing.assert_allclose(gp, gt, rtol=1e-12, atol=1e-12)
    assert p[2] == t[2]
