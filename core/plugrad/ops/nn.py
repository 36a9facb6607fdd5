"""Neural-network ops: convolution (im2col), unfold/fold, max pooling, layer norm, embedding, and the losses.

Each op: its declaration with PyTorch's node name (``ConvolutionBackward0``, ``NllLossBackward0``...),
its VJP rule in plugrad ops, its generic kernel written against the array namespace ``xp``, samples
and a NumPy reference. The backward of an op that is linear in the incoming gradient (convolution,
pooling, nll_loss, embedding) is itself an op whose VJP calls the forward again, so the rules form a
closed set and ``create_graph=True`` works to any order. The user-facing functions here take
``torch.nn.functional``'s arguments; ``plugrad.nn.functional`` exports them.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ..kernels.array_api import generic
from ..testing.samples import Sample, T
from .registry import defop

# --- shared helpers ------------------------------------------------------------------------------

_REDUCTIONS = ("none", "mean", "sum")


def _pair(v: Any, name: str) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return int(v[0]), int(v[0])
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def legacy_reduction(size_average: Any, reduce: Any) -> str:
    """PyTorch's old ``size_average``/``reduce`` flags as a ``reduction`` string (with its deprecation warning)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=3)
    return ret


def _out_size(size: int, k: int, s: int, p0: int, p1: int, d: int) -> int:
    return (size + p0 + p1 - d * (k - 1) - 1) // s + 1


def _windows(xp: Any, x: Any, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple, out_hw: tuple,
             fill: Any) -> list:
    """The ``kh * kw`` arrays (N, C, oh, ow) holding, for each kernel offset, the input under it (im2col's core)."""
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (pt, pb, pl, pr), (sh, sw), (oh, ow) = ksize, dilation, pad4, stride, out_hw
    if pt or pb or pl or pr:
        padded = xp.full((n, c, h + pt + pb, w + pl + pr), fill, dtype=x.dtype)
        padded[:, :, pt:pt + h, pl:pl + w] = x
        x = padded
    if oh <= 0 or ow <= 0:
        return [xp.zeros((n, c, max(oh, 0), max(ow, 0)), dtype=x.dtype) for _ in range(kh * kw)]
    return [x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]


def _im2col(xp: Any, x: Any, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple, out_hw: tuple) -> Any:
    n, c = x.shape[0], x.shape[1]
    wins = _windows(xp, x, ksize, dilation, pad4, stride, out_hw, 0)
    cols = xp.stack(wins, axis=2)  # (N, C, K, oh, ow): channel-major, then kernel row, then column (PyTorch's order)
    return xp.reshape(cols, (n, c * ksize[0] * ksize[1], out_hw[0] * out_hw[1]))


def _col2im(xp: Any, cols: Any, channels: int, in_hw: tuple, ksize: tuple, dilation: tuple, pad4: tuple,
            stride: tuple, out_hw: tuple) -> Any:
    """The adjoint of :func:`_im2col`: each column entry is added back at the input position it came from."""
    n = cols.shape[0]
    (h, w), (kh, kw), (dh, dw), (pt, pb, pl, pr), (sh, sw), (oh, ow) = in_hw, ksize, dilation, pad4, stride, out_hw
    buf = xp.zeros((n, channels, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    if oh > 0 and ow > 0:
        c = xp.reshape(cols, (n, channels, kh * kw, oh, ow))
        for i in range(kh):
            for j in range(kw):
                idx = (slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                       slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
                buf[idx] = buf[idx] + c[:, :, i * kw + j]
    return buf[:, :, pt:pt + h, pl:pl + w]


# --- numpy references (np is handed in; the core never imports numpy) --------------------------------


def _np_windows(np: Any, x: Any, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple, fill: Any = 0) -> Any:
    n, c, h, w = x.shape
    pt, pb, pl, pr = pad4
    xp_ = np.full((n, c, h + pt + pb, w + pl + pr), fill, dtype=x.dtype)
    xp_[:, :, pt:pt + h, pl:pl + w] = x
    oh = _out_size(h, ksize[0], stride[0], pt, pb, dilation[0])
    ow = _out_size(w, ksize[1], stride[1], pl, pr, dilation[1])
    out = np.zeros((n, c, ksize[0], ksize[1], oh, ow), dtype=x.dtype)
    for a in range(oh):
        for b in range(ow):
            for i in range(ksize[0]):
                for j in range(ksize[1]):
                    out[:, :, i, j, a, b] = xp_[:, :, a * stride[0] + i * dilation[0], b * stride[1] + j * dilation[1]]
    return out


def _np_conv(np: Any, x: Any, w: Any, b: Any, stride: tuple, pad4: tuple, dilation: tuple, groups: int) -> Any:
    if x.ndim == 3:
        return _np_conv(np, x[:, :, None], w[:, :, None], b, stride, pad4, dilation, groups)[:, :, 0]
    win = _np_windows(np, x, w.shape[2:], dilation, pad4, stride)  # (N, C, kh, kw, oh, ow)
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    out = np.zeros((n, o) + win.shape[4:], dtype=x.dtype)
    for g in range(groups):
        out[:, g * og:(g + 1) * og] = np.einsum("ncijab,ocij->noab", win[:, g * cg:(g + 1) * cg],
                                                w[g * og:(g + 1) * og])
    if b is not None:
        out += b.reshape(1, o, 1, 1)
    return out


def _np_unfold(np: Any, x: Any, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple) -> Any:
    win = _np_windows(np, x, ksize, dilation, pad4, stride)
    n, c, kh, kw, oh, ow = win.shape
    return win.reshape(n, c * kh * kw, oh * ow)


def _np_fold(np: Any, cols: Any, channels: int, in_hw: tuple, ksize: tuple, dilation: tuple, pad4: tuple,
             stride: tuple, out_hw: tuple) -> Any:
    n = cols.shape[0]
    pt, pb, pl, pr = pad4
    buf = np.zeros((n, channels, in_hw[0] + pt + pb, in_hw[1] + pl + pr), dtype=cols.dtype)
    c = cols.reshape(n, channels, ksize[0], ksize[1], out_hw[0], out_hw[1])
    for a in range(out_hw[0]):
        for b in range(out_hw[1]):
            for i in range(ksize[0]):
                for j in range(ksize[1]):
                    buf[:, :, a * stride[0] + i * dilation[0], b * stride[1] + j * dilation[1]] += c[:, :, i, j, a, b]
    return buf[:, :, pt:pt + in_hw[0], pl:pl + in_hw[1]]


# --- unfold / fold (im2col / col2im) -----------------------------------------------------------------


def _unfold_vjp(ctx: Any, g: Any) -> tuple:
    ksize, dilation, pad4, stride, out_hw = ctx.attrs
    shape = ctx.input_shape(0)
    return (FOLD.dispatch((g,), (shape[1], tuple(shape[2:]), ksize, dilation, pad4, stride, out_hw)),)


def _fold_vjp(ctx: Any, g: Any) -> tuple:
    _channels, _in_hw, ksize, dilation, pad4, stride, out_hw = ctx.attrs
    return (UNFOLD.dispatch((g,), (ksize, dilation, pad4, stride, out_hw)),)


def _unfold_samples() -> list:
    return [
        Sample((T((2, 3, 5, 4)),), ((2, 3), (1, 1), (0, 0, 0, 0), (1, 1), (4, 2)), name="plain"),
        Sample((T((1, 2, 5, 5)),), ((3, 3), (2, 1), (1, 1, 2, 2), (2, 1), (2, 7)), name="dilated_padded_strided"),
    ]


UNFOLD = defop("unfold", 1, vjp=_unfold_vjp, node="Im2ColBackward0", saves=((),), samples=_unfold_samples,
               reference=lambda np, x, k, d, p, s, o: _np_unfold(np, x, k, d, p, s))
FOLD = defop("fold", 1, vjp=_fold_vjp, node="Col2ImBackward0", saves=((),),
             samples=lambda: [Sample((T((2, 18, 8)),), (3, (5, 4), (2, 3), (1, 1), (0, 0, 0, 0), (1, 1), (4, 2)),
                                     name="plain"),
                              Sample((T((1, 18, 14)),), (2, (5, 5), (3, 3), (2, 1), (1, 1, 2, 2), (2, 1), (2, 7)),
                                     name="dilated_padded_strided")],
             reference=lambda np, cols, c, hw, k, d, p, s, o: _np_fold(np, cols, c, hw, k, d, p, s, o))


@generic("unfold")
def _unfold_kernel(xp: Any) -> Any:
    def unfold(x: Any, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple, out_hw: tuple) -> Any:
        return _im2col(xp, x, ksize, dilation, pad4, stride, out_hw)

    return unfold


@generic("fold")
def _fold_kernel(xp: Any) -> Any:
    def fold(cols: Any, channels: int, in_hw: tuple, ksize: tuple, dilation: tuple, pad4: tuple, stride: tuple,
             out_hw: tuple) -> Any:
        return _col2im(xp, cols, channels, in_hw, ksize, dilation, pad4, stride, out_hw)

    return fold


def _batched_4d(input: Any, fname: str) -> tuple[Any, bool]:  # noqa: A002
    from .shape import unsqueeze

    if input.dim() == 4:
        return input, False
    if input.dim() == 3:
        return unsqueeze(input, 0), True
    raise RuntimeError(
        f"{fname}: Expected 3D (unbatched) or 4D (batched) input, but got input of size: {list(input.shape)}"
    )


def _unbatch(out: Any, squeezed: bool) -> Any:
    from .shape import squeeze

    return squeeze(out, 0) if squeezed else out


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:  # noqa: A002
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * kh * kw, L) (im2col; Im2ColBackward0)."""
    x, squeezed = _batched_4d(input, "unfold")
    ksize, dil, pad, st = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                           _pair(stride, "stride"))
    pad4 = (pad[0], pad[0], pad[1], pad[1])
    h, w = x.shape[2], x.shape[3]
    out_hw = (_out_size(h, ksize[0], st[0], pad[0], pad[0], dil[0]),
              _out_size(w, ksize[1], st[1], pad[1], pad[1], dil[1]))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size={ksize}, dilation={dil}, padding={pad}, "
            f"calculated shape of the array of sliding blocks as {out_hw}, but its components must be at least one."
        )
    return _unbatch(UNFOLD.dispatch((x,), (ksize, dil, pad4, st, out_hw)), squeezed)


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Any:
    """Combine sliding local blocks into a tensor, summing overlaps: (N, C * kh * kw, L) -> (N, C, H, W) (col2im)."""
    from .shape import squeeze, unsqueeze

    squeezed = input.dim() == 2
    x = unsqueeze(input, 0) if squeezed else input
    if x.dim() != 3:
        raise RuntimeError(
            f"Expected 2D (unbatched) or 3D (batched) input to fold, but got input of size: {list(input.shape)}"
        )
    in_hw = _pair(output_size, "output_size")
    ksize, dil, pad, st = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                           _pair(stride, "stride"))
    k = ksize[0] * ksize[1]
    if x.shape[1] % k:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={x.shape[1]} and kernel_size={ksize}"
        )
    out_hw = (_out_size(in_hw[0], ksize[0], st[0], pad[0], pad[0], dil[0]),
              _out_size(in_hw[1], ksize[1], st[1], pad[1], pad[1], dil[1]))
    if out_hw[0] * out_hw[1] != x.shape[2]:
        raise RuntimeError(
            f"Given output_size={in_hw}, kernel_size={ksize}, dilation={dil}, padding={pad}, stride={st}, expected "
            f"size of input's dimension 2 to match the calculated number of sliding blocks {out_hw[0]} * {out_hw[1]} = "
            f"{out_hw[0] * out_hw[1]}, but got input.size(2)={x.shape[2]}."
        )
    out = FOLD.dispatch((x,), (x.shape[1] // k, in_hw, ksize, dil, (pad[0], pad[0], pad[1], pad[1]), st, out_hw))
    return squeeze(out, 0) if squeezed else out


# --- convolution -------------------------------------------------------------------------------------
# convolution(x, w, b) = W @ im2col(x) + b. Its input gradient is a transposed convolution
# (conv_backward_input) and its weight gradient a correlation of x with the gradient
# (conv_backward_weight); both are bilinear, and their VJPs are again these three ops.


def _conv_geometry(x_shape: tuple, w_shape: tuple, stride: tuple, pad4: tuple, dilation: tuple) -> tuple:
    oh = _out_size(x_shape[2], w_shape[2], stride[0], pad4[0], pad4[1], dilation[0])
    ow = _out_size(x_shape[3], w_shape[3], stride[1], pad4[2], pad4[3], dilation[1])
    return oh, ow


def _conv_vjp(ctx: Any, g: Any) -> tuple:
    from .reduction import sum as _sum

    x, w, _b = ctx.inputs
    stride, pad4, dilation, groups = ctx.attrs
    need = ctx.needs_input_grad
    x_shape, w_shape = ctx.input_shape(0), ctx.input_shape(1)
    geometry = (stride, pad4, dilation, groups)
    gx = CONV_BACKWARD_INPUT.dispatch((g, w), (tuple(x_shape[2:]), *geometry)) if need[0] else None
    gw = CONV_BACKWARD_WEIGHT.dispatch((x, g), (tuple(w_shape[2:]), *geometry)) if need[1] else None
    gb = _sum(g, (0,) + tuple(range(2, g.dim()))) if need[2] else None
    return gx, gw, gb


def _conv_backward_input_vjp(ctx: Any, g: Any) -> tuple:
    grad_out, w = ctx.inputs  # this op computed gx = A_w^T grad_out; g is the gradient of gx
    in_hw, stride, pad4, dilation, groups = ctx.attrs
    need = ctx.needs_input_grad
    d_grad_out = CONVOLUTION.dispatch((g, w, None), (stride, pad4, dilation, groups)) if need[0] else None
    d_w = (CONV_BACKWARD_WEIGHT.dispatch((g, grad_out), (tuple(ctx.input_shape(1)[2:]), stride, pad4, dilation, groups))
           if need[1] else None)
    return d_grad_out, d_w


def _conv_backward_weight_vjp(ctx: Any, g: Any) -> tuple:
    x, grad_out = ctx.inputs  # this op computed gw from x and grad_out; g is the gradient of gw
    _k_hw, stride, pad4, dilation, groups = ctx.attrs
    need = ctx.needs_input_grad
    d_x = (CONV_BACKWARD_INPUT.dispatch((grad_out, g), (tuple(ctx.input_shape(0)[2:]), stride, pad4, dilation, groups))
           if need[0] else None)
    d_grad_out = CONVOLUTION.dispatch((x, g, None), (stride, pad4, dilation, groups)) if need[1] else None
    return d_x, d_grad_out


def _conv_samples() -> list:
    return [
        Sample((T((2, 3, 5, 5)), T((4, 3, 3, 3)), T((4,))), ((1, 1), (0, 0, 0, 0), (1, 1), 1), name="plain"),
        Sample((T((1, 2, 6, 5)), T((3, 2, 2, 3)), None), ((2, 1), (1, 1, 0, 2), (1, 2), 1),
               name="strided_padded_dilated_nobias"),
        Sample((T((2, 4, 4, 4)), T((6, 2, 3, 3)), T((6,))), ((1, 1), (1, 1, 1, 1), (1, 1), 2), name="groups"),
        Sample((T((2, 4, 7)), T((6, 2, 3)), T((6,))), ((1, 2), (0, 0, 1, 2), (1, 1), 2), name="1d"),
    ]


def _conv_bi_samples() -> list:
    return [
        Sample((T((2, 4, 3, 3)), T((4, 3, 3, 3))), ((5, 5), (1, 1), (0, 0, 0, 0), (1, 1), 1), name="plain"),
        Sample((T((1, 3, 4, 3)), T((3, 2, 2, 3))), ((6, 5), (2, 1), (1, 1, 0, 2), (1, 2), 1), name="strided"),
        Sample((T((2, 6, 4, 4)), T((6, 2, 3, 3))), ((4, 4), (1, 1), (1, 1, 1, 1), (1, 1), 2), name="groups"),
        Sample((T((2, 6, 4)), T((6, 2, 3))), ((7,), (1, 2), (0, 0, 1, 2), (1, 1), 2), name="1d"),
    ]


def _conv_bw_samples() -> list:
    return [
        Sample((T((2, 3, 5, 5)), T((2, 4, 3, 3))), ((3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1), name="plain"),
        Sample((T((1, 2, 6, 5)), T((1, 3, 4, 3))), ((2, 3), (2, 1), (1, 1, 0, 2), (1, 2), 1), name="strided"),
        Sample((T((2, 4, 4, 4)), T((2, 6, 4, 4))), ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2), name="groups"),
        Sample((T((2, 4, 7)), T((2, 6, 4))), ((3,), (1, 2), (0, 0, 1, 2), (1, 1), 2), name="1d"),
    ]


def _np_conv_backward_input(np: Any, g: Any, w: Any, in_hw: tuple, stride: tuple, pad4: tuple, dilation: tuple,
                            groups: int) -> Any:
    if g.ndim == 3:
        return _np_conv_backward_input(np, g[:, :, None], w[:, :, None], (1, *in_hw), stride, pad4, dilation,
                                       groups)[:, :, 0]
    n, o = g.shape[:2]
    cg = w.shape[1]
    og = o // groups
    kh, kw = w.shape[2:]
    cols = np.zeros((n, cg * groups, kh, kw) + g.shape[2:], dtype=g.dtype)
    for k in range(groups):
        cols[:, k * cg:(k + 1) * cg] = np.einsum("noab,ocij->ncijab", g[:, k * og:(k + 1) * og], w[k * og:(k + 1) * og])
    cols = cols.reshape(n, cg * groups * kh * kw, -1)
    return _np_fold(np, cols, cg * groups, in_hw, (kh, kw), dilation, pad4, stride, g.shape[2:])


def _np_conv_backward_weight(np: Any, x: Any, g: Any, k_hw: tuple, stride: tuple, pad4: tuple, dilation: tuple,
                             groups: int) -> Any:
    if x.ndim == 3:
        return _np_conv_backward_weight(np, x[:, :, None], g[:, :, None], (1, *k_hw), stride, pad4, dilation,
                                        groups)[:, :, 0]
    win = _np_windows(np, x, k_hw, dilation, pad4, stride)  # (N, C, kh, kw, oh, ow)
    c, o = x.shape[1], g.shape[1]
    cg, og = c // groups, o // groups
    out = np.zeros((o, cg) + tuple(k_hw), dtype=x.dtype)
    for k in range(groups):
        out[k * og:(k + 1) * og] = np.einsum("ncijab,noab->ocij", win[:, k * cg:(k + 1) * cg],
                                             g[:, k * og:(k + 1) * og])
    return out


CONVOLUTION = defop("convolution", 3, vjp=_conv_vjp, node="ConvolutionBackward0", saves=((1,), (0,), ()),
                    samples=_conv_samples, reference=_np_conv)
CONV_BACKWARD_INPUT = defop("convolution_backward_input", 2, vjp=_conv_backward_input_vjp,
                            node="ConvolutionBackwardBackward0", saves=((1,), (0,)), samples=_conv_bi_samples,
                            reference=_np_conv_backward_input)
CONV_BACKWARD_WEIGHT = defop("convolution_backward_weight", 2, vjp=_conv_backward_weight_vjp,
                             node="ConvolutionBackwardBackward0", saves=((1,), (0,)), samples=_conv_bw_samples,
                             reference=_np_conv_backward_weight)


@generic("convolution")
def _convolution_kernel(xp: Any) -> Any:
    def convolution(x: Any, w: Any, b: Any, stride: tuple, pad4: tuple, dilation: tuple, groups: int) -> Any:
        if x.ndim == 3:  # conv1d: (N, C, L) as (N, C, 1, L), the geometry already given for two dims
            out = convolution(xp.expand_dims(x, axis=2), xp.expand_dims(w, axis=2), b, stride, pad4, dilation,
                              groups)
            return out[:, :, 0]
        n = x.shape[0]
        o, cg, kh, kw = w.shape
        oh, ow = _conv_geometry(x.shape, w.shape, stride, pad4, dilation)
        cols = _im2col(xp, x, (kh, kw), dilation, pad4, stride, (oh, ow))  # (N, C*K, L)
        if groups == 1:
            out = xp.matmul(xp.reshape(w, (o, cg * kh * kw)), cols)  # (N, O, L)
        else:
            wg = xp.reshape(w, (groups, o // groups, cg * kh * kw))
            out = xp.matmul(wg, xp.reshape(cols, (n, groups, cg * kh * kw, oh * ow)))
        out = xp.reshape(out, (n, o, oh, ow))
        if b is not None:
            out = out + xp.reshape(b, (1, o, 1, 1))
        return out

    return convolution


@generic("convolution_backward_input")
def _conv_backward_input_kernel(xp: Any) -> Any:
    def convolution_backward_input(g: Any, w: Any, in_hw: tuple, stride: tuple, pad4: tuple, dilation: tuple,
                                   groups: int) -> Any:
        if g.ndim == 3:
            out = convolution_backward_input(xp.expand_dims(g, axis=2), xp.expand_dims(w, axis=2), (1, *in_hw),
                                             stride, pad4, dilation, groups)
            return out[:, :, 0]
        n, o, oh, ow = g.shape
        _, cg, kh, kw = w.shape
        wg = xp.moveaxis(xp.reshape(w, (groups, o // groups, cg * kh * kw)), -1, -2)  # (G, CgK, Og)
        cols = xp.matmul(wg, xp.reshape(g, (n, groups, o // groups, oh * ow)))  # (N, G, CgK, L)
        cols = xp.reshape(cols, (n, groups * cg * kh * kw, oh * ow))
        return _col2im(xp, cols, groups * cg, in_hw, (kh, kw), dilation, pad4, stride, (oh, ow))

    return convolution_backward_input


@generic("convolution_backward_weight")
def _conv_backward_weight_kernel(xp: Any) -> Any:
    def convolution_backward_weight(x: Any, g: Any, k_hw: tuple, stride: tuple, pad4: tuple, dilation: tuple,
                                    groups: int) -> Any:
        if x.ndim == 3:
            out = convolution_backward_weight(xp.expand_dims(x, axis=2), xp.expand_dims(g, axis=2), (1, *k_hw),
                                              stride, pad4, dilation, groups)
            return out[:, :, 0]
        n, c = x.shape[:2]
        o, oh, ow = g.shape[1], g.shape[2], g.shape[3]
        kh, kw = k_hw
        cols = _im2col(xp, x, (kh, kw), dilation, pad4, stride, (oh, ow))  # (N, C*K, L)
        cg, og = c // groups, o // groups
        g4 = xp.reshape(g, (n, groups, og, oh * ow))
        cols4 = xp.moveaxis(xp.reshape(cols, (n, groups, cg * kh * kw, oh * ow)), -1, -2)
        # Note: a batched matmul and a sum over the batch; tensordot's transposed copies were far slower here.
        gw = xp.sum(xp.matmul(g4, cols4), axis=0)  # (G, Og, Cg*K)
        return xp.reshape(gw, (o, cg, kh, kw))

    return convolution_backward_weight


def _conv_padding(padding: Any, w_shape: tuple, dilation: tuple, stride: tuple) -> tuple:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(w_shape[2:], dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]  # the odd one out goes on the right, as in PyTorch
            return tuple(pads)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise RuntimeError("negative padding is not supported")
    return (ph, ph, pw, pw)


def check_conv_operands(x: Any, weight: Any, bias: Any, groups: int) -> None:
    """PyTorch's checks of a convolution's batched input, weight, bias and groups, in its order and wording."""
    if weight.dim() != x.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{list(weight.shape)}, but got {x.dim()}-dimensional input of size {list(x.shape)} instead")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Any:
    """2-d cross-correlation (PyTorch's conv2d) computed as im2col and a matrix product (ConvolutionBackward0)."""
    x, squeezed = _batched_4d(input, "conv2d")
    st, dil = _pair(stride, "stride"), _pair(dilation, "dilation")
    check_conv_operands(x, weight, bias, groups)
    pad4 = _conv_padding(padding, tuple(weight.shape), dil, st)
    oh, ow = _conv_geometry(tuple(x.shape), tuple(weight.shape), st, pad4, dil)
    if oh <= 0 or ow <= 0:
        eh = (x.shape[2] + pad4[0] + pad4[1], x.shape[3] + pad4[2] + pad4[3])
        raise RuntimeError(
            f"Calculated padded input size per channel: ({eh[0]} x {eh[1]}). Kernel size: "
            f"({dil[0] * (weight.shape[2] - 1) + 1} x {dil[1] * (weight.shape[3] - 1) + 1}). "
            "Kernel size can't be greater than actual input size"
        )
    if weight.dtype is not x.dtype:
        raise RuntimeError(
            f"Input type ({x.type()}) and weight type ({weight.type()}) should be the same"
        )
    return _unbatch(CONVOLUTION.dispatch((x, weight, bias), (st, pad4, dil, groups)), squeezed)


# --- max pooling ------------------------------------------------------------------------------------
# The op returns (output, flat indices into H * W) as PyTorch's max_pool2d_with_indices does; its
# backward puts the gradient back at those indices (adding where windows overlap), and the VJP of
# that is a gather at the same indices.


def _pool_geometry(h: int, w: int, ksize: tuple, stride: tuple, pad: tuple, dilation: tuple,
                   ceil_mode: bool) -> tuple[tuple, tuple]:
    """Output size and the 4-sided padding (ceil_mode pads extra on the bottom/right)."""
    out = []
    extra = []
    for size, k, s, p, d in zip((h, w), ksize, stride, pad, dilation):
        num = size + 2 * p - d * (k - 1) - 1
        o = (num + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        out.append(o)
        need = (o - 1) * s + d * (k - 1) + 1  # the padded length the windows reach
        extra.append(max(0, need - (size + 2 * p)))
    return tuple(out), (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1])


def _max_pool_vjp(ctx: Any, grads: Any) -> tuple:
    g = grads[0]
    indices = ctx.outputs[1]
    in_shape = ctx.input_shape(0)
    ksize, stride, pad4, dilation, out_hw = ctx.attrs
    return (MAX_POOL_BACKWARD.dispatch((g, indices), (tuple(in_shape), ksize, stride, pad4, dilation)),)


def _max_pool_backward_vjp(ctx: Any, g: Any) -> tuple:
    _, indices = ctx.inputs
    return MAX_POOL_GATHER.dispatch((g, indices), ctx.attrs), None


def _max_pool_gather_vjp(ctx: Any, g: Any) -> tuple:
    _, indices = ctx.inputs
    return MAX_POOL_BACKWARD.dispatch((g, indices), ctx.attrs), None


def _np_max_pool(np: Any, x: Any, ksize: tuple, stride: tuple, pad4: tuple, dilation: tuple, out_hw: tuple) -> tuple:
    n, c, h, w = x.shape
    win = _np_windows(np, x, ksize, dilation, pad4, stride, fill=-np.inf)  # (N, C, kh, kw, oh, ow)
    win = win[..., :out_hw[0], :out_hw[1]]
    flat = win.reshape(n, c, ksize[0] * ksize[1], out_hw[0], out_hw[1])
    sel = flat.argmax(axis=2)
    out = np.take_along_axis(flat, sel[:, :, None], axis=2)[:, :, 0]
    i, j = sel // ksize[1], sel % ksize[1]
    rows = (np.arange(out_hw[0]) * stride[0] - pad4[0])[:, None] + i * dilation[0]
    cols = (np.arange(out_hw[1]) * stride[1] - pad4[2])[None, :] + j * dilation[1]
    return out, (rows * w + cols).astype(np.int64)


def _np_max_pool_backward(np: Any, g: Any, idx: Any, in_shape: tuple, *_: Any) -> Any:
    n, c, h, w = in_shape
    out = np.zeros((n, c, h * w), dtype=g.dtype)
    for a in range(n):
        for b in range(c):
            np.add.at(out[a, b], idx[a, b].reshape(-1), g[a, b].reshape(-1))
    return out.reshape(in_shape)


def _pool_samples() -> list:
    return [
        Sample((T((2, 3, 4, 4)),), ((2, 2), (2, 2), (0, 0, 0, 0), (1, 1), (2, 2)), name="2x2"),
        Sample((T((1, 2, 5, 6)),), ((3, 3), (2, 1), (1, 1, 1, 1), (1, 1), (3, 6)), name="overlapping_padded"),
        Sample((T((1, 1, 5, 5)),), ((2, 2), (2, 2), (0, 1, 0, 1), (1, 1), (3, 3)), name="ceil_mode"),
        Sample((T((1, 2, 7, 6)),), ((2, 2), (1, 2), (0, 0, 0, 0), (2, 1), (5, 3)), name="dilated"),
    ]


MAX_POOL = defop("max_pool2d_with_indices", 1, vjp=_max_pool_vjp, node="MaxPool2DWithIndicesBackward0",
                 saves=((-1,),), nout=2, differentiable_outputs=(True, False), samples=_pool_samples,
                 reference=_np_max_pool)


@generic("max_pool2d_with_indices")
def _max_pool_kernel(xp: Any) -> Any:
    def max_pool2d_with_indices(x: Any, ksize: tuple, stride: tuple, pad4: tuple, dilation: tuple,
                                out_hw: tuple) -> tuple:
        n, c, h, w = x.shape
        kind = getattr(x.dtype, "kind", "f")
        fill = float("-inf") if kind == "f" else xp.iinfo(x.dtype).min
        wins = _windows(xp, x, ksize, dilation, pad4, stride, out_hw, fill)
        stacked = xp.stack(wins, axis=0)  # (K, N, C, oh, ow)
        sel = xp.argmax(stacked, axis=0)
        out = xp.take_along_axis(stacked, sel[None], axis=0)[0]
        kw = ksize[1]
        rows = xp.reshape(xp.arange(out_hw[0]) * stride[0] - pad4[0], (out_hw[0], 1)) + (sel // kw) * dilation[0]
        cols = xp.reshape(xp.arange(out_hw[1]) * stride[1] - pad4[2], (1, out_hw[1])) + (sel % kw) * dilation[1]
        return out, (rows * w + cols).astype(xp.int64)

    return max_pool2d_with_indices


def _pool_backward_samples() -> list:
    idx = [[[[0, 3], [8, 14]], [[5, 2], [13, 15]]]]  # (1, 2, 2, 2) flat indices into a 4x4 input
    return [Sample((T((1, 2, 2, 2)), T((1, 2, 2, 2), dtype="int64", grad=False, values=idx)),
                   ((1, 2, 4, 4), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1)), name="2x2"),
            Sample((T((1, 1, 2, 2)), T((1, 1, 2, 2), dtype="int64", grad=False, values=[[[[5, 5], [5, 10]]]])),
                   ((1, 1, 4, 4), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1)), name="overlapping_windows_share_a_max")]


MAX_POOL_BACKWARD = defop("max_pool2d_with_indices_backward", 2, vjp=_max_pool_backward_vjp,
                          node="MaxPool2DWithIndicesBackwardBackward0", saves=((1,), ()),
                          samples=_pool_backward_samples, reference=_np_max_pool_backward)


@generic("max_pool2d_with_indices_backward")
def _max_pool_backward_kernel(xp: Any) -> Any:
    def max_pool2d_with_indices_backward(g: Any, idx: Any, in_shape: tuple, ksize: tuple, stride: tuple,
                                         pad4: tuple, dilation: tuple) -> Any:
        n, c, h, w = in_shape
        oh, ow = g.shape[2], g.shape[3]
        kh, kw = ksize
        # Where each index sits in its window: then the scatter is col2im of a one-hot column array.
        r = idx // w
        col = idx % w
        i = (r - xp.reshape(xp.arange(oh) * stride[0] - pad4[0], (oh, 1))) // dilation[0]
        j = (col - xp.reshape(xp.arange(ow) * stride[1] - pad4[2], (1, ow))) // dilation[1]
        k = i * kw + j
        zero = xp.zeros((), dtype=g.dtype)
        cols = xp.stack([xp.where(k == kk, g, zero) for kk in range(kh * kw)], axis=2)  # (N, C, K, oh, ow)
        cols = xp.reshape(cols, (n, c * kh * kw, oh * ow))
        return _col2im(xp, cols, c, (h, w), ksize, dilation, pad4, stride, (oh, ow))

    return max_pool2d_with_indices_backward


MAX_POOL_GATHER = defop("max_pool2d_index_select", 2, vjp=_max_pool_gather_vjp,
                        node="MaxPool2DWithIndicesBackwardBackward0", saves=((1,), ()),
                        samples=lambda: [Sample((T((1, 2, 4, 4)),
                                                 T((1, 2, 2, 2), dtype="int64", grad=False,
                                                   values=[[[[0, 3], [8, 14]], [[5, 2], [13, 15]]]])),
                                                ((1, 2, 4, 4), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1)), name="2x2")],
                        reference=lambda np, x, idx, *_: np.take_along_axis(
                            x.reshape(x.shape[0], x.shape[1], -1), idx.reshape(idx.shape[0], idx.shape[1], -1),
                            axis=2).reshape(idx.shape))


@generic("max_pool2d_index_select")
def _max_pool_gather_kernel(xp: Any) -> Any:
    def max_pool2d_index_select(x: Any, idx: Any, in_shape: tuple, ksize: tuple, stride: tuple, pad4: tuple,
                                dilation: tuple) -> Any:
        n, c = x.shape[0], x.shape[1]
        flat = xp.reshape(x, (n, c, -1))
        return xp.reshape(xp.take_along_axis(flat, xp.reshape(idx, (n, c, -1)), axis=2), idx.shape)

    return max_pool2d_index_select


def max_pool2d_with_indices(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """2-d max pooling returning ``(output, indices)``; indices are flat positions in each H x W plane."""
    x, squeezed = _batched_4d(input, "max_pool2d")
    ksize = _pair(kernel_size, "kernel_size")
    st = ksize if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pair(stride, "stride")
    pad, dil = _pair(padding, "padding"), _pair(dilation, "dilation")
    for p, k, d in zip(pad, ksize, dil):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    if min(st) <= 0 or min(ksize) <= 0 or min(dil) <= 0:
        raise RuntimeError(f"max_pool2d: kernel_size, stride and dilation must be positive, got kernel_size={ksize}, "
                           f"stride={st}, dilation={dil}")
    out_hw, pad4 = _pool_geometry(x.shape[2], x.shape[3], ksize, st, pad, dil, ceil_mode)
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(
            f"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). Calculated output size: "
            f"({x.shape[1]}x{out_hw[0]}x{out_hw[1]}). Output size is too small"
        )
    out, idx = MAX_POOL.dispatch((x,), (ksize, st, pad4, dil, out_hw))
    return _unbatch(out, squeezed), _unbatch(idx, squeezed)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W) input (MaxPool2DWithIndicesBackward0)."""
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


# --- average pooling ----------------------------------------------------------------------------------
#
# avg_pool2d sums each window of the zero-padded input and divides by PyTorch's divisor: the window's
# extent within input + padding (count_include_pad), or within the input alone, or divisor_override. Its
# backward spreads g / divisor back over each window; the two ops are each other's VJP.


def _avg_divisor(h: int, w: int, ksize: tuple, stride: tuple, pad: tuple, out_hw: tuple, count_include_pad: bool,
                 divisor_override: int | None) -> list:
    """The (oh, ow) divisors as nested lists of floats."""
    if divisor_override:
        return [[float(divisor_override)] * out_hw[1] for _ in range(out_hw[0])]

    def extent(i: int, size: int, k: int, s: int, p: int) -> int:
        start = i * s - p
        end = min(start + k, size + p)
        if count_include_pad:
            return end - start
        return min(end, size) - max(start, 0)

    rows = [extent(i, h, ksize[0], stride[0], pad[0]) for i in range(out_hw[0])]
    cols = [extent(j, w, ksize[1], stride[1], pad[1]) for j in range(out_hw[1])]
    return [[float(r * c) for c in cols] for r in rows]


def _avg_pool_vjp(ctx: Any, g: Any) -> tuple:
    return (AVG_POOL_BACKWARD.dispatch((g,), (tuple(ctx.input_shape(0)[-2:]), *ctx.attrs)),)


def _avg_pool_backward_vjp(ctx: Any, g: Any) -> tuple:
    return (AVG_POOL.dispatch((g,), ctx.attrs[1:]),)


def _np_avg_pool(np: Any, x: Any, ksize: tuple, stride: tuple, pad: tuple, ceil_mode: bool, count_include_pad: bool,
                 divisor_override: Any) -> Any:
    if x.ndim == 3:
        return _np_avg_pool(np, x[None], ksize, stride, pad, ceil_mode, count_include_pad, divisor_override)[0]
    n, c, h, w = x.shape
    out_hw, _ = _pool_geometry(h, w, ksize, stride, pad, (1, 1), ceil_mode)
    out = np.zeros((n, c) + out_hw, dtype=x.dtype)
    div = np.array(_avg_divisor(h, w, ksize, stride, pad, out_hw, count_include_pad, divisor_override), dtype=x.dtype)
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            hs, ws = i * stride[0] - pad[0], j * stride[1] - pad[1]
            win = x[:, :, max(hs, 0):max(min(hs + ksize[0], h), 0), max(ws, 0):max(min(ws + ksize[1], w), 0)]
            out[:, :, i, j] = win.sum(axis=(2, 3)) / div[i, j]
    return out


def _np_avg_pool_backward(np: Any, g: Any, in_hw: tuple, ksize: tuple, stride: tuple, pad: tuple, ceil_mode: bool,
                          count_include_pad: bool, divisor_override: Any) -> Any:
    n, c, oh, ow = g.shape
    h, w = in_hw
    out = np.zeros((n, c, h, w), dtype=g.dtype)
    div = np.array(_avg_divisor(h, w, ksize, stride, pad, (oh, ow), count_include_pad, divisor_override),
                   dtype=g.dtype)
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * stride[0] - pad[0], j * stride[1] - pad[1]
            sl = (slice(None), slice(None), slice(max(hs, 0), max(min(hs + ksize[0], h), 0)),
                  slice(max(ws, 0), max(min(ws + ksize[1], w), 0)))
            out[sl] += (g[:, :, i, j] / div[i, j])[:, :, None, None]
    return out


def _avg_pool_samples() -> list:
    return [
        Sample((T((2, 3, 4, 4)),), ((2, 2), (2, 2), (0, 0), False, True, None), name="plain"),
        Sample((T((1, 2, 5, 6)),), ((3, 3), (2, 1), (1, 1), False, True, None), name="padded_strided"),
        Sample((T((1, 2, 5, 5)),), ((3, 2), (2, 2), (1, 0), True, False, None), name="ceil_exclude_pad"),
        Sample((T((2, 1, 4, 5)),), ((2, 3), (1, 2), (0, 1), False, True, 4), name="divisor_override"),
        Sample((T((3, 4, 4)),), ((2, 2), (1, 1), (1, 1), False, False, None), name="unbatched"),
    ]


def _avg_pool_backward_samples() -> list:
    return [
        Sample((T((2, 3, 2, 2)),), ((4, 4), (2, 2), (2, 2), (0, 0), False, True, None), name="plain"),
        Sample((T((1, 2, 3, 3)),), ((5, 5), (3, 2), (2, 2), (1, 0), True, False, None), name="ceil_exclude_pad"),
    ]


AVG_POOL = defop("avg_pool2d", 1, vjp=_avg_pool_vjp, node="AvgPool2DBackward0", saves=((),),
                 samples=_avg_pool_samples, reference=_np_avg_pool)
AVG_POOL_BACKWARD = defop("avg_pool2d_backward", 1, vjp=_avg_pool_backward_vjp, node="AvgPool2DBackwardBackward0",
                          saves=((),), samples=_avg_pool_backward_samples, reference=_np_avg_pool_backward)


@generic("avg_pool2d")
def _avg_pool_kernel(xp: Any) -> Any:
    def avg_pool2d(x: Any, ksize: tuple, stride: tuple, pad: tuple, ceil_mode: bool, count_include_pad: bool,
                   divisor_override: Any) -> Any:
        if x.ndim == 3:  # unbatched (C, H, W)
            return avg_pool2d(x[None], ksize, stride, pad, ceil_mode, count_include_pad, divisor_override)[0]
        h, w = x.shape[2], x.shape[3]
        out_hw, pad4 = _pool_geometry(h, w, ksize, stride, pad, (1, 1), ceil_mode)
        wins = _windows(xp, x, ksize, (1, 1), pad4, stride, out_hw, 0)
        total = wins[0]
        for win in wins[1:]:
            total = total + win
        div = _avg_divisor(h, w, ksize, stride, pad, out_hw, count_include_pad, divisor_override)
        return total / xp.asarray(div, dtype=x.dtype)

    return avg_pool2d


@generic("avg_pool2d_backward")
def _avg_pool_backward_kernel(xp: Any) -> Any:
    def avg_pool2d_backward(g: Any, in_hw: tuple, ksize: tuple, stride: tuple, pad: tuple, ceil_mode: bool,
                            count_include_pad: bool, divisor_override: Any) -> Any:
        if g.ndim == 3:
            return avg_pool2d_backward(g[None], in_hw, ksize, stride, pad, ceil_mode, count_include_pad,
                                       divisor_override)[0]
        n, c, oh, ow = g.shape
        _, pad4 = _pool_geometry(in_hw[0], in_hw[1], ksize, stride, pad, (1, 1), ceil_mode)
        div = _avg_divisor(in_hw[0], in_hw[1], ksize, stride, pad, (oh, ow), count_include_pad, divisor_override)
        gd = g / xp.asarray(div, dtype=g.dtype)
        k = ksize[0] * ksize[1]
        cols = xp.reshape(xp.broadcast_to(xp.reshape(gd, (n, c, 1, oh, ow)), (n, c, k, oh, ow)), (n, c * k, oh * ow))
        return _col2im(xp, cols, c, in_hw, ksize, (1, 1), pad4, stride, (oh, ow))

    return avg_pool2d_backward


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """2-d average pooling over (N, C, H, W) or (C, H, W) input (AvgPool2DBackward0)."""
    x, squeezed = _batched_4d(input, "avg_pool2d")
    ksize = _pair(kernel_size, "kernel_size")
    st = ksize if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pair(stride, "stride")
    pad = _pair(padding, "padding")
    for p, k in zip(pad, ksize):
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
    if min(st) <= 0 or min(ksize) <= 0:
        raise RuntimeError(f"avg_pool2d: kernel_size and stride must be positive, got kernel_size={ksize}, "
                           f"stride={st}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out_hw, _ = _pool_geometry(x.shape[2], x.shape[3], ksize, st, pad, (1, 1), ceil_mode)
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(
            f"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). Calculated output size: "
            f"({x.shape[1]}x{out_hw[0]}x{out_hw[1]}). Output size is too small"
        )
    del squeezed  # the kernels take (C, H, W) input as it is, so the graph holds just AvgPool2DBackward0
    return AVG_POOL.dispatch((input,), (ksize, st, pad, bool(ceil_mode), bool(count_include_pad), divisor_override))


# adaptive_avg_pool2d: output cell (i, j) averages rows floor(i H / oh) .. ceil((i + 1) H / oh) and the
# same for columns; a (1, 1) output is a mean over the last two dims (MeanBackward1), as in PyTorch.


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_vjp(ctx: Any, g: Any) -> tuple:
    return (ADAPTIVE_AVG_POOL_BACKWARD.dispatch((g,), (tuple(ctx.input_shape(0)[-2:]),)),)


def _adaptive_backward_vjp(ctx: Any, g: Any) -> tuple:
    return (ADAPTIVE_AVG_POOL.dispatch((g,), (tuple(ctx.input_shape(0)[-2:]),)),)


def _np_adaptive(np: Any, x: Any, out_hw: tuple) -> Any:
    if x.ndim == 3:
        return _np_adaptive(np, x[None], out_hw)[0]
    rows, cols = _adaptive_bounds(x.shape[2], out_hw[0]), _adaptive_bounds(x.shape[3], out_hw[1])
    return np.stack([np.stack([x[:, :, a:b, c:d].mean(axis=(2, 3)) for c, d in cols], axis=-1) for a, b in rows],
                    axis=-2)


def _np_adaptive_backward(np: Any, g: Any, in_hw: tuple) -> Any:
    n, c, oh, ow = g.shape
    out = np.zeros((n, c) + tuple(in_hw), dtype=g.dtype)
    for i, (a, b) in enumerate(_adaptive_bounds(in_hw[0], oh)):
        for j, (e, f) in enumerate(_adaptive_bounds(in_hw[1], ow)):
            out[:, :, a:b, e:f] += (g[:, :, i, j] / ((b - a) * (f - e)))[:, :, None, None]
    return out


ADAPTIVE_AVG_POOL = defop(
    "adaptive_avg_pool2d", 1, vjp=_adaptive_vjp, node="AdaptiveAvgPool2DBackward0", saves=((),),
    samples=lambda: [Sample((T((2, 3, 5, 7)),), ((2, 3),), name="uneven"),
                     Sample((T((1, 2, 4, 4)),), ((2, 2),), name="even"),
                     Sample((T((1, 1, 3, 2)),), ((5, 4),), name="upsampling"),
                     Sample((T((2, 5, 5)),), ((3, 2),), name="unbatched")],
    reference=_np_adaptive)
ADAPTIVE_AVG_POOL_BACKWARD = defop(
    "adaptive_avg_pool2d_backward", 1, vjp=_adaptive_backward_vjp, node="AdaptiveAvgPool2DBackwardBackward0",
    saves=((),), samples=lambda: [Sample((T((2, 3, 2, 3)),), ((5, 7),), name="uneven"),
                                  Sample((T((1, 1, 5, 4)),), ((3, 2),), name="upsampling")],
    reference=_np_adaptive_backward)


@generic("adaptive_avg_pool2d")
def _adaptive_kernel(xp: Any) -> Any:
    def adaptive_avg_pool2d(x: Any, out_hw: tuple) -> Any:
        if x.ndim == 3:
            return adaptive_avg_pool2d(x[None], out_hw)[0]
        rows, cols = _adaptive_bounds(x.shape[2], out_hw[0]), _adaptive_bounds(x.shape[3], out_hw[1])
        return xp.stack([xp.stack([xp.mean(x[:, :, a:b, c:d], axis=(2, 3)) for c, d in cols], axis=-1)
                         for a, b in rows], axis=-2)

    return adaptive_avg_pool2d


@generic("adaptive_avg_pool2d_backward")
def _adaptive_backward_kernel(xp: Any) -> Any:
    def adaptive_avg_pool2d_backward(g: Any, in_hw: tuple) -> Any:
        if g.ndim == 3:
            return adaptive_avg_pool2d_backward(g[None], in_hw)[0]
        n, c, oh, ow = g.shape
        out = xp.zeros((n, c) + tuple(in_hw), dtype=g.dtype)
        for i, (a, b) in enumerate(_adaptive_bounds(in_hw[0], oh)):
            for j, (e, f) in enumerate(_adaptive_bounds(in_hw[1], ow)):
                part = g[:, :, i:i + 1, j:j + 1] / ((b - a) * (f - e))
                out[:, :, a:b, e:f] = out[:, :, a:b, e:f] + part
        return out

    return adaptive_avg_pool2d_backward


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Any:  # noqa: A002
    """Average pooling to a fixed ``output_size`` (an int, a pair, None keeping that input size)."""
    from .reduction import mean

    x, squeezed = _batched_4d(input, "adaptive_avg_pool2d")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    out_hw = tuple(int(x.shape[2 + k]) if v is None else int(v) for k, v in enumerate(sizes))
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                           f"but input has sizes {list(input.shape)} with dimension {input.dim() - 1} being empty")
    if out_hw == (1, 1):
        return mean(input, (-1, -2), True)
    del squeezed  # the kernels take (C, H, W) input as it is
    return ADAPTIVE_AVG_POOL.dispatch((input,), (out_hw,))


# --- layer norm -----------------------------------------------------------------------------------------


def _layer_norm_parts(x: Any, k: int, eps: float) -> tuple:
    from .elementwise import rsqrt
    from .reduction import mean

    dims = tuple(range(x.dim() - k, x.dim()))
    xc = x - mean(x, dims, True)
    rstd = rsqrt(mean(xc * xc, dims, True) + eps)
    return dims, xc * rstd, rstd


def _layer_norm_vjp(ctx: Any, g: Any) -> tuple:
    from .reduction import mean

    x, w, _b = ctx.inputs
    k, eps = ctx.attrs
    need = ctx.needs_input_grad
    dims, xhat, rstd = _layer_norm_parts(x, k, eps)
    gx = None
    if need[0]:
        gxhat = g * w if w is not None else g
        gx = rstd * (gxhat - mean(gxhat, dims, True) - xhat * mean(gxhat * xhat, dims, True))
    # Note: returned in the input's shape; the engine sums them down to the weight's and bias's shapes.
    gw = g * xhat if need[1] else None
    gb = g if need[2] else None
    return gx, gw, gb


def _np_layer_norm(np: Any, x: Any, w: Any, b: Any, k: int, eps: float) -> Any:
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


LAYER_NORM = defop("native_layer_norm", 3, vjp=_layer_norm_vjp, node="NativeLayerNormBackward0",
                   saves=((0, 1), (0,), ()),
                   samples=lambda: [Sample((T((3, 4)), T((4,)), T((4,))), (1, 1e-5), name="affine"),
                                    Sample((T((2, 3, 4)), T((3, 4)), T((3, 4))), (2, 1e-5), name="two_dims"),
                                    Sample((T((2, 5)), None, None), (1, 1e-5), name="no_affine"),
                                    Sample((T((2, 2, 3)), T((3,)), None), (1, 1e-3), name="weight_only")],
                   reference=_np_layer_norm)


@generic("native_layer_norm")
def _layer_norm_kernel(xp: Any) -> Any:
    def native_layer_norm(x: Any, w: Any, b: Any, k: int, eps: float) -> Any:
        axes = tuple(range(x.ndim - k, x.ndim))
        xc = x - xp.mean(x, axis=axes, keepdims=True)
        var = xp.mean(xc * xc, axis=axes, keepdims=True)
        y = xc / xp.sqrt(var + xp.asarray(eps, dtype=x.dtype))
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y

    return native_layer_norm


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Any:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift (NativeLayerNormBackward0)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    return LAYER_NORM.dispatch((input, weight, bias), (k, float(eps)))


# --- batch norm -----------------------------------------------------------------------------------------
#
# native_batch_norm(x, weight, bias, running_mean, running_var; training, eps) normalises each channel (dim 1)
# over every other dim: by the batch's statistics when training (running_mean / running_var are then None:
# batch_norm updates them outside the op, in place, so the op must not save them), else by the given running
# statistics. weight and bias are (C,) and are reduced to that shape here, not by the engine (the channel
# dim is not a trailing one).


def _bn_view(t: Any, nd: int) -> Any:
    from .shape import reshape

    return reshape(t, (1, -1) + (1,) * (nd - 2))


def _bn_dims(nd: int) -> tuple:
    return (0,) + tuple(range(2, nd))


def _batch_norm_vjp(ctx: Any, g: Any) -> tuple:
    # PyTorch's form: the projection on the centred input, sum(g * (x - mean)), not on the normalised one,
    # so that a gradient constant over a channel gives exactly zero.
    from .elementwise import rsqrt
    from .reduction import mean
    from .reduction import sum as _sum

    x, w, _b, rm, rv = ctx.inputs
    training, eps = ctx.attrs
    need = ctx.needs_input_grad
    nd = x.dim()
    dims = _bn_dims(nd)
    if training:
        xc = x - mean(x, dims, True)
        rstd_c = rsqrt(mean(xc * xc, dims) + eps)
    else:
        xc = x - _bn_view(rm, nd)
        rstd_c = rsqrt(rv + eps)
    rstd = _bn_view(rstd_c, nd)
    gx = gw = gb = None
    if need[0]:
        gxhat = g * _bn_view(w, nd) if w is not None else g
        if training:
            proj = mean(gxhat * xc, dims, True) * rstd * rstd
            gx = (gxhat - mean(gxhat, dims, True) - xc * proj) * rstd
        else:
            gx = gxhat * rstd
    if need[1]:
        gw = _sum(g * xc, dims) * rstd_c
    if need[2]:
        gb = _sum(g, dims)
    return gx, gw, gb, None, None


def _np_batch_norm(np: Any, x: Any, w: Any, b: Any, rm: Any, rv: Any, training: bool, eps: float) -> Any:
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    else:
        mu, var = rm.reshape(shape), rv.reshape(shape)
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def _batch_norm_samples() -> list:
    stats = (T((3,), -0.5, 0.5, grad=False), T((3,), 0.5, 2.0, grad=False))
    return [
        Sample((T((4, 3)), T((3,)), T((3,)), None, None), (True, 1e-5), name="train_1d"),
        Sample((T((2, 3, 4, 5)), T((3,)), T((3,)), None, None), (True, 1e-5), name="train_2d"),
        Sample((T((2, 3, 5)), None, None, None, None), (True, 1e-3), name="train_no_affine"),
        Sample((T((4, 3)), T((3,)), T((3,)), *stats), (False, 1e-5), name="eval_1d"),
        Sample((T((2, 3, 4, 2)), T((3,)), None, *stats), (False, 1e-5), name="eval_2d"),
    ]


BATCH_NORM = defop("native_batch_norm", 5, vjp=_batch_norm_vjp, node="NativeBatchNormBackward0",
                   saves=((0, 1, 3, 4), (0, 3, 4), (), (), ()), samples=_batch_norm_samples,
                   reference=_np_batch_norm)


@generic("native_batch_norm")
def _batch_norm_kernel(xp: Any) -> Any:
    def native_batch_norm(x: Any, w: Any, b: Any, rm: Any, rv: Any, training: bool, eps: float) -> Any:
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if training:
            xc = x - xp.mean(x, axis=axes, keepdims=True)
            var = xp.mean(xc * xc, axis=axes, keepdims=True)
        else:
            xc = x - xp.reshape(rm, shape)
            var = xp.reshape(rv, shape)
        y = xc / xp.sqrt(var + xp.asarray(eps, dtype=x.dtype))
        if w is not None:
            y = y * xp.reshape(w, shape)
        if b is not None:
            y = y + xp.reshape(b, shape)
        return y

    return native_batch_norm


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """Normalise each channel (dim 1) by the batch's statistics when ``training`` (updating ``running_mean``
    and ``running_var`` in place with ``momentum``, the variance unbiased), else by the running ones
    (NativeBatchNormBackward0)."""
    from ..autograd.grad_mode import no_grad
    from .reduction import mean, var

    if training:
        size = input.shape[0] if input.dim() else 1
        for n in input.shape[2:]:
            size *= n
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape!r}")
    elif running_mean is None or running_var is None:
        missing = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{missing} must be defined in evaluation mode")
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    out = BATCH_NORM.dispatch((input, weight, bias, None if training else running_mean,
                               None if training else running_var), (bool(training), float(eps)))
    if training and (running_mean is not None or running_var is not None):
        with no_grad():
            dims = _bn_dims(input.dim())
            x = input.detach()
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean(x, dims).to(running_mean.dtype), alpha=momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(var(x, dims, correction=1).to(running_var.dtype),
                                                    alpha=momentum)
    return out


# --- embedding ----------------------------------------------------------------------------------------


def _embedding_vjp(ctx: Any, g: Any) -> tuple:
    _, indices = ctx.inputs
    num_weights = ctx.input_shape(0)[0]
    padding_idx, scale_grad_by_freq = ctx.attrs
    return EMBEDDING_BACKWARD.dispatch((g, indices), (num_weights, padding_idx, scale_grad_by_freq)), None


def _embedding_backward_vjp(ctx: Any, g: Any) -> tuple:
    _, indices = ctx.inputs
    num_weights, padding_idx, scale_grad_by_freq = ctx.attrs
    if padding_idx is None and not scale_grad_by_freq:
        return EMBEDDING.dispatch((g, indices), (None, False)), None
    # The backward zeroed the padding row and divided rows by their counts: its adjoint does the same per index.
    scale = _embedding_row_scale(indices, num_weights, padding_idx, scale_grad_by_freq, g)
    return EMBEDDING.dispatch((g, indices), (None, False)) * scale, None


def _embedding_row_scale(indices: Any, num_weights: int, padding_idx: Any, by_freq: bool, like: Any) -> Any:
    """A constant (..., 1) tensor: 0 at padding indices, else 1 / (count of the index) with ``by_freq``, else 1."""
    from ..tensor import _wrap

    xp = indices._backend.namespace()
    idx = indices._data
    dtype = like._data.dtype
    scale = xp.ones(tuple(idx.shape), dtype=dtype)
    if by_freq:
        flat = xp.reshape(idx, (-1,))
        counts = _scatter_add_rows(xp, num_weights, flat, xp.ones((flat.shape[0], 1), dtype=dtype))[:, 0]
        scale = xp.reshape(1 / xp.take(counts, flat, axis=0), tuple(idx.shape))
    if padding_idx is not None:
        scale = xp.where(idx == padding_idx, xp.zeros((), dtype=dtype), scale)
    return _wrap(xp.reshape(scale, tuple(idx.shape) + (1,)), indices._backend)


def _np_embedding_backward(np: Any, g: Any, idx: Any, num_weights: int, padding_idx: Any, by_freq: bool) -> Any:
    d = g.shape[-1]
    flat_i = idx.reshape(-1)
    flat_g = g.reshape(-1, d).copy()
    if by_freq:
        counts = np.bincount(flat_i, minlength=num_weights)
        flat_g = flat_g / counts[flat_i][:, None]
    out = np.zeros((num_weights, d), dtype=g.dtype)
    np.add.at(out, flat_i, flat_g)
    if padding_idx is not None:
        out[padding_idx] = 0
    return out


_EMB_IDX = [[1, 3, 1], [0, 4, 3]]

EMBEDDING = defop("embedding", 2, vjp=_embedding_vjp, node="EmbeddingBackward0", saves=((1,), ()),
                  samples=lambda: [Sample((T((5, 3)), T((2, 3), dtype="int64", grad=False, values=_EMB_IDX)),
                                          (None, False), name="2d_indices"),
                                   # padding_idx and scale_grad_by_freq change the gradient on purpose: no gradcheck
                                   Sample((T((5, 2)), T((4,), dtype="int64", grad=False, values=[4, 0, 0, 2])),
                                          (0, True), name="padding_idx_by_freq", gradcheck=False,
                                          gradgradcheck=False),
                                   Sample((T((5, 2)), T((), dtype="int64", grad=False, values=2)), (None, False),
                                          name="scalar_index")],
                  reference=lambda np, w, idx, padding_idx, by_freq: w[idx])
EMBEDDING_BACKWARD = defop("embedding_dense_backward", 2, vjp=_embedding_backward_vjp,
                           node="EmbeddingDenseBackwardBackward0", saves=((1,), ()),
                           samples=lambda: [Sample((T((2, 3, 4)), _target((2, 3), _EMB_IDX)),
                                                   (5, None, False), name="plain"),
                                            Sample((T((4, 2)), T((4,), dtype="int64", grad=False, values=[4, 0, 0, 2])),
                                                   (5, 0, True), name="padding_idx_by_freq")],
                           reference=_np_embedding_backward)


@generic("embedding")
def _embedding_kernel(xp: Any) -> Any:
    def embedding(w: Any, idx: Any, padding_idx: Any, scale_grad_by_freq: bool) -> Any:
        out = xp.take(w, xp.reshape(idx, (-1,)), axis=0)
        return xp.reshape(out, tuple(idx.shape) + (w.shape[1],))

    return embedding


def _scatter_add_rows(xp: Any, num_rows: int, idx: Any, rows: Any) -> Any:
    """``out[idx[m]] += rows[m]`` into zeros of (num_rows, D); NumPy-style ``add.at`` where the library has it."""
    add_at = getattr(getattr(xp, "add", None), "at", None)
    out = xp.zeros((num_rows, rows.shape[1]), dtype=rows.dtype)
    if add_at is not None:
        add_at(out, idx, rows)
        return out
    onehot = (xp.reshape(xp.arange(num_rows), (num_rows, 1)) == xp.reshape(idx, (1, -1))).astype(rows.dtype)
    return xp.matmul(onehot, rows)


@generic("embedding_dense_backward")
def _embedding_backward_kernel(xp: Any) -> Any:
    def embedding_dense_backward(g: Any, idx: Any, num_weights: int, padding_idx: Any, by_freq: bool) -> Any:
        d = g.shape[-1]
        flat_i = xp.reshape(idx, (-1,))
        flat_g = xp.reshape(g, (-1, d))
        if by_freq:
            ones = xp.ones((flat_i.shape[0], 1), dtype=g.dtype)
            counts = _scatter_add_rows(xp, num_weights, flat_i, ones)[:, 0]
            flat_g = flat_g / xp.reshape(xp.take(counts, flat_i, axis=0), (-1, 1))
        out = _scatter_add_rows(xp, num_weights, flat_i, flat_g)
        if padding_idx is not None:
            out[padding_idx, :] = 0
        return out

    return embedding_dense_backward


def _embedding_renorm_(weight: Any, indices: Any, max_norm: float, norm_type: float) -> None:
    """Scale, in place, the rows of ``weight`` that ``indices`` use and whose norm exceeds ``max_norm``."""
    xp = weight._backend.namespace()
    flat = xp.reshape(indices._data, (-1,))
    rows = xp.unique_values(flat) if hasattr(xp, "unique_values") else xp.unique(flat)
    w = weight._data
    sel = xp.take(w, rows, axis=0)
    norms = xp.sum(xp.abs(sel) ** norm_type, axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), xp.ones_like(norms))
    w[rows] = sel * xp.reshape(scale, (-1, 1))
    weight._bump_version()


def embedding(input: Any, weight: Any, padding_idx: int | None = None, max_norm: float | None = None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Any:
    """Rows of ``weight`` picked by the integer ``input`` (EmbeddingBackward0); ``padding_idx`` rows get no gradient."""
    if input.dtype.is_floating_point or input.dtype is _dt.bool_:
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.type()} instead (while checking arguments for embedding)"
        )
    if sparse:
        raise ValueError("plugrad has no sparse tensors, so embedding(sparse=True) cannot make a sparse gradient; "
                         "use sparse=False (the default)")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if input.numel():
        xp = input._backend.namespace()
        lo, hi = int(xp.min(input._data)), int(xp.max(input._data))
        if lo < 0 or hi >= num:
            raise IndexError(f"index {hi if hi >= num else lo} is out of bounds for dimension 0 with size {num}")
    if max_norm is not None:
        _embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    return EMBEDDING.dispatch((weight, input), (padding_idx, bool(scale_grad_by_freq)))


# --- nll_loss ----------------------------------------------------------------------------------------


def _nll_flat(xp: Any, x: Any, target: Any) -> tuple:
    """(M, C) scores and (M,) targets, class dim moved last."""
    if x.ndim == 1:
        return xp.reshape(x, (1, -1)), xp.reshape(target, (1,))
    c = x.shape[1]
    x2 = xp.reshape(xp.moveaxis(x, 1, -1), (-1, c)) if x.ndim > 2 else x
    return x2, xp.reshape(target, (-1,))


def _nll_weights(xp: Any, x2: Any, t: Any, weight: Any, ignore_index: int) -> tuple:
    c = x2.shape[1]
    valid = t != ignore_index
    safe = xp.where(valid, t, xp.zeros_like(t))
    if bool(xp.any(valid & ((t < 0) | (t >= c)))):
        bad = t[valid & ((t < 0) | (t >= c))][0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    if weight is None:
        w = valid.astype(x2.dtype)
    else:
        w = xp.where(valid, xp.take(weight, safe, axis=0), xp.zeros((), dtype=x2.dtype))
    return safe, w


def _plain_targets(xp: Any, t: Any, c: int, ignore_index: int) -> bool:
    """Whether the (M,) targets are all valid class indices and none is ``ignore_index`` (the common case)."""
    if not t.shape[0]:
        return False
    lo, hi = int(xp.min(t)), int(xp.max(t))
    return 0 <= lo and hi < c and not (lo <= ignore_index <= hi and bool(xp.any(t == ignore_index)))


@generic("nll_loss")
def _nll_loss_kernel(xp: Any) -> Any:
    def nll_loss(x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
        if weight is None and x.ndim == 2 and _plain_targets(xp, target, x.shape[1], ignore_index):
            # Note: the same arithmetic as the general path below with every weight 1 (one gather, one sum).
            picked = xp.take_along_axis(x, xp.reshape(target, (-1, 1)), axis=1)[:, 0]
            if reduction == "none":
                return -picked
            total = xp.sum(-picked)
            return total if reduction == "sum" else total / xp.asarray(x.shape[0], dtype=x.dtype)
        x2, t = _nll_flat(xp, x, target)
        safe, w = _nll_weights(xp, x2, t, weight, ignore_index)
        picked = xp.take_along_axis(x2, xp.reshape(safe, (-1, 1)), axis=1)[:, 0]
        losses = -picked * w
        if reduction == "none":
            return xp.reshape(losses, target.shape)
        total = xp.sum(losses)
        if reduction == "sum":
            return total
        return total / xp.sum(w)

    return nll_loss


@generic("nll_loss_backward")
def _nll_loss_backward_kernel(xp: Any) -> Any:
    def nll_loss_backward(g: Any, target: Any, x_shape: tuple, weight: Any, reduction: str, ignore_index: int) -> Any:
        c = x_shape[1] if len(x_shape) > 1 else x_shape[0]
        t = xp.reshape(target, (-1,))
        if weight is None and len(x_shape) == 2 and _plain_targets(xp, t, c, ignore_index):
            # every weight 1: the coefficients of the general path without building the weights
            safe = t
            if reduction == "none":
                coef = -xp.reshape(g, (-1,))
            elif reduction == "sum":
                coef = -g
            else:
                coef = -(g / xp.asarray(t.shape[0], dtype=g.dtype))
        else:
            x2 = xp.zeros((t.shape[0], c), dtype=g.dtype)
            safe, w = _nll_weights(xp, x2, t, weight, ignore_index)
            if reduction == "none":
                coef = -w * xp.reshape(g, (-1,))
            elif reduction == "sum":
                coef = -w * g
            else:
                coef = -w * (g / xp.sum(w))
        onehot = xp.reshape(xp.arange(c), (1, c)) == xp.reshape(safe, (-1, 1))
        grad = xp.where(onehot, xp.reshape(coef, (-1, 1)), xp.zeros((), dtype=g.dtype))
        if len(x_shape) <= 2:
            return xp.reshape(grad, x_shape)
        moved = (x_shape[0],) + tuple(x_shape[2:]) + (c,)
        return xp.moveaxis(xp.reshape(grad, moved), -1, 1)

    return nll_loss_backward


def _nll_vjp(ctx: Any, g: Any) -> tuple:
    _, target = ctx.inputs
    weight, reduction, ignore_index = ctx.attrs
    return NLL_LOSS_BACKWARD.dispatch((g, target), (tuple(ctx.input_shape(0)), weight, reduction, ignore_index)), None


def _nll_backward_vjp(ctx: Any, g: Any) -> tuple:
    _, target = ctx.inputs
    _x_shape, weight, reduction, ignore_index = ctx.attrs
    return NLL_LOSS.dispatch((g, target), (weight, reduction, ignore_index)), None


def _np_nll(np: Any, x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
    x2 = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]) if x.ndim > 1 else x.reshape(1, -1)
    t = target.reshape(-1)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    w = (weight[safe] if weight is not None else np.ones(len(t))) * valid
    losses = -x2[np.arange(len(t)), safe] * w
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / w.sum()


def _np_nll_backward(np: Any, g: Any, target: Any, x_shape: tuple, weight: Any, reduction: str,
                     ignore_index: int) -> Any:
    c = x_shape[1] if len(x_shape) > 1 else x_shape[0]
    t = target.reshape(-1)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    w = (weight[safe] if weight is not None else np.ones(len(t))) * valid
    coef = -w * (g.reshape(-1) if reduction == "none" else g / (w.sum() if reduction == "mean" else 1))
    grad = np.zeros((len(t), c))
    grad[np.arange(len(t)), safe] = coef
    if len(x_shape) <= 2:
        return grad.reshape(x_shape)
    return np.moveaxis(grad.reshape((x_shape[0],) + tuple(x_shape[2:]) + (c,)), -1, 1)


def _target(shape: tuple, values: Any) -> T:
    return T(shape, dtype="int64", grad=False, values=values)


def _nll_samples() -> list:
    return [
        Sample((T((4, 3)), _target((4,), [0, 2, 1, 2])), (None, "mean", -100), name="mean"),
        Sample((T((4, 3)), _target((4,), [0, 2, 1, 2])), (None, "sum", -100), name="sum"),
        Sample((T((4, 3)), _target((4,), [0, 2, 1, 2])), (None, "none", -100), name="none"),
        Sample((T((4, 3)), _target((4,), [0, 2, 1, 1])), (T((3,), 0.5, 1.5), "mean", 1), name="weight_ignore_index"),
        Sample((T((2, 3, 2, 2)), _target((2, 2, 2), [[[0, 1], [2, 1]], [[2, 2], [0, 1]]])), (None, "mean", -100),
               name="spatial"),
        Sample((T((3,)), _target((), 1)), (None, "mean", -100), name="unbatched"),
    ]


def _nll_backward_samples() -> list:
    return [
        Sample((T(()), _target((4,), [0, 2, 1, 2])), ((4, 3), None, "mean", -100), name="mean"),
        Sample((T((4,)), _target((4,), [0, 2, 1, 1])), ((4, 3), T((3,), 0.5, 1.5), "none", 1), name="none_weight"),
        Sample((T(()), _target((2, 2, 2), [[[0, 1], [2, 1]], [[2, 2], [0, 1]]])), ((2, 3, 2, 2), None, "sum", -100),
               name="spatial_sum"),
    ]


NLL_LOSS = defop("nll_loss", 2, vjp=_nll_vjp, node="NllLossBackward0", saves=((1,), ()), samples=_nll_samples,
                 reference=_np_nll)
NLL_LOSS_BACKWARD = defop("nll_loss_backward", 2, vjp=_nll_backward_vjp, node="NllLossBackwardBackward0",
                          saves=((1,), ()), samples=_nll_backward_samples, reference=_np_nll_backward)


def _check_class_target(input: Any, target: Any) -> None:  # noqa: A002
    """PyTorch's checks of class-index targets, in its order: dimensions, batch size, shape, then dtype."""
    if input.dim() == 0:
        raise ValueError("Expected input to have at least 1 dimension (got 0)")
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported (got target of size "
                               f"{list(target.shape)} for input of size {list(input.shape)})")
    else:
        if input.shape[0] != (target.shape[0] if target.dim() else -1):
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.dim() else 0})."
            )
        if input.dim() == 2 and target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        want = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != want:
            raise RuntimeError(f"Expected target size {list(want)}, got {list(target.shape)}")
    if target.dtype is not _dt.int64 and target.dtype is not _dt.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.legacy[:-6]}")


def _class_weight(input: Any, weight: Any) -> Any:  # noqa: A002
    if weight is None:
        return None
    c = input.shape[1] if input.dim() > 1 else input.shape[0]
    if weight.dim() != 1 or weight.shape[0] != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")
    if weight._backend is not input._backend and weight._backend.device_type != input._backend.device_type:
        raise RuntimeError(f"weight is on {weight.device} but input is on {input.device}; move it with "
                           f".to({str(input.device)!r})")
    return weight.detach().to(input.dtype)._data


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None, ignore_index: int = -100,  # noqa: A002
             reduce: Any = None, reduction: str = "mean") -> Any:
    """Negative log likelihood of the ``target`` classes under log-probabilities ``input`` (NllLossBackward0)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    _check_class_target(input, target)
    return NLL_LOSS.dispatch((input, target), (_class_weight(input, weight), reduction, int(ignore_index)))


# --- cross_entropy_fused: log_softmax + nll_loss as one op, where a backend has a native kernel for it --------
#
# For (N, C) scores and (N,) class indices, with nll_loss's weight / reduction / ignore_index attributes.
# cross_entropy uses it only on backends that register a native kernel (one pass forward, one pass
# backward); elsewhere the graph stays PyTorch's (NllLossBackward0 over LogSoftmaxBackward0). Its node is
# named NllLossBackward0 all the same. The generic kernels compute exactly what the two-op path computes.


def _ce_fused_vjp(ctx: Any, g: Any) -> tuple:
    x, target = ctx.inputs
    return CROSS_ENTROPY_FUSED_BACKWARD.dispatch((g, x, target), ctx.attrs), None


def _ce_fused_backward_vjp(ctx: Any, gg: Any) -> tuple:
    # backward = coef[:, None] * (softmax(x) - onehot(target)), coef = g * (weight of the target) / denominator.
    from ..tensor import _wrap
    from .activation import SOFTMAX_BACKWARD_DATA, softmax
    from .reduction import sum as _sum
    from .shape import reshape

    g, x, target = ctx.inputs
    weight, reduction, ignore_index = ctx.attrs
    need = ctx.needs_input_grad
    backend = x._backend
    xp = backend.namespace()
    t = xp.reshape(target._data, (-1,))
    safe, w = _nll_weights(xp, x._data, t, weight, ignore_index)
    if reduction == "mean":
        w = w / xp.sum(w)
    scale = _wrap(w, backend)
    p = softmax(x, 1)
    d_g = d_x = None
    if need[0]:
        onehot = xp.reshape(xp.arange(x.shape[1]), (1, -1)) == xp.reshape(safe, (-1, 1))
        y = _wrap(xp.astype(onehot, x._data.dtype) if hasattr(xp, "astype") else onehot.astype(x._data.dtype),
                  backend)
        per_row = _sum(gg * (p - y), 1) * scale
        d_g = per_row if reduction == "none" else _sum(per_row)
    if need[1]:
        d_x = reshape(g * scale, (-1, 1)) * SOFTMAX_BACKWARD_DATA.dispatch((gg, p), (1,))
    return d_g, d_x, None


def _ce_fused_samples() -> list:
    t = _target((4,), [0, 2, 1, 2])
    return [
        Sample((T((4, 3), -2.0, 2.0), t), (None, "mean", -100), name="mean"),
        Sample((T((4, 3), -2.0, 2.0), t), (None, "sum", -100), name="sum"),
        Sample((T((4, 3), -2.0, 2.0), t), (None, "none", -100), name="none"),
        Sample((T((4, 3), -2.0, 2.0), _target((4,), [0, 2, 1, 1])), (T((3,), 0.5, 1.5), "mean", 1),
               name="weight_ignore_index"),
        Sample((T((2, 3), values=[[1000.0, 1000.0, -1000.0], [-5.0, 0.0, 5.0]]), _target((2,), [0, 2])),
               (None, "mean", -100), name="large", gradgradcheck=False),
        Sample((T((0, 3)), _target((0,), [])), (None, "sum", -100), name="empty", gradgradcheck=False),
    ]


def _ce_fused_backward_samples() -> list:
    t = _target((4,), [0, 2, 1, 2])
    return [
        Sample((T(()), T((4, 3), -2.0, 2.0), t), (None, "mean", -100), name="mean"),
        Sample((T(()), T((4, 3), -2.0, 2.0), t), (None, "sum", -100), name="sum"),
        Sample((T((4,)), T((4, 3), -2.0, 2.0), t), (None, "none", -100), name="none"),
        Sample((T(()), T((4, 3), -2.0, 2.0), _target((4,), [0, 2, 1, 1])), (T((3,), 0.5, 1.5), "mean", 1),
               name="weight_ignore_index"),
    ]


def _np_ce_fused(np: Any, x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
    from .activation import _np_softmax

    return _np_nll(np, _np_softmax(np, x, 1, True), target, weight, reduction, ignore_index)


def _np_ce_fused_backward(np: Any, g: Any, x: Any, target: Any, weight: Any, reduction: str,
                          ignore_index: int) -> Any:
    from .activation import _np_softmax

    grad = _np_nll_backward(np, g, target, x.shape, weight, reduction, ignore_index)
    return grad - _np_softmax(np, x, 1, False) * np.sum(grad, axis=1, keepdims=True)


CROSS_ENTROPY_FUSED = defop("cross_entropy_fused", 2, vjp=_ce_fused_vjp, node="NllLossBackward0",
                            saves=((0, 1), ()), samples=_ce_fused_samples, reference=_np_ce_fused)
CROSS_ENTROPY_FUSED_BACKWARD = defop("cross_entropy_fused_backward", 3, vjp=_ce_fused_backward_vjp,
                                     node="NllLossBackwardBackward0", saves=((1, 2), (0, 1, 2), ()),
                                     samples=_ce_fused_backward_samples, reference=_np_ce_fused_backward)


@generic("cross_entropy_fused")
def _ce_fused_kernel(xp: Any) -> Any:
    from .activation import _softmax_kernel

    log_softmax = _softmax_kernel(True)(xp)
    nll = _nll_loss_kernel(xp)

    def cross_entropy_fused(x: Any, target: Any, weight: Any, reduction: str, ignore_index: int) -> Any:
        return nll(log_softmax(x, 1), target, weight, reduction, ignore_index)

    return cross_entropy_fused


@generic("cross_entropy_fused_backward")
def _ce_fused_backward_kernel(xp: Any) -> Any:
    from .activation import _softmax_backward_kernel, _softmax_kernel

    log_softmax = _softmax_kernel(True)(xp)
    log_softmax_backward = _softmax_backward_kernel(True)(xp)
    nll_backward = _nll_loss_backward_kernel(xp)

    def cross_entropy_fused_backward(g: Any, x: Any, target: Any, weight: Any, reduction: str,
                                     ignore_index: int) -> Any:
        grad = nll_backward(g, target, x.shape, weight, reduction, ignore_index)
        return log_softmax_backward(grad, log_softmax(x, 1), 1)

    return cross_entropy_fused_backward


def _fused_cross_entropy_applies(input: Any, target: Any, label_smoothing: float) -> bool:  # noqa: A002
    """Whether ``cross_entropy`` runs as the one op: (N, C) float scores, (N,) integer targets, no smoothing,
    and a backend with a native kernel for it."""
    from .registry import kernel_source

    return (label_smoothing == 0.0 and input.dim() == 2 and target.dim() == 1 and input.dtype.is_floating_point
            and not target.dtype.is_floating_point
            and kernel_source("cross_entropy_fused", input._backend) == "native")


# --- cross_entropy -------------------------------------------------------------------------------------


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """``nll_loss(log_softmax(input, 1), target)`` for class indices; ``-(target * log_softmax).sum(1)`` for
    class probabilities; with PyTorch's ``ignore_index``, ``weight`` and ``label_smoothing`` rules."""
    from .activation import log_softmax
    from .reduction import sum as _sum

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if _fused_cross_entropy_applies(input, target, label_smoothing):
        _check_class_target(input, target)
        return CROSS_ENTROPY_FUSED.dispatch((input, target),
                                            (_class_weight(input, weight), reduction, int(ignore_index)))
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim, n_classes)
    loss = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return loss
    # PyTorch's formula: (1 - eps) * nll + eps / C * smooth, smooth = -sum_c logp (weighted), ignored targets 0.
    keep = target.ne(ignore_index).to(input.dtype)
    lp = logp if weight is None else logp * _class_view(weight, input, class_dim)
    smooth = -_sum(lp, class_dim) * keep
    if reduction == "mean":
        ret = _sum(smooth) / _kept_weight(target, weight, ignore_index, input.dtype)
    elif reduction == "sum":
        ret = _sum(smooth)
    else:
        ret = smooth
    return (1 - label_smoothing) * loss + ret * (label_smoothing / n_classes)


def _kept_weight(target: Any, weight: Any, ignore_index: int, dtype: Any) -> float:
    """The mean's denominator: how many targets are not ignored, or the sum of their class weights."""
    xp = target._backend.namespace()
    t = xp.reshape(target._data, (-1,))
    valid = t != ignore_index
    if weight is None:
        return float(xp.sum(valid.astype(xp.float64)))
    w = weight.detach().to(dtype)._data
    picked = xp.take(w, xp.where(valid, t, xp.zeros_like(t)), axis=0)
    return float(xp.sum(xp.where(valid, picked, xp.zeros_like(picked))))


def _class_view(weight: Any, input: Any, class_dim: int) -> Any:  # noqa: A002
    from .shape import reshape

    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return reshape(weight.to(input.dtype), tuple(shape))


def _cross_entropy_probs(logp: Any, target: Any, weight: Any, reduction: str, label_smoothing: float,
                         class_dim: int, n_classes: int) -> Any:
    from .reduction import sum as _sum

    if tuple(target.shape) != tuple(logp.shape):
        raise RuntimeError(
            f"Expected floating point type target of the same shape as input {list(logp.shape)} for class "
            f"probabilities, got {list(target.shape)}; class-index targets must be integer (long) tensors"
        )
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_view(weight, logp, class_dim)
    loss = -_sum(prod, class_dim)
    if reduction == "mean":
        return _sum(loss) / (logp.numel() // n_classes if logp.numel() else 1)
    if reduction == "sum":
        return _sum(loss)
    return loss


# --- mse_loss ---------------------------------------------------------------------------------------------


def _mse_vjp(ctx: Any, g: Any) -> tuple:
    x, y = ctx.inputs
    (reduction,) = ctx.attrs
    d = x - y
    if reduction == "mean":
        n = d.numel()
        scale = g * (2.0 / n)
    else:
        scale = g * 2.0
    gd = d * scale
    need = ctx.needs_input_grad
    return (gd if need[0] else None, -gd if need[1] else None)


def _np_mse(np: Any, x: Any, y: Any, reduction: str) -> Any:
    sq = (x - y) ** 2
    return sq if reduction == "none" else sq.sum() if reduction == "sum" else sq.mean()


MSE_LOSS = defop("mse_loss", 2, vjp=_mse_vjp, node="MseLossBackward0", saves=((0, 1), (0, 1)),
                 samples=lambda: [Sample((T((3, 4)), T((3, 4))), (r,), name=r) for r in _REDUCTIONS]
                 + [Sample((T((3, 4)), T((4,))), ("mean",), name="broadcast"),
                    Sample((T(()), T(())), ("mean",), name="zero_dim")],
                 reference=_np_mse)


@generic("mse_loss")
def _mse_kernel(xp: Any) -> Any:
    def mse_loss(x: Any, y: Any, reduction: str) -> Any:
        d = x - y
        sq = d * d
        if reduction == "none":
            return sq
        if reduction == "sum":
            return xp.sum(sq)
        return xp.mean(sq)

    return mse_loss


def _warn_size(input: Any, target: Any) -> None:  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape!r}) that is different to the input size ({input.shape!r}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean") -> Any:
    """Mean (or summed, or elementwise) squared error (MseLossBackward0)."""
    from ._promote import promote

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    _warn_size(input, target)
    x, y = promote(input, target, "mse_loss")
    if x.dtype.is_complex:
        from .elementwise import complex_refused

        raise complex_refused("mse_cpu", x)
    return MSE_LOSS.dispatch((x, y), (reduction,))


def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
            reduction: str = "mean") -> Any:
    """Mean (or summed, or elementwise) absolute error, as PyTorch composes it: ``(input - target).abs().mean()``."""
    from .elementwise import abs as _abs
    from .reduction import mean
    from .reduction import sum as _sum

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    _warn_size(input, target)
    d = _abs(input - target)
    if reduction == "none":
        return d
    return _sum(d) if reduction == "sum" else mean(d)


# --- smooth_l1_loss and huber_loss --------------------------------------------------------------------------
#
# Both are quadratic near zero and linear beyond a knee (``beta`` / ``delta``); smooth_l1 = huber / beta.


def _mean_scale(g: Any, d: Any, reduction: str) -> Any:
    return g / d.numel() if reduction == "mean" else g


def _smooth_l1_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import clamp

    x, y = ctx.inputs
    reduction, beta = ctx.attrs
    d = x - y
    slope = clamp(d / beta, -1.0, 1.0) if beta > 0 else _sign_of(d)
    gd = _mean_scale(g, d, reduction) * slope
    need = ctx.needs_input_grad
    return (gd if need[0] else None, -gd if need[1] else None)


def _huber_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import clamp

    x, y = ctx.inputs
    reduction, delta = ctx.attrs
    d = x - y
    gd = _mean_scale(g, d, reduction) * clamp(d, -delta, delta)
    need = ctx.needs_input_grad
    return (gd if need[0] else None, -gd if need[1] else None)


def _sign_of(d: Any) -> Any:
    from .elementwise import sign

    return sign(d)


def _reduce_np(loss: Any, reduction: str) -> Any:
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _np_smooth_l1(np: Any, x: Any, y: Any, reduction: str, beta: float) -> Any:
    z = np.abs(x - y)
    loss = z if beta == 0 else np.where(z < beta, 0.5 * z * z / (beta or 1), z - 0.5 * beta)
    return _reduce_np(loss, reduction)


def _np_huber(np: Any, x: Any, y: Any, reduction: str, delta: float) -> Any:
    z = np.abs(x - y)
    return _reduce_np(np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def _knee_samples() -> list:
    # Differences in [-3, 3) against knees 0.5 and 1: both pieces are sampled; gradcheck stays clear of
    # the knee, where the second derivative jumps.
    return ([Sample((T((3, 4), -3, 3), T((3, 4), -3, 3)), (r, 1.0), name=r, gradgradcheck=False)
             for r in _REDUCTIONS]
            + [Sample((T((3, 4), -3, 3), T((4,), -3, 3)), ("mean", 0.5), name="broadcast_knee_0.5",
                      gradgradcheck=False)])


SMOOTH_L1_LOSS = defop("smooth_l1_loss", 2, vjp=_smooth_l1_vjp, node="SmoothL1LossBackward0",
                       saves=((0, 1), (0, 1)), samples=_knee_samples, reference=_np_smooth_l1)
HUBER_LOSS = defop("huber_loss", 2, vjp=_huber_vjp, node="HuberLossBackward0", saves=((0, 1), (0, 1)),
                   samples=_knee_samples, reference=_np_huber)


def _xp_reduce(xp: Any, loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    return xp.sum(loss) if reduction == "sum" else xp.mean(loss)


@generic("smooth_l1_loss")
def _smooth_l1_kernel(xp: Any) -> Any:
    def smooth_l1_loss(x: Any, y: Any, reduction: str, beta: float) -> Any:
        z = xp.abs(x - y)
        if beta == 0:
            return _xp_reduce(xp, z, reduction)
        b = xp.asarray(beta, dtype=z.dtype)
        return _xp_reduce(xp, xp.where(z < b, 0.5 * z * z / b, z - 0.5 * b), reduction)

    return smooth_l1_loss


@generic("huber_loss")
def _huber_kernel(xp: Any) -> Any:
    def huber_loss(x: Any, y: Any, reduction: str, delta: float) -> Any:
        z = xp.abs(x - y)
        dl = xp.asarray(delta, dtype=z.dtype)
        return _xp_reduce(xp, xp.where(z < dl, 0.5 * z * z, dl * (z - 0.5 * dl)), reduction)

    return huber_loss


def smooth_l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Any:
    """``0.5 d² / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, for ``d = input - target``
    (SmoothL1LossBackward0)."""
    from ._promote import promote

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    x, y = promote(input, target, "smooth_l1_loss")
    return SMOOTH_L1_LOSS.dispatch((x, y), (reduction, float(beta)))


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Any = None) -> Any:
    """``0.5 d²`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (HuberLossBackward0); with
    ``weight`` each element's loss is scaled before the reduction."""
    from ._promote import promote
    from .reduction import mean
    from .reduction import sum as _sum

    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    if weight is None:
        _reduction(reduction)
    elif reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    x, y = promote(input, target, "huber_loss")
    if weight is None:
        return HUBER_LOSS.dispatch((x, y), (reduction, float(delta)))
    loss = HUBER_LOSS.dispatch((x, y), ("none", float(delta))) * weight
    if reduction == "none":
        return loss
    return _sum(loss) if reduction == "sum" else mean(loss)


# --- binary_cross_entropy_with_logits ---------------------------------------------------------------------


def _broadcast_numel(shapes: list) -> int:
    nd = max(len(s) for s in shapes)
    n = 1
    for i in range(1, nd + 1):
        n *= max(s[-i] if i <= len(s) else 1 for s in shapes)
    return n


def _log_sigmoid(x: Any) -> Any:
    from .activation import logsigmoid

    return logsigmoid(x)


def _bce_logits_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import sigmoid

    x, y, w, pw = ctx.inputs
    (reduction,) = ctx.attrs
    need = ctx.needs_input_grad
    if reduction == "mean":
        g = g / _broadcast_numel([s for s in ctx._input_shapes if s is not None])
    ls = _log_sigmoid(x)
    lw = None if pw is None else (pw - 1) * y + 1
    gx = gy = gw = gpw = None
    if need[0]:
        s = sigmoid(x)
        gx = (s - y) if lw is None else (1 - y) - lw * (1 - s)
        gx = g * (gx if w is None else gx * w)
    if need[1]:
        gy = -x if pw is None else -x - (pw - 1) * ls
        gy = g * (gy if w is None else gy * w)
    if need[2]:
        loss = (1 - y) * x - (ls if lw is None else lw * ls)
        gw = g * loss
    if need[3]:
        gpw = g * (-y * ls)
        if w is not None:
            gpw = gpw * w
    return gx, gy, gw, gpw


def _np_bce_logits(np: Any, x: Any, y: Any, w: Any, pw: Any, reduction: str) -> Any:
    ls = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    lw = 1 if pw is None else (pw - 1) * y + 1
    loss = (1 - y) * x - lw * ls
    if w is not None:
        loss = loss * w
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


BCE_LOGITS = defop("binary_cross_entropy_with_logits", 4, vjp=_bce_logits_vjp,
                   node="BinaryCrossEntropyWithLogitsBackward0", saves=((0, 1, 2, 3),) * 4,
                   samples=lambda: [Sample((T((3, 4), -3, 3), T((3, 4), 0, 1), None, None), (r,), name=r)
                                    for r in _REDUCTIONS]
                   + [Sample((T((3, 4), -3, 3), T((3, 4), 0, 1), T((4,), 0.5, 2), T((4,), 0.5, 3)), ("mean",),
                             name="weight_pos_weight")],
                   reference=_np_bce_logits)


@generic("binary_cross_entropy_with_logits")
def _bce_logits_kernel(xp: Any) -> Any:
    def binary_cross_entropy_with_logits(x: Any, y: Any, w: Any, pw: Any, reduction: str) -> Any:
        zero = xp.zeros((), dtype=x.dtype)
        log_sig = xp.minimum(x, zero) - xp.log1p(xp.exp(-xp.abs(x)))
        if pw is not None:
            log_sig = log_sig * ((pw - 1) * y + 1)
        loss = (1 - y) * x - log_sig
        if w is not None:
            loss = loss * w
        if reduction == "none":
            return loss
        return xp.sum(loss) if reduction == "sum" else xp.mean(loss)

    return binary_cross_entropy_with_logits


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Any:
    """Sigmoid plus binary cross entropy in one stable step (BinaryCrossEntropyWithLogitsBackward0)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size ({input.shape!r})")
    target = target.to(input.dtype) if target.dtype is not input.dtype else target
    weight = weight.to(input.dtype) if weight is not None and weight.dtype is not input.dtype else weight
    pos_weight = (pos_weight.to(input.dtype) if pos_weight is not None and pos_weight.dtype is not input.dtype
                  else pos_weight)
    return BCE_LOGITS.dispatch((input, target, weight, pos_weight), (reduction,))


# --- pad -------------------------------------------------------------------------------------------------
#
# constant_pad_nd(x; pads, value): pads = ((before, after), ...) for the last len(pads) dims, last dim first,
# as F.pad takes them; negative amounts crop. Its VJP is the same op with the amounts negated and value 0.


def _constant_pad_vjp(ctx: Any, g: Any) -> tuple:
    pads, _value = ctx.attrs
    return (CONSTANT_PAD.dispatch((g,), (tuple((-a, -b) for a, b in pads), 0.0)),)


def _pad_slices(shape: tuple, pads: tuple) -> tuple[tuple, tuple, tuple]:
    """The output shape, the part of the input kept, and where it lands in the output."""
    nd = len(shape)
    out = list(shape)
    src = [slice(None)] * nd
    dst = [slice(None)] * nd
    for k, (before, after) in enumerate(pads):
        d = nd - 1 - k
        n = shape[d]
        out[d] = n + before + after
        if out[d] < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {before} and {after} resulted in a "
                               f"negative output size, which is invalid. Check dimension {d} of your input.")
        src[d] = slice(max(-before, 0), n - max(-after, 0))
        dst[d] = slice(max(before, 0), max(before, 0) + max(n - max(-before, 0) - max(-after, 0), 0))
    return tuple(out), tuple(src), tuple(dst)


def _np_constant_pad(np: Any, x: Any, pads: tuple, value: float) -> Any:
    out_shape, src, dst = _pad_slices(x.shape, pads)
    out = np.full(out_shape, value, dtype=x.dtype)
    out[dst] = x[src]
    return out


CONSTANT_PAD = defop("constant_pad_nd", 1, vjp=_constant_pad_vjp, node="ConstantPadNdBackward0", saves=((),),
                     samples=lambda: [Sample((T((3, 4)),), (((1, 2),), 0.0), name="last_dim"),
                                      Sample((T((2, 3, 4)),), (((1, 0), (2, 1)), 1.5), name="two_dims_value"),
                                      Sample((T((2, 5)),), (((-1, 2), (1, -1)), 0.0), name="negative_crops")],
                     reference=_np_constant_pad)


@generic("constant_pad_nd")
def _constant_pad_kernel(xp: Any) -> Any:
    def constant_pad_nd(x: Any, pads: tuple, value: float) -> Any:
        out_shape, src, dst = _pad_slices(tuple(x.shape), pads)
        out = xp.full(out_shape, value, dtype=x.dtype)
        out[dst] = x[src]
        return out

    return constant_pad_nd


def _pad_index(n: int, before: int, after: int, mode: str) -> list[int]:
    """Which input position each output position reads along one dim, for the non-constant modes."""
    out = []
    for j in range(-before, n + after):
        if mode == "reflect":
            period = 2 * (n - 1)
            k = j % period if period else 0
            out.append(k if k < n else period - k)
        elif mode == "replicate":
            out.append(min(max(j, 0), n - 1))
        else:  # circular
            out.append(j % n)
    return out


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Any:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims (``pad`` lists (before, after) amounts, last dim first).

    ``constant`` fills with ``value`` (ConstantPadNdBackward0); ``reflect``, ``replicate`` and
    ``circular`` read the input at mirrored, clamped or wrapped positions (gathered with index_select).
    """
    from ..factories import tensor as _tensor
    from .indexing import index_select

    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    pairs = tuple((pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2))
    if mode == "constant":
        return CONSTANT_PAD.dispatch((input,), (pairs, 0.0 if value is None else float(value)))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    k = len(pairs)
    if k > 3 or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    out = input
    for j, (before, after) in enumerate(pairs):
        d = input.dim() - 1 - j
        n = input.shape[d]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        idx = _tensor(_pad_index(n, before, after, mode), device=input._backend)
        out = index_select(out, d, idx)
    return out


# --- binary_cross_entropy ---------------------------------------------------------------------------------
#
# On probabilities: -w * (y * log(x) + (1 - y) * log(1 - x)) with each log clamped at -100, as PyTorch's
# kernel clamps it (so x = 0 or 1 gives a finite loss). Its input gradient divides by x * (1 - x) clamped
# at 1e-12 (PyTorch's EPSILON); the target gradient is -logit(x). The weight is a constant rescaling.

_BCE_EPSILON = 1e-12


def _bce_vjp(ctx: Any, g: Any) -> tuple:
    from .elementwise import clamp, log, log1p

    x, y, w = ctx.inputs
    (reduction,) = ctx.attrs
    need = ctx.needs_input_grad
    if reduction == "mean":
        g = g / x.numel()
    if w is not None:
        g = g * w
    gx = g * (x - y) / clamp((1 - x) * x, min=_BCE_EPSILON) if need[0] else None
    gy = g * (log1p(-x) - log(x)) if need[1] else None
    return gx, gy, None


def _np_bce(np: Any, x: Any, y: Any, w: Any, reduction: str) -> Any:
    with np.errstate(divide="ignore"):
        loss = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
    if w is not None:
        loss = loss * w
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _bce_samples() -> list:
    out = [Sample((T((3, 4), 0.05, 0.95), T((3, 4), 0, 1), None), (r,), name=r) for r in _REDUCTIONS]
    out.append(Sample((T((3, 4), 0.05, 0.95), T((3, 4), 0, 1), T((3, 4), 0.5, 2, grad=False)), ("mean",),
                      name="weight"))
    out.append(Sample((T((5,), 0.05, 0.95), T((5,), 0, 1), None), ("sum",), name="vector"))
    out.append(Sample((T((), 0.05, 0.95), T((), 0, 1), None), ("mean",), name="zero_dim"))
    return out


BCE = defop("binary_cross_entropy", 3, vjp=_bce_vjp, node="BinaryCrossEntropyBackward0", saves=((0, 1, 2),) * 3,
            samples=_bce_samples, reference=_np_bce)


@generic("binary_cross_entropy")
def _bce_kernel(xp: Any) -> Any:
    def binary_cross_entropy(x: Any, y: Any, w: Any, reduction: str) -> Any:
        floor = xp.asarray(-100, dtype=x.dtype)
        log_x = xp.maximum(xp.log(x), floor)
        log_1mx = xp.maximum(xp.log1p(-x), floor)
        loss = (y - 1) * log_1mx - y * log_x
        if w is not None:
            loss = loss * w
        if reduction == "none":
            return loss
        return xp.sum(loss) if reduction == "sum" else xp.mean(loss)

    return binary_cross_entropy


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                         reduce: Any = None, reduction: str = "mean") -> Any:
    """Binary cross entropy of probabilities ``input`` against ``target`` (BinaryCrossEntropyBackward0)."""
    from .comparison import ge, le
    from .elementwise import logical_and

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the input size "
                         f"({input.shape!r}) is deprecated. Please ensure they have the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.legacy[:-6]} but expected {input.dtype.legacy[:-6]}")
    if weight is not None:
        weight = _expand_weight(weight, tuple(input.shape)).detach()
        weight = weight.to(input.dtype) if weight.dtype is not input.dtype else weight
    if input.numel() and not bool(logical_and(ge(input, 0), le(input, 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return BCE.dispatch((input, target, weight), (reduction,))


def _expand_weight(weight: Any, shape: tuple) -> Any:
    """``weight`` expanded to ``shape``, with PyTorch's error when it does not broadcast there."""
    ws = tuple(weight.shape)
    ok = len(ws) <= len(shape) and all(a in (1, b) for a, b in zip(reversed(ws), reversed(shape)))
    if not ok:
        for i in range(1, len(ws) + 1):
            if i > len(shape) or ws[-i] not in (1, shape[-i]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {ws[-i]} at -{i}! Mismatching "
                                   f"argument at index 1 had torch.Size({list(ws)}); but expected shape should be "
                                   f"broadcastable to {list(shape)}")
    return weight.expand(shape)


# --- linear and dropout (compositions, with PyTorch's graphs) --------------------------------------------


def linear(input: Any, weight: Any, bias: Any = None) -> Any:  # noqa: A002
    """``input @ weight.T + bias``: AddmmBackward0 over TBackward0 for 2-d input, as in PyTorch."""
    from . import linalg
    from .shape import reshape, t

    wt = t(weight)
    nd = input.dim()
    addmm = getattr(linalg, "addmm", None)
    if bias is not None and addmm is not None and nd >= 1:
        if nd == 2:
            return addmm(bias, input, wt)
        x2 = reshape(input, (-1, input.shape[-1]))
        out = addmm(bias, x2, wt)
        return reshape(out, tuple(input.shape[:-1]) + (weight.shape[0],))
    out = linalg.matmul(input, wt)
    return out + bias if bias is not None else out


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (MulBackward0, as in PyTorch)."""
    from ..autograd.grad_mode import no_grad
    from ..factories import _bernoulli_scalar, zeros

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    with no_grad():
        if p == 1.0:
            noise = zeros(tuple(input.shape), dtype=input.dtype, device=input._backend)
        else:
            noise = _bernoulli_scalar(input, 1.0 - p, None) / (1.0 - p)
    if inplace:
        return input.mul_(noise)
    return input * noise


def glu(input: Any, dim: int = -1) -> Any:  # noqa: A002
    """The gated linear unit ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input`` along ``dim``."""
    from .elementwise import sigmoid
    from .shape import chunk

    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.dtype.is_complex:
        from .elementwise import complex_refused

        raise complex_refused("glu_cpu", input)
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = chunk(input, 2, d)
    return a * sigmoid(b)


def _feature_dropout(input: Any, p: float, training: bool, inplace: bool, channel_dims: int) -> Any:  # noqa: A002
    """Zero whole channels: one draw per entry of the first ``channel_dims`` dims, the rest scaled by 1 / (1 - p)."""
    from ..autograd.grad_mode import no_grad
    from ..factories import rand, zeros

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:channel_dims]) + (1,) * (input.dim() - channel_dims)
    with no_grad():
        if p == 1.0:
            noise = zeros(shape, dtype=input.dtype, device=input._backend)
        else:
            noise = (rand(shape, dtype=input.dtype, device=input._backend) < (1.0 - p)).to(input.dtype) / (1.0 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() - 1)


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:  # noqa: A002
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p`` (3-d input: see PyTorch's
    warning, it is taken as (N, C, L))."""
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, min(2, input.dim()))


def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    if input.dim() not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on "
                      "inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, input.dim() - 3 if input.dim() in (4, 5) else 1)


__all__: list[str] = []
TENSOR_METHODS: dict = {}
