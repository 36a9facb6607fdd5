"""Functional layers composed of other ``nn.functional`` forms: power-average pooling, local response
normalisation, the bilinear map, alpha dropout, channel shuffling, max unpooling, embedding bags and the
multi-label margin loss. Each follows PyTorch's composition, so values and gradients agree with it."""

from __future__ import annotations

import math
from typing import Any

from ..ops.activation import relu
from ..ops.convolution import _ntuple
from ..ops.nn import avg_pool2d, embedding, pad
from ..ops.pooling import avg_pool1d
from ..ops.volumetric import avg_pool3d


def lp_pool1d(input: Any, norm_type: float, kernel_size: int, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Any:
    """``(sum over each window of x ** p) ** (1 / p)`` along the last dim."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool2d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Any:
    """``(sum over each window of x ** p) ** (1 / p)`` over the last two dims."""
    kh, kw = _ntuple(kernel_size, 2, "kernel_size")
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kh * kw).pow(1.0 / norm_type)


def lp_pool3d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Any:
    """``(sum over each window of x ** p) ** (1 / p)`` over the last three dims."""
    kd, kh, kw = _ntuple(kernel_size, 3, "kernel_size")
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kd * kh * kw).pow(1.0 / norm_type)


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0) -> Any:
    """``x / (k + alpha * mean of x**2 over ``size`` neighbouring channels) ** beta``."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).reshape(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Any:
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    o, i, j = weight.shape
    if input1.shape[-1] != i:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {i}")
    if input2.shape[-1] != j:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {j}")
    tmp = input1.matmul(weight.permute(1, 0, 2).reshape(i, o * j)).reshape(*input1.shape[:-1], o, j)
    out = (tmp * input2.unsqueeze(-2)).sum(-1)
    return out + bias if bias is not None else out


_SELU_ALPHA = 1.7580993408473766  # -scale * alpha of SELU: the value a dropped unit takes


def _alpha_dropout(input: Any, p: float, training: bool, inplace: bool, feature: bool) -> Any:  # noqa: A002
    from ..autograd.grad_mode import no_grad
    from ..factories import _bernoulli_scalar, empty, zeros

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        z = zeros((), dtype=input.dtype, device=input._backend)
        return input.mul_(z) if inplace else input * z
    with no_grad():
        if feature:
            if input.dim() < 2:
                raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
            shape = (input.shape[0], input.shape[1], *([1] * (input.dim() - 2)))
            noise = _bernoulli_scalar(empty(shape, dtype=input.dtype, device=input._backend), 1.0 - p, None)
        else:
            noise = _bernoulli_scalar(input, 1.0 - p, None)
        a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul(_SELU_ALPHA * a).add(_SELU_ALPHA * a * p)
        noise = noise.mul(a)
    if inplace:
        return input.mul_(noise).add_(b)
    return input * noise + b


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False, inplace: bool = False) -> Any:  # noqa: A002
    """Dropout that keeps SELU's zero mean and unit variance: dropped units take SELU's negative saturation,
    then an affine map restores the moments."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Any:
    """Alpha dropout of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)


def channel_shuffle(input: Any, groups: int) -> Any:  # noqa: A002
    """Split the channels (dim 1) into ``groups`` groups and interleave them."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


def _max_unpool(input: Any, indices: Any, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
                output_size: Any, n: int) -> Any:
    from ..factories import zeros

    k = _ntuple(kernel_size, n, "kernel_size")
    s = k if stride is None else _ntuple(stride, n, "stride")
    p = _ntuple(padding, n, "padding")
    spatial = tuple(input.shape[-n:])
    default = [(spatial[d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(n)]
    if output_size is None:
        out = default
    else:
        out = [int(v) for v in output_size]
        if len(out) == n + 2:
            out = out[2:]
        elif len(out) == n + 1 and input.dim() == n + 1:
            out = out[1:]
        if len(out) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(out)}'")
        for d in range(n):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < out[d] < hi:
                raise ValueError(f'invalid output_size "{out}" (dim {d} must be between {lo} and {hi})')
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    lead = tuple(input.shape[:-n])
    volume = math.prod(out)
    flat = input.reshape(*lead, -1)
    buf = zeros((*lead, volume), dtype=input.dtype, device=input._backend)
    return buf.scatter(-1, indices.reshape(*lead, -1), flat).reshape(*lead, *out)


def max_unpool1d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                 output_size: Any = None) -> Any:
    """The partial inverse of ``max_pool1d``: each value back at its index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                 output_size: Any = None) -> Any:
    """The partial inverse of ``max_pool2d``: each value back at its flat index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                 output_size: Any = None) -> Any:
    """The partial inverse of ``max_pool3d``: each value back at its flat index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


def embedding_bag(input: Any, weight: Any, offsets: Any = None, max_norm: float | None = None,  # noqa: A002
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Any:
    """The sums, means or maxima of bags of embeddings: rows of a 2-d ``input``, or ``input[offsets[i]:
    offsets[i + 1]]`` of a 1-d one. Entries equal to ``padding_idx`` are left out; an empty bag gives zeros."""
    from ..factories import zeros
    from ..ops.shape import stack

    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}) is not None, then "
                         f"it must have the same shape as the input ({list(input.shape)})")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type Tensor")
        bags = [(r * input.shape[1], (r + 1) * input.shape[1]) for r in range(input.shape[0])]
        input = input.reshape(-1)  # noqa: A001
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = [int(v) for v in offsets.tolist()]
        if include_last_offset:
            ends, starts = starts[1:], starts[:-1]
        else:
            ends = starts[1:] + [input.shape[0]]
        bags = list(zip(starts, ends))
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += weight.shape[0]
    if max_norm is not None:
        embedding(input, weight, max_norm=max_norm, norm_type=norm_type)
    ids = [int(v) for v in input.tolist()]
    rows = embedding(input, weight, None, None, 2.0, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(-1)
    empty = zeros(weight.shape[1], dtype=weight.dtype, device=weight._backend)
    outs = []
    for a, b in bags:
        keep = [t for t in range(a, min(b, len(ids))) if ids[t] != padding_idx]
        if not keep:
            outs.append(empty)
            continue
        sel = rows.index_select(0, input.new_tensor(keep))
        if mode == "sum":
            outs.append(sel.sum(0))
        elif mode == "mean":
            outs.append(sel.sum(0) / len(keep))
        else:
            outs.append(sel.max(0).values)
    if not outs:
        return zeros((0, weight.shape[1]), dtype=weight.dtype, device=weight._backend)
    return stack(outs, 0)


def multilabel_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                           reduction: str = "mean") -> Any:
    """``sum_j sum_{i not a target} max(0, 1 - (x[y_j] - x[i])) / C`` per sample, the targets ``y`` those
    before the first -1."""
    from ..ops.loss import _reduce
    from ..ops.nn import legacy_reduction

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if input.dim() > 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    squeezed = input.dim() <= 1
    x = input.reshape(1, -1) if squeezed else input
    tgt = target.reshape(1, -1).tolist() if squeezed else target.tolist()
    c = x.shape[1]
    valid, is_target = [], []
    for row in tgt:
        ys: list = []
        for v in row:
            if v < 0:
                break
            if v >= c:
                raise IndexError(f"target {v} is out of bounds for {c} classes")
            ys.append(v)
        valid.append([1.0] * len(ys) + [0.0] * (c - len(ys)))
        is_target.append([1.0 if i in ys else 0.0 for i in range(c)])
    ycols = [[v if v >= 0 else 0 for v in row] for row in tgt]
    picked = x.gather(1, target.new_tensor(ycols).reshape(x.shape[0], c))  # x[y_j], (N, C)
    margins = relu(1 - picked.unsqueeze(2) + x.unsqueeze(1))  # (N, j, i)
    weight = x.new_tensor(valid).unsqueeze(2) * (1 - x.new_tensor(is_target)).unsqueeze(1)
    loss = (margins * weight).sum((1, 2)) / c
    if squeezed:
        loss = loss.reshape(()) if input.dim() == 0 else loss.squeeze(0)
    return _reduce(loss, reduction)


def gumbel_softmax(logits: Any, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Any:
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with ``g`` standard Gumbel
    noise (drawn as PyTorch draws it: ``-log`` of an exponential draw); with ``hard``, the one-hot argmax in the
    forward pass and the soft sample's gradient (the straight-through estimator)."""
    import warnings

    from .. import dtypes
    from ..autograd.grad_mode import no_grad
    from ..factories import rand, zeros

    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    with no_grad():
        u = rand(tuple(logits.shape), dtype=dtypes.float64, device=logits._backend)
        gumbels = -(-(-u).log1p()).to(logits.dtype).log()  # an exponential draw is -log(1 - u)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros(tuple(logits.shape), dtype=logits.dtype, device=logits._backend).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# --- connectionist temporal classification ------------------------------------------------------------------


def _lengths(value: Any, n: int, what: str) -> list:
    lengths = value.reshape(-1).tolist() if hasattr(value, "_data") else \
        ([int(value)] if isinstance(value, int) else [int(v) for v in value])
    if len(lengths) != n:
        raise RuntimeError(f"{what} must be of size batch_size")
    return [int(v) for v in lengths]


def _safe_logsumexp(parts: Any) -> Any:
    """``logsumexp`` over dim 0 that stays -inf, with a zero gradient, where every part is -inf (the plain form
    would give NaN gradients there, and the CTC recursion is full of unreachable states)."""
    from ..ops.comparison import where

    hopeless = (parts == -math.inf).all(0)
    safe = where(hopeless.unsqueeze(0), 0.0, parts)
    return where(hopeless, -math.inf, safe.logsumexp(0))


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Any:
    """The negative log likelihood of ``targets`` summed over all alignments of ``log_probs`` (T, N, C), by the
    forward (alpha) recursion over time in log space, built of plugrad ops so autograd gives the gradient.

    ``targets`` is (N, S) padded or the 1-D concatenation of all targets; ``reduction="mean"`` divides each loss
    by its target length before averaging. As PyTorch's kernel does, the gradient with respect to
    ``log_probs`` carries an extra ``exp(log_probs)`` term (the gradient of the logits when ``log_probs`` is a
    ``log_softmax``), which leaves gradients through a ``log_softmax`` exact.
    """
    from ..factories import tensor
    from ..ops.comparison import where
    from ..ops.shape import cat, stack

    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.dim() != 3:
        raise RuntimeError(f"ctc_loss expects log_probs of 2 or 3 dimensions, got {log_probs.dim()}")
    steps, n, classes = lp.shape
    if unbatched and targets.dim() == 1 and not hasattr(target_lengths, "_data") or \
            unbatched and hasattr(target_lengths, "_data") and target_lengths.dim() == 0:
        targets = targets.reshape(1, -1)
    in_lens = _lengths(input_lengths, n, "input_lengths")
    tg_lens = _lengths(target_lengths, n, "target_lengths")
    rows = targets.tolist()
    if targets.dim() == 1:
        starts = [sum(tg_lens[:b]) for b in range(n)]
        labels = [rows[s:s + ln] for s, ln in zip(starts, tg_lens)]
    else:
        labels = [rows[b][:tg_lens[b]] for b in range(n)]
    for b in range(n):
        if in_lens[b] > steps:
            raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value "
                               f"{in_lens[b]} (while checking arguments for ctc_loss_cpu)")
        if len(labels[b]) != tg_lens[b]:
            raise RuntimeError(f"Expected tensor to have size at least {tg_lens[b]} at dimension 1, but got size "
                               f"{len(labels[b])} for argument #2 'targets' (while checking arguments for "
                               f"ctc_loss_cpu)")
    width = 2 * max(tg_lens + [0]) + 1
    ext, skip = [], []
    for b in range(n):
        e = [blank] * width
        e[1:2 * tg_lens[b]:2] = labels[b]
        ext.append(e)
        skip.append([s >= 2 and e[s] != blank and e[s] != e[s - 2] for s in range(width)])
    dev = lp._backend
    ext_t = tensor(ext, dtype=_int64(), device=dev)
    skip_t = tensor(skip, device=dev)
    picked = lp.gather(2, ext_t.unsqueeze(0).expand(steps, n, width))  # (T, N, S'): log p of each state's label
    neg = -math.inf
    state = tensor(list(range(width)), device=dev)
    alpha: Any = where((state < 2).unsqueeze(0), picked[0], neg) if steps else None
    pad1 = lp.new_full((n, 1), neg)
    pad2 = lp.new_full((n, min(2, width)), neg)
    lens_t = tensor(in_lens, device=dev).unsqueeze(1)
    for t in range(1, steps):
        prev1 = cat([pad1, alpha[:, :-1]], 1)
        prev2 = where(skip_t, cat([pad2, alpha[:, :-2]], 1) if width > 2 else pad2[:, :width], neg)
        moved = _safe_logsumexp(stack([alpha, prev1, prev2], 0)) + picked[t]
        alpha = where(lens_t > t, moved, alpha)
    last = tensor([[2 * ln, max(2 * ln - 1, 0)] for ln in tg_lens], dtype=_int64(), device=dev)
    ends = alpha.gather(1, last) if alpha is not None else lp.new_full((n, 2), neg)
    ends = where(tensor([[True, ln > 0] for ln in tg_lens], device=dev), ends, neg)
    empty_input = tensor([ln == 0 for ln in in_lens], device=dev)
    losses = where(empty_input & tensor([ln == 0 for ln in tg_lens], device=dev), 0.0,
                   where(empty_input, math.inf, -_safe_logsumexp(ends.t())))
    # Note: PyTorch's gradient of log_probs adds exp(log_probs) over each sample's valid steps; this term is
    # zero in value and gives that gradient.
    valid = (tensor(list(range(steps)), device=dev).unsqueeze(1) < lens_t.t()).unsqueeze(2)
    grown = lp.exp()
    losses = losses + where(valid, grown - grown.detach(), 0.0).sum((0, 2))
    if zero_infinity:
        losses = where(losses == math.inf, 0.0, losses)
    if reduction == "none":
        return losses.reshape(()) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    return (losses / tensor([max(ln, 1) for ln in tg_lens], dtype=losses.dtype, device=dev)).mean()


def _int64() -> Any:
    from .. import dtypes

    return dtypes.int64


# --- fractional max pooling ---------------------------------------------------------------------------------


def _fractional_starts(samples: Any, size: int, out: int, pool: int) -> Any:
    """The first position of each pooling window along one dimension, from one uniform sample per plane
    (``samples``, any shape): PyTorch's generate_intervals, in the samples' precision."""
    import numpy as np

    kind = samples.dtype.type
    last = np.full(samples.shape + (min(out, 1),), size - pool, dtype=np.int64)
    if out <= 1:
        return last
    alpha = kind(size - pool) / kind(out - 1)
    steps = np.arange(out - 1, dtype=samples.dtype)
    starts = ((steps + samples[..., None]) * alpha).astype(np.int64) - (samples * alpha).astype(np.int64)[..., None]
    return np.concatenate([starts, last], axis=-1)


_FRACTIONAL_DIM_NAMES = ("time", "height", "width")


def _fractional_max_pool(input: Any, kernel_size: Any, output_size: Any, output_ratio: Any,  # noqa: A002
                         _random_samples: Any, nd: int) -> tuple:
    """``(values, indices)`` of fractional max pooling over the last ``nd`` (2 or 3) dimensions."""
    import numpy as np

    from ..factories import rand, tensor

    name = f"fractional_max_pool{nd}d"
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratios = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        output_size = tuple(int(input.size(d - nd) * r) for d, r in enumerate(ratios))
    outs = _ntuple(output_size, nd, "output_size")
    if _random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        _random_samples = rand(batch, input.size(-nd - 1), nd, dtype=input.dtype, device=input.device)
    where = name if nd == 2 else f"{name}_out"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    x = input.unsqueeze(0) if input.dim() == nd + 1 else input
    n, c, *spatial = x.shape
    for d, (size, o, k) in enumerate(zip(spatial, outs, kernel)):
        # Note: PyTorch lets the 2-d windows reach the last element but not the 3-d ones.
        if o + k - 1 > size or (nd == 3 and o + k - 1 == size):
            raise RuntimeError(f"{where}(): pool {_FRACTIONAL_DIM_NAMES[d + 3 - nd]} {k} too large relative to "
                               f"input {_FRACTIONAL_DIM_NAMES[d + 3 - nd]} {size}")
    if _random_samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if _random_samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {_random_samples.dim()}")
    if _random_samples.size(0) < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if _random_samples.size(1) != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if _random_samples.size(2) != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {_random_samples.size(2)}.")
    samples = np.asarray(_random_samples.detach().cpu().numpy(), dtype=np.dtype(str(input.dtype)[6:])
                         if input.dtype.is_floating_point else np.float32)[:n]
    # Note: PyTorch's 2-d pooling reads the width's sample first, the 3-d one time, height, width in order.
    sample_of = (1, 0) if nd == 2 else (0, 1, 2)
    windows = np.zeros((n, c, *outs, *kernel), dtype=np.int64)
    step = 1
    for d in reversed(range(nd)):
        starts = _fractional_starts(samples[..., sample_of[d]], spatial[d], outs[d], kernel[d])
        offsets = np.arange(kernel[d])
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d] = outs[d]
        kshape = [1] * (2 + 2 * nd)
        kshape[2 + nd + d] = kernel[d]
        windows += (starts.reshape(shape) + offsets.reshape(kshape)) * step
        step *= spatial[d]
    idx = tensor(windows.reshape(n, c, *outs, int(np.prod(kernel))), device=x.device)
    picked = x.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1)).reshape(tuple(idx.shape))
    values, which = picked.max(-1)
    indices = idx.gather(2 + nd, which.unsqueeze(-1)).squeeze(-1)
    if input.dim() == nd + 1:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def fractional_max_pool2d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,  # noqa: A002
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> Any:
    """``(values, indices)`` of max pooling over pseudo-random windows of ``kernel_size`` whose starts step by a
    fractional amount to reach ``output_size`` (or ``input size * output_ratio``); the steps come from
    ``_random_samples`` (N, C, 2) in [0, 1), drawn with :func:`plugrad.rand` when not given."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool3d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,  # noqa: A002
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> Any:
    """The 3-d :func:`fractional_max_pool2d_with_indices`: windows over (T, H, W), samples (N, C, 3)."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(input: Any, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """3-d fractional max pooling (see :func:`fractional_max_pool3d_with_indices`); the values, or both when
    ``return_indices``."""
    values, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         return_indices, _random_samples)
    return (values, indices) if return_indices else values


def fractional_max_pool2d(input: Any, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Fractional max pooling (see :func:`fractional_max_pool2d_with_indices`); the values, or both when
    ``return_indices``."""
    values, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         return_indices, _random_samples)
    return (values, indices) if return_indices else values
