"""``F.linear_cross_entropy``: ``cross_entropy(linear(input, linear_weight, linear_bias), target)``, either as
those two calls (``options=None``) or, given :class:`LinearCrossEntropyOptions`, chunked over the batch so that
the whole ``(N, C)`` logits matrix never exists at once, as PyTorch 2.13 defines it.

The chunked path computes the gradients during the forward pass, one chunk of rows at a time, and its backward
only scales them by the incoming gradient (``reduction='none'`` recomputes them in backward instead); so, as in
PyTorch, it is differentiable once, and a second backward needs ``allow_retain_graph=True``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any, Literal, NamedTuple

from .. import dtypes as _dt
from .. import factories, ops
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor

__all__ = ["LinearCrossEntropyOptions", "linear_cross_entropy"]


class _AutoDefault(NamedTuple):
    acc_policy: str
    chunking_method: str


# PyTorch's per-(device, dtype) picks for "auto" (measured on A100 and x86 CPUs); others fall back.
_AUTO_DEFAULTS: dict[tuple[str, Any], _AutoDefault] = {
    ("cuda", _dt.float16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cpu", _dt.float16): _AutoDefault("accurate", "aspect_ratio"),
}
if hasattr(_dt, "bfloat16"):
    _AUTO_DEFAULTS[("cuda", _dt.bfloat16)] = _AutoDefault("compact", "aspect_ratio:2")
    _AUTO_DEFAULTS[("cpu", _dt.bfloat16)] = _AutoDefault("accurate", "aspect_ratio")
_AUTO_FALLBACK = _AutoDefault("compact", "aspect_ratio:2")


def _half_dtypes() -> set[Any]:
    return {d for d in (_dt.float16, getattr(_dt, "bfloat16", None)) if d is not None}


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """How :func:`linear_cross_entropy` chunks the batch: ``batch_chunk_size`` rows per chunk, or a size from
    ``chunking_method`` (``"aspect_ratio"``, ``"aspect_ratio:N"``, ``"auto"``, or None to use
    ``batch_chunk_size``); ``acc_policy`` and ``acc_dtype`` choose the accumulation precision for half inputs;
    ``allow_retain_graph`` allows a second backward of the scalar reductions."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: Any = None

    def __post_init__(self) -> None:
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {self.batch_chunk_size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in {*_half_dtypes(), _dt.float32, _dt.float64}:
            raise ValueError(f"acc_dtype must be one of {{None, torch.float16, torch.bfloat16, torch.float32, "
                             f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick "
                             "automatically.")

    @staticmethod
    def _ceil_div(a: int, b: int) -> int:
        return -(-a // b)

    @staticmethod
    def _resolve_auto_acc_dtype(dtype: Any, device: Any) -> Any:
        """float32 for half inputs on devices with mixed-precision products (the CPU, CUDA), else None."""
        if device is None or dtype not in _half_dtypes():
            return None
        if device.type in ("cpu", "cuda"):
            return _dt.float32
        return None

    def _compute_batch_chunk_size(self, num_batches: int, in_features: int, num_classes: int,
                                  method: str | None = None) -> int:
        """Rows per chunk so that a chunk's ``(rows, C)`` logits take as much memory as the ``(N, in_features)``
        input (``aspect_ratio``), divided by N (``aspect_ratio:N``)."""
        method = str(method if method is not None else self.chunking_method)
        if method.startswith("aspect_ratio"):
            factor = int(method.split(":", 1)[1]) if ":" in method else 1
            inc_factor = self._ceil_div(num_classes, in_features)
            target = self._ceil_div(num_batches, inc_factor)
            chunk_size = 1 << (target - 1).bit_length()  # the next power of 2 >= target
            return min(chunk_size // factor, num_batches)
        raise AssertionError(f"unhandled chunking_method: {method!r}")

    def _adjust(self, num_batches: int, in_features: int, num_classes: int, dtype: Any,
                device: Any = None) -> LinearCrossEntropyOptions:
        """These options with every ``"auto"`` and None resolved for one call."""
        acc_policy = self.acc_policy
        chunking_method = self.chunking_method
        if chunking_method == "auto" and self.batch_chunk_size is not None:
            chunking_method = None
        if acc_policy == "auto" or chunking_method == "auto":
            ap, cm = _AUTO_DEFAULTS.get((device.type, dtype), _AUTO_FALLBACK) if device is not None else _AUTO_FALLBACK
            if acc_policy == "auto":
                acc_policy = ap  # type: ignore[assignment]
            if chunking_method == "auto":
                chunking_method = cm
        batch_chunk_size = num_batches if self.batch_chunk_size is None else min(self.batch_chunk_size, num_batches)
        if chunking_method is not None:
            batch_chunk_size = self._compute_batch_chunk_size(num_batches, in_features, num_classes, chunking_method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != batch_chunk_size:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method "
                                 f"('{chunking_method}') give different chunk sizes ({self.batch_chunk_size} vs "
                                 f"{batch_chunk_size}); pass only one.")
        if self.acc_dtype is None:
            auto_acc = self._resolve_auto_acc_dtype(dtype, device) if self.acc_policy == "auto" else None
            acc_dtype = auto_acc if auto_acc is not None else dtype
        else:
            acc_dtype = self.acc_dtype
        return dataclasses.replace(self, acc_policy=acc_policy, chunking_method=chunking_method,
                                   batch_chunk_size=max(1, batch_chunk_size), acc_dtype=acc_dtype)


# --- the chunked computation ---------------------------------------------------------------------------------


def _chunked(input: Tensor, linear_weight: Tensor, target: Tensor, linear_bias: Tensor | None,  # noqa: A002
             weight: Tensor | None, reduction: str, ignore_index: int, batch_chunk_size: int, acc_dtype: Any,
             grads: tuple[bool, bool, bool], loss_grad_output: Tensor | None = None) -> tuple:
    """``(loss, grad_input, grad_linear_weight, grad_linear_bias)`` chunk by chunk; the gradients are those
    asked for in ``grads`` (input, linear weight, linear bias), None otherwise. The loss is per row for
    ``reduction='none'`` (when ``loss_grad_output`` is None, else only the gradients are computed)."""
    dtype = input.dtype
    if dtype != acc_dtype and not (dtype in _half_dtypes() and acc_dtype == _dt.float32):
        raise RuntimeError(f"linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but got "
                           f"{acc_dtype} acc_dtype and {dtype} inputs.")
    compute_input_grad, compute_weight_grad, compute_bias_grad = grads
    num_batches, in_features = input.shape
    num_classes = linear_weight.shape[0]
    with no_grad():
        x_all = input.detach().to(acc_dtype)
        w_lin = linear_weight.detach().to(acc_dtype)
        b_lin = None if linear_bias is None else linear_bias.detach().to(acc_dtype)
        mask = target == ignore_index
        corrected = target.masked_fill(mask, 0) if ignore_index < 0 or ignore_index >= num_classes else target
        if weight is None:
            scale = (~mask).to(acc_dtype)
        else:
            scale = weight.detach().to(acc_dtype).index_select(0, corrected).masked_fill(mask, 0.0)
        if reduction == "mean":
            total = scale.sum()
            scale = scale / (-total if bool(total != 0) else math.nan)
        elif reduction == "sum":
            scale = -scale
        elif loss_grad_output is not None:
            scale = -scale * loss_grad_output.detach().to(acc_dtype)
        per_row = reduction == "none" and loss_grad_output is None
        device = input.device
        losses = []
        output = factories.zeros((), dtype=acc_dtype, device=device)
        grad_input: list[Tensor] | None = [] if compute_input_grad else None
        grad_weight = factories.zeros(tuple(w_lin.shape), dtype=acc_dtype, device=device) if compute_weight_grad \
            else None
        grad_bias = factories.zeros((num_classes,), dtype=acc_dtype, device=device) if compute_bias_grad else None
        for start in range(0, num_batches, batch_chunk_size):
            size = min(batch_chunk_size, num_batches - start)
            x = x_all.narrow(0, start, size)
            t = corrected.narrow(0, start, size)
            s = scale.narrow(0, start, size)
            logits = x @ w_lin.mT
            if b_lin is not None:
                logits = logits + b_lin
            logits = logits - logits.amax(1, keepdim=True)  # for the softmax's stability
            z_target = logits.gather(1, t.unsqueeze(1)).squeeze(1)
            exp = logits.exp()
            denom = exp.sum(1)
            if per_row:
                losses.append((denom.log() - z_target) * s)
                continue
            output = output + s.dot(z_target) - s.dot(denom.log())
            # Note: with s = -w / d (or -w, or -w * grad), scaled is s * softmax: each gradient is
            # sum_i s_i (onehot_i - softmax_i) times the row's factor
            scaled = exp * (s / denom).unsqueeze(1)
            if grad_bias is not None:
                grad_bias = (grad_bias - scaled.sum(0)).index_add(0, t, s)
            if grad_input is not None:
                grad_input.append(w_lin.index_select(0, t) * s.unsqueeze(1) - scaled @ w_lin)
            if grad_weight is not None:
                grad_weight = (grad_weight - scaled.mT @ x).index_add(0, t, x * s.unsqueeze(1))
        if per_row:
            loss = (ops.cat(losses) if losses else factories.zeros((0,), dtype=acc_dtype, device=device))
            return loss.to(dtype), None, None, None
        if reduction == "mean" and num_batches == 0:
            output = factories.full((), math.nan, dtype=acc_dtype, device=device)
        gi = None
        if grad_input is not None:
            gi = (ops.cat(grad_input) if grad_input else factories.zeros((0, in_features), dtype=acc_dtype,
                                                                                device=device)).to(dtype)
        return (output.to(dtype), gi, None if grad_weight is None else grad_weight.to(dtype),
                None if grad_bias is None else grad_bias.to(dtype))


_TWICE = ("linear_cross_entropy chunked backward called twice; retain_graph=True / double backward are not "
          "supported.")


class GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_default(Function):  # noqa: N801
    """The scalar reductions: the gradients come from the forward pass, scaled by the incoming gradient."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, linear_weight: Tensor, target: Tensor,  # noqa: A002
                linear_bias: Tensor | None, weight: Tensor | None, reduction: str, ignore_index: int,
                batch_chunk_size: int, acc_dtype: Any, allow_retain_graph: bool,
                wanted: tuple[bool, bool, bool]) -> Tensor:
        loss, ctx.gi, ctx.gw, ctx.gb = _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                                                ignore_index, batch_chunk_size, acc_dtype, wanted)
        ctx.wanted = wanted
        ctx.allow_retain_graph = allow_retain_graph
        return loss

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple:
        result: list[Any] = [None] * 11
        for slot, (position, attr) in enumerate(((0, "gi"), (1, "gw"), (3, "gb"))):
            if not ctx.wanted[slot]:
                continue
            grad = getattr(ctx, attr)
            if not ctx.allow_retain_graph:
                if grad is None:
                    raise RuntimeError(_TWICE)
                setattr(ctx, attr, None)
            result[position] = grad * grad_output
        return tuple(result)


class GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_default(Function):  # noqa: N801
    """``reduction='none'``: the per-row losses; backward recomputes the gradients, chunk by chunk."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, linear_weight: Tensor, target: Tensor,  # noqa: A002
                linear_bias: Tensor | None, weight: Tensor | None, ignore_index: int, batch_chunk_size: int,
                acc_dtype: Any) -> Tensor:
        ctx.saved = (input.detach(), linear_weight.detach(), target,
                     None if linear_bias is None else linear_bias.detach(),
                     None if weight is None else weight.detach())
        ctx.config = (ignore_index, batch_chunk_size, acc_dtype)
        return _chunked(input, linear_weight, target, linear_bias, weight, "none", ignore_index, batch_chunk_size,
                        acc_dtype, (False, False, False))[0]

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple:
        input, linear_weight, target, linear_bias, weight = ctx.saved  # noqa: A001
        needs = ctx.needs_input_grad
        wanted = (bool(needs[0]), bool(needs[1]), linear_bias is not None and bool(needs[3]))
        result: list[Any] = [None] * 8
        if not any(wanted):
            return tuple(result)
        ignore_index, batch_chunk_size, acc_dtype = ctx.config
        _, gi, gw, gb = _chunked(input, linear_weight, target, linear_bias, weight, "none", ignore_index,
                                 batch_chunk_size, acc_dtype, wanted, loss_grad_output=grad_output)
        result[0], result[1], result[3] = gi, gw, gb
        return tuple(result)


def _gradients_wanted(input: Tensor, linear_weight: Tensor, linear_bias: Tensor | None) -> tuple[bool, bool, bool]:  # noqa: A002
    """Which gradients the chunked forward computes: those of the inputs that require grad, in grad mode."""
    enabled = is_grad_enabled()
    return (input.requires_grad and enabled, linear_weight.requires_grad and enabled,
            linear_bias is not None and linear_bias.requires_grad and enabled)


# --- the function --------------------------------------------------------------------------------------------


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,  # noqa: A002
                         linear_bias: Tensor | None = None, weight: Tensor | None = None, reduction: str = "mean",
                         ignore_index: int | None = None, label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """The cross entropy of ``linear(input, linear_weight, linear_bias)`` against ``target``: class indices
    (``ignore_index`` defaults to -100) or probabilities. ``linear_weight`` is ``(C, in_features)``, or
    ``(C, d_1, ..., d_K, in_features)`` for a K-dimensional loss (batched input only). With ``options`` the
    batch is processed in chunks (mean, sum or none reduction, no label smoothing, int64 class indices,
    ``(C,)`` bias); other configurations warn and take the reference path."""
    from . import functional as F

    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    num_batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not num_batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    # Note: as cross_entropy, a target of the logits' shape holds probabilities
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    chunkable = (reduction in {"mean", "sum", "none"} and label_smoothing == 0.0 and target.dtype == _dt.int64
                 and not out_features)
    if options is not None and not chunkable:
        warnings.warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
                      "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, out_features == (). Got "
                      f"reduction={reduction!r}, label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                      f"out_features={out_features}, tracing=False, linear_bias.shape="
                      f"{tuple(linear_bias.shape) if linear_bias is not None else None}.", stacklevel=2)
    if options is not None and chunkable:
        batched = input.dim() == 2
        if not batched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)  # noqa: A001
        resolved = options._adjust(num_batches=input.shape[0], in_features=in_features, num_classes=num_classes,
                                   dtype=input.dtype, device=input.device)
        chunk = int(resolved.batch_chunk_size or 1)
        if reduction == "none":
            result = GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_default.apply(
                input, linear_weight, target, linear_bias, weight, ignore_index, chunk, resolved.acc_dtype)
        else:
            result = GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_default.apply(
                input, linear_weight, target, linear_bias, weight, reduction, ignore_index, chunk, resolved.acc_dtype,
                resolved.allow_retain_graph, _gradients_wanted(input, linear_weight, linear_bias))
        return result if batched else result.squeeze(0)
    if out_features:
        linear_weight = linear_weight.reshape((math.prod(out_features, start=num_classes), in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(math.prod(out_features, start=num_classes))
    logits = F.linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return F.cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                           label_smoothing=label_smoothing)
