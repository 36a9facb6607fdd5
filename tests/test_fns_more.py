"""Module constants, out= on the logical ops, NumPy's keyword names, and the functions PyTorch users reach for
that plugrad lacked (resize_, hsplit, the *_scatter family, gradient, view(dtype), ...)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import plugrad
import pytest
from _devices import to_numpy


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; it is the reference for these checks")


def close(a, b, **kw) -> None:
    np.testing.assert_allclose(to_numpy(a), np.asarray(b), **kw)


# --- constants -------------------------------------------------------------------------------------


def test_module_constants_are_pythons_values():
    assert plugrad.pi == math.pi and plugrad.e == math.e
    assert plugrad.inf == math.inf and math.isnan(plugrad.nan)
    assert plugrad.newaxis is None
    assert plugrad.ones(2, 3)[:, plugrad.newaxis].shape == (2, 1, 3)


def test_module_constants_match_torch(torch):
    assert (plugrad.pi, plugrad.e, plugrad.inf, plugrad.newaxis) == (torch.pi, torch.e, torch.inf, torch.newaxis)


# --- out= on the logical ops -----------------------------------------------------------------------


def test_logical_ops_write_into_out_in_its_dtype():
    a = plugrad.tensor([True, False, True, False])
    b = plugrad.tensor([1, 1, 0, 0])
    out = plugrad.empty(4)
    assert plugrad.logical_and(a, b, out=out) is out
    assert out.dtype is plugrad.float32
    close(out, [1, 0, 0, 0])
    out = plugrad.empty(4, dtype=plugrad.bool)
    close(plugrad.logical_or(a, b, out=out), [True, True, True, False])
    close(plugrad.logical_xor(a, b, out=out), [False, True, True, False])
    out = plugrad.empty(4, dtype=plugrad.int64)
    close(plugrad.logical_not(b, out=out), [0, 0, 1, 1])
    assert out.dtype is plugrad.int64


# --- axis= and keepdims= ---------------------------------------------------------------------------


def test_reductions_take_numpys_axis_and_keepdims():
    x = plugrad.arange(6.0).reshape(2, 3)
    close(plugrad.sum(x, axis=1), [3.0, 12.0])
    assert x.sum(axis=0, keepdims=True).shape == (1, 3)
    close(plugrad.mean(x, axis=0), [1.5, 2.5, 3.5])
    close(plugrad.max(x, axis=1).values, [2.0, 5.0])
    close(x.argmax(axis=1), [2, 2])
    assert plugrad.cat([x, x], axis=1).shape == (2, 6)
    close(plugrad.std(x, axis=1, correction=0), np.std(np.arange(6.0).reshape(2, 3), axis=1))


def test_axis_together_with_dim_is_rejected():
    with pytest.raises(TypeError, match=r"sum\(\) got an unexpected keyword argument 'axis'"):
        plugrad.sum(plugrad.ones(2, 3), dim=1, axis=1)


def test_axis_matches_torch(torch):
    data = np.arange(12.0).reshape(3, 4)
    for name in ("sum", "mean", "amax", "prod", "logsumexp", "cumsum", "softmax", "argmin"):
        ours = getattr(plugrad, name)(plugrad.tensor(data), axis=1)
        theirs = getattr(torch, name)(torch.tensor(data), axis=1)
        close(ours, theirs.numpy(), rtol=1e-12)
        assert str(ours.dtype) == str(theirs.dtype)


# --- resize_, view(dtype), hsplit / vsplit / dsplit -----------------------------------------------


def test_resize_keeps_row_major_data_and_zero_fills():
    x = plugrad.arange(6.0)
    assert x.resize_(2, 2) is x
    close(x, [[0.0, 1.0], [2.0, 3.0]])
    y = plugrad.arange(3.0).resize_(5)
    close(y[3:], [0.0, 0.0])
    assert plugrad.arange(6.0).resize_as_(plugrad.ones(3, 2)).shape == (3, 2)


def test_resize_of_a_tensor_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        plugrad.ones(2, requires_grad=True).resize_(3)


def test_view_dtype_reinterprets_bits_and_shares_memory():
    x = plugrad.tensor([0.0, 1.0, 2.0])
    close(x.view(plugrad.int32), [0, 1065353216, 1073741824])
    assert plugrad.ones(2, 2).view(plugrad.int16).shape == (2, 4)
    assert plugrad.ones(2, 4, dtype=plugrad.int16).view(plugrad.float64).shape == (2, 1)
    assert not plugrad.ones(2, requires_grad=True).view(plugrad.int32).requires_grad
    a = plugrad.zeros(3)
    a.view(plugrad.int32)[0] = 1065353216
    close(a, [1.0, 0.0, 0.0])


def test_view_dtype_errors_name_the_rule():
    with pytest.raises(RuntimeError, match=r"self.size\(-1\) must be divisible by 2 to view Short as Float"):
        plugrad.ones(3, dtype=plugrad.int16).view(plugrad.float32)
    with pytest.raises(RuntimeError, match=r"self.stride\(-1\) must be 1 to view Float as Short"):
        plugrad.ones(2, 3).t().view(plugrad.int16)
    with pytest.raises(RuntimeError, match=r"self.dim\(\) cannot be 0"):
        plugrad.tensor(1.0).view(plugrad.int16)


def test_hsplit_vsplit_dsplit_shapes_and_errors():
    assert [t.shape for t in plugrad.hsplit(plugrad.ones(4), [1, 3])] == [(1,), (2,), (1,)]
    assert [t.shape for t in plugrad.ones(2, 4).hsplit(2)] == [(2, 2), (2, 2)]
    assert [t.shape for t in plugrad.vsplit(plugrad.ones(4, 2), 2)] == [(2, 2), (2, 2)]
    assert [t.shape for t in plugrad.dsplit(plugrad.ones(2, 2, 4), [1])] == [(2, 2, 1), (2, 2, 3)]
    with pytest.raises(RuntimeError, match="torch.hsplit attempted to split along dimension 1, but the size of the "
                                           "dimension 5 is not divisible by the split_size 2!"):
        plugrad.hsplit(plugrad.ones(2, 5), 2)
    with pytest.raises(RuntimeError, match="torch.vsplit requires a tensor with at least 2 dimension, but got a "
                                           "tensor with 1 dimensions!"):
        plugrad.vsplit(plugrad.ones(4), 2)


def test_splits_match_torch(torch):
    data = np.arange(24.0).reshape(2, 3, 4)
    for name, spec in (("hsplit", 3), ("vsplit", [1]), ("dsplit", 2), ("dsplit", [1, 3])):
        ours = getattr(plugrad, name)(plugrad.tensor(data), spec)
        theirs = getattr(torch, name)(torch.tensor(data), spec)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b.numpy())


# --- select_scatter, slice_scatter, diagonal_scatter, masked_scatter, fill_diagonal_ --------------


def test_select_slice_diagonal_scatter_values():
    z = plugrad.zeros(3, 3)
    close(plugrad.select_scatter(z, plugrad.ones(3), 0, 0), [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    close(plugrad.slice_scatter(z, plugrad.ones(3, 1), 1, 0, None, 3), [[1, 0, 0], [1, 0, 0], [1, 0, 0]])
    close(plugrad.diagonal_scatter(z, plugrad.ones(2), 1), [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    close(z.slice_scatter(plugrad.ones(1, 3), start=-1), [[0, 0, 0], [0, 0, 0], [1, 1, 1]])
    close(z, np.zeros((3, 3)))


def test_scatter_with_wrong_source_size_raises():
    with pytest.raises(RuntimeError, match=r"expected src to have a size equal to the slice of self. src size = \[2\], "
                                           r"slice size = \[3\]"):
        plugrad.select_scatter(plugrad.zeros(3, 3), plugrad.ones(2), 0, 0)


@pytest.mark.parametrize("name, args", [
    ("select_scatter", (1, 2)), ("slice_scatter", (0, 1, 3)), ("diagonal_scatter", (0,)),
])
def test_scatter_gradients_reach_input_and_source(name, args):
    x = plugrad.zeros(3, 3, requires_grad=True)
    region = {"select_scatter": (3,), "slice_scatter": (2, 3), "diagonal_scatter": (3,)}[name]
    src = plugrad.ones(*region, requires_grad=True)
    weights = plugrad.arange(9.0).reshape(3, 3)
    out = getattr(plugrad, name)(x, src, *args)
    (out * weights).sum().backward()
    inside = getattr(plugrad, name)(plugrad.zeros(3, 3), plugrad.ones(*region), *args)
    close(x.grad, to_numpy(weights) * (1 - to_numpy(inside)))
    close(src.grad.sum(), (to_numpy(weights) * to_numpy(inside)).sum())


def test_scatter_gradcheck():
    x = plugrad.randn(3, 4, dtype=plugrad.float64, requires_grad=True)
    s = plugrad.randn(4, dtype=plugrad.float64, requires_grad=True)
    d = plugrad.randn(3, dtype=plugrad.float64, requires_grad=True)
    assert plugrad.autograd.gradcheck(lambda a, b: plugrad.select_scatter(a, b, 0, 1), (x, s))
    assert plugrad.autograd.gradcheck(lambda a, b: plugrad.diagonal_scatter(a, b), (x, d))


def test_masked_scatter_takes_source_in_row_major_order():
    x = plugrad.zeros(2, 3)
    mask = plugrad.tensor([[True, False, True], [False, True, False]])
    close(plugrad.masked_scatter(x, mask, plugrad.arange(6.0)), [[0, 0, 1], [0, 2, 0]])
    close(x.masked_scatter(plugrad.tensor([True, False, True]), plugrad.arange(6.0)), [[0, 0, 1], [2, 0, 3]])
    wide = plugrad.zeros(3).masked_scatter(mask, plugrad.arange(1.0, 7.0))
    close(wide, [[1, 0, 2], [0, 3, 0]])
    with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be greater or equal"):
        plugrad.zeros(3).masked_scatter_(mask, plugrad.arange(6.0))
    assert x.masked_scatter_(mask, plugrad.arange(1.0, 7.0)) is x
    close(x, [[1, 0, 2], [0, 3, 0]])


def test_masked_scatter_errors():
    x = plugrad.zeros(3)
    with pytest.raises(RuntimeError, match="masked_scatter_ only supports boolean masks, but got mask with dtype Long"):
        plugrad.masked_scatter(x, plugrad.ones(3, dtype=plugrad.int64), plugrad.ones(3))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
        plugrad.masked_scatter(x, plugrad.ones(3, dtype=plugrad.bool), plugrad.ones(2))
    with pytest.raises(RuntimeError, match="expected self and source to have same dtypes but gotFloat and Double"):
        plugrad.masked_scatter(x, plugrad.ones(3, dtype=plugrad.bool), plugrad.ones(3, dtype=plugrad.float64))


def test_masked_scatter_gradient():
    x = plugrad.zeros(3, requires_grad=True)
    src = plugrad.zeros(4, requires_grad=True)
    out = plugrad.masked_scatter(x, plugrad.tensor([True, False, True]), src)
    (out * plugrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    close(x.grad, [0.0, 2.0, 0.0])
    close(src.grad, [1.0, 3.0, 0.0, 0.0])


def test_fill_diagonal_in_place_with_and_without_wrap():
    x = plugrad.zeros(5, 2)
    assert x.fill_diagonal_(7) is x
    close(x, [[7, 0], [0, 7], [0, 0], [0, 0], [0, 0]])
    close(plugrad.zeros(5, 2).fill_diagonal_(7, wrap=True), [[7, 0], [0, 7], [0, 0], [7, 0], [0, 7]])
    close(plugrad.zeros(2, 4, dtype=plugrad.int64).fill_diagonal_(2.5), [[2, 0, 0, 0], [0, 2, 0, 0]])
    assert plugrad.zeros(3, 3, 3).fill_diagonal_(1).sum().item() == 3.0
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        plugrad.zeros(2, 3, 3).fill_diagonal_(1)


def test_scatter_family_matches_torch(torch):
    data = np.arange(12.0).reshape(3, 4)
    mask = np.array([[True, False, False, True]] * 3)
    cases = [
        ("select_scatter", (np.ones(3),), (1, 2)),
        ("slice_scatter", (np.ones((3, 2)),), (1, 0, 4, 2)),
        ("diagonal_scatter", (np.ones(3),), (1,)),
    ]
    for name, srcs, args in cases:
        ours = getattr(plugrad, name)(plugrad.tensor(data), *(plugrad.tensor(s) for s in srcs), *args)
        theirs = getattr(torch, name)(torch.tensor(data), *(torch.tensor(s) for s in srcs), *args)
        close(ours, theirs.numpy())
    ours = plugrad.tensor(data).masked_scatter(plugrad.tensor(mask), -plugrad.tensor(data))
    theirs = torch.tensor(data).masked_scatter(torch.tensor(mask), -torch.tensor(data))
    close(ours, theirs.numpy())
    for wrap in (False, True):
        close(plugrad.zeros(7, 3).fill_diagonal_(4, wrap=wrap), torch.zeros(7, 3).fill_diagonal_(4, wrap=wrap).numpy())


# --- diagflat, dist, renorm ------------------------------------------------------------------------


def test_diagflat_flattens_then_places_on_the_diagonal():
    out = plugrad.diagflat(plugrad.tensor([[1, 2], [3, 4]]))
    close(out, np.diag([1, 2, 3, 4]))
    assert out.dtype is plugrad.int64
    close(plugrad.tensor([1.0, 2.0]).diagflat(-1), [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    close(plugrad.diagflat(plugrad.tensor(3.0)), [[3.0]])


def test_dist_is_the_norm_of_the_difference():
    a, b = plugrad.ones(3), plugrad.zeros(2, 3)
    close(plugrad.dist(a, b, 3), 6 ** (1 / 3), rtol=1e-6)
    close(a.dist(plugrad.zeros(3)), math.sqrt(3), rtol=1e-6)
    close(plugrad.dist(a, plugrad.tensor([1.0, 0.0, 0.0]), 0), 2.0)
    close(plugrad.dist(a, plugrad.tensor([1.0, -2.0, 0.0]), math.inf), 3.0)
    assert plugrad.dist(a, b).ndim == 0
    with pytest.raises(RuntimeError, match="input dtype should be either floating point or complex. Got Long"):
        plugrad.dist(plugrad.ones(2, dtype=plugrad.int64), plugrad.ones(2, dtype=plugrad.int64))


def test_renorm_scales_only_the_slices_over_maxnorm():
    x = plugrad.tensor([[1.0, 1.0], [3.0, 4.0]])
    out = plugrad.renorm(x, 2, 0, 1.0)
    close(out, [[1 / (math.sqrt(2) + 1e-7), 1 / (math.sqrt(2) + 1e-7)], [0.6, 0.8]], rtol=1e-6)
    close(x.renorm(2, 0, 10.0), to_numpy(x))
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        plugrad.renorm(x, 0, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
        plugrad.renorm(plugrad.ones(3), 1, 0, 1.0)


def test_renorm_gradcheck():
    x = (plugrad.arange(1.0, 10.0, dtype=plugrad.float64).reshape(3, 3) / 2).requires_grad_()
    assert plugrad.autograd.gradcheck(lambda a: plugrad.renorm(a, 2, 0, 3.0), (x,))


def test_diagflat_dist_renorm_match_torch(torch):
    data = np.arange(1.0, 13.0).reshape(3, 4)
    other = np.linspace(-1.0, 1.0, 4)
    close(plugrad.diagflat(plugrad.tensor(data), 2), torch.diagflat(torch.tensor(data), 2).numpy())
    for p in (1, 2, 3.5, 0, math.inf):
        close(plugrad.dist(plugrad.tensor(data), plugrad.tensor(other), p),
              torch.dist(torch.tensor(data), torch.tensor(other), p).numpy(), rtol=1e-12)
    for p, dim, maxnorm in ((1, 0, 5.0), (2, 1, 5.0), (3, -1, 100.0)):
        close(plugrad.renorm(plugrad.tensor(data), p, dim, maxnorm),
              torch.renorm(torch.tensor(data), p, dim, maxnorm).numpy(), rtol=1e-12)


# --- typename, range, set_default_tensor_type, empty_strided ---------------------------------------


def test_typename_of_tensors_classes_and_objects():
    assert plugrad.typename(plugrad.ones(2)) == "torch.FloatTensor"
    assert plugrad.typename(plugrad.ones(2, dtype=plugrad.int64)) == "torch.LongTensor"
    assert plugrad.typename(3) == "int"
    assert plugrad.typename(plugrad.nn.Linear) == "plugrad.nn.modules.linear.Linear"


def test_range_is_inclusive_float_and_deprecated():
    with pytest.warns(UserWarning, match="torch.range is deprecated and will be removed in a future release"):
        out = plugrad.range(1, 4)
    close(out, [1.0, 2.0, 3.0, 4.0])
    assert out.dtype is plugrad.float32
    with pytest.warns(UserWarning):
        assert plugrad.range(1, 4, 0.5).shape == (7,)
        assert plugrad.range(0, 3, dtype=plugrad.int64).dtype is plugrad.int64
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            plugrad.range(0, 5, -1)


def test_set_default_tensor_type_sets_the_default_dtype():
    try:
        with pytest.warns(UserWarning, match=r"torch.set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
            plugrad.set_default_tensor_type(plugrad.DoubleTensor)
        assert plugrad.get_default_dtype() is plugrad.float64
        assert plugrad.tensor([1.5]).dtype is plugrad.float64
        with pytest.warns(UserWarning):
            plugrad.set_default_tensor_type("torch.FloatTensor")
        assert plugrad.get_default_dtype() is plugrad.float32
        with pytest.warns(UserWarning), pytest.raises(TypeError, match="only floating-point types are supported"):
            plugrad.set_default_tensor_type(plugrad.LongTensor)
    finally:
        plugrad.set_default_dtype(plugrad.float32)


def test_empty_strided_and_new_empty_strided():
    t = plugrad.empty_strided((2, 3), (1, 2), dtype=plugrad.float64)
    assert t.shape == (2, 3) and t.dtype is plugrad.float64
    n = plugrad.ones(2, dtype=plugrad.int64).new_empty_strided((4,), (1,))
    assert n.shape == (4,) and n.dtype is plugrad.int64 and n.device == plugrad.ones(1).device
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        plugrad.empty_strided((2, 3), (1,))


def test_range_and_typename_match_torch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for args in ((1, 4), (0, 1, 0.25), (5, -1, -2)):
            close(plugrad.range(*args), torch.range(*args).numpy())
    assert plugrad.typename(plugrad.ones(2, dtype=plugrad.float64)) == torch.typename(torch.ones(2, dtype=torch.float64))


# --- gradient --------------------------------------------------------------------------------------


def test_gradient_uniform_and_coordinate_spacing():
    t = plugrad.tensor([[1.0, 2.0, 4.0, 8.0], [10.0, 20.0, 40.0, 80.0]])
    g0, g1 = plugrad.gradient(t)
    close(g0, [[9, 18, 36, 72]] * 2)
    close(g1, [[1, 1.5, 3, 4], [10, 15, 30, 40]])
    (h,) = plugrad.gradient(t, spacing=2.0, dim=1)
    close(h, [[0.5, 0.75, 1.5, 2], [5, 7.5, 15, 20]])
    _, c = plugrad.gradient(t, spacing=[plugrad.tensor([0.0, 1.0]), plugrad.tensor([0.0, 1.0, 1.5, 3.5])])
    close(c, [[1, 3, 3.6, 2], [10, 30, 36, 20]], rtol=1e-6)
    (e2,) = plugrad.gradient(t, dim=1, edge_order=2)
    close(e2, [[0.5, 1.5, 3, 5], [5, 15, 30, 50]])
    (i,) = plugrad.gradient(plugrad.tensor([1, 2, 4]))
    assert i.dtype is plugrad.float32
    close(i, [1, 1.5, 2])


def test_gradient_errors():
    with pytest.raises(RuntimeError, match=r"expected each dimension size to be at least edge_order\+1"):
        plugrad.gradient(plugrad.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="only supports edge_order=1 and edge_order=2"):
        plugrad.gradient(plugrad.ones(3), edge_order=3)
    with pytest.raises(RuntimeError, match="or a list of length equal to 'self.dim\\(\\) = 2'"):
        plugrad.gradient(plugrad.ones(3, 3), spacing=[1.0, 2.0, 3.0])


def test_gradient_gradcheck():
    x = plugrad.randn(4, 5, dtype=plugrad.float64, requires_grad=True)
    coords = plugrad.arange(5.0, dtype=plugrad.float64) ** 2
    assert plugrad.autograd.gradcheck(lambda a: plugrad.gradient(a, spacing=[0.5, coords], edge_order=2), (x,))


def test_gradient_matches_torch(torch):
    data = np.cos(np.arange(30.0)).reshape(5, 6)
    coords = np.cumsum(np.linspace(0.5, 1.5, 6))
    for kw in ({}, {"dim": 1, "edge_order": 2}, {"spacing": 0.25, "dim": (0, 1)}, {"spacing": [3.0], "dim": [0]}):
        ours = plugrad.gradient(plugrad.tensor(data), **kw)
        theirs = torch.gradient(torch.tensor(data), **kw)
        for a, b in zip(ours, theirs):
            close(a, b.numpy(), rtol=1e-12)
    for edge_order in (1, 2):
        (a,) = plugrad.gradient(plugrad.tensor(data), spacing=(plugrad.tensor(coords),), dim=1, edge_order=edge_order)
        (b,) = torch.gradient(torch.tensor(data), spacing=(torch.tensor(coords),), dim=1, edge_order=edge_order)
        close(a, b.numpy(), rtol=1e-12)
