"""Distances and similarities between vectors: normalize, cosine_similarity, pairwise_distance, cdist, pdist.

Compositions of plugrad ops written as PyTorch's ATen writes them (so values, broadcasting and the
gradient at zero distance agree: the norm's gradient is 0 there).
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Any:  # noqa: A002
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return out.copy_(input / denom)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps), dim)``, broadcasting ``x1`` against ``x2``."""
    from .shape import broadcast_tensors

    common = _dt.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {common.legacy[:-6]}")
    a, b = broadcast_tensors(x1, x2)
    a, b = a.to(common), b.to(common)
    n1 = a.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = b.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((a / n1) * (b / n2)).sum(dim)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Any:
    """``||x1 - x2 + eps||_p`` over the last dim (batched: rows of ``x1`` against rows of ``x2``)."""
    out_dim = max(x1.dim(), x2.dim())
    inner = out_dim - 1 if out_dim else 0
    diff = x1 - x2 + eps
    if out_dim == 0:
        return diff.abs()
    return diff.norm(p, inner, keepdim=keepdim)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Any:
    """The ``p``-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2`` (..., R, M)."""
    from .shape import unsqueeze

    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {x.dtype.legacy[:-6]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)
    return diff.norm(p, -1)


def pdist(input: Any, p: float = 2.0) -> Any:  # noqa: A002
    """The ``p``-norm distances between the rows of an (N, M) ``input``, pairs ``i < j`` in row-major order."""
    from ..factories import tensor
    from .indexing import index_select

    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    rows = [i for i in range(n) for _ in range(i + 1, n)]
    cols = [j for i in range(n) for j in range(i + 1, n)]
    idx_i = tensor(rows, dtype=_dt.int64, device=input._backend)
    idx_j = tensor(cols, dtype=_dt.int64, device=input._backend)
    diff = index_select(input, 0, idx_i) - index_select(input, 0, idx_j)
    return diff.norm(p, -1)


def dist(input: Any, other: Any, p: float = 2) -> Any:  # noqa: A002
    """The ``p``-norm of ``input - other`` (broadcast), as a 0-d tensor."""
    from .elementwise import sub
    from .reduction import norm

    diff = sub(input, other)
    if not (diff.dtype.is_floating_point or diff.dtype.is_complex):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{diff.dtype.legacy[:-6]} instead.")
    return norm(diff, p)


def renorm(input: Any, p: float, dim: int, maxnorm: float) -> Any:  # noqa: A002
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (PyTorch's factor ``maxnorm / (norm + 1e-7)``); the other slices are unchanged."""
    from ..autograd import grad_mode as _gm
    from .comparison import gt, where
    from .elementwise import add, div, mul
    from .reduction import norm
    from .shape import wrap_dim

    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = wrap_dim(dim, input.ndim)
    norms = norm(input, p, tuple(i for i in range(input.ndim) if i != d), True)
    with _gm.no_grad():
        # Note: PyTorch's renorm_backward treats the factor's test as a constant, as `where` does here.
        over = gt(norms, maxnorm)
    factor = where(over, div(maxnorm, add(norms, 1e-7)), 1.0)
    return mul(input, factor.to(input.dtype))


__all__ = ["cdist", "cosine_similarity", "dist", "pairwise_distance", "pdist", "renorm"]
