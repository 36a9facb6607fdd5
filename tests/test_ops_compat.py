"""PyTorch functions added for compatibility: set and counting ops, scatter reductions, index_copy/index_fill,
stacking and splitting helpers, products, unfold, einsum's sublist form, integer division by zero, uint8 masks.

Each test pins hard expected values; the comparisons against PyTorch skip with a reason when torch is not
installed (torch is a reference here, never a dependency).
"""

from __future__ import annotations

import warnings

import numpy as np
import plugrad
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - the comparisons skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed; it is only a reference here")


def _np(t):
    return t.detach().cpu().numpy()


def _same_as_torch(fn, grad_of=None) -> None:
    """``fn(module)`` gives the same values, dtypes and shapes with plugrad as with PyTorch.

    ``grad_of``: ``(make_inputs, fn)``: the gradients of ``fn(module, *inputs).sum()`` agree as well.
    """
    ours, theirs = fn(plugrad), fn(torch)
    if not isinstance(ours, (tuple, list)):
        ours, theirs = (ours,), (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert str(a.dtype) == str(b.dtype)
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)


def _same_grads(make, fn) -> None:
    """The gradients of ``(fn(module, *inputs) * weights).sum()`` agree with PyTorch's (float64 inputs)."""
    rng = np.random.default_rng(0)
    arrays = make(rng)
    grads = []
    for m in (plugrad, torch):
        xs = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
        out = fn(m, *xs)
        w = m.tensor(np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape)), dtype=m.float64)
        (out * w).sum().backward()
        grads.append([_np(x.grad) for x in xs])
    for g, h in zip(*grads):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def _error(fn, m):
    try:
        fn(m)
    except Exception as exc:  # noqa: BLE001 - the type and text are compared
        return type(exc).__name__, str(exc)
    return None


def _same_error(fn) -> None:
    ours, theirs = _error(fn, plugrad), _error(fn, torch)
    assert ours is not None and ours == theirs, (ours, theirs)


# --- integer division by zero ------------------------------------------------------------------


@pytest.mark.parametrize("expr", [
    lambda m: m.tensor([1, 2]) // 0,
    lambda m: m.tensor([1, 2]) % 0,
    lambda m: m.div(m.tensor([1, 2]), 0, rounding_mode="floor"),
    lambda m: m.div(m.tensor([1, 2]), m.tensor([1, 0]), rounding_mode="trunc"),
    lambda m: m.fmod(m.tensor([3]), 0),
    lambda m: 5 // m.tensor([0]),
    lambda m: m.tensor([5]) % m.tensor([False]),
])
def test_integer_division_by_zero_raises_zero_division_error(expr) -> None:
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        expr(plugrad)


def test_true_and_float_division_by_zero_give_inf() -> None:
    assert plugrad.div(plugrad.tensor([1, 2]), 0).tolist() == [float("inf")] * 2
    assert (plugrad.tensor([1]) // 0.0).tolist() == [float("inf")]
    assert (plugrad.tensor([4, 6]) // plugrad.tensor([2, 4])).tolist() == [2, 1]


def test_floor_division_of_bools_has_no_kernel() -> None:
    with pytest.raises(NotImplementedError, match="\"div_floor_cpu\" not implemented for 'Bool'"):
        plugrad.tensor([True]) // plugrad.tensor([True])


@needs_torch
@pytest.mark.parametrize("expr", [
    lambda m: m.tensor([1, 2]) // 0,
    lambda m: m.remainder(m.tensor([1, 2]), 0),
    lambda m: m.fmod(m.tensor([True]), m.tensor([True])),
    lambda m: m.div(m.tensor([True]), m.tensor([True]), rounding_mode="trunc"),
])
def test_division_errors_match_torch(expr) -> None:
    _same_error(expr)


# --- uint8 masks --------------------------------------------------------------------------------


def test_indexing_with_uint8_acts_as_a_mask_and_warns() -> None:
    x = plugrad.arange(6.0).reshape(2, 3)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                                         "torch.bool instead") as record:
        out = x[plugrad.tensor([[1, 0, 2], [0, 0, 1]], dtype=plugrad.uint8)]
    assert out.tolist() == [0.0, 2.0, 5.0]
    assert record[0].filename == __file__
    with pytest.warns(UserWarning):
        assert x[:, plugrad.tensor([1, 0, 1], dtype=plugrad.uint8)].tolist() == [[0.0, 2.0], [3.0, 5.0]]


def test_bool_masks_do_not_warn() -> None:
    x = plugrad.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x[plugrad.tensor([True, False, True])].tolist() == [0.0, 2.0]


def test_uint8_mask_write_takes_a_tensor_but_not_a_number() -> None:
    y = plugrad.zeros(2, 3)
    mask = plugrad.tensor([1, 0], dtype=plugrad.uint8)
    with pytest.warns(UserWarning):
        y[mask] = plugrad.tensor([1.0, 2.0, 3.0])
    assert y.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype "
                                           "unsigned char"):
        y[mask] = 5.0


# --- aliases and conversions --------------------------------------------------------------------


def test_numpy_style_arithmetic_aliases() -> None:
    x = plugrad.tensor([1.0, 2.0])
    assert plugrad.subtract(x, 1, alpha=2).tolist() == [-1.0, 0.0]
    assert x.subtract(plugrad.tensor([1.0, 1.0])).tolist() == [0.0, 1.0]
    assert plugrad.multiply(plugrad.tensor([2]), 3).tolist() == [6]
    assert plugrad.tensor([1, 2]).sub(1, alpha=2).tolist() == [-1, 0]
    y = plugrad.tensor([4.0])
    assert y.divide_(2) is y and y.true_divide_(2).tolist() == [1.0]
    assert y.multiply_(3).subtract_(1).tolist() == [2.0]


def test_char_converts_to_int8_wrapping() -> None:
    out = plugrad.tensor([1.5, 300.0, -2.7]).char()
    assert out.dtype == plugrad.int8
    assert out.tolist() == [1, 44, -2]


# --- diff, stacking and splitting ----------------------------------------------------------------


def test_diff_with_order_dim_prepend_and_append() -> None:
    x = plugrad.tensor([[1.0, 4.0, 9.0], [2.0, 2.0, 5.0]])
    assert plugrad.diff(x).tolist() == [[3.0, 5.0], [0.0, 3.0]]
    assert x.diff(2).tolist() == [[2.0], [3.0]]
    assert plugrad.diff(x, dim=0, prepend=plugrad.zeros(1, 3)).tolist() == [[1.0, 4.0, 9.0], [1.0, -2.0, -4.0]]
    assert plugrad.diff(plugrad.tensor([1, 4, 9]), append=plugrad.tensor([20.0])).tolist() == [3.0, 5.0, 11.0]
    assert plugrad.diff(plugrad.tensor([True, False, False])).tolist() == [True, False]
    assert plugrad.diff(x, n=5).shape == (2, 0)
    assert type(plugrad.diff(x.requires_grad_()).grad_fn).__name__ == "SubBackward0"


def test_diff_errors() -> None:
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        plugrad.diff(plugrad.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        plugrad.diff(plugrad.ones(3), n=-1)
    with pytest.raises(RuntimeError, match=r"input.size\(1\) = 4, but got tensor.size\(1\) = 3"):
        plugrad.diff(plugrad.ones(3, 4), dim=0, prepend=plugrad.zeros(1, 3))
    with pytest.raises(TypeError, match="argument 'prepend' must be Tensor, not float"):
        plugrad.diff(plugrad.ones(3), prepend=1.0)


def test_tensor_split_by_sections_indices_and_tensors() -> None:
    x = plugrad.arange(12.0).reshape(3, 4)
    assert [p.shape[1] for p in plugrad.tensor_split(x, 3, dim=1)] == [2, 1, 1]
    assert [p.shape[0] for p in plugrad.tensor_split(x, [1, 5, 2])] == [1, 2, 0, 1]
    assert [p.tolist() for p in x.tensor_split(plugrad.tensor([-1]))] == [[[0.0, 1.0, 2.0, 3.0],
                                                                            [4.0, 5.0, 6.0, 7.0]],
                                                                           [[8.0, 9.0, 10.0, 11.0]]]
    assert [p.shape[0] for p in plugrad.tensor_split(x, sections=2)] == [2, 1]
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0, got 0"):
        plugrad.tensor_split(x, 0)
    with pytest.raises(RuntimeError, match="to have dtype of long, but got Float"):
        plugrad.tensor_split(x, plugrad.tensor([1.0]))


def test_dstack_column_stack_and_atleast_3d() -> None:
    a, b = plugrad.tensor([1.0, 2.0]), plugrad.tensor([3.0, 4.0])
    assert plugrad.dstack([a, b]).tolist() == [[[1.0, 3.0], [2.0, 4.0]]]
    assert plugrad.column_stack([a, b]).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert plugrad.column_stack([a, plugrad.ones(2, 2)]).shape == (2, 3)
    assert plugrad.atleast_3d(a).shape == (1, 2, 1)
    assert [t.shape for t in plugrad.atleast_3d(plugrad.tensor(1.0), plugrad.ones(2, 3))] == [(1, 1, 1), (2, 3, 1)]
    assert [t.shape for t in plugrad.atleast_1d([plugrad.tensor(1.0), a])] == [(1,), (2,)]
    with pytest.raises(RuntimeError, match="dstack expects a non-empty TensorList"):
        plugrad.dstack([])


@needs_torch
@pytest.mark.parametrize("expr", [
    lambda m: m.diff(m.arange(12.0).reshape(3, 4), 2, 0, prepend=m.ones(1, 4), append=m.zeros(2, 4)),
    lambda m: m.diff(m.tensor([1, 4, 9], dtype=m.uint8)),
    lambda m: m.tensor_split(m.arange(10.0), [2, -3, 20]),
    lambda m: m.tensor_split(m.arange(12.0).reshape(2, 6), m.tensor(4), 1),
    lambda m: m.dstack([m.ones(2, 3), m.zeros(2, 3)]),
    lambda m: m.column_stack([m.tensor(1.0), m.tensor([2.0])]),
])
def test_diff_and_splits_match_torch(expr) -> None:
    _same_as_torch(expr)


@needs_torch
def test_gradients_of_diff_and_stacking_match_torch() -> None:
    _same_grads(lambda r: [r.normal(size=(3, 2)), r.normal(size=(1, 2))],
                lambda m, a, b: m.diff(a, 2, dim=0, append=b))
    _same_grads(lambda r: [r.normal(size=(3,)), r.normal(size=(3, 2))],
                lambda m, a, b: m.column_stack([a, b]) * 2)
    _same_grads(lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 2))], lambda m, a, b: m.dstack([a, b, a]))


# --- rot90, unfold ------------------------------------------------------------------------------


def test_rot90_turns_towards_the_second_dim() -> None:
    x = plugrad.arange(6.0).reshape(2, 3)
    assert plugrad.rot90(x).tolist() == [[2.0, 5.0], [1.0, 4.0], [0.0, 3.0]]
    assert plugrad.rot90(x, 2).tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]
    assert x.rot90(5, [-1, 0]).tolist() == [[3.0, 0.0], [4.0, 1.0], [5.0, 2.0]]
    assert plugrad.rot90(x, -3).tolist() == plugrad.rot90(x).tolist()
    assert type(plugrad.rot90(x.requires_grad_(), 0).grad_fn).__name__ == "Rot90Backward0"
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2, but got dims = 1"):
        plugrad.rot90(x, 1, [0])
    with pytest.raises(RuntimeError, match="expected rotation dims to be different, but got dim0 = 0 and dim1 = -2"):
        plugrad.rot90(x, 1, [0, -2])


def test_unfold_gives_windows_and_adds_their_gradients_back() -> None:
    x = plugrad.arange(7.0, requires_grad=True)
    w = x.unfold(0, 3, 2)
    assert w.tolist() == [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]]
    assert type(w.grad_fn).__name__ == "UnfoldBackward0"
    w.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0]
    assert plugrad.arange(6.0).reshape(2, 3).unfold(1, 0, 1).shape == (2, 4, 0)
    assert plugrad.tensor(5.0).unfold(0, 1, 1).tolist() == [5.0]
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 3 but size is 4"):
        plugrad.ones(2, 3).unfold(1, 4, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        plugrad.ones(2, 3).unfold(1, 2, 0)


@needs_torch
def test_rot90_and_unfold_gradients_match_torch() -> None:
    _same_grads(lambda r: [r.normal(size=(2, 7))], lambda m, a: a.unfold(1, 3, 2))
    _same_grads(lambda r: [r.normal(size=(4, 2, 3))], lambda m, a: a.unfold(0, 2, 1) * 2)
    _same_grads(lambda r: [r.normal(size=(2, 3, 2))], lambda m, a: m.rot90(a, 3, [2, 0]))


# --- products -----------------------------------------------------------------------------------


def test_kron_vdot_and_cross() -> None:
    k = plugrad.kron(plugrad.tensor([[1, 2], [3, 4]]), plugrad.tensor([[0, 1], [1, 0]]))
    assert k.tolist() == [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]
    assert plugrad.kron(plugrad.tensor([1, 2]), plugrad.tensor([1.5])).tolist() == [1.5, 3.0]
    assert plugrad.vdot(plugrad.tensor([1, 2]), plugrad.tensor([3, 4])).item() == 11
    a = plugrad.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    b = plugrad.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert plugrad.cross(a, b, dim=1).tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        assert plugrad.cross(plugrad.ones(2, 3, 3), plugrad.ones(2, 3, 3)).shape == (2, 3, 3)
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4"):
        plugrad.cross(plugrad.ones(2, 4), plugrad.ones(2, 4), dim=1)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        plugrad.vdot(plugrad.ones(2, 2), plugrad.ones(2))


def test_einsum_sublist_form() -> None:
    x, y = plugrad.arange(6.0).reshape(2, 3), plugrad.arange(12.0).reshape(3, 4)
    assert plugrad.einsum(x, [0, 1], y, [1, 2], [0, 2]).tolist() == (x @ y).tolist()
    assert plugrad.einsum(x, [0, 1], y, [1, 2]).tolist() == (x @ y).tolist()
    assert plugrad.einsum(x, [Ellipsis, 1], [Ellipsis]).tolist() == [3.0, 12.0]
    assert plugrad.einsum(x, [0, 51], [51]).tolist() == [3.0, 5.0, 7.0]
    with pytest.raises(ValueError, match=r"subscript in subscript list is not within the valid range \[0, 52\)"):
        plugrad.einsum(x, [0, 60])


@needs_torch
@pytest.mark.parametrize("expr", [
    lambda m: m.kron(m.arange(6.0).reshape(2, 3), m.tensor([[1.0, -1.0]])),
    lambda m: m.vdot(m.tensor([1.0, 2.0, 3.0]), m.tensor([0.5, -1.0, 2.0])),
    lambda m: m.cross(m.arange(6.0).reshape(2, 3), m.tensor([[1.0, 2.0, 0.5]]), dim=1),
    lambda m: m.einsum(m.arange(6.0).reshape(2, 3), [0, 1], m.ones(3, 2), [1, 2], [2, 0]),
])
def test_products_match_torch(expr) -> None:
    _same_as_torch(expr)


@needs_torch
def test_product_gradients_match_torch() -> None:
    _same_grads(lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 1))], lambda m, a, b: m.cross(a, b, dim=0))
    _same_grads(lambda r: [r.normal(size=(2, 3)), r.normal(size=(2,))], lambda m, a, b: m.kron(a, b))
    _same_grads(lambda r: [r.normal(size=(4,)), r.normal(size=(4,))], lambda m, a, b: m.vdot(a, b))


@pytest.mark.parametrize("name, args", [
    ("cross", lambda m: (m.ones(2, 3), m.ones(3))),
    ("cross", lambda m: (m.ones(2, 3), m.ones(2, 3, dtype=m.float64))),
    ("vdot", lambda m: (m.tensor([True]), m.tensor([True]))),
    ("vdot", lambda m: (m.ones(2), m.ones(3))),
])
@needs_torch
def test_product_errors_match_torch(name, args) -> None:
    _same_error(lambda m: getattr(m, name)(*args(m), **({"dim": 1} if name == "cross" else {})))


# --- scatter_reduce, index_copy, index_fill -----------------------------------------------------

_X = [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]
_I = [[0, 1, 0, 2], [2, 2, 0, 1]]
_SRC = [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]


@pytest.mark.parametrize("reduce, include_self, row0", [
    ("sum", True, [1.0, 1.0, 12.0, 3.0]),
    ("sum", False, [1.0, 1.0, 10.0, 3.0]),
    ("prod", True, [0.0, 1.0, 42.0, 3.0]),
    ("mean", True, [0.5, 1.0, 4.0, 3.0]),
    ("mean", False, [1.0, 1.0, 5.0, 3.0]),
    ("amax", True, [1.0, 1.0, 7.0, 3.0]),
    ("amin", False, [1.0, 1.0, 3.0, 3.0]),
])
def test_scatter_reduce(reduce, include_self, row0) -> None:
    x = plugrad.tensor(_X)
    out = x.scatter_reduce(0, plugrad.tensor(_I), plugrad.tensor(_SRC), reduce, include_self=include_self)
    assert out.tolist()[0] == row0


def test_scatter_reduce_integer_mean_floors_and_in_place_form() -> None:
    out = plugrad.arange(4).scatter_reduce(0, plugrad.tensor([0, 0, 1]), plugrad.tensor([5, 6, 7]), "mean")
    assert out.tolist() == [3, 4, 2, 3]
    x = plugrad.tensor(_X)
    assert x.scatter_reduce_(0, plugrad.tensor(_I), plugrad.tensor(_SRC), "prod") is x
    assert x.tolist()[0] == [0.0, 1.0, 42.0, 3.0]
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got foo"):
        x.scatter_reduce(0, plugrad.tensor(_I), plugrad.tensor(_SRC), "foo")


def test_scatter_with_reduce_multiply_warns_for_a_tensor_source() -> None:
    x = plugrad.tensor(_X)
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src is deprecated"):
        out = x.scatter(0, plugrad.tensor(_I), plugrad.tensor(_SRC), reduce="multiply")
    assert out.tolist()[0] == [0.0, 1.0, 42.0, 3.0]
    assert x.scatter(0, plugrad.tensor([[1]]), 2.0, reduce="multiply").tolist()[1][0] == 8.0
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply."):
        x.scatter(0, plugrad.tensor(_I), plugrad.tensor(_SRC), reduce="mean")


def test_index_copy_and_index_fill() -> None:
    x = plugrad.tensor(_X)
    out = x.index_copy(0, plugrad.tensor([2, 0]), plugrad.tensor([[1.0] * 4, [2.0] * 4]))
    assert out.tolist() == [[2.0] * 4, _X[1], [1.0] * 4]
    assert x.index_fill(1, plugrad.tensor([0, 2]), -1.0).tolist()[0] == [-1.0, 1.0, -1.0, 3.0]
    assert plugrad.arange(4).index_fill(0, plugrad.tensor([1]), 2.7).tolist() == [0, 2, 2, 3]
    y = x.clone()
    assert y.index_fill_(0, plugrad.tensor([-1]), plugrad.tensor(5.0)) is y and y.tolist()[2] == [5.0] * 4
    y.index_copy_(1, plugrad.tensor([3]), plugrad.zeros(3, 1))
    assert [r[3] for r in y.tolist()] == [0.0, 0.0, 0.0]
    with pytest.raises(IndexError, match=r"index_copy_\(\): Number of indices \(1\) should be equal to "
                                         r"source.size\(dim\) \(2\)"):
        x.index_copy(1, plugrad.tensor([3]), plugrad.ones(3, 2))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x.index_fill(0, plugrad.tensor([3]), 1.0)


def test_index_fill_gradient_reaches_input_and_value() -> None:
    x = plugrad.ones(2, 3, requires_grad=True)
    v = plugrad.tensor(2.0, requires_grad=True)
    out = x.index_fill(1, plugrad.tensor([0, 2, 0]), v)
    assert type(out.grad_fn).__name__ == "IndexFillBackward1"
    out.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    assert v.grad.item() == 4.0


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients_match_torch(reduce, include_self) -> None:
    index = [[0, 1, 0, 2], [2, 2, 0, 1]]

    def fn(m, a, b):
        return a.scatter_reduce(0, m.tensor(index), b, reduce, include_self=include_self)

    _same_as_torch(lambda m: fn(m, m.tensor(_X), m.tensor(_SRC)))
    # Note: equal values in both inputs make ties for amax/amin, whose gradient is shared as PyTorch shares it.
    _same_grads(lambda r: [np.linspace(-1, 2, 12).reshape(3, 4), np.linspace(-1, 2, 8).reshape(2, 4)], fn)
    _same_grads(lambda r: [r.normal(size=(3, 4)), r.normal(size=(2, 4))], fn)


@needs_torch
def test_scatter_reduce_prod_gradient_with_zeros_matches_torch() -> None:
    x = [[1.0, 0.0, 2.0, 3.0], [0.5, 2.0, 0.0, 1.0]]
    s = [[0.0, 2.0, 1.5], [3.0, 0.0, 0.0]]
    for include_self in (True, False):
        _same_grads(lambda r: [np.array(x), np.array(s)],
                    lambda m, a, b, inc=include_self: a.scatter_reduce(1, m.tensor([[0, 0, 1], [2, 2, 3]]), b,
                                                                       "prod", include_self=inc))


@needs_torch
def test_index_copy_and_index_fill_gradients_match_torch() -> None:
    _same_grads(lambda r: [r.normal(size=(3, 4)), r.normal(size=(2, 4))],
                lambda m, a, b: a.index_copy(0, m.tensor([2, 0]), b))
    _same_grads(lambda r: [r.normal(size=(3, 4)), r.normal(size=())],
                lambda m, a, b: a.index_fill(1, m.tensor([0, 2]), b))


# --- unique, unique_consecutive, bincount --------------------------------------------------------


def test_unique_with_inverse_and_counts() -> None:
    x = plugrad.tensor([[2, 1, 2], [3, 1, 1]])
    values, inverse, counts = plugrad.unique(x, return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3]
    assert inverse.tolist() == [[1, 0, 1], [2, 0, 0]]
    assert counts.tolist() == [3, 2, 1]
    assert x.unique(sorted=False).tolist() == [1, 2, 3]
    assert plugrad.unique(plugrad.tensor(3), return_inverse=True)[1].shape == ()


def test_unique_along_a_dim_finds_distinct_slices_in_lexicographic_order() -> None:
    x = plugrad.tensor([[2, 1, 2, 1], [0, 1, 1, 0], [2, 1, 2, 1]])
    values, inverse, counts = plugrad.unique(x, dim=0, return_inverse=True, return_counts=True)
    assert values.tolist() == [[0, 1, 1, 0], [2, 1, 2, 1]]
    assert inverse.tolist() == [1, 0, 1] and counts.tolist() == [1, 2]
    cols, inverse = plugrad.unique(x, dim=1, return_inverse=True)
    assert cols.tolist() == [[1, 1, 2, 2], [0, 1, 0, 1], [1, 1, 2, 2]] and inverse.tolist() == [2, 1, 3, 0]
    runs, counts = plugrad.unique_consecutive(x, dim=0, return_counts=True)
    assert runs.tolist() == x.tolist() and counts.tolist() == [1, 1, 1]
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        plugrad.unique(plugrad.tensor(3), dim=0)


def test_unique_consecutive_keeps_runs() -> None:
    values, inverse, counts = plugrad.unique_consecutive(plugrad.tensor([1, 1, 2, 2, 3, 1, 1, 2]),
                                                         return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3, 1, 2]
    assert inverse.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]
    assert counts.tolist() == [2, 2, 1, 2, 1]


def test_bincount_with_weights_and_minlength() -> None:
    assert plugrad.bincount(plugrad.tensor([0, 1, 1, 3])).tolist() == [1, 2, 0, 1]
    w = plugrad.bincount(plugrad.tensor([0, 1, 1, 3]), weights=plugrad.tensor([0.5, 1.0, 1.0, 2.0]))
    assert w.dtype == plugrad.float32 and w.tolist() == [0.5, 2.0, 0.0, 2.0]
    assert plugrad.bincount(plugrad.tensor([0, 1]), weights=plugrad.tensor([1, 2])).dtype == plugrad.float64
    assert plugrad.tensor([1]).bincount(minlength=4).tolist() == [0, 1, 0, 0]
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs."):
        plugrad.bincount(plugrad.tensor([-1]))
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for 'Float'"):
        plugrad.bincount(plugrad.tensor([1.0]))


@needs_torch
@pytest.mark.parametrize("expr", [
    lambda m: m.unique(m.tensor([[1.5, -2.0, 1.5], [0.0, 3.0, -2.0]]), return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([3, 3, 1, 3, 3, 3]), return_counts=True),
    lambda m: m.bincount(m.tensor([4, 0, 4, 2]), weights=m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64)),
    lambda m: m.bincount(m.tensor([], dtype=m.int64), minlength=3),
    lambda m: m.unique(m.tensor([[2, 1, 2, 1], [0, 1, 1, 0], [2, 1, 2, 1]]), dim=0, return_inverse=True,
                       return_counts=True),
    lambda m: m.unique(m.tensor([[2, 1, 2, 1], [0, 1, 1, 0], [2, 1, 2, 1]]), dim=-1, return_inverse=True),
    lambda m: m.unique_consecutive(m.tensor([[1.0, 2.0], [1.0, 2.0], [0.5, 2.0]]), dim=0, return_counts=True),
])
def test_counting_ops_match_torch(expr) -> None:
    _same_as_torch(expr)
