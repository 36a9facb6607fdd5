"""plugrad.testing.assert_close and make_tensor: PyTorch's checks, tolerances, messages and draws."""

from __future__ import annotations

import re

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.testing import assert_allclose, assert_close, make_tensor


def _message(fn) -> str:
    with pytest.raises(Exception) as info:
        fn()
    return f"{type(info.value).__name__}: {info.value}"


def test_close_tensors_pass_with_the_dtype_defaults() -> None:
    assert_close(plugrad.tensor([1.0, 2.0, 3.0]), plugrad.tensor([1.0, 2.0, 3.000001]))
    assert_close(plugrad.tensor([1.0, 2.0], dtype=plugrad.float64), plugrad.tensor([1.0, 2.0 + 1e-8], dtype=plugrad.float64))
    assert_close(plugrad.tensor([float("inf")]), plugrad.tensor([float("inf")]))
    assert_close(float("nan"), float("nan"), equal_nan=True)
    assert_close([plugrad.tensor(1.0), 2, None, True], [plugrad.tensor(1.0), 2, None, True])
    assert_close(plugrad.nn.Parameter(plugrad.tensor([1.0])), plugrad.tensor([1.0]))


def test_mismatch_messages() -> None:
    msg = _message(lambda: assert_close(plugrad.tensor([1.0, 2.0, 3.0]), plugrad.tensor([1.0, 4.0, 5.0])))
    assert msg == ("AssertionError: Tensor-likes are not close!\n\nMismatched elements: 2 / 3 (66.7%)\n"
                   "Greatest absolute difference: 2.0 at index (1,) (up to 1e-05 allowed)\n"
                   "Greatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)")
    msg = _message(lambda: assert_close(1e-10, 1e-9, rtol=0, atol=0))
    assert msg == ("AssertionError: Scalars are not equal!\n\nExpected 1e-09 but got 1e-10.\n"
                   "Absolute difference: 9.000000000000001e-10\nRelative difference: 0.9")
    msg = _message(lambda: assert_close(plugrad.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                        plugrad.tensor([[1.0, 2.0], [3.0, float("inf")]])))
    assert "Mismatched elements: 1 / 4 (25.0%)" in msg and "Greatest absolute difference: inf at index (1, 1)" in msg
    msg = _message(lambda: assert_close(plugrad.tensor([1, 2, 3]), plugrad.tensor([1, 2, 4])))
    assert msg.startswith("AssertionError: Tensor-likes are not equal!") and "(up to" not in msg


def test_attribute_and_structure_mismatches() -> None:
    f32, f64 = plugrad.tensor([1.0, 2.0]), plugrad.tensor([1.0, 2.0], dtype=plugrad.float64)
    assert _message(lambda: assert_close(f32, f64)) == (
        "AssertionError: The values for attribute 'dtype' do not match: torch.float32 != torch.float64.")
    assert_close(f32, f64, check_dtype=False)
    assert "attribute 'shape' do not match: torch.Size([2]) != torch.Size([3])" in _message(
        lambda: assert_close(f32, plugrad.tensor([1.0, 2.0, 3.0])))
    assert _message(lambda: assert_close([1, 2], [1, 2, 3])) == (
        "AssertionError: The length of the sequences mismatch: 2 != 3")
    msg = _message(lambda: assert_close({"a": plugrad.tensor(1.0), "b": 2}, {"a": plugrad.tensor(1.0), "b": 3}))
    assert msg.endswith("The failure occurred for item ['b']")
    assert "Missing keys in the actual mapping: ['b']" in _message(lambda: assert_close({"a": 1}, {"b": 1}))
    assert re.match(r"TypeError: No comparison pair was able to handle inputs of type .*Tensor'> and <class 'list'>",
                    _message(lambda: assert_close(f32, [1.0, 2.0])))
    assert _message(lambda: assert_close(f32, f32, rtol=1e-3)) == (
        "ValueError: Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.")
    assert _message(lambda: assert_close(None, 1)) == "AssertionError: None mismatch: None is not 1"
    assert _message(lambda: assert_close(True, False)) == "AssertionError: Booleans mismatch: True is not False"


def test_custom_messages_and_assert_allclose() -> None:
    a, b = plugrad.tensor([1.0, 2.0]), plugrad.tensor([1.0, 3.0])
    assert _message(lambda: assert_close(a, b, msg="custom")) == "AssertionError: custom"
    assert _message(lambda: assert_close(a, b, msg=lambda m: f"Header\n\n{m}")).startswith(
        "AssertionError: Header\n\nTensor-likes are not close!")
    with pytest.warns(FutureWarning, match="assert_allclose\\(\\)` is deprecated"):
        assert_allclose(a, [1.0, 2.00001])


def test_make_tensor_ranges_and_options() -> None:
    plugrad.manual_seed(0)
    f = make_tensor((200,), dtype=plugrad.float32, device="cpu")
    v = to_numpy(f)
    assert f.dtype is plugrad.float32 and v.min() >= -9 and v.max() < 9
    i = to_numpy(make_tensor(300, dtype=plugrad.int64, device="cpu"))
    assert i.min() >= -9 and i.max() <= 9 and i.dtype == np.int64
    u = to_numpy(make_tensor(300, dtype=plugrad.uint8, device="cpu", exclude_zero=True))
    assert u.min() >= 1 and u.max() <= 9
    g = make_tensor((3,), dtype=plugrad.float64, device="cpu", low=-1, high=1, requires_grad=True)
    assert g.requires_grad and g.is_leaf and np.all(np.abs(to_numpy(g.detach())) <= 1)
    n = make_tensor((2, 3), dtype=plugrad.float32, device="cpu", noncontiguous=True)
    assert n.shape == (2, 3) and not n.is_contiguous()
    with pytest.raises(ValueError, match="`requires_grad=True` is not supported for boolean and integral dtypes"):
        make_tensor((2,), dtype=plugrad.int64, device="cpu", requires_grad=True)
    with pytest.raises(ValueError, match="`low` must be less than `high`, but got 3 >= 1"):
        make_tensor((2,), dtype=plugrad.float32, device="cpu", low=3, high=1)


def test_make_tensor_draws_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the draws are compared with its own")
    for dtype, kw in (("float32", {}), ("int64", {}), ("bool", {}), ("float64", {"low": -1, "high": 1}),
                      ("complex64", {})):
        torch.manual_seed(3)
        ref = torch.testing.make_tensor((3, 4), dtype=getattr(torch, dtype), device="cpu", **kw)
        plugrad.manual_seed(3)
        ours = make_tensor((3, 4), dtype=getattr(plugrad, dtype), device="cpu", **kw)
        np.testing.assert_array_equal(to_numpy(ours), ref.numpy())
