"""Tensor-level API as PyTorch documents it: factories, promotion, operators, indexing, reductions.

Each test pins hard expected values; where useful the same snippet is also run against PyTorch (skipped
with a reason when torch is not installed; torch is a reference here, never a dependency).
"""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import device_suffix, to_numpy

try:
    import torch
except ImportError:  # pragma: no cover - the comparisons skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed; it is only a reference here")


def _same_as_torch(fn) -> None:
    """``fn(module)`` gives the same values, dtype and shape with plugrad as with PyTorch."""
    ours, theirs = fn(plugrad), fn(torch)
    if not isinstance(ours, tuple):
        ours, theirs = (ours,), (theirs,)
    for a, b in zip(ours, theirs, strict=True):
        assert str(a.dtype) == str(b.dtype)
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(to_numpy(a.detach()), b.detach().numpy(), rtol=1e-6, atol=1e-7)


# --- where ----------------------------------------------------------------------------------


def test_where_with_two_python_numbers_takes_the_condition_shape_and_scalar_dtype() -> None:
    x = plugrad.tensor([[1.0, -2.0], [0.0, 3.0]])
    out = plugrad.where(x > 0, 1, 0)
    assert out.dtype == plugrad.int64
    assert out.tolist() == [[1, 0], [0, 1]]
    assert plugrad.where(x > 0, 2, 3.5).dtype == plugrad.float32
    assert plugrad.where(x > 0, 2, 3.5).tolist() == [[2.0, 3.5], [3.5, 2.0]]
    assert plugrad.where(x > 0, True, False).dtype == plugrad.bool
    assert plugrad.where(plugrad.tensor(True), 1, 2.0).shape == ()


def test_where_rejects_a_non_bool_condition() -> None:
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor "
                                           "with dtype Long"):
        plugrad.where(plugrad.tensor([1, 0]), plugrad.tensor([1, 2]), plugrad.tensor([3, 4]))
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        out = plugrad.where(plugrad.tensor([1, 0], dtype=plugrad.uint8), plugrad.tensor([1, 2]), 0)
    assert out.tolist() == [1, 0]


@needs_torch
def test_where_with_numbers_matches_torch() -> None:
    _same_as_torch(lambda m: m.where(m.tensor([[1.0, -2.0], [0.0, 3.0]]) > 0, 1, 0))
    _same_as_torch(lambda m: m.where(m.tensor([True, False]), 1.5, 0))


# --- Python numbers out of a small integer dtype's range wrap, as PyTorch casts the scalar ---------------


def test_out_of_range_int_scalar_wraps_into_small_int_dtype() -> None:
    u = plugrad.tensor([232, 1], dtype=plugrad.uint8)
    assert (u + 255).tolist() == [231, 0]
    assert (u - 2).tolist() == [230, 255]
    assert (u * 300).tolist() == [224, 44]
    assert (u == 1000).tolist() == [True, False]
    assert (plugrad.tensor([1], dtype=plugrad.int8) + 1000).tolist() == [-23]
    assert (plugrad.tensor([1], dtype=plugrad.int32) + 2**31).tolist() == [-2147483647]
    u += 1000
    assert u.tolist() == [208, 233]
    assert u.dtype == plugrad.uint8
    with pytest.raises(OverflowError, match="int too big to convert"):
        plugrad.tensor([1]) + 2**64


@needs_torch
def test_out_of_range_int_scalar_matches_torch() -> None:
    _same_as_torch(lambda m: m.tensor([232, 1], dtype=m.uint8) * 300 + 1000)
    _same_as_torch(lambda m: m.tensor([100, -5], dtype=m.int8) - 200)


# --- shifts and in-place floor division ------------------------------------------------------------------


def test_shift_operators_on_integer_tensors() -> None:
    x = plugrad.tensor([1, 2])
    assert (x << 2).tolist() == [4, 8]
    assert (1 << x).tolist() == [2, 4]
    assert (plugrad.tensor([16, -16]) >> plugrad.tensor([2, 3])).tolist() == [4, -2]
    assert (plugrad.tensor([8, -8]) >> 64).tolist() == [0, -1]
    assert (plugrad.tensor([1]) << 64).tolist() == [0]
    assert (plugrad.tensor([1], dtype=plugrad.int8) << 7).tolist() == [-128]
    assert (plugrad.tensor([True, False]) << 1).tolist() == [2, 0]
    assert plugrad.bitwise_left_shift(x, 1).tolist() == [2, 4]
    alias = x
    x <<= 1
    x >>= 1
    assert x is alias and alias.tolist() == [1, 2]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: plugrad.tensor([3.0]) >> 1, "\"rshift_cpu\" not implemented for 'Float'"),
    (lambda: plugrad.tensor([1]) << 1.5, "\"lshift_cpu\" not implemented for 'Float'"),
    (lambda: plugrad.tensor([True]) >> plugrad.tensor([True]), "\"rshift_cpu\" not implemented for 'Bool'"),
    (lambda: plugrad.tensor([1.5]) & 1, "\"bitwise_and_cpu\" not implemented for 'Float'"),
])
def test_integer_only_ops_raise_not_implemented_error(call, message) -> None:
    with pytest.raises(NotImplementedError, match=message):
        call()


def test_inplace_floor_division_keeps_the_tensor() -> None:
    x = plugrad.tensor([5.0, -7.0])
    alias = x
    x //= 2
    assert x is alias and alias.tolist() == [2.0, -4.0]
    assert x._version == 1


# --- factories ------------------------------------------------------------------------------------------


def test_logspace_values_dtype_and_base() -> None:
    t = plugrad.logspace(start=-10, end=10, steps=5)
    assert t.dtype == plugrad.float32
    np.testing.assert_allclose(to_numpy(t), [1e-10, 1e-5, 1.0, 1e5, 1e10], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(plugrad.logspace(0.1, 1.0, 5)), [1.2589, 2.1135, 3.5481, 5.9566, 10.0],
                               rtol=1e-4)
    assert plugrad.logspace(start=2, end=2, steps=1, base=2).tolist() == [4.0]
    assert plugrad.logspace(0, 2, 3, dtype=plugrad.int64).tolist() == [1, 10, 100]
    assert plugrad.logspace(0, 3, 0).shape == (0,)
    assert plugrad.logspace(0, 1, 2, requires_grad=True).requires_grad


@needs_torch
def test_logspace_matches_torch() -> None:
    _same_as_torch(lambda m: m.logspace(-2, 3, 7, base=3.0))
    _same_as_torch(lambda m: m.logspace(0, 1, 4, dtype=m.float64))


def test_randint_like_keeps_shape_and_dtype_and_bounds() -> None:
    x = plugrad.ones(50, 2)
    r = plugrad.randint_like(x, 3, 10)
    assert r.shape == (50, 2) and r.dtype == plugrad.float32
    assert bool(((r >= 3) & (r < 10)).all())
    assert plugrad.randint_like(plugrad.ones(4, dtype=plugrad.int32), 2).dtype == plugrad.int32
    assert set(plugrad.randint_like(plugrad.zeros(200, dtype=plugrad.int64), 2).tolist()) == {0, 1}


def test_full_rejects_a_non_number_fill_value() -> None:
    with pytest.raises(TypeError, match=r"full\(\): argument 'fill_value' \(position 2\) must be Number, not list"):
        plugrad.full((2,), [1, 2])


# --- median, kthvalue, mode, std_mean / var_mean, aminmax, nansum / nanmean -------------------------------


def test_median_is_the_lower_median_and_propagates_nan() -> None:
    x = plugrad.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    assert x.median().item() == 3.0
    r = x.median(1)
    assert type(r).__name__ == "median" and r.values.tolist() == [2.0, 4.0] and r.indices.tolist() == [2, 0]
    assert plugrad.median(x, dim=0, keepdim=True).values.shape == (1, 3)
    assert plugrad.tensor([1, 4, 2, 2]).median().item() == 2
    y = plugrad.tensor([1.0, float("nan"), 0.0])
    assert np.isnan(y.median().item()) and y.median(0).indices.item() == 1
    assert np.isnan(plugrad.tensor([]).median().item())
    assert repr(x.median(1)).replace(device_suffix(), "") == ("torch.return_types.median(\nvalues=tensor([2., 4.]),\n"
                                 "indices=tensor([2, 0]))")


def test_median_gradients_as_in_torch() -> None:
    a = plugrad.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    a.median().backward()
    assert a.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    assert type(a.median().grad_fn).__name__ == "MedianBackward0"
    b = plugrad.tensor([[1.0, 2.0, 4.0, 3.0]], requires_grad=True)
    v = b.median(1).values
    assert type(v.grad_fn).__name__ == "MedianBackward1"
    v.sum().backward()
    assert b.grad.tolist() == [[0.0, 1.0, 0.0, 0.0]]


def test_kthvalue_and_mode() -> None:
    x = plugrad.tensor([[2.0, 1.0, 2.0, 1.0, 3.0], [5.0, 5.0, 0.0, 0.0, 0.0]])
    k = plugrad.kthvalue(x, 4, 1)
    assert k.values.tolist() == [2.0, 5.0]
    assert x.kthvalue(1, 0, True).values.tolist() == [[2.0, 1.0, 0.0, 0.0, 0.0]]
    m = x.mode(1)
    assert type(m).__name__ == "mode"
    assert m.values.tolist() == [1.0, 0.0] and m.indices.tolist() == [3, 4]  # the last occurrence
    assert plugrad.tensor(3.0).mode().indices.item() == 0
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for dimension 0"):
        plugrad.ones(3).kthvalue(4)
    c = plugrad.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    c.kthvalue(2).values.sum().backward()
    assert c.grad.tolist() == [[0.0, 0.0, 1.0]]
    assert type(c.mode().values.grad_fn).__name__ == "ModeBackward0"


def test_std_mean_var_mean_aminmax() -> None:
    x = plugrad.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    s, m = plugrad.std_mean(x)
    assert round(s.item(), 4) == 1.8708 and m.item() == 3.5
    v, m = plugrad.var_mean(x, 1)
    np.testing.assert_allclose(to_numpy(v), [4.3333333, 2.3333333], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(m), [8 / 3, 13 / 3], rtol=1e-6)
    assert plugrad.var_mean(x, 0, keepdim=True, correction=0)[0].tolist() == [[2.25, 1.0, 4.0]]
    r = x.aminmax()
    assert type(r).__name__ == "aminmax" and (r.min.item(), r.max.item()) == (1.0, 6.0)
    assert plugrad.aminmax(x, dim=0).max.tolist() == [4.0, 5.0, 6.0]
    assert plugrad.aminmax(x, dim=1, keepdim=True).min.shape == (2, 1)
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty dimension"):
        plugrad.tensor([]).aminmax()


def test_nansum_and_nanmean_skip_nan() -> None:
    y = plugrad.tensor([[1.0, float("nan")], [3.0, 4.0]])
    assert y.nansum().item() == 8.0
    assert plugrad.nansum(y, 0).tolist() == [4.0, 4.0]
    assert round(y.nanmean().item(), 4) == 2.6667
    assert plugrad.nanmean(y, dim=1, keepdim=True).tolist() == [[1.0], [3.5]]
    assert plugrad.tensor([1, 2]).nansum().dtype == plugrad.int64
    a = plugrad.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    a.nanmean().backward()
    assert a.grad.tolist() == [0.5, 0.0, 0.5]
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating point or complex dtype but "
                                           "got Long"):
        plugrad.tensor([1, 2]).nanmean()


@needs_torch
def test_new_reductions_match_torch() -> None:
    data = [[0.3, -1.2, 0.3, 2.0, 0.3], [1.0, -1.0, 5.0, 5.0, 0.5]]
    _same_as_torch(lambda m: tuple(m.tensor(data).median(1)))
    _same_as_torch(lambda m: tuple(m.tensor(data).mode(1)))
    _same_as_torch(lambda m: m.tensor(data).kthvalue(2, 1).values)
    _same_as_torch(lambda m: m.std_mean(m.tensor(data), 1))
    _same_as_torch(lambda m: tuple(m.aminmax(m.tensor(data), dim=0)))


# --- ravel, repeat_interleave, meshgrid, broadcast_tensors / broadcast_shapes, expand's message -----------


def test_ravel_flattens() -> None:
    x = plugrad.arange(6).reshape(2, 3)
    assert x.ravel().tolist() == [0, 1, 2, 3, 4, 5]
    assert plugrad.ravel(x.t()).tolist() == [0, 3, 1, 4, 2, 5]


def test_repeat_interleave_as_documented() -> None:
    x = plugrad.tensor([1, 2, 3])
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3]
    y = plugrad.tensor([[1, 2], [3, 4]])
    assert plugrad.repeat_interleave(y, 2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert plugrad.repeat_interleave(y, 3, dim=1).tolist() == [[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]]
    assert plugrad.repeat_interleave(y, plugrad.tensor([1, 2]), dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert plugrad.repeat_interleave(plugrad.tensor([2, 3, 1])).tolist() == [0, 0, 1, 1, 1, 2]
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        plugrad.repeat_interleave(plugrad.ones(2, 2), plugrad.tensor([1, 2, 3]), dim=0)
    a = plugrad.tensor([[1.0, 2.0]], requires_grad=True)
    (a.repeat_interleave(3, dim=1) * plugrad.arange(6.0)).sum().backward()
    assert a.grad.tolist() == [[3.0, 12.0]]
    b = plugrad.tensor([[1.0, 2.0]], requires_grad=True)
    out = b.repeat_interleave(plugrad.tensor([2, 1]), dim=1)
    assert type(out.grad_fn).__name__ == "IndexSelectBackward0"
    out.sum().backward()
    assert b.grad.tolist() == [[2.0, 1.0]]


def test_meshgrid_ij_and_xy() -> None:
    x, y = plugrad.tensor([1, 2, 3]), plugrad.tensor([4, 5])
    gx, gy = plugrad.meshgrid(x, y, indexing="ij")
    assert gx.tolist() == [[1, 1], [2, 2], [3, 3]] and gy.tolist() == [[4, 5], [4, 5], [4, 5]]
    gx, gy = plugrad.meshgrid(x, y, indexing="xy")
    assert gx.tolist() == [[1, 2, 3], [1, 2, 3]] and gy.tolist() == [[4, 4, 4], [5, 5, 5]]
    assert plugrad.meshgrid(plugrad.arange(2), plugrad.arange(3), plugrad.arange(4), indexing="xy")[2].shape == (3, 2, 4)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        plugrad.meshgrid(x, y)
    with pytest.raises(RuntimeError, match="meshgrid expects all tensors to have the same dtype"):
        plugrad.meshgrid(x, y.float(), indexing="ij")


def test_broadcast_tensors_and_shapes() -> None:
    a, b = plugrad.broadcast_tensors(plugrad.arange(3), plugrad.arange(2).view(2, 1))
    assert a.tolist() == [[0, 1, 2], [0, 1, 2]] and b.tolist() == [[0, 0, 0], [1, 1, 1]]
    assert plugrad.broadcast_shapes((1, 2), (3, 1), (3, 2)) == plugrad.Size([3, 2])
    assert plugrad.broadcast_shapes(2, (3, 1)) == (3, 2)
    with pytest.raises(RuntimeError, match=r"Attempting to broadcast a dimension of length 3 at -1! Mismatching "
                                           r"argument at index 1 had \(3,\); but expected shape should be "
                                           r"broadcastable to \[2\]"):
        plugrad.broadcast_shapes((2,), (3,))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        plugrad.broadcast_tensors(plugrad.ones(2), plugrad.ones(3))


def test_expand_error_names_the_tensor_type_as_torch_does() -> None:
    with pytest.raises(RuntimeError, match=r"^expand\(torch\.FloatTensor\{\[2, 3\]\}, size=\[3\]\): the number of "
                                           r"sizes provided \(1\)"):
        plugrad.ones(2, 3).expand(3)


@needs_torch
def test_shape_helpers_match_torch() -> None:
    _same_as_torch(lambda m: m.repeat_interleave(m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([3, 1]), dim=1))
    _same_as_torch(lambda m: m.meshgrid(m.arange(3.0), m.arange(4.0), indexing="xy"))
    _same_as_torch(lambda m: m.broadcast_tensors(m.ones(3, 1), m.arange(4)))


# --- integer powers, `in`, index_select's error along dim 0 -----------------------------------------------


def test_integer_tensor_to_negative_int_power() -> None:
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        plugrad.tensor([2]) ** -1
    # A tensor exponent gives what PyTorch's integer kernel gives: 1 for 1, +-1 for -1, else 0.
    out = plugrad.tensor([2, 1, -1, -1, 0, 3]) ** plugrad.tensor([-1, -3, -3, -2, 2, -2])
    assert out.dtype == plugrad.int64 and out.tolist() == [0, 1, -1, 1, 0, 0]
    assert (plugrad.tensor([[2], [1]]) ** plugrad.tensor([-1, 2])).tolist() == [[0, 4], [1, 1]]
    assert (plugrad.tensor([2.0]) ** -1).tolist() == [0.5]


def test_contains_compares_elementwise() -> None:
    t = plugrad.tensor([1, 2, 3])
    assert 2 in t and 5 not in t and 2.0 in t
    assert plugrad.tensor(2) in t
    assert plugrad.tensor([2]) in plugrad.tensor([[1, 2]])
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        plugrad.tensor([1, 2]) in t  # noqa: B015
    with pytest.raises(RuntimeError, match="Tensor.__contains__ only supports Tensor or scalar, but you passed in "
                                           "a <class 'str'>."):
        "a" in t  # noqa: B015


def test_index_select_out_of_range_along_dim0_is_an_index_error() -> None:
    with pytest.raises(IndexError, match="index out of range in self"):
        plugrad.index_select(plugrad.ones(3, 3), 0, plugrad.tensor([3]))
