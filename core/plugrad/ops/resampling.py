"""Resampling: ``interpolate`` (nearest, nearest-exact, area, linear, bilinear, trilinear) and pixel (un)shuffle.

``interpolate`` works one spatial dim at a time: the source positions of the output positions are
computed on the host with PyTorch's rules (in float32, as its kernels compute them), then gathered with
``index_select`` and, for the linear modes, blended with the two neighbours' weights. Gradients come
from ``index_select``. Pixel (un)shuffle is a reshape, a permute and a reshape.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from .. import dtypes as _dt

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _f32(v: float) -> float:
    """``v`` rounded to float32, the precision of PyTorch's index arithmetic for float input."""
    return float(struct.unpack("f", struct.pack("f", v))[0])


def _source_scale(in_size: int, out_size: int, scale: float | None, align_corners: bool, rnd: Any = _f32) -> float:
    if align_corners:
        return rnd((in_size - 1) / (out_size - 1)) if out_size > 1 else 0.0
    return rnd(1.0 / scale) if scale is not None and scale > 0 else rnd(in_size / out_size)


def _nearest_index(in_size: int, out_size: int, scale: float | None, exact: bool) -> list[int]:
    s = _source_scale(in_size, out_size, scale, False)
    offset = 0.5 if exact else 0.0
    return [min(int(math.floor(_f32(_f32(i + offset) * s))), in_size - 1) for i in range(out_size)]


def _linear_taps(in_size: int, out_size: int, scale: float | None, align_corners: bool, rnd: Any) -> tuple:
    """For each output position: the left and right source indices and the right one's weight, computed in
    ``rnd``'s precision (float32 for float input, as PyTorch's opmath type)."""
    s = _source_scale(in_size, out_size, scale, align_corners, rnd)
    lo, hi, frac = [], [], []
    for i in range(out_size):
        src = rnd(i * s) if align_corners else max(rnd(rnd(s * rnd(i + 0.5)) - 0.5), 0.0)
        i0 = min(int(src), in_size - 1)
        lo.append(i0)
        hi.append(min(i0 + 1, in_size - 1))
        frac.append(rnd(src - i0))
    return lo, hi, frac


def _index(values: list, like: Any) -> Any:
    from ..factories import tensor as _tensor

    return _tensor(values, device=like._backend)


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Any:
    """Resize the spatial dims of ``(N, C, *spatial)`` input to ``size`` or by ``scale_factor``."""
    from ..factories import tensor as _tensor
    from .indexing import index_select

    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (tuple, list)):
            if len(size) != nd:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in (N, C, d1, "
                    "d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            out_sizes = [int(s) for s in size]
        else:
            out_sizes = [int(size)] * nd
        scales: list = [None] * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (tuple, list)):
            if len(scale_factor) != nd:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * nd
        out_sizes = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
        if recompute_scale_factor:
            scales = [None] * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias and (mode not in ("bilinear", "bicubic") or nd != 2):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    if mode in _LINEAR_DIMS and nd != _LINEAR_DIMS[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR_DIMS[mode] + 2}D input")
    if nd not in (1, 2, 3) or mode not in ("nearest", "nearest-exact", "area", "bicubic", "lanczos", *_LINEAR_DIMS):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
                                  f"the modes: {_MODES} (got {mode})")
    if antialias or mode in ("bicubic", "lanczos") or (mode == "area" and nd == 3):
        what = "antialias=True" if antialias else f"mode={mode!r} for {input.dim()}D input"
        raise RuntimeError(f"interpolate: {what} is not available in plugrad; use nearest, nearest-exact, area (3D "
                           "or 4D input), linear, bilinear or trilinear")
    if mode == "area":
        from .nn import adaptive_avg_pool2d
        from .pooling import adaptive_avg_pool1d

        return adaptive_avg_pool1d(input, out_sizes[0]) if nd == 1 else adaptive_avg_pool2d(input, out_sizes)
    for n, o in zip(spatial, out_sizes):
        if n <= 0 or o <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({', '.join(map(str, spatial))}) "
                               f"and output ({', '.join(map(str, out_sizes))})")
    out = input
    for k, (n, o, s) in enumerate(zip(spatial, out_sizes, scales)):
        dim = 2 + k
        if mode in ("nearest", "nearest-exact"):
            out = index_select(out, dim, _index(_nearest_index(n, o, s, mode == "nearest-exact"), input))
            continue
        lo, hi, frac = _linear_taps(n, o, s, bool(align_corners), float if input.dtype is _dt.float64 else _f32)
        shape = [1] * input.dim()
        shape[dim] = o
        w1 = _tensor(frac, dtype=input.dtype, device=input._backend).reshape(tuple(shape))
        a, b = index_select(out, dim, _index(lo, input)), index_select(out, dim, _index(hi, input))
        out = a * (1 - w1) + b * w1
    return out


def _check_shuffle_input(input: Any, fname: str) -> None:  # noqa: A002
    if input.dim() < 3:
        raise RuntimeError(f"{fname} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           "dimension(s)")


def pixel_shuffle(input: Any, upscale_factor: int) -> Any:  # noqa: A002
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    _check_shuffle_input(input, "pixel_shuffle")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape((*lead, c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape((*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Any, downscale_factor: int) -> Any:  # noqa: A002
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W), the inverse of :func:`pixel_shuffle`."""
    _check_shuffle_input(input, "pixel_unshuffle")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    for name, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({d})={size} is not divisible by {r}")
    k = len(lead)
    x = input.reshape((*lead, c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape((*lead, c * r * r, h // r, w // r))


__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]
