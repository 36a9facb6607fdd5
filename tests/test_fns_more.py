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
