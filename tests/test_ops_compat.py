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
