"""Indexing: ``x[index]`` decomposed as PyTorch records it, ``x[index] = value`` in place or in the graph,
gather/scatter/masks/take/put, and the generic scatter-add kernel against NumPy's ``np.add.at``."""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import pytest
from plugrad.autograd import gradcheck, gradgradcheck
from plugrad.ops import indexing, registry


def _t(shape, seed=0, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return plugrad.tensor(a, dtype=plugrad.float64, requires_grad=requires_grad)


def _np(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


def _chain(t):
    """Node names from ``t.grad_fn`` down the first edge of each node."""
    names = []
    fn = t.grad_fn
    while fn is not None:
        names.append(type(fn).__name__)
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return names


# (index, expected value computed with NumPy on the same array, node chain down to the leaf)
GETITEM = [
    (0, lambda a: a[0], ["SelectBackward0"]),
    (-1, lambda a: a[-1], ["SelectBackward0"]),
    (slice(0, 1), lambda a: a[0:1], ["SliceBackward0"]),
    (slice(None), lambda a: a, ["SliceBackward0"]),
    (slice(None, None, 2), lambda a: a[::2], ["SliceBackward0"]),
    (slice(-10, 1), lambda a: a[-10:1], ["SliceBackward0"]),
    (slice(5, 10), lambda a: a[5:10], ["SliceBackward0"]),
    ((slice(None), 1), lambda a: a[:, 1], ["SelectBackward0"]),
    ((slice(None), slice(None)), lambda a: a, ["AliasBackward0"]),
    (Ellipsis, lambda a: a, ["AliasBackward0"]),
    ((Ellipsis, 0), lambda a: a[..., 0], ["SelectBackward0"]),
    (None, lambda a: a[None], ["UnsqueezeBackward0"]),
    ((slice(None), None, 1), lambda a: a[:, None, 1], ["SelectBackward0", "UnsqueezeBackward0"]),
    ((1, None), lambda a: a[1, None], ["UnsqueezeBackward0", "SelectBackward0"]),
    ((None, Ellipsis, None, 0), lambda a: a[None, ..., None, 0],
     ["SelectBackward0", "UnsqueezeBackward0", "UnsqueezeBackward0"]),
    ((0, 1, 2), lambda a: a[0, 1, 2], ["SelectBackward0"] * 3),
    ([0, 0, 1], lambda a: a[[0, 0, 1]], ["IndexBackward0"]),
    ((slice(None), [0, 2]), lambda a: a[:, [0, 2]], ["IndexBackward0"]),
    ((0, [0, 1]), lambda a: a[0][[0, 1]], ["IndexBackward0", "SelectBackward0"]),
    (([0, 1], slice(None), [1, 3]), lambda a: a[[0, 1], :, [1, 3]], ["IndexBackward0"]),
    (([0, 1], slice(1, None), [0, 1]), lambda a: a[:, 1:][[0, 1], :, [0, 1]], ["IndexBackward0", "SliceBackward0"]),
    ((1, Ellipsis, [0, 3]), lambda a: a[1][..., [0, 3]], ["IndexBackward0", "SelectBackward0"]),
    (([0, 1], None, [1, 2]), lambda a: a[:, None][[0, 1], :, [1, 2]], ["IndexBackward0", "UnsqueezeBackward0"]),
    ((1, slice(None), None, [1, 2]), lambda a: a[1][:, None][:, :, [1, 2]],
     ["IndexBackward0", "UnsqueezeBackward0", "SelectBackward0"]),
    ((slice(None), [[0, 1], [2, 2]]), lambda a: a[:, [[0, 1], [2, 2]]], ["IndexBackward0"]),
    ((slice(None), slice(None), [-1, 0]), lambda a: a[:, :, [-1, 0]], ["IndexBackward0"]),
    (True, lambda a: a[None], ["IndexBackward0", "UnsqueezeBackward0"]),
    (False, lambda a: a[None][:0], ["IndexBackward0", "UnsqueezeBackward0"]),
    ([True, False], lambda a: a[[True, False]], ["IndexBackward0"]),
    ((), lambda a: a, ["AliasBackward0"]),
]


@pytest.mark.parametrize("index, ref, chain", GETITEM, ids=[repr(g[0]) for g in GETITEM])
def test_getitem_values_nodes_and_gradients(index, ref, chain):
    x = _t((2, 3, 4))
    out = x[index]
    np.testing.assert_array_equal(_np(out), ref(_np(x)))
    assert _chain(out)[:-1] == chain and _chain(out)[-1] == "AccumulateGrad"
    assert gradcheck(lambda t: t[index], (x,))
    assert gradgradcheck(lambda t: t[index], (x,))


def test_getitem_with_index_tensors_and_masks():
    x = _t((3, 4))
    idx = plugrad.tensor([[0, 2], [2, 2]])
    np.testing.assert_array_equal(_np(x[idx]), _np(x)[[[0, 2], [2, 2]]])
    mask = x > 0
    sel = x[mask]
    np.testing.assert_array_equal(_np(sel), _np(x)[_np(x) > 0])
    assert type(sel.grad_fn).__name__ == "IndexBackward0"
    row_mask = plugrad.tensor([True, False, True])
    np.testing.assert_array_equal(_np(x[row_mask]), _np(x)[[0, 2]])
    np.testing.assert_array_equal(_np(x[:, plugrad.tensor([1, 0, 0, 1], dtype=plugrad.bool)]), _np(x)[:, [0, 3]])
    np.testing.assert_array_equal(_np(x[plugrad.tensor(1)]), _np(x)[1])
    assert type(x[plugrad.tensor(1)].grad_fn).__name__ == "SelectBackward0"
    np.testing.assert_array_equal(_np(x[np.array([2, 0])]), _np(x)[[2, 0]])
    assert tuple(x[[]].shape) == (0, 4)
    assert gradcheck(lambda t: t[mask], (x,))


def test_repeated_indices_accumulate_gradients():
    x = _t((3,))
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 0.0]
    m = _t((3, 2))
    idx = plugrad.tensor([[0, 0], [2, 0]])
    (m[idx] * 3).sum().backward()
    np.testing.assert_array_equal(_np(m.grad), np.array([[9.0, 9.0], [0.0, 0.0], [3.0, 3.0]]))
    p = _t((2, 3))
    p[[1, 1, 1], [2, 2, 0]].sum().backward()
    np.testing.assert_array_equal(_np(p.grad), np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]]))


def test_non_tuple_sequence_index_is_a_tuple_with_pytorch_warning():
    x = _t((2, 3, 4))
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing is deprecated"):
        out = x[[[0, 1], [1, 0]]]
    np.testing.assert_array_equal(_np(out), _np(x)[[0, 1], [1, 0]])


@pytest.mark.parametrize("index, message, exc", [
    (5, "index 5 is out of bounds for dimension 0 with size 2", IndexError),
    ((slice(None), 7), "index 7 is out of bounds for dimension 1 with size 3", IndexError),
    (-3, "index -3 is out of bounds for dimension 0 with size 2", IndexError),
    ((0, 0, 0, 0), "too many indices for tensor of dimension 3", IndexError),
    ([0, 5], "index 5 is out of bounds for dimension 0 with size 2", IndexError),
    ((slice(None), [0, -4]), "index -4 is out of bounds for dimension 0 with size 3", IndexError),
    (([0], slice(None), [5]), "index 5 is out of bounds for dimension 1 with size 4", IndexError),
    (([0, 1], [0, 1, 2]), "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
     IndexError),
    (1.5, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
     "(got float)", IndexError),
    (slice(None, None, -1), "step must be greater than zero", ValueError),
])
def test_index_errors_match_pytorch(index, message, exc):
    with pytest.raises(exc) as info:
        plugrad.zeros(2, 3, 4)[index]
    assert str(info.value) == message


def test_mask_and_dtype_errors_match_pytorch():
    x = plugrad.zeros(2, 3, 4)
    with pytest.raises(IndexError) as info:
        x[plugrad.tensor([True, False, True])]
    assert str(info.value) == ("The shape of the mask [3] at index 0 does not match the shape of the indexed tensor "
                               "[2, 3, 4] at index 0")
    with pytest.raises(IndexError) as info:
        x[:, plugrad.ones(3, 5, dtype=plugrad.bool)]
    assert str(info.value) == ("The shape of the mask [3, 5] at index 1 does not match the shape of the indexed "
                               "tensor [2, 3, 4] at index 2")
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[plugrad.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        plugrad.tensor(1.0)[0]


# --- setitem ------------------------------------------------------------------------------------


def test_setitem_without_grad_writes_in_place_and_bumps_the_version():
    x = plugrad.zeros(2, 3)
    alias = x.detach()
    data = x._data
    x[0] = 1
    assert x._version == 1 and x._data is data
    x[[0, 1], [2, 2]] = plugrad.tensor([5.0, 6.0])
    assert x._version == 2
    x[x > 4] = -1.0
    x[1, :2] = plugrad.tensor([[7.0, 8.0]])
    assert x.tolist() == [[1.0, 1.0, -1.0], [7.0, 8.0, -1.0]]
    assert alias.tolist() == x.tolist()
    assert x._version == 4 and x.grad_fn is None and not x.requires_grad


def test_setitem_casts_values_to_the_tensor_dtype():
    i = plugrad.zeros(3, dtype=plugrad.int64)
    i[0] = 2.7
    i[1:] = plugrad.tensor([1.5, -2.5])
    assert i.tolist() == [2, 1, -2] and i.dtype is plugrad.int64
    f = plugrad.zeros(2)
    f[0] = plugrad.tensor(2.5, dtype=plugrad.float64)
    f[1] = True
    assert f.tolist() == [2.5, 1.0] and f.dtype is plugrad.float32


def test_setitem_in_no_grad_may_write_a_leaf_that_requires_grad():
    w = plugrad.zeros(3, requires_grad=True)
    with plugrad.no_grad():
        w[0] = 1
    assert w.tolist() == [1.0, 0.0, 0.0] and w.is_leaf and w._version == 1


@pytest.mark.parametrize("index, node", [
    ((0, 1), "CopySlices"), (0, "CopySlices"), ((slice(1, None), slice(None, None, 2)), "CopySlices"),
    ((1, [0, 2]), "CopySlices"), (None, "CopySlices"), ((slice(None), [1, 3]), "IndexPutBackward0"),
    ([0, 0, 2], "IndexPutBackward0"), (Ellipsis, "CopyBackwards"),
])
def test_setitem_recorded_in_the_graph_reaches_history_and_value(index, node):
    x = _t((3, 4))
    y = x * 2
    slot = tuple(y[index].shape)
    v = _t(slot[-1:] if slot else (), seed=1)
    y[index] = v
    assert type(y.grad_fn).__name__ == node
    assert not y.is_leaf and y.requires_grad and y._version == 1
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    w = np.arange(12.0).reshape(3, 4)
    (y * plugrad.tensor(w, dtype=plugrad.float64)).sum().backward()
    covered = np.zeros((3, 4), dtype=bool)
    covered[index] = True
    np.testing.assert_array_equal(_np(x.grad), np.where(covered, 0.0, 2 * w))
    # Note: each element of v is broadcast over the slot, so its gradients add up to the slot's weights
    np.testing.assert_allclose(_np(v.grad).sum(), w[index].sum())


def test_setitem_value_edge_order_matches_pytorch():
    x = _t((3, 4)).clone()
    v = _t((4,), 1)
    x[0] = v
    assert [type(f).__name__ for f, _ in x.grad_fn.next_functions] == ["CloneBackward0", "AccumulateGrad"]
    y = _t((3, 4)).clone()
    y[0] = 1.0
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "CloneBackward0"
    assert y.grad_fn.next_functions[1] == (None, 0)
    z = _t((3, 4)).clone()
    z[0:1, 1:3] = _t((2,), 1)
    assert type(z.grad_fn.next_functions[1][0]).__name__ == "ExpandBackward0"


def test_setitem_of_a_grad_value_into_a_plain_tensor_records_it():
    q = plugrad.zeros(3)
    w = plugrad.ones((), requires_grad=True)
    q[1] = w * 3
    assert type(q.grad_fn).__name__ == "CopySlices" and q.grad_fn.next_functions[0] == (None, 0)
    assert q.requires_grad and not q.is_leaf
    q.sum().backward()
    assert w.grad.item() == 3.0


def test_setitem_on_a_leaf_that_requires_grad_raises_pytorch_errors():
    y = plugrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        y[0] = 1
    assert str(info.value) == "a view of a leaf Variable that requires grad is being used in an in-place operation."
    with pytest.raises(RuntimeError) as info:
        y[[0]] = 1
    assert str(info.value) == "a leaf Variable that requires grad is being used in an in-place operation."
    with pytest.raises(RuntimeError) as info:
        y[...] = 1
    assert str(info.value) == "a leaf Variable that requires grad is being used in an in-place operation."


def test_setitem_invalidates_values_saved_for_backward():
    x = _t((3,))
    y = x.clone()
    z = y * y
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_gradients_by_finite_differences():
    def f(t, v):
        y = t * 1.0
        y[1:, [0, 2]] = v
        y[0] = v.sum()
        return y

    assert gradcheck(f, (_t((3, 4)), _t((2, 2), 1)))
    assert gradgradcheck(f, (_t((3, 4)), _t((2, 2), 1)))


@pytest.mark.parametrize("index, value_shape, message", [
    (0, (2,), "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  "
     "Target sizes: [3].  Tensor sizes: [2]"),
    ((0, slice(None, 2)), (3,), "The expanded size of the tensor (2) must match the existing size (3) at "
     "non-singleton dimension 0.  Target sizes: [2].  Tensor sizes: [3]"),
    ([0, 1], (2,), "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape [2, 3]"),
    (0, (2, 3), "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be greater or "
     "equal to the number of dimensions in the tensor (2)"),
])
def test_setitem_value_shape_errors_match_pytorch(index, value_shape, message):
    x = plugrad.zeros(2, 3)
    with pytest.raises(RuntimeError) as info:
        x[index] = plugrad.ones(value_shape)
    assert str(info.value) == message


def test_setitem_accepts_extra_leading_ones_and_refuses_non_numbers():
    x = plugrad.zeros(2, 3)
    x[0] = plugrad.ones(1, 1, 3)
    assert x.tolist() == [[1.0] * 3, [0.0] * 3]
    with pytest.raises(TypeError, match="can't assign a list to a torch.FloatTensor"):
        x[0] = [1, 2, 3]
    with pytest.raises(TypeError, match="can't assign a numpy.ndarray to a torch.FloatTensor"):
        x[0] = np.ones(3)


# --- gather / scatter / index_select / masks / take / put --------------------------------------


OPS = [
    ("index_select", lambda t: t.index_select(1, plugrad.tensor([2, 0, 2])),
     lambda a: a[:, [2, 0, 2]], "IndexSelectBackward0"),
    ("gather", lambda t: t.gather(1, plugrad.tensor([[0, 0], [2, 1], [3, 3]])),
     lambda a: np.take_along_axis(a, np.array([[0, 0], [2, 1], [3, 3]]), 1), "GatherBackward0"),
    ("scatter_value", lambda t: t.scatter(1, plugrad.tensor([[0, 2], [1, 0], [3, 3]]), 5.0),
     None, "ScatterBackward1"),
    ("masked_fill", lambda t: t.masked_fill(plugrad.tensor([True, False, False, True]), -2.0),
     lambda a: np.where([True, False, False, True], -2.0, a), "MaskedFillBackward0"),
    ("masked_select", lambda t: t.masked_select(plugrad.tensor([[True], [False], [True]])),
     lambda a: a[[0, 2]].reshape(-1), "MaskedSelectBackward0"),
    ("take", lambda t: t.take(plugrad.tensor([[0, 11], [11, -1]])),
     lambda a: a.reshape(-1)[[[0, 11], [11, -1]]], "TakeBackward0"),
    ("index_put", lambda t: plugrad.index_put(t, (plugrad.tensor([0, 0, 2]),), plugrad.tensor(1.0, dtype=t.dtype),
                                              accumulate=True), None, "IndexPutBackward0"),
]


@pytest.mark.parametrize("name, fn, ref, node", OPS, ids=[o[0] for o in OPS])
def test_indexing_ops_values_nodes_and_gradients(name, fn, ref, node):
    x = _t((3, 4))
    out = fn(x)
    if ref is not None:
        np.testing.assert_array_equal(_np(out), ref(_np(x)))
    assert type(out.grad_fn).__name__ == node
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_two_input_indexing_ops_gradients_and_nodes():
    x, s = _t((3, 4)), _t((3, 3), 1)
    idx = plugrad.tensor([[0, 0], [2, 1], [3, 3]])
    cases = [
        (lambda a, b: a.scatter(1, plugrad.tensor([[0, 1], [2, 1], [3, 0]]), b), "ScatterBackward0"),
        (lambda a, b: a.scatter_add(1, idx, b), "ScatterAddBackward0"),
        (lambda a, b: a.index_add(1, plugrad.tensor([3, 3, 0]), b, alpha=2.0), "IndexAddBackward0"),
        (lambda a, b: a.put(plugrad.tensor([0, 0, 5, 5, 1, 1, 2, 3, 4]), b, accumulate=True), "PutBackward0"),
        (lambda a, b: a.masked_fill(a > 0, b.sum()), "MaskedFillBackward1"),
    ]
    for fn, node in cases:
        out = fn(x, s)
        assert type(out.grad_fn).__name__ == node
        assert gradcheck(fn, (x, s))
        assert gradgradcheck(fn, (x, s))


def test_scatter_add_and_index_add_accumulate_repeats():
    base = plugrad.zeros(2, 3, dtype=plugrad.float64)
    out = base.scatter_add(1, plugrad.tensor([[0, 0, 0], [2, 2, 1]]), plugrad.ones(2, 3, dtype=plugrad.float64))
    assert out.tolist() == [[3.0, 0.0, 0.0], [0.0, 1.0, 2.0]]
    out = base.index_add(1, plugrad.tensor([2, 2]), plugrad.ones(2, 2, dtype=plugrad.float64), alpha=0.5)
    assert out.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    out = plugrad.zeros(4).put(plugrad.tensor([1, 1, -1]), plugrad.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert out.tolist() == [0.0, 3.0, 0.0, 3.0]


def test_inplace_indexing_methods():
    x = plugrad.zeros(2, 3)
    assert x.masked_fill_(plugrad.tensor([True, False, True]), 1.0) is x
    x.index_put_((plugrad.tensor([1]), plugrad.tensor([1])), plugrad.tensor(5.0))
    x.scatter_add_(0, plugrad.tensor([[1, 1, 1]]), plugrad.ones(1, 3))
    assert x.tolist() == [[1.0, 0.0, 1.0], [2.0, 6.0, 2.0]] and x._version == 3


def test_nonzero_argwhere_and_single_argument_where():
    x = plugrad.tensor([[0, 1], [1, 1]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0], [1, 1]] and x.nonzero().dtype is plugrad.int64
    rows, cols = plugrad.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 1]
    assert [t.tolist() for t in plugrad.where(x > 0)] == [[0, 1, 1], [1, 0, 1]]
    assert plugrad.argwhere(x).tolist() == [[0, 1], [1, 0], [1, 1]]
    assert tuple(plugrad.nonzero(plugrad.tensor(5)).shape) == (1, 0)
    assert tuple(plugrad.nonzero(plugrad.tensor(0)).shape) == (0, 0)
    assert [t.tolist() for t in plugrad.nonzero(plugrad.tensor(5), as_tuple=True)] == [[0]]


@pytest.mark.parametrize("call, message, exc", [
    (lambda x: x.index_select(1, plugrad.tensor([0, 4])), "INDICES element is out of DATA bounds, id=4 axis_dim=4",
     RuntimeError),
    (lambda x: x.index_select(1, plugrad.tensor([-1])), "index out of range in self", IndexError),
    (lambda x: x.index_select(1, plugrad.tensor([[0]])), "index_select(): Index is supposed to be a vector",
     IndexError),
    (lambda x: x.index_select(1, plugrad.tensor([0.0])), "index_select(): Expected dtype int32 or int64 for index",
     RuntimeError),
    (lambda x: x.gather(1, plugrad.tensor([[4]])), "index 4 is out of bounds for dimension 1 with size 4",
     RuntimeError),
    (lambda x: x.gather(1, plugrad.tensor([0])), "Index tensor must have the same number of dimensions as input "
     "tensor", RuntimeError),
    (lambda x: x.gather(1, plugrad.zeros(4, 4, dtype=plugrad.int64)), "Size does not match at dimension 0 expected "
     "index [4, 4] to be no larger than self [3, 4] apart from dimension 1", RuntimeError),
    (lambda x: x.scatter_add(1, plugrad.tensor([[0, 1], [2, 0]]), plugrad.ones(1, 1)), "Expected index [2, 2] to be "
     "no larger than self [3, 4] apart from dimension 1 and to be no larger size than src [1, 1]", RuntimeError),
    (lambda x: x.scatter(1, plugrad.tensor([[0.0]]), 1.0), "scatter(): Expected dtype int32/int64 for index",
     RuntimeError),
    (lambda x: x.take(plugrad.tensor([12])), "out of range: tried to access index 12 on a tensor of 12 elements.",
     IndexError),
    (lambda x: x.masked_fill(plugrad.tensor([1, 0, 1, 0]), 0), "masked_fill_ only supports boolean masks, but got "
     "mask with dtype long int", RuntimeError),
    (lambda x: x.masked_fill(x > 0, plugrad.tensor([1.0, 2.0])), "masked_fill_ only supports a 0-dimensional value "
     "tensor, but got tensor with 1 dimension(s).", RuntimeError),
    (lambda x: x.masked_select(plugrad.tensor([True, False])), "The size of tensor a (2) must match the size of "
     "tensor b (4) at non-singleton dimension 1", RuntimeError),
    (lambda x: x.index_add(0, plugrad.tensor([0, 5]), plugrad.ones(2, 4)), "index 5 is out of bounds for dimension "
     "0 with size 3", RuntimeError),
])
def test_indexing_op_errors_match_pytorch(call, message, exc):
    with pytest.raises(exc) as info:
        call(plugrad.zeros(3, 4))
    assert str(info.value) == message


# --- the generic scatter-add kernel ------------------------------------------------------------


def test_generic_scatter_add_matches_np_add_at():
    rng = np.random.default_rng(3)
    xp = np
    for n, rows, width in [(1, 1, 1), (7, 3, 2), (1000, 5, 3), (513, 200, 1), (64, 1, 4)]:
        base = rng.standard_normal((rows, width))
        idx = rng.integers(0, rows, size=n)
        vals = rng.standard_normal((n, width))
        expected = base.copy()
        np.add.at(expected, idx, vals)
        got = indexing.scatter_add_rows(xp, base, idx, vals)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    empty = indexing.scatter_add_rows(xp, np.ones((3, 2)), np.zeros(0, dtype=np.int64), np.zeros((0, 2)))
    np.testing.assert_array_equal(empty, np.ones((3, 2)))


@pytest.mark.parametrize("op_name, args, attrs", [
    ("index_put", (np.zeros((4, 3, 2)), np.ones((5, 2))), ((0, 1), True, np.array([0, 3, 0, 0, 1]),
                                                           np.array([2, 2, 2, 1, 0]))),
    ("index_put", (np.zeros((4, 3, 2)), np.arange(15.0).reshape(5, 3)), ((0, 2), True, np.array([0, 3, 0, 0, 1]),
                                                                         np.array([1, 1, 1, 0, 0]))),
    ("scatter_add", (np.zeros((3, 4)), np.arange(12.0).reshape(3, 4)), (1, np.array([[0, 0, 3, 3]] * 3))),
    ("index_add", (np.zeros((3, 4)), np.arange(8.0).reshape(2, 4)), (0, np.array([2, 2]), 1.5)),
    ("put", (np.zeros((3, 4)), np.arange(4.0)), (np.array([5, 5, 0, 11]), True)),
])
def test_generic_kernels_agree_with_the_numpy_backend(op_name, args, attrs):
    backend = plugrad.tensor(0.0)._backend
    if backend.name != "numpy":
        pytest.skip("the native kernels compared here are the NumPy backend's")
    assert registry.kernel_source(op_name, backend) == "native"
    native = registry.kernel_for(op_name, backend)
    generic = registry.kernel_for(op_name, backend, generic=True)
    np.testing.assert_allclose(generic(*args, *attrs), native(*args, *attrs), rtol=1e-12)


# --- differential against PyTorch ----------------------------------------------------------------


DIFFERENTIAL = [
    "x[1:, [0, 2]] * 2", "x[x > 0].sum() * x[0, ..., None]", "x[[0, 0, 2], 1::2]", "x[None, -1, [3, 3, 0]]",
    "x.gather(1, torch.tensor([[0, 0], [3, 1], [2, 2]])).cumsum(0)", "x.take(torch.tensor([5, 5, 11]))",
    "x.masked_fill(x < 0, 0.5).index_select(0, torch.tensor([2, 2]))",
]


@pytest.mark.parametrize("expr", DIFFERENTIAL)
def test_indexing_expressions_match_pytorch(expr):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(11).standard_normal((3, 4))
    results = {}
    for name, lib in (("torch", torch), ("plugrad", plugrad)):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        out = eval(expr, {"torch": lib, "x": x})
        w = lib.tensor(np.sin(np.arange(out.numel()) + 1.0).reshape(tuple(out.shape)), dtype=lib.float64)
        (out * w).sum().backward()
        results[name] = (np.asarray(out.detach().tolist()), np.asarray(x.grad.tolist()))
    np.testing.assert_allclose(results["plugrad"][0], results["torch"][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results["plugrad"][1], results["torch"][1], rtol=1e-12, atol=1e-12)


SETITEM_DIFFERENTIAL = [
    ("y[0] = v", (4,)), ("y[1:, ::2] = v", (2, 2)), ("y[:, 1] = v", (1, 3)), ("y[[0, 0, 2]] = v", (4,)),
    ("y[:, [1, 3]] = v", (3, 2)), ("y[y > 0] = v", ()), ("y[...] = v", (4,)), ("y[1, [0, 2]] = v", (2,)),
    ("y[0, 1:3] = v", (2,)), ("y[None] = v", (4,)),
]


@pytest.mark.parametrize("stmt, vshape", SETITEM_DIFFERENTIAL, ids=[s[0] for s in SETITEM_DIFFERENTIAL])
def test_setitem_graph_values_and_gradients_match_pytorch(stmt, vshape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xa, va = rng.standard_normal((3, 4)), rng.standard_normal(vshape)

    def names(fn):
        out = []
        stack = [fn]
        while stack:
            f = stack.pop()
            out.append(None if f is None else type(f).__name__)
            if f is not None:
                stack.extend(g for g, _ in reversed(f.next_functions))
        return out

    results = {}
    for name, lib in (("torch", torch), ("plugrad", plugrad)):
        x = lib.tensor(xa, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(va, dtype=lib.float64, requires_grad=True)
        y = x * 1.5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(stmt, {"y": y, "v": v})
        w = lib.tensor(np.cos(np.arange(12.0)).reshape(3, 4), dtype=lib.float64)
        (y * w).sum().backward()
        results[name] = (np.asarray(y.detach().tolist()), np.asarray(x.grad.tolist()), np.asarray(v.grad.tolist()),
                         names(y.grad_fn), y._version)
    t, p = results["torch"], results["plugrad"]
    for i in range(3):
        np.testing.assert_allclose(p[i], t[i], rtol=1e-12, atol=1e-12)
    assert p[3] == t[3]
    assert p[4] == t[4]


def _random_index(rng, shape, seed):
    """A random index of up to three items: ints, slices (any bounds), None, Ellipsis, lists, bool masks."""
    items = []
    for dim in range(rng.randrange(1, 4)):
        size = shape[min(dim, len(shape) - 1)]
        k = rng.random()
        if k < 0.2:
            items.append(rng.randrange(-size, size))
        elif k < 0.45:
            start, stop = (rng.choice([None, rng.randrange(-size - 2, size + 2)]) for _ in range(2))
            items.append(slice(start, stop, rng.choice([None, 1, 2, 3])))
        elif k < 0.55:
            items.append(None)
        elif k < 0.62 and not any(i is Ellipsis for i in items):
            items.append(Ellipsis)
        elif k < 0.85:
            items.append([rng.randrange(-size, size) for _ in range(rng.randrange(0, 4))])
        else:
            items.append(np.random.default_rng(seed).random(size) > 0.5)
    return tuple(items)


def _graph_names(fn):
    names, stack = [], [fn]
    while stack:
        f = stack.pop()
        names.append(None if f is None else type(f).__name__)
        if f is not None:
            stack.extend(g for g, _ in reversed(f.next_functions))
    return names


def _run_both(torch, body):
    results = {}
    for name, lib in (("torch", torch), ("plugrad", plugrad)):
        try:
            results[name] = ("ok", body(lib))
        except (IndexError, RuntimeError, ValueError) as exc:
            results[name] = ("error", type(exc).__name__, str(exc).split("\n")[0])
    return results["torch"], results["plugrad"]


def test_random_getitem_matches_pytorch_in_values_gradients_graphs_and_errors():
    torch = pytest.importorskip("torch")
    import random

    rng = random.Random(0)
    shape = (3, 4, 5)
    a = np.random.default_rng(0).standard_normal(shape)
    for trial in range(300):
        index = _random_index(rng, shape, trial)

        def body(lib, index=index):
            x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
            out = x[tuple(lib.tensor(i.tolist()) if isinstance(i, np.ndarray) else i for i in index)]
            w = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=lib.float64)
            (out * w).sum().backward()
            return (np.asarray(out.detach().tolist()).reshape(tuple(out.shape)), np.asarray(x.grad.tolist()),
                    _graph_names(out.grad_fn))

        t, p = _run_both(torch, body)
        assert t[0] == p[0], (index, t, p)
        if t[0] == "error":
            assert t == p, index
            continue
        np.testing.assert_array_equal(p[1][0], t[1][0])
        np.testing.assert_allclose(p[1][1], t[1][1], rtol=1e-12, atol=1e-12)
        assert p[1][2] == t[1][2], index


def test_random_setitem_matches_pytorch_in_values_gradients_graphs_and_versions():
    torch = pytest.importorskip("torch")
    import random

    rng = random.Random(1)
    shape = (3, 4, 5)
    a = np.random.default_rng(0).standard_normal(shape)
    for trial in range(300):
        index = _random_index(rng, shape, trial)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                slot = tuple(torch.zeros(shape)[tuple(torch.tensor(i.tolist()) if isinstance(i, np.ndarray) else i
                                                      for i in index)].shape)
            except (IndexError, RuntimeError):
                slot = (2,)
        vshape = rng.choice([None, slot, slot[-1:], ()])
        va = None if vshape is None else np.random.default_rng(trial + 7).standard_normal(vshape)

        def body(lib, index=index, va=va):
            x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
            v = 1.25 if va is None else lib.tensor(va, dtype=lib.float64, requires_grad=True)
            y = x * 2.0
            y[tuple(lib.tensor(i.tolist()) if isinstance(i, np.ndarray) else i for i in index)] = v
            w = lib.tensor(np.cos(np.arange(y.numel())).reshape(shape), dtype=lib.float64)
            (y * w).sum().backward()
            return (np.asarray(y.detach().tolist()), np.asarray(x.grad.tolist()),
                    None if va is None else np.asarray(v.grad.tolist()), _graph_names(y.grad_fn), y._version)

        t, p = _run_both(torch, body)
        assert t[0] == p[0], (index, vshape, t, p)
        if t[0] == "error":
            assert t == p, (index, vshape)
            continue
        for k in range(3):
            if t[1][k] is not None:
                np.testing.assert_allclose(p[1][k], t[1][k], rtol=1e-12, atol=1e-12)
        assert p[1][3] == t[1][3], (index, vshape)
        assert p[1][4] == t[1][4]


def test_indexing_ops_on_zero_dim_tensors():
    s = plugrad.tensor(5.0, dtype=plugrad.float64, requires_grad=True)
    cases = [
        (lambda t: t.index_select(0, plugrad.tensor([0])), "IndexSelectBackward0", 5.0),
        (lambda t: t.gather(0, plugrad.tensor(0)), "GatherBackward0", 5.0),
        (lambda t: t.scatter(0, plugrad.tensor(0), 3.0), "ScatterBackward1", 3.0),
        (lambda t: t.scatter_add(0, plugrad.tensor(0), t * 2), "ScatterAddBackward0", 15.0),
        (lambda t: t.index_add(0, plugrad.tensor([0]), t * 2), "IndexAddBackward0", 15.0),
        (lambda t: t.masked_fill(plugrad.tensor(True), 2.0), "MaskedFillBackward0", 2.0),
    ]
    for fn, node, value in cases:
        out = fn(s)
        assert tuple(out.shape) == () and out.item() == value
        assert type(out.grad_fn).__name__ == node
        assert gradcheck(fn, (s,))
    with pytest.raises(RuntimeError, match=r"index_select\(\): Index to scalar can have only 1 value, got 2 value"):
        s.index_select(0, plugrad.tensor([0, 0]))
