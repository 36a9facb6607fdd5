"""Window functions for spectral analysis: ``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window`` and ``kaiser_window``, as PyTorch computes them.

Each is built from ``arange`` with the same operations in the same order as PyTorch's (in the window's
dtype, a Python number scaling a float32 tensor in float32), so the values agree to the last bit where the
backend's ``cos`` does. A periodic window of length N is the symmetric window of length N + 1 without its
last element, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

from . import dtypes as _dt
from .tensor import Tensor


def _checked(name: str, window_length: Any, dtype: Any, layout: Any) -> _dt.dtype:
    """PyTorch's window_function_checks, in its order; returns the window's dtype."""
    if layout is not None and layout is not _dt.strided:
        raise RuntimeError(f"{name} is not implemented for sparse types, got: {layout}")
    if isinstance(window_length, bool) or not isinstance(window_length, int):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not {type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    d = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {d}")
    return d


def _finish(window: Tensor, periodic: bool, requires_grad: bool) -> Tensor:
    if periodic:
        window = window[:-1]
    window = window.contiguous()
    if requires_grad:
        window.requires_grad_(True)
    return window


def _trivial(window_length: int, d: _dt.dtype, device: Any, requires_grad: bool) -> Tensor | None:
    """The windows of length 0 (empty) and 1 (a one), which every window function returns alike."""
    from . import factories

    if window_length == 0:
        return factories.empty(0, dtype=d, device=device, requires_grad=requires_grad)
    if window_length == 1:
        return factories.ones(1, dtype=d, device=device, requires_grad=requires_grad)
    return None


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window ``alpha - beta * cos(2 pi n / (N - 1))``."""
    from . import factories

    d = _checked("hamming_window", window_length, dtype, layout)
    small = _trivial(window_length, d, device, requires_grad)
    if small is not None:
        return small
    n = window_length + 1 if periodic else window_length
    window = factories.arange(n, dtype=d, device=device)
    window = window.mul_(math.pi * 2.0 / (n - 1)).cos_().mul_(-beta).add_(alpha)
    return _finish(window, periodic, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None, layout: Any = None,
                device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window ``0.5 - 0.5 * cos(2 pi n / (N - 1))``: a Hamming window with alpha = beta = 0.5."""
    _checked("hann_window", window_length, dtype, layout)
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None, layout: Any = None,
                    device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    from . import factories

    d = _checked("blackman_window", window_length, dtype, layout)
    small = _trivial(window_length, d, device, requires_grad)
    if small is not None:
        return small
    n = window_length + 1 if periodic else window_length
    window = factories.arange(n, dtype=d, device=device).mul_(math.pi / (n - 1))
    window = window.mul(4).cos_().mul_(0.08) - window.mul(2).cos_().mul_(0.5) + 0.42
    return _finish(window, periodic, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None, layout: Any = None,
                    device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window ``1 - |2n / (N - 1) - 1|``."""
    from . import factories

    d = _checked("bartlett_window", window_length, dtype, layout)
    small = _trivial(window_length, d, device, requires_grad)
    if small is not None:
        return small
    n = window_length + 1 if periodic else window_length
    window = factories.arange(n, dtype=d, device=device).mul_(2.0 / (n - 1))
    first_half = ((n - 1) >> 1) + 1
    window[first_half:].mul_(-1).add_(2)
    return _finish(window, periodic, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype: Any = None,
                  layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window ``I0(beta * sqrt(1 - ((n - N/2) / (N/2)) ** 2)) / I0(beta)``, N = window_length - 1."""
    from . import factories
    from .ops import special

    d = _checked("kaiser_window", window_length, dtype, layout)
    small = _trivial(window_length, d, device, requires_grad)
    if small is not None:
        return small
    n = window_length + 1 if periodic else window_length
    alpha = (n - 1) / 2.0
    initial = factories.arange(n, dtype=d, device=device)
    ratio = (initial - alpha) / alpha
    arg = (1 - ratio.pow(2)).abs_().sqrt_().mul_(beta)
    i0_beta = special.i0(factories.tensor(float(beta), dtype=d, device=device))
    window = special.i0(arg) / i0_beta
    return _finish(window, periodic, requires_grad)


__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]
