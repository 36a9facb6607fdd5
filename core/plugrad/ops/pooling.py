"""1-d pooling and adaptive max pooling, composed of the 2-d pooling ops and reductions.

As in PyTorch, the 1-d forms pool a (N, C, 1, L) view with the 2-d op and squeeze the extra dim away
(SqueezeBackward1), so they check their arguments with their own messages first. Adaptive max pooling is
separable: the max over each column band, then over each row band of those, which also gives PyTorch's
index of the first maximum in row-major order.
"""

from __future__ import annotations

from typing import Any

from .nn import _adaptive_bounds, adaptive_avg_pool2d, avg_pool2d, max_pool2d_with_indices


def _single(v: Any, name: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError(f"{name} must be an int or a tuple of one int, got {v!r}")
        return int(v[0])
    return int(v)


def _check_1d(input: Any, fname: str) -> None:  # noqa: A002
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fname})")


def _check_nonempty(input: Any, fname: str, batch_dims: int) -> None:  # noqa: A002
    for d in range(input.dim() - batch_dims, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {d} being empty")


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """1-d average pooling over (N, C, L) or (C, L) input; ``stride`` defaults to ``kernel_size``."""
    _check_1d(input, "avg_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _single(stride, "stride")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding")), ceil_mode,
                     count_include_pad)
    return out.squeeze(-2)


def max_pool1d_with_indices(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """1-d max pooling returning ``(output, indices)``, the indices positions along L."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _single(stride, "stride")
    p, d = _single(padding, "padding"), _single(dilation, "dilation")
    for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if v <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {v}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    length = input.shape[-1]
    num = length + 2 * p - d * (k - 1) - 1
    out_len = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out_len - 1) * s >= length + p:
        out_len -= 1
    if out_len <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out_len}")
    out, idx = max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L) input; with ``return_indices`` also the argmax positions."""
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Any:  # noqa: A002
    """Average pooling of (N, C, L) or (C, L) input to ``output_size`` positions."""
    _check_1d(input, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _single(output_size, "output_size"))).squeeze(-2)


def _adaptive_max(x: Any, out_hw: tuple) -> tuple:
    """Adaptive max pooling over the last two dims of ``x``: (values, flat indices into H * W)."""
    from .shape import stack

    h, w = x.shape[-2], x.shape[-1]
    col_vals, col_idx = [], []
    for a, b in _adaptive_bounds(w, out_hw[1]):
        v, i = x.narrow(-1, a, b - a).max(-1)  # (..., H)
        col_vals.append(v)
        col_idx.append(i + a)
    by_col, by_col_idx = stack(col_vals, -1), stack(col_idx, -1)  # (..., H, ow)
    vals, idxs = [], []
    for a, b in _adaptive_bounds(h, out_hw[0]):
        v, r = by_col.narrow(-2, a, b - a).max(-2)  # (..., ow)
        r = r + a
        c = by_col_idx.gather(-2, r.unsqueeze(-2)).squeeze(-2)
        vals.append(v)
        idxs.append(r * w + c)
    return stack(vals, -2), stack(idxs, -2)


def adaptive_max_pool2d_with_indices(input: Any, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """Adaptive 2-d max pooling returning ``(output, indices)``, the indices flat positions in each H x W plane."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    _check_nonempty(input, "adaptive_max_pool2d", 2)
    out_hw = tuple(int(input.shape[input.dim() - 2 + k]) if v is None else int(v) for k, v in enumerate(sizes))
    return _adaptive_max(input, out_hw)


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max pooling of (N, C, H, W) or (C, H, W) input to ``output_size`` (an int, a pair, None keeping that
    input size); with ``return_indices`` also the argmax positions."""
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input: Any, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """Adaptive 1-d max pooling returning ``(output, indices)``."""
    _check_1d(input, "adaptive_max_pool1d")
    _check_nonempty(input, "adaptive_max_pool1d", 1)
    out, idx = _adaptive_max(input.unsqueeze(-2), (1, _single(output_size, "output_size")))
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max pooling of (N, C, L) or (C, L) input to ``output_size`` positions."""
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


__all__ = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "avg_pool1d", "max_pool1d", "max_pool1d_with_indices",
]
