"""``tensor()`` from Python numbers into a narrower dtype: PyTorch's overflow checks and silences."""

from __future__ import annotations

import warnings

import plugrad
import pytest


@pytest.mark.parametrize("data,dtype", [([300], "uint8"), ([-256], "uint8"), ([2**40], "int32"),
                                        ([float("nan")], "int64"), ([1e20], "int64"), ([[1, 2], [3, 4000]], "int8"),
                                        ([float("inf")], "int16")])
def test_numbers_that_do_not_fit_an_integer_dtype_raise_pytorchs_error(data: list, dtype: str) -> None:
    with pytest.raises(RuntimeError, match=f"value cannot be converted to type {dtype} without overflow"):
        plugrad.tensor(data, dtype=getattr(plugrad, dtype))


def test_negative_numbers_wrap_into_unsigned_and_floats_truncate() -> None:
    assert plugrad.tensor([-1, 3], dtype=plugrad.uint8).tolist() == [255, 3]
    assert plugrad.tensor(-3, dtype=plugrad.uint8).item() == 253
    assert plugrad.tensor([1.5, -2.7], dtype=plugrad.int64).tolist() == [1, -2]
    assert plugrad.tensor([2.0, 0.0], dtype=plugrad.bool).tolist() == [True, False]


def test_overflow_into_a_float_dtype_is_inf_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plugrad.tensor([1e20], dtype=plugrad.float16).tolist() == [float("inf")]
        assert plugrad.tensor([-1e40]).tolist() == [float("-inf")]
