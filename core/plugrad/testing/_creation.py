"""``make_tensor``: PyTorch's ``torch.testing.make_tensor``, with its ranges, checks and random draws.

The values come from the same generator calls as in PyTorch (``randint`` for bool and integer dtypes,
``uniform_`` for floating dtypes, over the real and imaginary parts for complex ones), so a seeded call
gives PyTorch's tensor.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt


def _uniform_random_(t: Any, low: float, high: float) -> Any:
    from ..typeinfo import finfo

    if high - low >= finfo(t.dtype).max:
        return t.uniform_(low / 2, high / 2).mul_(2)
    return t.uniform_(low, high)


def make_tensor(*shape: Any, dtype: Any, device: Any, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Any:
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)``.

    Defaults: bool [0, 2), unsigned integers [0, 10), signed integers [-9, 10), floating and complex types
    [-9, 9); bounds outside the dtype's finite range are clamped to it. ``noncontiguous`` returns a strided
    view (every other element of a tensor twice as long in the last dimension); ``exclude_zero`` replaces
    zeros by 1 (bool, integers) or the dtype's smallest normal number.
    """
    from .. import factories
    from ..typeinfo import finfo, iinfo

    d = _dt.as_dtype(dtype)
    integral = d.category in (0, 1)

    def modify_low_high(low: Any, high: Any, *, lowest_inclusive: float, highest_exclusive: float,
                        default_low: float, default_high: float) -> tuple[Any, Any]:
        low = low if low is not None else default_low
        high = high if high is not None else default_high
        if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
        if low == high and not integral:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                          "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                          FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest_inclusive or low >= highest_exclusive:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {d} only "
                             f"supports [{lowest_inclusive}, {highest_exclusive})")
        low = min(max(low, lowest_inclusive), highest_exclusive)
        high = min(max(high, lowest_inclusive), highest_exclusive)
        if integral:
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    size = tuple(int(s) for s in shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and integral:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got dtype={d}")
    noncontiguous = noncontiguous and math.prod(size) > 1
    if noncontiguous:
        size = (*size[:-1], 2 * size[-1])
    if d is _dt.bool_:
        lo, hi = modify_low_high(low, high, lowest_inclusive=0, highest_exclusive=2, default_low=0, default_high=2)
        result = factories.randint(lo, hi, size, device=device, dtype=d)
    elif integral:
        ints = iinfo(d)
        lo, hi = modify_low_high(low, high, lowest_inclusive=ints.min,
                                 highest_exclusive=ints.max + (1 if d is not _dt.int64 else 0),
                                 default_low=-9, default_high=10)
        result = factories.randint(lo, hi, size, device=device, dtype=d)
    elif d.is_floating_point or d.is_complex:
        floats = finfo(d)
        lo, hi = modify_low_high(low, high, lowest_inclusive=floats.min, highest_exclusive=floats.max,
                                 default_low=-9, default_high=9)
        if d.is_complex:
            # PyTorch draws over view_as_real(result): real and imaginary parts interleaved, in that order.
            parts = factories.empty((*size, 2), device=device, dtype=d.to_real())
            _uniform_random_(parts, lo, hi)
            xp = parts._backend.namespace()
            data = parts._data[..., 0] + 1j * parts._data[..., 1]
            from ..tensor import _wrap

            result = _wrap(xp.asarray(data, dtype=parts._backend.native_dtype(d)), parts._backend)
        else:
            result = factories.empty(size, device=device, dtype=d)
            _uniform_random_(result, lo, hi)
    else:
        raise TypeError(f"The requested dtype '{d}' is not supported by torch.testing.make_tensor().")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if integral else finfo(d).tiny
    if not integral:
        result.requires_grad = requires_grad
    return result
