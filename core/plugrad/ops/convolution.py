"""1-d convolution and transposed convolutions, built on the 2-d convolution ops.

``conv1d`` runs the convolution op on (N, C, L) input as a height-1 image (one ConvolutionBackward0 node, as
in PyTorch), checking its arguments first so its errors speak of the 1-d shapes. A transposed convolution is the adjoint of a
convolution with the same weight, i.e. the ``convolution_backward_input`` op; its VJPs (a convolution for
the input, ``convolution_backward_weight`` for the weight) come with that op.
"""

from __future__ import annotations

from typing import Any

from .nn import CONV_BACKWARD_INPUT, CONVOLUTION, _conv_padding, _unbatch, check_conv_operands


def _ntuple(v: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                               f"convolution dimensions, but got {name}={list(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _single(v: Any, name: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 1 values to match the "
                               f"convolution dimensions, but got {name}={list(v)}")
        return int(v[0])
    return int(v)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Any:
    """1-d cross-correlation over (N, C, L) or (C, L) input (ConvolutionBackward0): the 2-d kernels on a
    height-1 image."""
    from .shape import unsqueeze

    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(input.shape)}")
    squeezed = input.dim() == 2
    x = unsqueeze(input, 0) if squeezed else input
    check_conv_operands(x, weight, bias, groups)
    st, dil = (1, _single(stride, "stride")), (1, _single(dilation, "dilation"))
    if isinstance(padding, str):
        pad4 = _conv_padding(padding, (weight.shape[0], weight.shape[1], 1, weight.shape[2]), dil, st)
    else:
        p = _single(padding, "padding")
        if p < 0:
            raise RuntimeError("negative padding is not supported")
        pad4 = (0, 0, p, p)
    length = x.shape[2] + pad4[2] + pad4[3]
    kernel = dil[1] * (weight.shape[2] - 1) + 1
    if length < kernel:
        raise RuntimeError(f"Calculated padded input size per channel: ({length}). Kernel size: ({kernel}). Kernel "
                           "size can't be greater than actual input size")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.type()}) and weight type ({weight.type()}) should be the same")
    return _unbatch(CONVOLUTION.dispatch((x, weight, bias), (st, pad4, dil, groups)), squeezed)


def _conv_transpose(input: Any, weight: Any, bias: Any, stride: Any, padding: Any, output_padding: Any,  # noqa: A002
                    groups: int, dilation: Any, n: int, fname: str) -> Any:
    """The transposed convolution in ``n`` (1 or 2) spatial dims, computed as a 2-d one."""
    from .nn import pad as _pad

    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {fname}, but got input of "
                           f"size: {list(input.shape)}")
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    k = weight.dim() - 2
    st, pad, op, dil = (_ntuple(stride, k, "stride"), _ntuple(padding, k, "padding"),
                        _ntuple(output_padding, k, "output_padding"), _ntuple(dilation, k, "dilation"))
    if k != n:
        raise RuntimeError(f"Expected {n + 2}-dimensional weight for {fname}, but got {weight.dim()}-dimensional "
                           f"weight of size {list(weight.shape)}")
    x = input if input.dim() == n + 2 else input.unsqueeze(0)
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    c = x.shape[1]
    if c != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[0]} channels, but got {c} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if any(o >= s and o >= d for o, s, d in zip(op, st, dil)):
        names = ("height", "width") if n == 2 else ("width",)
        parts = [f"output_padding_{nm}: {o}" for nm, o in zip(names, op)]
        parts += [f"stride_{nm}: {s}" for nm, s in zip(names, st)]
        parts += [f"dilation_{nm}: {d}" for nm, d in zip(names, dil)]
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {' '.join(parts)}")
    if min(st) <= 0 or min(dil) <= 0 or min(pad) < 0:
        raise RuntimeError(f"{fname}: stride and dilation must be positive and padding non-negative, got "
                           f"stride={list(st)}, padding={list(pad)}, dilation={list(dil)}")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.type()}) and weight type ({weight.type()}) should be the same")
    spatial = tuple(x.shape[2:])
    ksize = tuple(weight.shape[2:])
    out_sizes = tuple((i - 1) * s - 2 * p + d * (kk - 1) + o + 1
                      for i, s, p, d, kk, o in zip(spatial, st, pad, dil, ksize, op))
    if min(out_sizes) <= 0:
        raise RuntimeError(f"Given input size per channel: {list(spatial)}. Calculated output size per channel: "
                           f"{list(out_sizes)}. Output size is too small")
    if n == 1:
        x, w = x.unsqueeze(-2), weight.unsqueeze(2)
        st, pad, op, dil, out_sizes = (1, *st), (0, *pad), (0, *op), (1, *dil), (1, *out_sizes)
    else:
        w = weight
    if all(o < s for o, s in zip(op, st)):
        out = CONV_BACKWARD_INPUT.dispatch((x, w), (out_sizes, st, _conv_padding(pad, (), dil, st), dil, groups))
    else:
        # Note: an output padding of a stride or more (allowed below the dilation) reaches past what the
        # adjoint of the forward geometry covers; compute it uncropped on the far side, then cut or extend.
        full = tuple((i - 1) * s - p + d * (kk - 1) + 1
                     for i, s, p, d, kk in zip(x.shape[2:], st, pad, dil, w.shape[2:]))
        out = CONV_BACKWARD_INPUT.dispatch((x, w), (full, st, (pad[0], 0, pad[1], 0), dil, groups))
        for dim, (have, want) in enumerate(zip(full, out_sizes)):
            out = out.narrow(2 + dim, 0, want) if want <= have else out
        out = _pad(out, (0, max(0, out_sizes[1] - full[1]), 0, max(0, out_sizes[0] - full[0])))
    if bias is not None:
        out = out + bias.reshape((1, out_channels, 1, 1))
    if n == 1:
        out = out.squeeze(-2)
    return out if input.dim() == n + 2 else out.squeeze(0)


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """1-d transposed convolution ("deconvolution") with weight (in, out / groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """2-d transposed convolution ("deconvolution") with weight (in, out / groups, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


__all__ = ["conv1d", "conv_transpose1d", "conv_transpose2d"]
