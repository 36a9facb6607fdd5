"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits, lazy attributes."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import plugrad
from plugrad import Tensor

euler_constant = 0.5772156649015329  # Euler-Mascheroni constant
_Number = (bool, int, float)  # what PyTorch's ``torch.types._Number`` names: plain Python numbers
Number = numbers.Number
_size = Sequence[int]

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Broadcast numbers and tensors together; numbers become tensors of the first tensor's dtype and device
    (the default dtype when there is none)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        options: dict[str, Any] = {"dtype": plugrad.get_default_dtype()}
        for value in values:
            if isinstance(value, Tensor):
                options = {"dtype": value.dtype, "device": value.device}
                break
        values = tuple(v if isinstance(v, Tensor) else plugrad.tensor(v, **options) for v in values)
    return tuple(plugrad.broadcast_tensors(*values))


def _standard_normal(shape: Sequence[int], dtype: Any, device: Any) -> Tensor:
    """Standard normal draws, as PyTorch's ``empty(shape).normal_()``."""
    return plugrad.empty(tuple(shape), dtype=dtype, device=device).normal_()


def _sum_rightmost(value: Any, dim: int) -> Any:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    if is_binary:
        return plugrad.sigmoid(logits)
    return plugrad.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped to [eps, 1 - eps] of their dtype."""
    eps = plugrad.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return plugrad.log(ps_clamped) - plugrad.log1p(-ps_clamped)
    return plugrad.log(ps_clamped)


class lazy_property:  # noqa: N801 - PyTorch's name
    """An attribute computed (with grad enabled) on first access and then stored on the instance."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with plugrad.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):  # noqa: N801
    """What a lazy_property reads as on the class, so that documentation tools see a property."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower-triangular elements of (a batch of) D x D matrices at and below diagonal ``diag``, in row order."""
    n = mat.shape[-1]
    if (diag < -n or diag >= n):
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    arange = plugrad.arange(n, device=mat.device)
    tril_mask = arange < arange.view(-1, 1) + (diag + 1)
    vec = mat[..., tril_mask]
    return vec


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """(A batch of) D x D lower-triangular matrices filled in row order from vectors;
    the inverse of :func:`tril_matrix_to_vec`."""
    # +ve root of D**2 + (1+2*diag)*D - |diag| * (diag+1) - 2*vec.shape[-1] = 0
    n = (
        -(1 + 2 * diag)
        + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5
    ) / 2
    eps = plugrad.finfo(vec.dtype).eps
    if (round(n) - n > eps):
        raise ValueError(
            f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
            + "the lower triangular part of a square D x D matrix."
        )
    n = round(n.item()) if isinstance(n, plugrad.Tensor) else round(n)
    mat = vec.new_zeros(vec.shape[:-1] + plugrad.Size((n, n)))
    arange = plugrad.arange(n, device=vec.device)
    tril_mask = arange < arange.view(-1, 1) + (diag + 1)
    mat[..., tril_mask] = vec
    return mat


def expand_probs_or_logits(src: Any, new: Any, shape: Any, keep_param: bool = True) -> None:
    """Give ``new`` (an ``expand()`` of ``src``) ``src``'s ``probs`` and/or ``logits``, whichever ``src`` holds,
    expanded to ``shape``; with ``keep_param`` the last one set is also ``new._param``."""
    for name in ("probs", "logits"):
        if name in src.__dict__:
            value = src.__dict__[name].expand(shape)
            setattr(new, name, value)
            if keep_param:
                new._param = value
