"""3-d convolution and pooling over (N, C, D, H, W) input, composed of the 2-d ops.

A 3-d window is a stack of 2-d windows along depth: the convolution sums, over the kernel's depth taps,
2-d convolutions of the matching strided depth slices (depth folded into the batch), and pooling reduces
the 2-d pooled slices across those taps. The transposed convolution places each tap's 2-d transposed
convolution at its strided depth offsets (zero interleaving and padding) and crops the padding. Gradients
come from the composed ops.
"""

from __future__ import annotations

from typing import Any

from .convolution import _ntuple


def _batched_5d(input: Any, fname: str) -> tuple[Any, bool]:  # noqa: A002
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {fname}, but got input of size: "
                           f"{list(input.shape)}")
    return (input.unsqueeze(0), True) if input.dim() == 4 else (input, False)


def _fold_depth(x: Any) -> Any:
    """(N, C, D, H, W) -> (N * D, C, H, W)."""
    n, c, d, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w)


def _unfold_depth(y: Any, n: int, d: int) -> Any:
    """(N * D, C, H, W) -> (N, C, D, H, W)."""
    return y.reshape(n, d, *y.shape[1:]).permute(0, 2, 1, 3, 4)


def _depth_taps(x: Any, k: int, s: int, dil: int, out: int) -> list:
    """The strided depth slices (N, C, out, H, W) that meet each of the ``k`` kernel taps."""
    span = (out - 1) * s + 1
    return [x[:, :, t * dil:t * dil + span:s] for t in range(k)]


def conv3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Any:
    """3-d cross-correlation over (N, C, D, H, W) or (C, D, H, W) input; weight (out, in / groups, kd, kh, kw)."""
    from .nn import check_conv_operands, conv2d, pad

    x, squeezed = _batched_5d(input, "conv3d")
    check_conv_operands(x, weight, bias, groups)
    out_channels = weight.shape[0]
    st, dil = _ntuple(stride, 3, "stride"), _ntuple(dilation, 3, "dilation")
    ksize = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in st):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) if padding == "same" else 0 for d, k in zip(dil, ksize)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        p = _ntuple(padding, 3, "padding")
        if min(p) < 0:
            raise RuntimeError("negative padding is not supported")
        pads = [(v, v) for v in p]
    padded = [x.shape[2 + i] + pads[i][0] + pads[i][1] for i in range(3)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dil, ksize)]
    if any(a < b for a, b in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.type()}) and weight type ({weight.type()}) should be the same")
    if any(a or b for a, b in pads):
        x = pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    n = x.shape[0]
    out_d = (padded[0] - kernel[0]) // st[0] + 1
    out = None
    for t, xs in enumerate(_depth_taps(x, ksize[0], st[0], dil[0], out_d)):
        y = conv2d(_fold_depth(xs), weight[:, :, t], None, st[1:], 0, dil[1:], groups)
        out = y if out is None else out + y
    out = _unfold_depth(out, n, out_d)
    if bias is not None:
        out = out + bias.reshape((1, out_channels, 1, 1, 1))
    return out.squeeze(0) if squeezed else out


def conv_transpose3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """3-d transposed convolution ("deconvolution") with weight (in, out / groups, kd, kh, kw)."""
    from .convolution import conv_transpose2d
    from .nn import pad as _pad

    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of "
                           f"size: {list(input.shape)}")
    if isinstance(padding, str):
        raise TypeError("conv_transpose3d(): argument 'padding' must be tuple of ints, not str")
    if weight.dim() != 5:
        raise RuntimeError(f"Expected 5-dimensional weight for conv_transpose3d, but got {weight.dim()}-dimensional "
                           f"weight of size {list(weight.shape)}")
    st, pd, op, dil = (_ntuple(stride, 3, "stride"), _ntuple(padding, 3, "padding"),
                       _ntuple(output_padding, 3, "output_padding"), _ntuple(dilation, 3, "dilation"))
    squeezed = input.dim() == 4
    x = input.unsqueeze(0) if squeezed else input
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[0]} channels, but got {x.shape[1]} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if any(o >= s and o >= d for o, s, d in zip(op, st, dil)):
        names = ("depth", "height", "width")
        parts = [f"output_padding_{nm}: {o}" for nm, o in zip(names, op)]
        parts += [f"stride_{nm}: {s}" for nm, s in zip(names, st)]
        parts += [f"dilation_{nm}: {d}" for nm, d in zip(names, dil)]
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {' '.join(parts)}")
    if min(st) <= 0 or min(dil) <= 0 or min(pd) < 0:
        raise RuntimeError(f"conv_transpose3d: stride and dilation must be positive and padding non-negative, got "
                           f"stride={list(st)}, padding={list(pd)}, dilation={list(dil)}")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.type()}) and weight type ({weight.type()}) should be the same")
    spatial, ksize = tuple(x.shape[2:]), tuple(weight.shape[2:])
    out_sizes = [(i - 1) * s - 2 * p + d * (k - 1) + o + 1 for i, s, p, d, k, o in zip(spatial, st, pd, dil, ksize, op)]
    if min(out_sizes) <= 0:
        raise RuntimeError(f"Given input size per channel: {list(spatial)}. Calculated output size per channel: "
                           f"{list(out_sizes)}. Output size is too small")
    n, depth = x.shape[0], spatial[0]
    full = out_sizes[0] + 2 * pd[0]  # the depth before cropping the padding
    span = (depth - 1) * st[0] + 1
    folded = _fold_depth(x)
    out: Any = None
    for t in range(ksize[0]):
        y = _unfold_depth(conv_transpose2d(folded, weight[:, :, t], None, st[1:], pd[1:], op[1:], groups, dil[1:]),
                          n, depth)
        if st[0] > 1:  # zeros between the depth positions
            y = _pad(y.unsqueeze(3), (0, 0, 0, 0, 0, st[0] - 1))
            y = y.reshape(y.shape[0], y.shape[1], depth * st[0], y.shape[4], y.shape[5]).narrow(2, 0, span)
        y = _pad(y, (0, 0, 0, 0, t * dil[0], full - t * dil[0] - span))
        out = y if out is None else out + y
    out = out.narrow(2, pd[0], out_sizes[0])
    if bias is not None:
        out = out + bias.reshape((1, out_channels, 1, 1, 1))
    return out.squeeze(0) if squeezed else out


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool3d(input: Any, fname: str) -> None:  # noqa: A002
    if input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")


def max_pool3d_with_indices(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """3-d max pooling returning ``(output, indices)``; indices are flat positions in each D x H x W volume."""
    from .nn import max_pool2d_with_indices, pad
    from .shape import stack

    _check_pool3d(input, "max_pool3d")
    squeezed = input.dim() == 4
    x = input.unsqueeze(0) if squeezed else input
    k = _ntuple(kernel_size, 3, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ntuple(stride, 3, "stride")
    p, d = _ntuple(padding, 3, "padding"), _ntuple(dilation, 3, "dilation")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: {k[1]} kW: {k[2]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} dW: {s[2]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                           f"dilationW: {d[2]}")
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} kW: {k[2]} "
                           f"kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    depth, h, w = x.shape[2:]
    outs = [_pool_out(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3)]
    if min(outs) < 1:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{depth}x{h}x{w}). Calculated output size: "
                           f"({x.shape[1]}x{outs[0]}x{outs[1]}x{outs[2]}). Output size is too small")
    back = max(0, (outs[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1 - depth - p[0])
    xp = pad(x, (0, 0, 0, 0, p[0], back), value=float("-inf")) if p[0] or back else x
    n = x.shape[0]
    vals, idxs = [], []
    for t, xs in enumerate(_depth_taps(xp, k[0], s[0], d[0], outs[0])):
        v, i = max_pool2d_with_indices(_fold_depth(xs), k[1:], s[1:], p[1:], d[1:], ceil_mode)
        plane = (input.new_tensor(range(outs[0])) * s[0] + (t * d[0] - p[0])).long().reshape(1, 1, outs[0], 1, 1)
        vals.append(_unfold_depth(v, n, outs[0]))
        idxs.append(_unfold_depth(i, n, outs[0]) + plane * (h * w))
    out, tap = stack(vals, 0).max(0)
    idx = stack(idxs, 0).gather(0, tap.unsqueeze(0)).squeeze(0)
    return (out.squeeze(0), idx.squeeze(0)) if squeezed else (out, idx)


def max_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) input; with ``return_indices`` also the argmax
    positions."""
    out, idx = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _avg_counts(size: int, out: int, k: int, s: int, p: int, include_pad: bool) -> list:
    counts = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, size + p)
        if not include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(end - start)
    return counts


def avg_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W) input."""
    from .nn import avg_pool2d, pad

    _check_pool3d(input, "avg_pool3d")
    squeezed = input.dim() == 4
    x = input.unsqueeze(0) if squeezed else input
    k = _ntuple(kernel_size, 3, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ntuple(stride, 3, "stride")
    p = _ntuple(padding, 3, "padding")
    if min(s) <= 0:
        raise RuntimeError("stride should not be zero")
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise RuntimeError("pad should be smaller than or equal to half of kernel size")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    sizes = tuple(x.shape[2:])
    outs = [_pool_out(sizes[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3)]
    if min(outs) < 1:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{sizes[0]}x{sizes[1]}x{sizes[2]}). Calculated output "
                           f"size: ({x.shape[1]}x{outs[0]}x{outs[1]}x{outs[2]}). Output size is too small")
    back = max(0, (outs[0] - 1) * s[0] + k[0] - sizes[0] - p[0])
    xp = pad(x, (0, 0, 0, 0, p[0], back)) if p[0] or back else x
    n = x.shape[0]
    total = None
    for xs in _depth_taps(xp, k[0], s[0], 1, outs[0]):
        y = avg_pool2d(_fold_depth(xs), k[1:], s[1:], p[1:], ceil_mode, True, 1)
        total = y if total is None else total + y
    total = _unfold_depth(total, n, outs[0])
    if divisor_override is not None:
        return (total / divisor_override).squeeze(0) if squeezed else total / divisor_override
    cd, ch, cw = (_avg_counts(sizes[i], outs[i], k[i], s[i], p[i], count_include_pad) for i in range(3))
    div = [[[a * b * c for c in cw] for b in ch] for a in cd]
    out = total / input.new_tensor(div)
    return out.squeeze(0) if squeezed else out


def _adaptive_sizes(input: Any, output_size: Any, fname: str) -> tuple:  # noqa: A002
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    if len(sizes) != 3:
        raise RuntimeError(f"{fname}(): internal error: output_size.size() must be 3")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{fname}(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    for dd in range(input.dim() - 3, input.dim()):
        if input.shape[dd] == 0:
            raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {dd} being empty")
    return tuple(int(input.shape[input.dim() - 3 + i]) if v is None else int(v) for i, v in enumerate(sizes))


def adaptive_avg_pool3d(input: Any, output_size: Any) -> Any:  # noqa: A002
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size`` (None keeps that size)."""
    from .nn import _adaptive_bounds, adaptive_avg_pool2d
    from .shape import stack

    out_dhw = _adaptive_sizes(input, output_size, "adaptive_avg_pool3d")
    lead = tuple(input.shape[:-2])
    planes = adaptive_avg_pool2d(input.reshape(-1, *input.shape[-2:]), out_dhw[1:])
    planes = planes.reshape(*lead, *out_dhw[1:])
    depth = input.dim() - 3
    return stack([planes.narrow(depth, a, b - a).mean(depth) for a, b in _adaptive_bounds(input.shape[depth],
                                                                                           out_dhw[0])], depth)


def adaptive_max_pool3d_with_indices(input: Any, output_size: Any, return_indices: bool = True) -> Any:  # noqa: A002
    """Adaptive 3-d max pooling returning ``(output, indices)``, the indices flat positions in each volume."""
    from .nn import _adaptive_bounds
    from .pooling import _adaptive_max
    from .shape import stack

    out_dhw = _adaptive_sizes(input, output_size, "adaptive_max_pool3d")
    planes, plane_idx = _adaptive_max(input, out_dhw[1:])  # (..., D, oh, ow), flat in H x W
    depth = input.dim() - 3
    hw = input.shape[-1] * input.shape[-2]
    vals, idxs = [], []
    for a, b in _adaptive_bounds(input.shape[depth], out_dhw[0]):
        v, r = planes.narrow(depth, a, b - a).max(depth)
        i = plane_idx.narrow(depth, a, b - a).gather(depth, r.unsqueeze(depth)).squeeze(depth)
        vals.append(v)
        idxs.append(i + (r + a) * hw)
    return stack(vals, depth), stack(idxs, depth)


def adaptive_max_pool3d(input: Any, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size``; with ``return_indices`` also
    the argmax positions."""
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


__all__ = [
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "conv3d",
    "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices",
]
