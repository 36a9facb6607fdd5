"""Losses composed of plugrad ops, as PyTorch's ATen composes them: their gradients come from the parts.

kl_div, poisson and gaussian NLL, the margin losses (ranking, hinge, soft, multi-label soft,
multi-class, cosine embedding, triplet). Each takes ``torch.nn.functional``'s arguments and raises PyTorch's
errors for bad ones; ``plugrad.nn.functional`` exports them. The primitive losses (mse, nll, the binary cross
entropies) are ops in ``ops/nn.py``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import dtypes as _dt
from .nn import _reduction, legacy_reduction

_COSINE_EPSILON = 1e-12


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return _reduction(reduction)


def _broadcast(input: Any, target: Any) -> tuple:  # noqa: A002
    from .shape import broadcast_tensors

    if tuple(input.shape) == tuple(target.shape):
        return input, target
    return tuple(broadcast_tensors(input, target))


# --- kl_div, poisson_nll_loss, gaussian_nll_loss ------------------------------------------------------------


def _xlogy_self(t: Any) -> Any:
    """``t * log(t)``, 0 where ``t`` is 0 (PyTorch's ``xlogy(t, t)``), with a finite gradient there."""
    from .comparison import eq, where

    zero = eq(t, 0)
    return where(zero, 0.0, t * where(zero, 1.0, t).log())


def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Any:
    """Pointwise KL divergence ``target * (log(target) - input)`` of log-probabilities ``input``.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence proper); ``'mean'``
    divides by every element, with PyTorch's warning about it.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
        if reduction != "batchmean":
            _reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> Any:
    """Negative log likelihood of ``target`` under a Poisson of rate ``exp(input)`` (or ``input``)."""
    from .comparison import le

    reduction = _legacy(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(le(target, 1), 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean") -> Any:
    """Negative log likelihood of ``target`` under a Gaussian of mean ``input`` and variance ``var``."""
    from ..autograd.grad_mode import no_grad
    from .creation import ones_like
    from .shape import unsqueeze

    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = unsqueeze(var, -1)
        elif input.dim() == var.dim() and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- margin losses -------------------------------------------------------------------------------------------


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0, size_average: Any = None,
                        reduce: Any = None, reduction: str = "mean") -> Any:
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = _legacy(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
            f"{input1.shape!r}, input2: {input2.shape!r}, target: {target.shape!r} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0, size_average: Any = None,  # noqa: A002
                         reduce: Any = None, reduction: str = "mean") -> Any:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    from .comparison import ne, where

    reduction = _legacy(size_average, reduce, reduction)
    margin_clamp = (margin - input).clamp_min(0)
    loss = where(ne(target, 1), margin_clamp, 0.0) + where(ne(target, -1), input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                     reduction: str = "mean") -> Any:
    """``log(1 + exp(-target * input))``."""
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                                reduce: Any = None, reduction: str = "mean") -> Any:
    """Binary cross entropy of ``sigmoid(input)`` per class, averaged over the classes (the last dim)."""
    from .activation import logsigmoid

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,  # noqa: A002
                      size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Any:
    """Multi-class hinge loss: ``sum_j max(0, margin - x[y] + x[j])**p / C`` over the classes ``j != y``."""
    from ..factories import arange
    from .comparison import ne
    from .indexing import gather
    from .shape import reshape

    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input.dim()
    if not ((nd == 1 and input.shape[0] != 0) or (nd == 2 and input.shape[1] != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if target.dtype.is_floating_point or target.dtype is _dt.bool_:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.legacy[:-6]}")
    n = input.shape[0] if nd == 2 else 1
    c = input.shape[-1] if nd else 1
    if not (target.dim() <= 1 and target.numel() == n):
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{n}], but got {list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if target.numel() and (bool((target < 0).any()) or bool((target >= c).any())):
        raise RuntimeError("target out of range")
    x = reshape(input, (n, c))
    t = reshape(target, (n, 1))
    x_y = gather(x, 1, t)
    z = (margin - x_y + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * gather(weight, 0, reshape(target, (n,))).reshape((n, 1))
    z = z * ne(arange(c, device=x._backend), t).to(x.dtype)  # Note: the target's own class adds nothing
    loss = z.sum(1) / c
    if reduction == "none":
        return loss if nd == 2 else reshape(loss, tuple(target.shape) if nd == 1 and target.dim() else ())
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0, size_average: Any = None,
                          reduce: Any = None, reduction: str = "mean") -> Any:
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where it is -1."""
    from .comparison import eq, where

    reduction = _legacy(size_average, reduce, reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1 and not (input1.dim() == 2 and input2.dim() == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if targ_dim == 0 and not (input1.dim() == 1 and input2.dim() == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + _COSINE_EPSILON
    mag_square2 = (input2 * input2).sum(targ_dim) + _COSINE_EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    loss = where(eq(target, 1), 1 - cos, 0.0) + where(eq(target, -1), (cos - margin).clamp_min(0), 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Any:
    """``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` with ``d`` the pairwise p-norm distance."""
    from .distance import pairwise_distance
    from .elementwise import minimum

    reduction = _legacy(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *, distance_function: Any = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Any:
    """:func:`triplet_margin_loss` with any ``distance_function`` (pairwise_distance by default)."""
    from .distance import pairwise_distance
    from .elementwise import minimum

    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    dist_pos = dist(anchor, positive)
    dist_neg = dist(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, dist(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


__all__: list[str] = []
