"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, in place under ``no_grad``."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ... import ops
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint ``norm_type`` norm is at most ``max_norm``; returns that norm."""
    from ... import factories

    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return factories.tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            total = ops.stack([ops.max(ops.abs(g)).to(grads[0].dtype) for g in grads]).max()
        else:
            parts = ops.stack([ops.sum(ops.abs(g) ** norm_type).to(grads[0].dtype) for g in grads])
            total = ops.sum(parts) ** (1.0 / norm_type)
        if error_if_nonfinite and not bool(ops.isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
                "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`"
            )
        coef = ops.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]

